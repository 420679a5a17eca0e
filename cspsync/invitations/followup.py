"""Following invitations to acceptance: which customer waits, since when, and whether a reminder is due.

``follow_up`` is what ``cspsync invitations remind`` (sending) and ``cspsync invitations status`` (not
sending) share. A customer counts as accepted when Partner Center lists it (one lookup by domain per
invited customer); a lookup that fails leaves it ``unknown`` and sends nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from cspsync.declarations import Declared, Repository
from cspsync.errors import AuthenticationError, CspsyncError, PartnerCenterError
from cspsync.invitations.ledger import LedgerEntry, ledger_entries
from cspsync.invitations.schedule import next_reminder_at, times
from cspsync.invitations.sending import send_reminder
from cspsync.invitations.template import recipient
from cspsync.mail.base import Delivery, Transport
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.workspace import Workspace

FollowState = Literal[
    "not-sent", "linked", "unknown", "readdressed", "not-due", "due", "sent", "no-reminders-left", "failed"
]


@dataclass(frozen=True)
class FollowUp:
    customer: str
    domain: str
    to: str  # the declared address
    state: FollowState
    message: str
    entry: LedgerEntry | None = None
    next_at: dt.datetime | None = None
    delivery: Delivery | None = None


def _waiting(entry: LedgerEntry) -> str:
    return f"waiting since {entry.sent.at[:10]}, reminded {times(len(entry.reminders))}"


def _state(
    repo: Repository, item: Declared, entry: LedgerEntry | None, client: PartnerCenterClient, now: dt.datetime
) -> FollowUp:
    """Where one invite customer stands; ``due`` when a reminder should go out now."""
    settings = repo.config.invitations
    name = item.customer.metadata.name
    to, _ = recipient(item)
    domain = str(getattr(item.customer.spec.tenant, "domain", ""))
    if entry is None:
        return FollowUp(name, domain, to, "not-sent", "no invitation sent yet: `cspsync apply` sends it")
    try:
        found = client.find_customer_by_domain(domain)
    except AuthenticationError:  # no token: no invitation can be checked; one error, as plan and drift say it
        raise
    except PartnerCenterError as err:
        message = f"could not check whether {domain} accepted: {err.message}; nothing sent"
        return FollowUp(name, domain, to, "unknown", message, entry)
    if found is not None:
        message = f"accepted: {domain} is a customer ({found.id}); no reminder"
        return FollowUp(name, domain, to, "linked", message, entry)
    if entry.to.casefold() != to.casefold():
        message = (
            f"the invitation went to {entry.to}, the file now declares {to}: `cspsync apply` sends a new "
            "invitation; no reminder to the old address"
        )
        return FollowUp(name, domain, to, "readdressed", message, entry)
    due = next_reminder_at(
        entry.sent.at, entry.times, after_days=settings.reminderAfterDays, max_reminders=settings.maxReminders
    )
    if due is None:
        left = f"no reminders left (invitations.maxReminders is {settings.maxReminders})"
        return FollowUp(name, domain, to, "no-reminders-left", f"{_waiting(entry)}; {left}", entry)
    if due.date() > now.date():  # by day: a daily schedule is never a day late for a few minutes
        message = f"{_waiting(entry)}; next reminder on {due.date().isoformat()}"
        return FollowUp(name, domain, to, "not-due", message, entry, next_at=due)
    number = len(entry.reminders) + 1
    message = f"{_waiting(entry)}; reminder {number} of {settings.maxReminders} is due since {due.date().isoformat()}"
    return FollowUp(name, domain, to, "due", message, entry, next_at=due)


class _Sender:
    """Sends due reminders: one relationship link per reseller, the transport opened on first use."""

    def __init__(
        self,
        repo: Repository,
        client: PartnerCenterClient,
        transport: Callable[[], Transport],
        workspace: Workspace,
        now: dt.datetime,
    ) -> None:
        self.repo, self.client, self.workspace, self.now = repo, client, workspace, now
        self._make_transport = transport
        self._transport: Transport | None = None
        self._links: dict[str | None, str] = {}

    def link(self, item: Declared) -> str:
        reseller = next((r for r in self.repo.config.partner.resellers if r.name == item.customer.spec.reseller), None)
        key = reseller.tenantId if reseller else None
        if key not in self._links:
            self._links[key] = self.client.relationship_request_link(key)
        return self._links[key]

    def send(self, item: Declared, state: FollowUp) -> FollowUp:
        assert state.entry is not None
        number = len(state.entry.reminders) + 1
        of = self.repo.config.invitations.maxReminders
        try:
            link = self.link(item)
            if self._transport is None:
                self._transport = self._make_transport()
            delivery, after = send_reminder(
                self.repo,
                item,
                state.entry,
                link=link,
                transport=self._transport,
                workspace=self.workspace,
                when=self.now,
            )
        except CspsyncError as err:
            return replace(state, state="failed", message=f"reminder {number} of {of} not sent: {err.message}")
        how = f"written to {delivery.file} (send it by hand)" if delivery.by_hand else f"sent by {delivery.transport}"
        message = f"reminder {number} of {of} to {state.to} {how}; {_waiting(after)} (Message-ID {delivery.message_id})"
        return replace(state, state="sent", message=message, entry=after, delivery=delivery, next_at=None)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def follow_up(
    repo: Repository,
    declared: Sequence[Declared],
    client: PartnerCenterClient,
    *,
    workspace: Workspace,
    now: dt.datetime,
    transport: Callable[[], Transport] | None = None,
) -> list[FollowUp]:
    """Every invite customer in ``declared``, by name; with ``transport``, due reminders are sent."""
    entries = ledger_entries(workspace)
    sender = _Sender(repo, client, transport, workspace, now) if transport is not None else None
    results: list[FollowUp] = []
    try:
        for item in sorted(declared, key=lambda d: d.customer.metadata.name):
            if item.customer.spec.tenant.mode != "invite":
                continue
            state = _state(repo, item, entries.get(item.customer.metadata.name), client, now)
            if state.state == "due" and sender is not None:
                state = sender.send(item, state)
            results.append(state)
    finally:
        if sender is not None:
            sender.close()
    return results
