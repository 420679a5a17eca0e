"""A served emulator standing in for Partner Center and Microsoft's sign-in, and a sandbox rehearsal env."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cspsync.emulator import EmulatorApp, Store, load_seed, serve
from tests.cli import REPO, examples_workdir

TENANT = "6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
CLIENT = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    store = Store(tmp_path / "served.db")
    store.seed(load_seed(REPO / "examples" / "emulator-seed.yaml"))
    app = EmulatorApp(store)
    with serve(app) as server:
        yield server.url
    app.close()


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: str) -> Path:
    """The examples as a sandbox repository (no invitations, 25 licences at most), env set for rehearsal."""
    work = examples_workdir(tmp_path, monkeypatch)
    examples = work / "examples"
    for name in ("litware.yaml", "woodgrove-bank.yaml"):
        (examples / "customers" / name).unlink()
    adatum = examples / "customers" / "adatum.yaml"
    adatum.write_text(adatum.read_text().replace("quantity: 40", "quantity: 20"))
    config = examples / "cspsync.yaml"
    config.write_text(config.read_text().replace("target: emulator", "target: partner-center-sandbox"))
    for name, value in {
        "CSPSYNC_REHEARSAL_URL": served,
        "CSPSYNC_SANDBOX_TENANT_ID": TENANT,
        "CSPSYNC_SANDBOX_CLIENT_ID": CLIENT,
        "CSPSYNC_SANDBOX_CLIENT_SECRET": "emulator-only-secret",
        "CSPSYNC_TOKEN_CACHE": str(tmp_path / "token-cache.bin"),
        "CSPSYNC_ALLOW_PLAINTEXT_TOKEN_CACHE": "1",
    }.items():
        monkeypatch.setenv(name, value)
    shutil.rmtree(work / ".cspsync", ignore_errors=True)
    return examples


def control(url: str, **body: object) -> None:
    httpx.post(url + "/_emulator/sign-in", json=body, timeout=5).raise_for_status()
