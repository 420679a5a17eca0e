"""What renews in the next N days: each declared customer's live subscriptions whose term ends in the window.

Renewal starts at 00:00 UTC the day after a term's last day ("Schedule changes for a new commerce
subscription"); a subscription with auto-renew off ends then instead. A change scheduled for renewal
(``scheduledNextTermInstructions``) is shown with it. Data only: :mod:`cspsync.render.renewals` renders it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cspsync.declarations import Declared
from cspsync.declarations.keys import is_gone
from cspsync.observe.state import NextTerm, Observation
from cspsync.plan.windows import parse_instant


@dataclass(frozen=True)
class Renewal:
    customer: str
    friendly_name: str
    subscription_id: str
    offer_id: str
    quantity: int
    term: str | None
    billing_cycle: str | None
    #: the day the renewal happens (the term's last day + 1); the subscription ends then when auto-renew is off
    renews_on: dt.date
    auto_renew: bool
    scheduled: NextTerm | None = None


@dataclass(frozen=True)
class RenewalReport:
    today: dt.date
    days: int
    renewals: tuple[Renewal, ...]
    #: customers whose subscriptions could not be read: never reported as "nothing renews"
    unknown: tuple[str, ...] = ()


def renewals(declared: Sequence[Declared], observation: Observation, *, days: int, now: dt.datetime) -> RenewalReport:
    today = now.astimezone(dt.UTC).date()
    until = today + dt.timedelta(days=days)
    found: list[Renewal] = []
    unknown: list[str] = []
    for item in declared:
        name = item.customer.metadata.name
        if name in observation.unknown:
            unknown.append(f"{name}: {observation.unknown[name]}")
            continue
        observed = observation.customers.get(name)
        for sub in (observed.subscriptions or ()) if observed is not None else ():
            end = parse_instant(sub.commitment_end)
            if end is None or is_gone(sub.status) or sub.auto_renew is None:
                continue  # the Azure plan has no term
            renews_on = end.date() + dt.timedelta(days=1)
            if today <= renews_on <= until:
                found.append(
                    Renewal(
                        customer=name,
                        friendly_name=sub.friendly_name,
                        subscription_id=sub.id,
                        offer_id=sub.offer_id,
                        quantity=sub.quantity,
                        term=sub.term,
                        billing_cycle=sub.billing_cycle,
                        renews_on=renews_on,
                        auto_renew=bool(sub.auto_renew),
                        scheduled=sub.scheduled,
                    )
                )
    found.sort(key=lambda r: (r.renews_on, r.customer, r.friendly_name))
    return RenewalReport(today=today, days=days, renewals=tuple(found), unknown=tuple(unknown))
