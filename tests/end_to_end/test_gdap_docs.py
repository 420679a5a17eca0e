"""docs/gdap.md names only real commands and settings, and lists exactly the roles cspsync knows."""

from __future__ import annotations

import re
from pathlib import Path

from cspsync.cli import COMMANDS
from cspsync.declarations.roles import known_role_names
from cspsync.declarations.schema import load_schema

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
