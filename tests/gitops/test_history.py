"""``cspsync history``: a customer's commits (with pull requests) and apply records, in time order."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cspsync.emulator import EmulatorApp
from tests.cli import Run

from .conftest import apply_now, git


def _clock(start: str) -> Callable[[], dt.datetime]:
    """A clock that starts at ``start`` and moves one second per reading."""
    moment = dt.datetime.fromisoformat(start)

    def now() -> dt.datetime:
        nonlocal moment
        moment += dt.timedelta(seconds=1)
        return moment

    return now


@pytest.fixture
def story(declarations: Path, emulator: EmulatorApp) -> Path:
    """Commit (#1) 09:00, apply 09:10, branch commit 10:00 merged as PR #2 at 10:05, apply 10:30,
    squash-merged rename (#3) at 11:00."""
    apply_now(emulator, clock=_clock("2026-11-02T09:10:00+00:00"))
    git(declarations, "checkout", "-q", "-b", "more-seats")
    contoso = declarations / "customers/contoso-bikes.yaml"
    contoso.write_text(contoso.read_text().replace("quantity: 12", "quantity: 15"))
    git(declarations, "commit", "-q", "-am", "Contoso Bikes: 15 seats", date="2026-11-02T10:00:00Z")
    git(declarations, "checkout", "-q", "main")
    git(
        declarations,
        "merge",
        "-q",
        "--no-ff",
        "more-seats",
        "-m",
        "Merge pull request #2 from fabrikam/more-seats",
        date="2026-11-02T10:05:00Z",
    )
    apply_now(emulator, clock=_clock("2026-11-02T10:30:00+00:00"))
    git(declarations, "mv", "customers/contoso-bikes.yaml", "customers/contoso.yaml")
    git(declarations, "commit", "-q", "-m", "Shorter file name for Contoso Bikes (#3)", date="2026-11-02T11:00:00Z")
    return declarations


def _sha(root: Path, rev: str) -> str:
    return git(root, "rev-parse", "--short=7", rev).strip()


def test_history_joins_commits_and_applies_in_time_order(cspsync: Run, story: Path) -> None:
    result = cspsync("history", "contoso-bikes")

    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "History of contoso-bikes (customers/contoso.yaml)"
    first, branch, merge, rename = (_sha(story, r) for r in ("HEAD~2", "HEAD~1^2", "HEAD~1", "HEAD"))
    assert lines[1] == (
        f"2026-11-02 09:00:00Z  commit {first} PR #1  Amelia Hughes <amelia@fabrikam.example>  "
        "Declarations of seven customers (#1)"
    )
    entries = [line for line in lines[1:] if not line.startswith(" ")]
    kinds = [re.sub(r"^\S+ \S+  (\w+)\s+(\S+?):?(\s.*)?$", r"\1 \2", line) for line in entries]
    assert kinds[0] == f"commit {first}"
    assert set(kinds[1:6]) == {  # one apply; what does not depend on each other ran concurrently
        "apply contoso-bikes/create-customer",
        "apply contoso-bikes/create-agreement",
        "apply contoso-bikes/order-subscription/fabrikam-contosobikes-azure",
        "apply contoso-bikes/order-subscription/fabrikam-contosobikes-m365bp",
        "apply contoso-bikes/create-access-assignment/default/helpdesk-agents",
    }
    assert kinds[1] == "apply contoso-bikes/create-customer"
    agreement = kinds.index("apply contoso-bikes/create-agreement")
    assert all(kinds.index(k) > agreement for k in kinds[1:6] if "order-subscription" in k)
    assert kinds[6:] == [
        f"commit {branch}",
        "apply contoso-bikes/update-subscription/fabrikam-contosobikes-m365bp/quantity",
        f"commit {rename}",
    ]
    assert f"2026-11-02 10:00:00Z  commit {branch} PR #2 (merged in {merge})  Amelia Hughes" in result.out
    assert f"2026-11-02 11:00:00Z  commit {rename} PR #3  Amelia Hughes" in result.out
    update = lines.index(next(line for line in lines if "update-subscription" in line))
    assert lines[update].endswith(": done — fabrikam-contosobikes-m365bp: quantity → 15")
    assert re.fullmatch(
        rf" {{22}}request ids: [0-9a-f-]{{36}}(, [0-9a-f-]{{36}})*; correlation id [0-9a-f-]{{36}}; emulator, "
        rf"from commit {merge}, declared in commit {branch}; record .+\.json",
        lines[update + 1],
    )


def test_history_as_json_for_auditors(cspsync: Run, story: Path) -> None:
    result = cspsync("history", "customers/contoso.yaml", "--format", "json")

    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["customer"] == "contoso-bikes"
    commits = [e for e in document["entries"] if e["kind"] == "commit"]
    assert [(c["pull_request"], c["path"]) for c in commits] == [
        (1, "customers/contoso-bikes.yaml"),
        (2, "customers/contoso-bikes.yaml"),
        (3, "customers/contoso.yaml"),
    ]
    applies = [e for e in document["entries"] if e["kind"] == "apply"]
    assert {a["status"] for a in applies} == {"done"}
    assert all(a["request_ids"] and a["correlation_id"] and a["git_commit"] for a in applies)
    times = [e["at"] for e in document["entries"]]
    assert times == sorted(times)


def test_a_deleted_customer_still_has_its_apply_records(cspsync: Run, story: Path) -> None:
    git(story, "rm", "-q", "customers/contoso.yaml")
    git(story, "commit", "-q", "-m", "Contoso Bikes is no longer managed here (#4)")

    result = cspsync("history", "contoso-bikes")

    assert result.code == 0, result.err
    assert result.out.splitlines()[:2] == [
        "History of contoso-bikes",
        "note: no customer file declares contoso-bikes now; only apply records are shown",
    ]
    assert result.out.count("  apply  contoso-bikes/") == 6


def test_an_unknown_customer_is_an_error(cspsync: Run) -> None:
    result = cspsync("history", "nobody")

    assert result.code == 1
    assert result.err.startswith("Error: no customer named nobody: no customer file declares it and no apply record")


def test_history_reads_downloaded_ci_artifacts(cspsync: Run, story: Path, tmp_path: Path) -> None:
    downloaded = tmp_path / "artifacts"
    run = downloaded / "cspsync-applies-7-1"
    shutil.copytree(Path(os.environ["CSPSYNC_STATE_DIR"]) / "applies", run / "applies")
    (run / "invitations.json").write_text("{}")  # the artifact holds the invitations ledger too
    (downloaded / "broken.json").write_text("{")

    result = cspsync("history", "contoso-bikes", "--applies", str(downloaded))

    assert result.code == 0, result.err
    assert result.out.count("  apply  contoso-bikes/") == 6
    assert result.out.splitlines()[1] == f"note: {downloaded / 'broken.json'} cannot be read as JSON; skipped"
