"""Send one invitation or one reminder: check the address, render, deliver, record in the ledger.

The order is the contract: the address is checked and the templates rendered before anything leaves,
and the ledger is written only after the transport accepted the message, so a failure sends nothing
and records nothing, and a success is never sent again by a re-run.
"""

from __future__ import annotations

import datetime as dt

from cspsync.declarations import Declared, Repository
from cspsync.declarations.load import read_document
from cspsync.invitations.ledger import LedgerEntry, record_approvals, record_reminder, record_sent
from cspsync.invitations.template import (
    ApprovalLink,
    Reminder,
    build_email,
    recipient,
    render_admin_approval,
    render_for,
)
from cspsync.mail.addresses import checked_address
from cspsync.mail.base import DECLARED_FIELD, Delivery, DeliveryError, Outgoing, Transport
from cspsync.mail.configured import sender
from cspsync.workspace import Workspace


def compose(
    repo: Repository,
    declared: Declared,
    *,
    link: str,
    when: dt.datetime,
    reminder: Reminder | None = None,
    in_reply_to: str | None = None,
    approvals: tuple[ApprovalLink, ...] = (),
) -> Outgoing:
    """The message exactly as it will be sent (``cspsync invitations preview`` shows this)."""
    name = declared.customer.metadata.name
    to, where = recipient(declared)
    checked_address(to, where=where, check_deliverability=repo.config.invitations.checkDeliverability)
    message = render_for(repo, declared, link=link, reminder=reminder, approvals=approvals)
    mail = build_email(message, sender=sender(repo.config), when=when, in_reply_to=in_reply_to)
    outbox_name = name if reminder is None else f"{name}.reminder-{reminder.number}"
    return Outgoing(customer=name, mail=mail, declared=to, where=where, name=outbox_name)


def send_invitation(
    repo: Repository,
    declared: Declared,
    *,
    link: str,
    transport: Transport,
    workspace: Workspace,
    when: dt.datetime,
    approvals: tuple[tuple[ApprovalLink, str], ...] = (),
) -> tuple[Delivery, LedgerEntry]:
    """The reseller invitation, carrying the approval links of ``approvals`` ((link, relationship id))."""
    outgoing = compose(repo, declared, link=link, when=when, approvals=tuple(a for a, _ in approvals))
    delivery = transport.send(outgoing)
    domain = str(getattr(declared.customer.spec.tenant, "domain", ""))
    entry = record_sent(workspace, outgoing.customer, domain=domain, delivery=delivery, when=when, link=link)
    if approvals:
        record_approvals(
            workspace, outgoing.customer, [(a.name, i) for a, i in approvals], delivery=delivery, when=when
        )
    return delivery, entry


APPROVER_PATHS = (("spec", "adminAccess", "approverEmail"), ("spec", "tenant", "invitationEmail"))


def send_admin_approval(
    repo: Repository,
    declared: Declared,
    *,
    to: str,
    approvals: tuple[tuple[ApprovalLink, str], ...],
    transport: Transport,
    workspace: Workspace,
    when: dt.datetime,
) -> Delivery:
    """Approval links in a message of their own, to the customer's approver (``to``, from the file)."""
    name = declared.customer.metadata.name
    document = read_document(declared.path)
    access = declared.customer.spec.adminAccess
    path = APPROVER_PATHS[0] if access is not None and access.approverEmail else APPROVER_PATHS[1]
    where = document.where(path) if not isinstance(document, list) else str(declared.path)
    checked_address(to, where=where, check_deliverability=repo.config.invitations.checkDeliverability)
    message = render_admin_approval(repo, declared, to=to, approvals=tuple(a for a, _ in approvals))
    mail = build_email(message, sender=sender(repo.config), when=when)
    outgoing = Outgoing(customer=name, mail=mail, declared=to, where=where, name=f"{name}.admin-approval")
    delivery = transport.send(outgoing)
    record_approvals(workspace, name, [(a.name, i) for a, i in approvals], delivery=delivery, when=when)
    return delivery


def send_reminder(
    repo: Repository,
    declared: Declared,
    entry: LedgerEntry,
    *,
    link: str,
    transport: Transport,
    workspace: Workspace,
    when: dt.datetime,
) -> tuple[Delivery, LedgerEntry]:
    """Reminder ``len(entry.reminders) + 1`` of ``entry``, only to the address the invitation went to."""
    to, where = recipient(declared)
    if to.casefold() != entry.to.casefold():
        raise DeliveryError(
            f"{where}: {DECLARED_FIELD}: the invitation went to {entry.to} but the file now declares {to}: "
            "no reminder goes to an address that is no longer declared",
            hint="`cspsync apply` sends a new invitation to the declared address",
        )
    reminder = Reminder(len(entry.reminders) + 1, repo.config.invitations.maxReminders, entry.sent.at[:10])
    outgoing = compose(
        repo, declared, link=link, when=when, reminder=reminder, in_reply_to=entry.sent.message_id or None
    )
    delivery = transport.send(outgoing)
    return delivery, record_reminder(workspace, outgoing.customer, delivery=delivery, when=when)
