"""End-to-end fixtures: a copy of the examples in tmp_path, run through the real CLI entry point."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cspsync.cli import main

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The examples copied into an empty folder that is the current directory, with its own state."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CSPSYNC_STATE_DIR", str(tmp_path / ".cspsync"))
    monkeypatch.delenv("CSPSYNC_EMULATOR_URL", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


@pytest.fixture
def cspsync(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``cspsync ARGS`` through ``cspsync.cli.main`` and return its exit code and output."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        else:  # pragma: no cover - main always exits
            code = 0
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
