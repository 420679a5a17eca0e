"""docs/gdap.md names only real commands and settings, and lists exactly the roles cspsync knows."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from cspsync.cli import COMMANDS
from cspsync.declarations.roles import known_role_names
from cspsync.declarations.schema import load_schema
from tests.cli import examples_workdir, runner

DOC = (Path(__file__).resolve().parents[2] / "docs" / "gdap.md").read_text(encoding="utf-8")


def test_the_commands_of_the_walkthrough_exist() -> None:
    used = set(re.findall(r"(?:^|\$ |`|&& )cspsync ([a-z-]+)", DOC, re.MULTILINE))
    assert {"apply", "plan", "drift", "import", "validate", "emulator"} <= used <= set(COMMANDS)
    for sub in ("approve-gdap", "age-gdap", "accept-invitation"):
        assert f"cspsync emulator {sub}" in DOC


def test_the_settings_are_the_schemas() -> None:
    config = set(load_schema("config")["$defs"]["adminAccess"]["properties"])
    relationship = set(load_schema("customer")["$defs"]["adminRelationship"]["properties"])
    for key in config | relationship | {"approverEmail", "adminApprovalTemplate"}:
        assert key in DOC, key


def test_the_role_names_are_the_ones_cspsync_knows() -> None:
    listed = DOC.split("Role names cspsync knows (any case): ", 1)[1].split(" (`cspsync/declarations/roles.py`", 1)[0]
    assert sorted(" ".join(listed.split()).split(", ")) == known_role_names()


def _walkthrough() -> list[tuple[list[str], list[str]]]:
    """The walkthrough's commands in order, each with the summary lines the document shows it printing."""
    steps: list[tuple[list[str], list[str]]] = []
    for line in DOC.split("## Run it against the emulator", 1)[1].splitlines():
        command = line.removeprefix("$ ").removeprefix('cp -r "$CSPSYNC/examples" . && ')
        if command.startswith("sed -i "):  # an edit of a file, run here without sed
            steps.append((shlex.split(command), []))
        elif command.startswith("cspsync "):
            steps += [(shlex.split(part)[1:], []) for part in command.split(" && ")]
        elif steps and line.startswith(("Apply complete:", "Plan:", "Drift:")):
            steps[-1][1].append(line)
    return steps


def test_the_walkthrough_runs_as_written_from_a_folder_holding_the_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No CSPSYNC_STATE_DIR: each command finds the state folder itself, as on a partner's machine (the
    emulator commands once looked in ./.cspsync while apply used examples/.cspsync, so nothing was approved)."""
    examples_workdir(tmp_path, monkeypatch)
    monkeypatch.delenv("CSPSYNC_STATE_DIR")
    cspsync = runner(capsys)
    steps = _walkthrough()
    assert [args[:2] for args, _ in steps][:4] == [
        ["apply", "examples/customers"],
        ["emulator", "approve-gdap"],
        ["apply", "examples/customers"],
        ["plan", "examples/customers"],
    ]
    for args, shown in steps:
        if args[0] == "sed":
            _, old, new, _ = args[2].split("/")
            path = tmp_path / args[3]
            assert path.read_text().count(old) == 1, args
            path.write_text(path.read_text().replace(old, new))
            continue
        result = cspsync(*args)
        if os.environ.get("CSPSYNC_SHOW_WALKTHROUGH"):
            print("$ cspsync", *args, "\n", result.out, result.err)
        assert result.code == (2 if args[0] == "drift" else 0), (args, result.out, result.err)
        for line in shown:
            assert line in result.out, (args, line)
    assert (tmp_path / "examples" / ".cspsync" / "emulator.db").is_file()
    assert not (tmp_path / ".cspsync").exists()  # one state folder, next to cspsync.yaml


def test_an_emulator_command_without_the_emulators_state_says_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    examples_workdir(tmp_path, monkeypatch)
    monkeypatch.delenv("CSPSYNC_STATE_DIR")
    cspsync = runner(capsys)
    assert cspsync("apply", "examples/customers", "--yes").code == 0
    lost = cspsync("emulator", "approve-gdap", "litware.ie")
    assert lost.code == 1
    assert lost.err.startswith("Error: No emulator state at .cspsync/emulator.db: nothing has been planned or ")
    assert "pass --config examples/cspsync.yaml" in lost.err
    assert not (tmp_path / ".cspsync").exists()  # no empty world was made where nobody looks
    assert cspsync("emulator", "approve-gdap", "litware.ie", "--config", "examples/cspsync.yaml").code == 0
