"""Microsoft Graph's ``POST /v1.0/users/{mailbox}/sendMail``, enough for cspsync's invitations ("user:
sendMail", learn.microsoft.com/graph/api/user-sendmail; errors as "Microsoft Graph error responses").

Both request forms Graph accepts: MIME (``Content-Type: text/plain``, the message base64-encoded) and
JSON (``{"message": {...}, "saveToSentItems": …}``). Accepted messages answer 202 with no body and are
kept in the emulator's database (table ``graph_messages``), so tests and demos read what was "sent" with
:func:`sent_mail`. Errors use Graph's shape ``{"error": {"code", "message", "innerError"}}``, not Partner
Center's. Like real Graph, a mailbox may only send as itself (``ErrorSendAsDenied``).
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import json
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httpx

from cspsync.emulator.handlers.common import timestamp
from cspsync.emulator.routing import Call
from cspsync.emulator.wire import respond

if TYPE_CHECKING:
    from cspsync.emulator.store import Store

MESSAGES_TABLE = """
CREATE TABLE IF NOT EXISTS graph_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox TEXT NOT NULL,
    message_id TEXT,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    mime BLOB NOT NULL,
    received_at TEXT NOT NULL
)
"""
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_RECIPIENT_HEADERS = ("To", "Cc", "Bcc")


@dataclass(frozen=True)
class GraphMail:
    """One message the emulated Graph accepted."""

    mailbox: str
    message_id: str | None
    recipients: tuple[str, ...]
    subject: str
    mime: bytes
    received_at: str

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.mime, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def _table(store: Store) -> None:
    store._write(MESSAGES_TABLE)  # the emulator's own database; the table is Graph's alone


def sent_mail(store: Store) -> list[GraphMail]:
    """Every message sent through the emulated Graph, oldest first."""
    _table(store)
    rows = store._all(
        "SELECT mailbox, message_id, recipients, subject, mime, received_at FROM graph_messages ORDER BY seq"
    )
    return [GraphMail(r[0], r[1], tuple(json.loads(r[2])), r[3], bytes(r[4]), r[5]) for r in rows]


def graph_error(status: int, code: str, message: str, call: Call) -> httpx.Response:
    """Graph's error shape ``{"error": {"code", "message", "innerError"}}`` (also used by handlers.gdap)."""
    inner = {"date": timestamp(call.now), "request-id": call.header("client-request-id") or ""}
    return respond(status, {"error": {"code": code, "message": message, "innerError": inner}})


def _from_mime(call: Call) -> EmailMessage | httpx.Response:
    try:
        raw = base64.b64decode(b"".join(call.request.content.split()), validate=True)
    except (binascii.Error, ValueError):
        return graph_error(400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.", call)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(parsed, EmailMessage) or not raw.strip():
        return graph_error(400, "ErrorMimeContentInvalid", "The MIME content is not a message.", call)
    return parsed


def _from_json(call: Call) -> EmailMessage | httpx.Response:
    try:
        body: Any = json.loads(call.request.content.decode("utf-8-sig") or "null")
    except (UnicodeDecodeError, ValueError):
        return graph_error(400, "RequestBodyRead", "The request body is not valid JSON.", call)
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict):
        return graph_error(400, "ErrorInvalidRequest", "The message parameter is missing.", call)
    mail = EmailMessage()
    mail["Subject"] = str(message.get("subject") or "")
    for field, header in (("toRecipients", "To"), ("ccRecipients", "Cc"), ("bccRecipients", "Bcc")):
        entries = message.get(field) or []
        addresses = [
            str(e.get("emailAddress", {}).get("address", ""))
            for e in entries
            if isinstance(e, dict) and isinstance(e.get("emailAddress"), dict)
        ]
        if addresses:
            mail[header] = ", ".join(addresses)
    content: dict[str, Any] = message["body"] if isinstance(message.get("body"), dict) else {}
    subtype = "html" if str(content.get("contentType", "text")).lower() == "html" else "plain"
    mail.set_content(str(content.get("content") or ""), subtype=subtype)
    return mail


def send_mail(call: Call) -> httpx.Response:
    mailbox = unquote(call.params["mailbox"])
    if not _ADDRESS.fullmatch(mailbox):
        return graph_error(404, "ErrorInvalidUser", f"The requested user '{mailbox}' is invalid.", call)
    content_type = (call.header("Content-Type") or "").split(";")[0].strip().lower()
    if content_type == "text/plain":
        parsed = _from_mime(call)
    elif content_type == "application/json":
        parsed = _from_json(call)
    else:
        return graph_error(
            415, "UnsupportedMediaType", f"Content-Type {content_type or '(none)'} is not supported.", call
        )
    if isinstance(parsed, httpx.Response):
        return parsed
    values = [str(v) for h in _RECIPIENT_HEADERS for v in (parsed.get_all(h) or [])]
    recipients = [address for _, address in getaddresses(values) if address]
    if not recipients:
        return graph_error(
            400, "ErrorInvalidRecipients", "At least one recipient is required, but none were found.", call
        )
    bad = [address for address in recipients if not _ADDRESS.fullmatch(address)]
    if bad:
        return graph_error(400, "ErrorInvalidRecipients", f"Recipient '{bad[0]}' is not a valid SMTP address.", call)
    sender = parseaddr(str(parsed.get("From") or ""))[1]
    if sender and sender.casefold() != mailbox.casefold():
        return graph_error(
            403,
            "ErrorSendAsDenied",
            "The user account which was used to submit this request does not have the right to send mail on "
            "behalf of the specified sending account.",
            call,
        )
    _table(call.store)
    call.store._write(
        "INSERT INTO graph_messages (mailbox, message_id, recipients, subject, mime, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            mailbox,
            str(parsed.get("Message-ID") or "") or None,
            json.dumps(recipients),
            str(parsed.get("Subject") or ""),
            bytes(parsed),
            timestamp(call.now),
        ),
    )
    return respond(202)
