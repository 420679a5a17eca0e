"""GitOps fixtures: a declarations repository in a temporary git work tree, state outside it, the CLI.

The emulator's state is prepared through the library with an unthrottled client (an apply of the seven
examples takes well under a second that way); the commands under test run through ``cspsync.cli.main``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cspsync.apply.run import Applier, ApplyRecord
from cspsync.declarations import Repository, load_repository
from cspsync.emulator import EmulatorApp, Store, transport
from cspsync.observe.memory import View, memory_path
from cspsync.partnercenter.auth import StaticToken
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.retry import UNPACED
from cspsync.pipeline import observe_and_plan
from cspsync.target import EMULATOR_BASE_URL, open_emulator
from cspsync.workspace import Workspace
from tests.cli import Run, runner

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
FABRIKAM = "6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
NORTHWIND = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
ADATUM = "7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12"
TAILSPIN = "3c9d7a10-2b4e-4f6a-8c1d-5e7f9a0b1c2d"


def git(root: Path, *args: str, date: str | None = None) -> str:
    env = None
    if date is not None:
        env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True, env=env)
    return done.stdout


@pytest.fixture
def declarations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A partner's repository (the examples: cspsync.yaml, customers/, emulator-seed.yaml, templates/...)
    committed on main; the working folder; cspsync's state outside it."""
    root = tmp_path / "declarations"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".cspsync"))
    (root / ".gitignore").write_text(".cspsync/\n", encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.setenv("CSPSYNC_STATE_DIR", str(tmp_path / "state"))
    for variable in ("CSPSYNC_EMULATOR_URL", "GITHUB_ACTIONS"):
        monkeypatch.delenv(variable, raising=False)
    global_config = tmp_path / "gitconfig"
    global_config.write_text("[user]\n\tname = Amelia Hughes\n\temail = amelia@fabrikam.example\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Declarations of seven customers (#1)", date="2026-11-02T09:00:00Z")
    return root


@pytest.fixture
def cspsync(declarations: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    return runner(capsys)


def fast_client(app: EmulatorApp) -> PartnerCenterClient:
    """A client of the in-process emulator without the 10-requests-per-second limit (setup only)."""
    return PartnerCenterClient(
        base_url=EMULATOR_BASE_URL,
        transport=transport(app),
        tokens=StaticToken(),
        limits=UNPACED,
    )


@pytest.fixture
def emulator(declarations: Path) -> Iterator[EmulatorApp]:
    """The emulator over the state folder's database, seeded from the repository's seed file."""
    app = open_emulator(Workspace.from_environment(), declarations / "emulator-seed.yaml")
    yield app
    app.close()


@pytest.fixture
def store(emulator: EmulatorApp) -> Store:
    store: Store = emulator.store
    return store


def apply_now(
    app: EmulatorApp, paths: list[Path] | None = None, clock: Callable[[], dt.datetime] | None = None
) -> ApplyRecord:
    """Plan and apply the declarations under ``paths`` (default: customers/) as `cspsync apply` would."""
    repo: Repository = load_repository(paths or [Path("customers")])
    workspace = Workspace.from_environment()
    with fast_client(app) as client:
        plan = observe_and_plan(repo, repo.customers, client, target="emulator", workspace=workspace, full_scope=True)
        applier = (
            Applier(plan, repo, client, workspace, clock=clock) if clock else Applier(plan, repo, client, workspace)
        )
        return applier.run()


@pytest.fixture
def applied(emulator: EmulatorApp) -> ApplyRecord:
    """The seven example customers applied: five linked (three created), two waiting for acceptance; Litware's
    admin relationship requested (waiting for approval), Contoso's Default GDAP assigned."""
    record = apply_now(emulator)
    assert record.counts() == {"waiting": 9, "done": 23}
    return record


# ------------------------------------------------------------------------------ incremental observation


def per_customer_reads(counts: dict[str, int]) -> int:
    """Reads of one customer's resources among the emulator's request counts (what a full read pays per customer)."""
    return sum(n for key, n in counts.items() if key.startswith("GET /v1/customers/{customerId}/"))


def observed_long_ago(view: View, days: int = 100) -> None:
    """Date the saved memory of ``view`` (emulator target) ``days`` back: the activity log keeps 90 days, so
    what happened since is not all there (a gap)."""
    path = memory_path(Workspace.from_environment(), "emulator", view)
    memory = json.loads(path.read_text(encoding="utf-8"))
    memory["observed_at"] = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat()
    path.write_text(json.dumps(memory), encoding="utf-8")
