"""docs/partner-center.md: its rehearsal block runs as written against the emulator's sign-in."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from cspsync.cli import COMMANDS
from cspsync.emulator.injection import ENVIRONMENT_VARIABLES
from tests.cli import REPO, runner

DOC = (REPO / "docs" / "partner-center.md").read_text(encoding="utf-8")


def _rehearsal_block() -> list[str]:
    section = DOC.split("## 4. Rehearse", 1)[1].split("## 5.", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    return [line for line in blocks[1].splitlines() if line.strip()]


def test_every_command_and_variable_named_exists() -> None:
    used = set(re.findall(r"(?:`|^)cspsync ([a-z-]+)", DOC, re.MULTILINE))
    assert {"login", "auth", "plan", "validate", "emulator"} <= used <= set(COMMANDS)
    for name in ENVIRONMENT_VARIABLES:
        assert name in DOC, name
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "cspsync").rglob("*.py"))
    for name in set(re.findall(r"CSPSYNC_[A-Z_]+[A-Z]", DOC)) - {"CSPSYNC_SANDBOX_"}:
        short = name.removeprefix("CSPSYNC_SANDBOX_").removeprefix("CSPSYNC_")
        assert name in source or f'"{short}"' in source, name  # or built from the target's prefix


def test_the_rehearsal_walks_from_login_to_a_sandbox_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], served: str
) -> None:
    from tests.cli import examples_workdir

    work = examples_workdir(tmp_path, monkeypatch)
    config = work / "examples" / "cspsync.yaml"
    config.write_text(config.read_text().replace("target: emulator", "target: partner-center-sandbox"))
    monkeypatch.setenv("CSPSYNC_TOKEN_CACHE", str(tmp_path / "token-cache.bin"))
    run = runner(capsys)
    results = []
    for line in _rehearsal_block():
        words = shlex.split(line)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            monkeypatch.setenv(name, served if name == "CSPSYNC_REHEARSAL_URL" else value)
            continue
        assert words[0] == "cspsync"
        result = run(*words[1:])
        results.append(result)
        if words[1] == "validate":
            # the doc says what validate reports, and what to change
            assert result.code == 1
            assert "cannot invite" in result.out and "not 40" in result.out
            customers = work / "examples" / "customers"
            (customers / "litware.yaml").unlink()
            (customers / "woodgrove-bank.yaml").unlink()
            adatum = customers / "adatum.yaml"
            adatum.write_text(adatum.read_text().replace("quantity: 40", "quantity: 20"))
            assert run(*words[1:]).code == 0
            continue
        assert result.code in (0, 2), (line, result.out, result.err)
    plan = results[-1]
    assert plan.out.startswith("target: partner-center-sandbox (integration sandbox, not production)")
    assert (work / "sandbox-refresh-token.txt").read_text() not in plan.out + plan.err
