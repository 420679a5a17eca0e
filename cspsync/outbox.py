"""Invitations: the ledger of what was sent (so a re-run never sends twice) and the outbox of messages.

With no mail transport configured, an invitation is written as a standard ``.eml`` file under
``.cspsync/outbox/``, which any mail client opens and sends; the plan says it must be sent by hand.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from cspsync.invitation import Message
from cspsync.planner import SentInvitation
from cspsync.workspace import Workspace, write_json_atomic


def load_ledger(workspace: Workspace) -> dict[str, dict[str, Any]]:
    try:
        document = json.loads(workspace.invitations_ledger.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}
    return dict(document.get("invitations", {}))


def sent_invitations(workspace: Workspace) -> dict[str, SentInvitation]:
    """Invitations already sent, by customer name, as the planner reads them."""
    return {
        name: SentInvitation(to=entry["to"], sent_at=entry["sentAt"], reminders=len(entry.get("reminders", [])))
        for name, entry in load_ledger(workspace).items()
    }


def record_sent(workspace: Workspace, customer: str, *, domain: str, to: str, message_id: str,
                delivery: str, path: str | None, when: dt.datetime) -> None:
    ledger = load_ledger(workspace)
    ledger[customer] = {
        "domain": domain,
        "to": to,
        "sentAt": when.isoformat(),
        "messageId": message_id,
        "delivery": delivery,
        "file": path,
        "reminders": ledger.get(customer, {}).get("reminders", []),
    }
    write_json_atomic(workspace.invitations_ledger, {"formatVersion": "1", "invitations": ledger})


def build_email(
    message: Message, *, sender: str, when: dt.datetime, domain_hint: str = "cspsync.local"
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Date"] = email.utils.format_datetime(when)
    mail["Message-ID"] = email.utils.make_msgid(domain=domain_hint)
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


def write_to_outbox(workspace: Workspace, customer: str, mail: EmailMessage) -> Path:
    workspace.outbox.mkdir(parents=True, exist_ok=True)
    path = workspace.outbox / f"{customer}.eml"
    path.write_bytes(bytes(mail))
    return path
