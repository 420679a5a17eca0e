"""docs/gitops.md names only real commands, flags, workflows and markers."""

from __future__ import annotations

import re

from cspsync.cli import COMMANDS
from cspsync.render.drift import MARKER as DRIFT_MARKER
from cspsync.render.markdown import MARKER as PLAN_MARKER

from .conftest import REPO

DOC = (REPO / "docs" / "gitops.md").read_text(encoding="utf-8")


def test_every_command_in_the_walkthrough_exists() -> None:
    used = set(re.findall(r"(?:^|\$ |\n)cspsync ([a-z-]+)", DOC)) | set(re.findall(r"`cspsync ([a-z-]+)", DOC))
    assert {"import", "validate", "plan", "apply", "history", "drift", "merge-plans"} <= used
    assert used <= set(COMMANDS)


def test_the_gitops_flags_and_workflows_are_documented() -> None:
    for flag in ("--changed-since", "--shard I/N", "--format markdown", "--applies", "--force", "--domain"):
        assert flag in DOC, flag
    for path in re.findall(r"\.github/workflows/[\w-]+\.yml", DOC):
        assert (REPO / path).is_file(), path
    assert PLAN_MARKER in DOC and DRIFT_MARKER in DOC
