"""What every transport shares: the outgoing message, the delivery receipt, and the recipient guard."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from typing import ClassVar

from cspsync.errors import CspsyncError

#: every header that makes a mail server deliver a copy somewhere
RECIPIENT_HEADERS = ("To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc")
DECLARED_FIELD = "spec.tenant.invitationEmail"


class DeliveryError(CspsyncError):
    """A message could not be, or must not be, delivered."""


@dataclass(frozen=True)
class Outgoing:
    """One message for one customer. ``declared`` is the only address it may go to (the customer file's
    ``spec.tenant.invitationEmail``), ``where`` is that field's ``file:line:col`` for errors, and ``name``
    names the message in the outbox (``litware``, ``litware.reminder-1``)."""

    customer: str
    mail: EmailMessage
    declared: str
    where: str
    name: str

    @property
    def message_id(self) -> str:
        return str(self.mail["Message-ID"] or "")


@dataclass(frozen=True)
class Delivery:
    """What a transport did with a message: ``by_hand`` when a person still has to send it (outbox)."""

    transport: str  # smtp | graph | outbox
    message_id: str
    to: str
    detail: str  # where it went: "smtp.example.com:587", "graph mailbox x@y", the outbox file
    by_hand: bool = False
    file: str | None = None


def recipients_of(mail: EmailMessage) -> list[str]:
    values = [str(value) for header in RECIPIENT_HEADERS for value in (mail.get_all(header) or [])]
    return [address for _, address in getaddresses(values) if address]


def guard_recipients(outgoing: Outgoing) -> str:
    """The one recipient, when it is exactly the declared address; otherwise a located refusal."""
    found = recipients_of(outgoing.mail)
    declared = outgoing.declared.strip()
    if len(found) == 1 and found[0].casefold() == declared.casefold():
        return found[0]
    shown = ", ".join(found) or "nobody"
    raise DeliveryError(
        f"{outgoing.where}: {DECLARED_FIELD}: refusing to send {outgoing.customer}'s invitation to {shown}: "
        f"only the declared address {declared} may receive it",
        hint="cspsync sends invitations only to the address in the customer file; change it there",
    )


class Transport(ABC):
    """Delivers :class:`Outgoing` messages; :meth:`send` guards the recipients before anything leaves."""

    name: ClassVar[str]

    def send(self, outgoing: Outgoing) -> Delivery:
        to = guard_recipients(outgoing)
        return self._deliver(outgoing, to)

    @abstractmethod
    def _deliver(self, outgoing: Outgoing, to: str) -> Delivery:
        """Deliver to ``to`` (already checked); raise DeliveryError on failure."""

    def close(self) -> None:  # noqa: B027 - most transports hold nothing between messages
        """Release what the transport holds."""
