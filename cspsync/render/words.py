"""Words shared by every renderer: the summary line and the human description of changes."""

from __future__ import annotations

from typing import Any

from cspsync.observe.state import ReadNote
from cspsync.plan import payloads
from cspsync.plan.model import Action, Change, Plan, PlanRead, Summary


def summary_line(summary: Summary) -> str:
    """``Plan: 3 to create, 1 to update, 0 to cancel, 1 waiting`` (and adoptions, suspensions, admin
    relationships to end and blocked actions, when there are any): a suspension is not counted a cancellation."""
    adopt = f"{summary.adopt} to adopt, " if summary.adopt else ""
    suspend = f", {summary.suspend} to suspend" if summary.suspend else ""
    end = f", {summary.end_access} admin relationship(s) to end" if summary.end_access else ""
    text = (
        f"Plan: {adopt}{summary.create} to create, {summary.update} to update, "
        f"{summary.remove} to cancel{suspend}{end}, {summary.waiting} waiting"
    )
    if summary.blocked:
        text += f", {summary.blocked} blocked"
    return text + "."


def read_line(note: ReadNote | PlanRead) -> str:
    """How Partner Center was read (drift and plan say it alike), so "in sync" or "no changes" never claims
    more than was seen."""
    if note.mode == "full":
        return f"Read: every customer read now ({note.started_at}; full read: {note.reason})."
    text = f"Read: {note.read_now} customer(s) read now ({note.started_at})"
    if note.remembered:
        text += (
            f"; {note.remembered} confirmed by an earlier read (oldest {note.oldest_read}) and unchanged since "
            f"per {note.records} {note.reason}"
        )
    return text + "."


def target_name(target: str) -> str:
    """How outputs name a target: never an emulator run that could be read as Partner Center."""
    return {
        "emulator": "emulator (not Partner Center)",
        "partner-center-sandbox": "partner-center-sandbox (integration sandbox, not production)",
    }.get(target, "Partner Center")


ADOPT_TAG = "[ADOPT: cspsync did not create this customer]"


def adoption_line(action: Action) -> str:
    """One line per adoption for the top of a plan: who is adopted, under which file's name, on what evidence."""
    payload = action.payload
    assert isinstance(payload, payloads.AdoptCustomer)
    domains = ", ".join(payload.domains) or "none read"
    because = {
        "interrupted-create": "this repository's interrupted create explains it",
        "declared-tenant-id": "the file declares its tenant id",
        "accepted-invitation": "found by the customer's own domain: its admin accepted the invitation",
    }.get(payload.evidence or "", "not proven")
    return f"{action.customer} ← {payload.company_name}, tenant {payload.tenant_id}, domains {domains} ({because})" + (
        "; its admin password is lost" if payload.password_lost else ""
    )


def headline(plan: Plan) -> str:
    """The first line of every rendering: it names the target so an emulator plan is never mistaken."""
    target = target_name(plan.target)
    return (
        f"target: {target} · partner tenant {plan.partner_tenant_id} · "
        f"{len(plan.customers)} customer file(s) · correlation id {plan.correlation_id}"
    )


def value(v: Any) -> str:
    """A field value the way a reviewer reads it."""
    if v is None:
        return "(none)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


def change_line(change: Change) -> str:
    return f"{change.field}: {value(change.before)} → {value(change.after)}"


#: a plan of no customer file (nothing changed since REF, or since the last apply): it compared nothing, so it
#: must not say that Partner Center matches the declarations
NOTHING_IN_SCOPE = "No changes. No customer file is in scope, so nothing was compared with Partner Center."
