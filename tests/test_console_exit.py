"""The console script's quick exit after validate loses no output and keeps the exit code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import REPO, runner


def _console(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CSPSYNC_EMULATOR_URL")}
    return subprocess.run(
        [sys.executable, "-m", "cspsync", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def many_problems(tmp_path: Path) -> Path:
    """The examples and 400 copies of one customer, each with a problem: far more output than a pipe holds."""
    shutil.copytree(REPO / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns(".cspsync"))
    text = (tmp_path / "examples" / "customers" / "adatum.yaml").read_text()
    for index in range(400):
        broken = text.replace("name: adatum", f"name: adatum-{index}").replace("rechnungen@adatum.de", "not-an-email")
        (tmp_path / "examples" / "customers" / f"adatum-{index}.yaml").write_text(broken)
    return tmp_path / "examples"


def test_every_problem_reaches_a_pipe_and_the_exit_code_is_kept(
    many_problems: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    console = _console("validate", "customers", "--format", "json", cwd=many_problems)
    monkeypatch.chdir(many_problems)
    in_process = runner(capsys)("validate", "customers", "--format", "json")

    assert console.returncode == in_process.code == 1
    assert console.stdout == in_process.out
    assert len(json.loads(console.stdout)["problems"]) >= 400
    assert len(console.stdout) > 65_536  # more than a pipe's buffer: the rest was flushed before the exit


def test_a_valid_repository_exits_0_with_its_line(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns(".cspsync"))
    console = _console("validate", "customers", cwd=tmp_path / "examples")
    assert console.returncode == 0, console.stderr
    assert console.stdout.endswith("customer files valid\n") and console.stderr == ""
