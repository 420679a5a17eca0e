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


def _section(title: str) -> str:
    return DOC.split(f"### {title}\n", 1)[1].split("\n### ", 1)[0]


def test_the_settings_checklist_names_every_setting_the_workflows_rely_on() -> None:
    checklist = _section("Settings checklist")

    for setting in (
        "**Environments → `cspsync-plan`**",
        "**Environments → `cspsync-apply`**",
        "only the default branch",
        "*Required reviewers*",
        "no `CSPSYNC_*` (or mail) secret at repository or organisation",
        "branch protection",
        "**new-ledger**",
        "**full-apply**",
        "`target: partner-center`",
    ):
        assert setting in checklist, setting
    assert checklist.count("- [ ] ") == 7


def test_the_trust_boundary_shows_every_job_with_its_credential() -> None:
    drawing = _section("The trust boundary")

    for job in (
        "cspsync-plan.yml  · job `declarations`",
        "cspsync-plan-comment.yml · job `plan`",
        "cspsync-plan-shards.yml (instead of the above, sharded)",
        "cspsync-apply.yml · job `apply`",
        "cspsync-drift.yml · job `drift`",
        "cspsync-drift.yml · job `reminders`",
    ):
        assert job in drawing, job
    assert "credentials: none" in drawing
    assert "`cspsync auth status customers/`" in drawing
    assert "applies: the files changed since the last successful" in drawing
    # the table: every job of every workflow, with what it holds
    from .workflows import FILES, load

    for path in FILES:
        if path.name == "ci.yml":
            continue
        for job in load(path.name)["jobs"]:
            assert f"| `{path.name}` · `{job}` |" in drawing, (path.name, job)
    assert drawing.count("env cspsync-plan") == 3 and drawing.count("env cspsync-apply") == 2


def test_the_docs_say_that_github_cancels_a_pending_run_and_what_makes_it_harmless() -> None:
    """Version 0.1 said a waiting apply was "queued, never cancelled": GitHub replaces the pending run."""
    for text in (DOC, (REPO / ".github" / "workflows" / "cspsync-apply.yml").read_text(encoding="utf-8")):
        assert "never cancelled" not in text and "queued, never" not in text
    assert "GitHub cancels the *waiting* run when a newer one queues (it is not a queue)" in DOC
    assert "each applies every change since the last *successful* apply" in DOC
