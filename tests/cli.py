"""Running ``cspsync`` in a test: through the real entry point, its exit code and output captured."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cspsync.cli import main

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


def runner(capsys: pytest.CaptureFixture[str]) -> Run:
    """``run("plan", "customers")`` calls ``cspsync.cli.main`` as the console script would.

    Output goes through ``capsys`` so the suite-wide secret guard (tests/conftest.py) sees it.
    """

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


def examples_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The examples copied into an empty folder that is the current directory, with its own state."""
    shutil.copytree(REPO / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns(".cspsync"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CSPSYNC_STATE_DIR", str(tmp_path / ".cspsync"))
    for name in ("CSPSYNC_EMULATOR_URL", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
