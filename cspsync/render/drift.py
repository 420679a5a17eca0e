"""Drift reports as terminal text, a GitHub issue body (Markdown) and JSON."""

from __future__ import annotations

import json
import re
from typing import Literal

from cspsync.gitops.drift import CustomerDrift, DriftReport
from cspsync.plan.model import Action, Unmanaged
from cspsync.render import escape
from cspsync.render.escape import markdown_inline as md
from cspsync.render.markdown import ALERT_ROOM, BUDGET, LIMIT, bounded, more_items
from cspsync.render.words import change_line, headline
from cspsync.render.words import read_line as words_read_line

#: the hidden marker that finds the drift issue again
MARKER = "<!-- cspsync-drift -->"
_STATE_WORDS = {"in-sync": "in sync", "drifted": "drifted", "unknown": "unknown"}


def summary_line(report: DriftReport) -> str:
    """``Drift: 1 drifted, 0 unknown, 6 in sync; 1 relationship to fix, 1 incumbent partner to review.``"""
    counts = {state: len(report.of_state(state)) for state in ("drifted", "unknown", "in-sync")}
    fix = sum(1 for f in report.findings if f.needs_action)
    review = sum(1 for f in report.findings if f.kind == "incumbent")
    no_admin = sum(1 for f in report.findings if f.kind == "missing-admin-access")
    text = f"Drift: {counts['drifted']} drifted, {counts['unknown']} unknown, {counts['in-sync']} in sync"
    waiting = sum(1 for c in report.customers if c.waiting)
    if waiting:  # in sync, but not onboarded: a reader of the count alone would take them for done
        text += f" ({waiting} of them waiting for the customer to accept an invitation)"
    if fix or review:
        text += f"; {fix} relationship(s) to fix, {review} incumbent partner(s) to review"
    if no_admin:
        text += f"; {no_admin} tenant(s) without admin access (GDAP)"
    return text + "."


def read_line(report: DriftReport) -> str | None:
    """How Partner Center was read, so "in sync" never claims more than was seen."""
    return words_read_line(report.read_note) if report.read_note is not None else None


def _state_words(customer: CustomerDrift) -> str:
    return "waiting" if customer.waiting else _STATE_WORDS[customer.state]


def _action_lines(action: Action, indent: str) -> list[str]:
    lines = [f"{indent}{action.symbol.value} {action.summary}" + ("  [DESTRUCTIVE]" if action.destructive else "")]
    lines += [f"{indent}    {change_line(c)}" for c in action.changes]
    if action.status != "ready" and action.reason:
        lines.append(f"{indent}    {action.status}: {action.reason}")
    return lines


_WHAT = {"subscription": "subscription", "azure-subscription": "Azure subscription"}


def _undeclared(report: DriftReport) -> list[Unmanaged]:
    """A declared customer's subscriptions and Azure subscriptions that no declaration names."""
    return [u for u in report.plan.unmanaged if u.kind in _WHAT]


def render_drift_text(report: DriftReport) -> str:
    read = read_line(report)
    lines = [headline(report.plan), *([read] if read else [])]
    for customer in report.customers:
        if customer.state == "in-sync" and not customer.waiting:
            continue
        lines.append("")
        lines.append(f"{_state_words(customer)}  {customer.name}  ({customer.file})")
        if customer.note:
            lines.append(f"    {customer.note}")
        for action in customer.differences:
            lines += _action_lines(action, "  ")
    if report.findings:
        lines += ["", "partner relationships (reported, never changed by cspsync):"]
        for finding in report.findings:
            mark = "!" if finding.needs_action else "?"
            lines.append(f"  {mark} {finding.customer}: {finding.message}")
            if finding.link:
                lines.append(f"      relationship request: {finding.link}")
    undeclared = _undeclared(report)
    if undeclared:
        lines += ["", "not declared (reported, never changed by cspsync):"]
        lines += [f"  ? {u.customer}: {_WHAT[u.kind]} {u.name} ({u.detail})" for u in undeclared]
    unmanaged = [u for u in report.plan.unmanaged if u.kind == "customer"]
    if unmanaged:
        lines += ["", f"{len(unmanaged)} customer(s) in Partner Center have no file; `cspsync import` writes them."]
    lines += ["", summary_line(report)]
    # every line is one line of cspsync's: a value's control characters (a newline too) are shown escaped
    return "\n".join(escape.terminal(line) for line in lines) + "\n"


def _safe_link(url: str | None) -> str | None:
    """A link only when it is a plain https URL; anything else is shown as escaped text."""
    if url and re.fullmatch(r"https://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+", url):
        return url
    return None


#: shares of the issue body (GitHub refuses one over 65,536 characters whole, and the drift job fails): the
#: customer table, and each of the two tables of partner relationships and undeclared items
TABLE_SHARE = BUDGET // 3
TAIL_SHARE = BUDGET // 8
PRINTS_ALL = "`cspsync drift` prints them all"


def render_drift_markdown(report: DriftReport) -> str:
    head = [MARKER, "### cspsync drift", "", f"`{headline(report.plan)}`", "", f"**{summary_line(report)}**", ""]
    read = read_line(report)
    if read:
        head += [md(read), ""]
    unknown = report.of_state("unknown")
    if unknown:
        head += ["> [!WARNING]", "> Some reads failed, so these customers are unknown (neither in sync nor drifted):"]
        failed = [f"> - {md(c.name)}: {md(c.note or '')}" for c in unknown]
        head += bounded(failed, ALERT_ROOM, more_items("customer(s)", PRINTS_ALL))
        head.append("")
    # the waiting ones last: thousands of open invitations must not push a drifted customer out of the table
    shown = [c for c in report.customers if c.state != "in-sync"] + [c for c in report.customers if c.waiting]
    if shown:
        head += ["| customer | file | state | differences |", "|---|---|---|---:|"]
        rows = [f"| {md(c.name)} | {md(c.file)} | {_state_words(c)} | {len(c.differences)} |" for c in shown]
        head += bounded(rows, TABLE_SHARE, lambda left: f"| … and {left:,} more customer(s) | | | |")
        head.append("")
    if any(c.differences for c in shown):
        head += ["Each change reads *Partner Center → declaration*: what `cspsync apply` would set.", ""]
    text = "\n".join(head) + "\n"
    tail: list[str] = []
    if report.findings:
        tail += [
            "#### Partner relationships",
            "",
            "Reported for a person to act on; cspsync never changes them.",
            "",
            "| customer | finding | fix |",
            "|---|---|---|",
        ]
        rows = []
        for finding in report.findings:
            link = _safe_link(finding.link)
            fix = f"[relationship request]({link})" if link else md(finding.link or "review")
            rows.append(f"| {md(finding.customer)} | {md(finding.message)} | {fix} |")
        tail += bounded(rows, TAIL_SHARE, lambda left: f"| … and {left:,} more finding(s): {PRINTS_ALL} | | |")
        tail.append("")
    undeclared = _undeclared(report)
    if undeclared:
        tail += [
            "#### Not declared",
            "",
            "Reported, never changed by cspsync.",
            "",
            "| customer | what | name | detail |",
        ]
        tail.append("|---|---|---|---|")
        rows = [f"| {md(u.customer)} | {_WHAT[u.kind]} | {md(u.name)} | {md(u.detail or '')} |" for u in undeclared]
        tail += bounded(rows, TAIL_SHARE, lambda left: f"| … and {left:,} more: {PRINTS_ALL} | | | |")
        tail.append("")
    unmanaged = [u for u in report.plan.unmanaged if u.kind == "customer"]
    if unmanaged:
        tail.append(f"_{len(unmanaged)} customer(s) in Partner Center have no file; `cspsync import` writes them._")
    ending = ("\n" + "\n".join(tail) + "\n") if tail else ""
    omitted = 0
    for customer in shown:
        if not customer.differences:
            continue
        body = "\n".join(escape.code_line(line) for a in customer.differences for line in _diff_lines(a))
        fence = escape.fence(body)
        title = escape.markdown_html(f"{customer.name} · {customer.company} ({_STATE_WORDS[customer.state]})")
        section = f"<details><summary>{title}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n"
        if len(text) + len(section) + len(ending) > BUDGET:
            omitted += 1
            continue
        text += section
    if omitted:
        text += (
            f"\n_{omitted} customer section(s) omitted to stay under GitHub's {LIMIT:,}-character limit; "
            "`cspsync drift` prints them all._\n"
        )
    return text + ending


def _diff_lines(action: Action) -> list[str]:
    """Lines of a fenced ``diff`` block: + green, - red, ! orange, # grey; the real symbol follows."""
    mark = {"+": "+", "~": "!", "-": "-", "!": "#", "@": "!"}[action.symbol.value]
    lines = [f"{mark} {action.symbol.value} {action.summary}" + ("  [DESTRUCTIVE]" if action.destructive else "")]
    lines += [f"{mark}     {change_line(c)}" for c in action.changes]
    if action.status != "ready" and action.reason:
        lines.append(f"#     {action.status}: {action.reason}")
    return lines


def render_drift_json(report: DriftReport) -> str:
    document = {
        "format_version": "2.0",
        "target": report.plan.target,
        "partner_tenant_id": report.plan.partner_tenant_id,
        "correlation_id": report.plan.correlation_id,
        "created_at": report.plan.created_at.isoformat(),
        "summary": {
            **{state: len(report.of_state(state)) for state in ("in-sync", "drifted", "unknown")},
            "waiting": sum(1 for c in report.customers if c.waiting),  # of the in-sync ones
        },
        "customers": [
            {
                "name": c.name,
                "file": c.file,
                "company": c.company,
                "state": c.state,
                "waiting": c.waiting,
                "note": c.note,
                "confirmed_at": c.confirmed_at,
                "differences": [a.model_dump(mode="json", exclude={"payload"}) for a in c.differences],
            }
            for c in report.customers
        ],
        "relationships": [
            {
                "customer": f.customer,
                "kind": f.kind,
                "partner": f.partner,
                "partner_id": f.partner_id,
                "message": f.message,
                "link": f.link,
            }
            for f in report.findings
        ],
        "unknown": list(report.plan.unknown),
        "read": (
            None
            if report.read_note is None
            else {
                "mode": report.read_note.mode,
                "reason": report.read_note.reason,
                "started_at": report.read_note.started_at,
                "read_now": report.read_note.read_now,
                "remembered": report.read_note.remembered,
                "audit_records": report.read_note.records,
                "oldest_read": report.read_note.oldest_read,
            }
        ),
        "unmanaged": [u.model_dump(mode="json") for u in report.plan.unmanaged],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_drift(report: DriftReport, fmt: Literal["text", "markdown", "json"]) -> str:
    if fmt == "json":
        return render_drift_json(report)
    if fmt == "markdown":
        return render_drift_markdown(report)
    return render_drift_text(report)
