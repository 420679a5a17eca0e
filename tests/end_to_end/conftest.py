"""End-to-end fixtures: a copy of the examples in tmp_path, run through the real CLI entry point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import Run, examples_workdir, runner

from .world import World, seeded_world

REPO = Path(__file__).resolve().parents[2]
CUSTOMERS = "examples/customers"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return examples_workdir(tmp_path, monkeypatch)


@pytest.fixture
def cspsync(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    return runner(capsys)


@pytest.fixture
def world(workdir: Path) -> Iterator[World]:
    """The examples' emulator world in process, with a clock the test moves."""
    made = seeded_world(workdir)
    yield made
    made.store.close()
