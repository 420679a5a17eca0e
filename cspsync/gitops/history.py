"""What an auditor reads: one customer's declaration changes (git) next to what was applied (apply records).

Commits come from ``git log --follow`` of the customer's file, so a rename keeps its past. Each carries the
pull request it arrived with: ``(#123)`` at the end of a squash-merge subject, ``Merge pull request #123``
in a merge commit, or, for a commit made on a branch, the merge commit that brought it into the mainline
(the first-parent history of HEAD). Apply records are the JSON files under ``.cspsync/applies/`` (or a
folder of downloaded CI artifacts); every action of the customer that ran (done, already done, failed,
skipped) becomes an entry with its request ids and correlation id. Waiting and blocked steps repeat in
every record and change nothing, so they are left out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cspsync.declarations.load import read_values
from cspsync.declarations.repository import customer_files
from cspsync.errors import ConfigError
from cspsync.git import git_output
from cspsync.observe.applied import snake_keys

_SQUASH = re.compile(r"\(#(\d+)\)\s*$")
_MERGE = re.compile(r"^Merge pull request #(\d+)")
#: results that did (or tried) something; waiting/blocked/refused repeat in every record
RAN = ("done", "already-done", "failed", "skipped", "started")


@dataclass(frozen=True)
class CommitEntry:
    at: dt.datetime  # committer date: when the change landed where it is now
    commit: str
    author: str
    email: str
    subject: str
    path: str  # the file's path in that commit (it may have been renamed since)
    pull_request: int | None = None
    merged_in: str | None = None  # the mainline merge commit that brought a branch commit in

    kind = "commit"


@dataclass(frozen=True)
class ApplyEntry:
    at: dt.datetime
    action: str
    status: str
    message: str
    request_ids: tuple[str, ...]
    correlation_id: str
    target: str
    git_commit: str | None  # the commit the apply ran from
    record: str  # the apply record file
    #: the commit that last changed the customer's file before the apply: the change it applied
    declared_in: str | None = None
    #: the apply ran from a working tree with uncommitted changes (its record says so)
    dirty: bool = False

    kind = "apply"


Entry = CommitEntry | ApplyEntry


@dataclass(frozen=True)
class Timeline:
    customer: str
    file: str | None
    entries: tuple[Entry, ...]
    notes: tuple[str, ...] = ()


def _utc(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


_git = git_output  # None when git is missing or the folder is not a work tree


# ------------------------------------------------------------------------------------------ the file


def find_customer_file(customer: str, paths: Sequence[Path]) -> Path | None:
    """The customer file whose ``metadata.name`` is ``customer`` (or ``customer`` itself when it is a file)."""
    found = customer_files_declaring(customer, paths)
    return found[0] if found else None


def customer_files_declaring(customer: str, paths: Sequence[Path]) -> list[Path]:
    """Every customer file under ``paths`` whose ``metadata.name`` is ``customer`` (``customer`` itself when it
    is a file): more than one when ``paths`` hold several repositories (copies, forks) of one partner."""
    given = Path(customer)
    if given.suffix in (".yaml", ".yml") and given.is_file():
        return [given]
    found: list[Path] = []
    for path in customer_files([p for p in paths if p.exists()]):
        try:
            document = read_values(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if isinstance(document, dict) and document.get("kind") == "Customer":
            metadata = document.get("metadata")
            if isinstance(metadata, dict) and metadata.get("name") == customer:
                found.append(path)
    return found


def customer_name(path: Path) -> str | None:
    try:
        document = read_values(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    metadata = document.get("metadata") if isinstance(document, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


# ------------------------------------------------------------------------------------------- commits


def _pull_request(subject: str) -> int | None:
    found = _SQUASH.search(subject) or _MERGE.match(subject)
    return int(found.group(1)) if found else None


def commits_of(path: Path) -> list[CommitEntry] | None:
    """The commits that changed ``path`` (following renames), newest first; None outside a git work tree."""
    folder = path.parent if path.parent != Path("") else Path(".")
    log = _git(
        ["log", "--follow", "--format=%x1e%H%x1f%an%x1f%ae%x1f%cI%x1f%s", "--name-only", "--", path.name], folder
    )
    if log is None:
        return None
    mainline_log = _git(["log", "--first-parent", "--format=%H%x1f%s", "HEAD"], folder) or ""
    mainline: dict[str, str] = {}
    for line in mainline_log.splitlines():
        sha, _, subject = line.partition("\x1f")
        mainline[sha] = subject
    entries: list[CommitEntry] = []
    for chunk in log.split("\x1e"):
        lines = [line for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        sha, author, email, date, subject = lines[0].split("\x1f", 4)
        pull_request, merged_in = _pull_request(subject), None
        if pull_request is None and sha not in mainline:
            merged_in = _merging_commit(sha, mainline, folder)
            if merged_in is not None:
                pull_request = _pull_request(mainline[merged_in])
        entries.append(
            CommitEntry(
                _utc(date), sha, author, email, subject, lines[-1] if len(lines) > 1 else "", pull_request, merged_in
            )
        )
    return entries


def _merging_commit(sha: str, mainline: dict[str, str], folder: Path) -> str | None:
    """The oldest mainline commit that descends from ``sha``: the merge that brought it in."""
    descendants = _git(["rev-list", "--ancestry-path", f"{sha}..HEAD"], folder) or ""
    merged_in = None
    for candidate in descendants.split():  # newest first
        if candidate in mainline:
            merged_in = candidate
    return merged_in


# --------------------------------------------------------------------------------------- apply records


def applies_of(customer: str, folder: Path) -> tuple[list[ApplyEntry], list[str]]:
    """The actions of ``customer`` in every apply record under ``folder`` (searched recursively)."""
    entries: list[ApplyEntry] = []
    problems: list[str] = []
    if not folder.is_dir():
        return entries, problems
    for path in sorted(folder.rglob("*.json")):
        try:
            record: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            problems.append(f"{path} cannot be read as JSON; skipped")
            continue
        if not isinstance(record, dict) or "actions" not in record:
            continue  # other JSON next to the records (a downloaded artifact holds invitations.json too)
        record = _snake(record)
        started, actions = record.get("started_at"), record["actions"]
        for action in actions if isinstance(actions, list) else []:
            action = _snake(action) if isinstance(action, dict) else action
            if not isinstance(action, dict) or action.get("customer") != customer:
                continue
            if action.get("status") not in RAN:
                continue
            when = action.get("finished_at") or action.get("started_at") or started
            try:
                at = _utc(str(when))
            except (TypeError, ValueError):
                problems.append(f"{path}: {action.get('id')} has no readable time; skipped")
                continue
            entries.append(
                ApplyEntry(
                    at=at,
                    action=str(action.get("id", "")),
                    status=str(action.get("status")),
                    message=str(action.get("message") or ""),
                    request_ids=tuple(str(r) for r in action.get("request_ids") or ()),
                    correlation_id=str(record.get("correlation_id") or ""),
                    target=str(record.get("target") or ""),
                    git_commit=record.get("git_commit"),
                    record=str(path),
                    declared_in=action.get("declared_in") if isinstance(action.get("declared_in"), str) else None,
                    dirty=bool(record.get("dirty")),
                )
            )
    return entries, problems


def history(customer: str, *, paths: Sequence[Path], applies: Path) -> Timeline:
    """The timeline of ``customer`` (a metadata.name or a customer file), oldest first."""
    path = find_customer_file(customer, paths)
    name = customer_name(path) if path is not None and Path(customer).suffix in (".yaml", ".yml") else customer
    name = name or customer
    notes: list[str] = []
    commits: list[CommitEntry] = []
    if path is None:
        notes.append(f"no customer file declares {name} now; only apply records are shown")
    else:
        found = commits_of(path)
        if found is None:
            notes.append(f"{path} is not in a git work tree; only apply records are shown")
        else:
            commits = found
            if not commits:
                notes.append(f"{path} has no commits yet")
    applied, problems = applies_of(name, applies)
    notes += problems
    if path is None and not applied:
        raise ConfigError(
            f"no customer named {name}: no customer file declares it and no apply record in {applies} mentions it",
            hint="name it by its metadata.name or its file",
        )
    entries: list[Entry] = [*commits, *applied]
    entries.sort(key=lambda e: (e.at, 0 if isinstance(e, CommitEntry) else 1))
    return Timeline(name, str(path) if path is not None else None, tuple(entries), tuple(notes))


_snake = snake_keys  # one rule for reading records of format 1.0 (camelCase), in cspsync.apply.record
