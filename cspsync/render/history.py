"""An auditor's timeline of one customer (commits and applies) as text and JSON.

Every line of the text is escaped for the terminal: a commit subject, an author or a company name Partner
Center served (in an apply's message) can hold control characters. JSON escapes them itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from cspsync.gitops.history import ApplyEntry, CommitEntry, Entry, Timeline
from cspsync.render import escape


def render_history_text(timeline: Timeline) -> str:
    lines = [f"History of {timeline.customer}" + (f" ({timeline.file})" if timeline.file else "")]
    lines += [f"note: {note}" for note in timeline.notes]
    for entry in timeline.entries:
        when = entry.at.strftime("%Y-%m-%d %H:%M:%SZ")
        if isinstance(entry, CommitEntry):
            pr = f" PR #{entry.pull_request}" if entry.pull_request else ""
            merged = f" (merged in {entry.merged_in[:7]})" if entry.merged_in else ""
            lines.append(
                f"{when}  commit {entry.commit[:7]}{pr}{merged}  {entry.author} <{entry.email}>  {entry.subject}"
            )
        else:
            source = f", from commit {entry.git_commit[:7]}" if entry.git_commit else ""
            if entry.dirty:
                source += " with uncommitted changes"
            if entry.declared_in:
                source += f", declared in commit {entry.declared_in[:7]}"
            lines.append(
                f"{when}  apply  {entry.action}: {entry.status}" + (f" — {entry.message}" if entry.message else "")
            )
            ids = ", ".join(entry.request_ids) or "none"
            lines.append(
                f"{' ' * 22}request ids: {ids}; correlation id {entry.correlation_id}; "
                f"{entry.target}{source}; record {entry.record}"
            )
    if not timeline.entries:
        lines.append("(nothing recorded yet)")
    # commit subjects, authors and the messages of applies (Partner Center's names) are others' text
    return "\n".join(escape.terminal(line) for line in lines) + "\n"


def render_history_json(timeline: Timeline) -> str:
    def entry(e: Entry) -> dict[str, Any]:
        data = asdict(e)
        data["at"] = e.at.isoformat()
        data["kind"] = e.kind
        if isinstance(e, ApplyEntry):
            data["request_ids"] = list(e.request_ids)
        return data

    document = {
        "customer": timeline.customer,
        "file": timeline.file,
        "notes": list(timeline.notes),
        "entries": [entry(e) for e in timeline.entries],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
