"""The invitations ledger (``.cspsync/invitations.json``): what was sent, when, to whom, with which
Message-ID, and the reminders after it — so a re-run never sends an invitation twice.

Partner Center has no resource for a pending invitation (partner-center-api.md 5.1): this file is the
only memory of it, like the apply records. Writers in threads and in other processes take a lock, and
the file is replaced atomically. A ledger that cannot be read is an error, never "nothing was sent".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cspsync.errors import CspsyncError
from cspsync.mail.base import Delivery
from cspsync.observe.state import SentApproval, SentInvitation
from cspsync.workspace import Workspace, write_json_atomic

LEDGER_FORMAT = "1"
_THREAD_LOCK = threading.Lock()


@dataclass(frozen=True)
class SentMessage:
    at: str  # ISO time, UTC
    message_id: str
    delivery: str  # smtp | graph | outbox
    file: str | None = None

    def document(self) -> dict[str, Any]:
        return {"sentAt": self.at, "messageId": self.message_id, "delivery": self.delivery, "file": self.file}


@dataclass(frozen=True)
class LedgerEntry:
    """The current invitation of one customer and its reminders."""

    customer: str
    domain: str
    to: str
    sent: SentMessage
    link: str | None = None
    reminders: tuple[SentMessage, ...] = ()

    @property
    def times(self) -> list[str]:
        return [r.at for r in self.reminders]

    def details(self) -> dict[str, Any]:
        """What an apply record keeps of it."""
        return {
            "to": self.to,
            "sentAt": self.sent.at,
            "messageId": self.sent.message_id,
            "delivery": self.sent.delivery,
            "outbox": self.sent.file,
            "reminders": len(self.reminders),
        }


def _message(raw: dict[str, Any]) -> SentMessage:
    return SentMessage(
        at=str(raw["sentAt"]),
        message_id=str(raw.get("messageId") or ""),
        delivery=str(raw.get("delivery") or "outbox"),
        file=raw.get("file"),
    )


def _entry(customer: str, raw: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        customer=customer,
        domain=str(raw.get("domain") or ""),
        to=str(raw["to"]),
        sent=_message(raw),
        link=raw.get("link"),
        reminders=tuple(_message(r) for r in raw.get("reminders", [])),
    )


_INVITATIONS = ("invitations", "the invitations ledger", "it is what stops cspsync from sending an invitation twice")
_APPROVALS = ("approvals", "the admin approvals ledger", "it stops cspsync from sending an approval link twice")


def _read(path: Path, ledger: tuple[str, str, str]) -> dict[str, dict[str, Any]]:
    """A ledger file's entries by key; empty when the file does not exist yet. Anything else that is not a
    mapping of mappings is an error, never "nothing was sent": a dropped entry would be sent again, and
    the next write would lose it for good."""
    key, what, why = ledger
    hint = f"restore it ({why}); deleting it makes cspsync send them all again"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise CspsyncError(f"{what} {path} cannot be read ({type(err).__name__}: {err})", hint=hint) from None
    entries = document.get(key, {}) if isinstance(document, dict) else None
    if not isinstance(entries, dict):
        raise CspsyncError(f"{what} {path} has no {key} mapping", hint=hint)
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            raise CspsyncError(
                f"{what} {path}: the entry {name!r} is a {type(entry).__name__}, not a mapping", hint=hint
            )
    return {str(name): entry for name, entry in entries.items()}


def load_ledger(workspace: Workspace) -> dict[str, dict[str, Any]]:
    """The raw ledger by customer name; empty when no invitation was ever sent from this workspace."""
    return _read(workspace.invitations_ledger, _INVITATIONS)


def ledger_entries(workspace: Workspace) -> dict[str, LedgerEntry]:
    entries: dict[str, LedgerEntry] = {}
    for name, raw in load_ledger(workspace).items():
        try:
            entries[name] = _entry(name, raw)
        except (KeyError, TypeError) as err:
            raise CspsyncError(f"the invitations ledger entry of {name} lacks {err}") from None
    return entries


def sent_invitations(workspace: Workspace, *, resend: bool = False) -> dict[str, SentInvitation]:
    """Invitations already sent, by customer name, as the planner reads them (``resend``: plan them again)."""
    return {
        name: SentInvitation(
            to=entry.to,
            sent_at=entry.sent.at,
            reminders=len(entry.reminders),
            delivery=entry.sent.delivery,
            file=entry.sent.file,
            reminder_times=tuple(entry.times),
            resend=resend,
        )
        for name, entry in ledger_entries(workspace).items()
    }


@contextlib.contextmanager
def _updating(workspace: Workspace) -> Iterator[dict[str, dict[str, Any]]]:
    """Read, let the caller change, write: one writer at a time across threads and processes."""
    workspace.ensure()
    lock_path = workspace.root / "invitations.lock"
    with _THREAD_LOCK, lock_path.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        ledger = load_ledger(workspace)
        yield ledger
        write_json_atomic(workspace.invitations_ledger, {"formatVersion": LEDGER_FORMAT, "invitations": ledger})


def record_sent(
    workspace: Workspace, customer: str, *, domain: str, delivery: Delivery, when: dt.datetime, link: str
) -> LedgerEntry:
    """A new invitation for ``customer``; one sent before (``--resend``, a new address) moves to ``earlier``."""
    with _updating(workspace) as ledger:
        previous = ledger.get(customer)
        earlier = list(previous.get("earlier", [])) if previous else []
        if previous:
            earlier.append({k: v for k, v in previous.items() if k != "earlier"})
        ledger[customer] = {
            "domain": domain,
            "to": delivery.to,
            **SentMessage(when.isoformat(), delivery.message_id, delivery.transport, delivery.file).document(),
            "link": link,
            "reminders": [],
            "earlier": earlier,
        }
        return _entry(customer, ledger[customer])


def record_reminder(workspace: Workspace, customer: str, *, delivery: Delivery, when: dt.datetime) -> LedgerEntry:
    with _updating(workspace) as ledger:
        entry = ledger.get(customer)
        if entry is None:
            raise CspsyncError(f"no invitation of {customer} in the ledger to add a reminder to")
        reminder = SentMessage(when.isoformat(), delivery.message_id, delivery.transport, delivery.file)
        entry["reminders"] = [*entry.get("reminders", []), reminder.document()]
        return _entry(customer, entry)


# ------------------------------------------------------------------------------- GDAP approval links


def sent_approvals(workspace: Workspace) -> dict[str, SentApproval]:
    """Approval links already sent, by relationship id (``.cspsync/admin-approvals.json``); an unreadable
    file is an error, never "nothing was sent"."""
    found: dict[str, SentApproval] = {}
    for relationship_id, raw in _read(workspace.approvals_ledger, _APPROVALS).items():
        if "to" in raw and "sentAt" in raw:
            found[str(relationship_id)] = SentApproval(
                relationship=str(raw.get("relationship") or ""),
                to=str(raw["to"]),
                sent_at=str(raw["sentAt"]),
                delivery=str(raw.get("delivery") or "outbox"),
            )
    return found


def record_approvals(
    workspace: Workspace,
    customer: str,
    approvals: list[tuple[str, str]],
    *,
    delivery: Delivery,
    when: dt.datetime,
) -> None:
    """``approvals`` (display name, relationship id) went to ``delivery.to``: never sent again by a re-run."""
    workspace.ensure()
    lock_path = workspace.root / "admin-approvals.lock"
    with _THREAD_LOCK, lock_path.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        path = workspace.approvals_ledger
        entries: dict[str, Any] = dict(_read(path, _APPROVALS))
        for name, relationship_id in approvals:
            entries[relationship_id] = {
                "customer": customer,
                "relationship": name,
                "to": delivery.to,
                **SentMessage(when.isoformat(), delivery.message_id, delivery.transport, delivery.file).document(),
            }
        write_json_atomic(path, {"formatVersion": LEDGER_FORMAT, "approvals": entries})
