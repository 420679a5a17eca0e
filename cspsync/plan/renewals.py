"""What renews in the next N days: each declared customer's live subscriptions whose term ends in the window.

Renewal starts at 00:00 UTC the day after a term's last day ("Schedule changes for a new commerce
subscription"); a subscription with auto-renew off ends then instead. A change scheduled for renewal
(``scheduledNextTermInstructions``) is shown with it. Data only: :mod:`cspsync.render.renewals` renders it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cspsync.declarations import Declared
from cspsync.declarations.keys import is_gone, live_offer_key
from cspsync.declarations.models import CustomerFile
from cspsync.declarations.pricebooks import OfferKey, Pricebook
from cspsync.observe.state import NextTerm, Observation
from cspsync.plan.model import Money
from cspsync.plan.money import CostSource, price_seats
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
    #: what the next term costs (its seats, offer, term and cycle after any scheduled change); None when it
    #: ends instead, or when not priced
    money: Money | None = None


@dataclass(frozen=True)
class RenewalReport:
    today: dt.date
    days: int
    renewals: tuple[Renewal, ...]
    #: customers whose subscriptions could not be read: never reported as "nothing renews"
    unknown: tuple[str, ...] = ()
    #: why some renewals have no cost (a price sheet could not be read)
    costs_unknown: tuple[str, ...] = ()


def _next_term(r: Renewal) -> tuple[OfferKey, int]:
    """The offer, term, cycle and seats the renewal starts, after what is scheduled for it."""
    s = r.scheduled or NextTerm()
    product, _, sku = (s.offer or live_offer_key(r.offer_id)).partition(":")
    key = OfferKey(product, sku, s.term or r.term or "P1M", s.billing_cycle or r.billing_cycle or "monthly")
    return key, s.quantity or r.quantity


def price_renewals(
    report: RenewalReport,
    declared: Sequence[Declared],
    costs: CostSource | None,
    pricebooks: Mapping[str, Pricebook],
) -> RenewalReport:
    """``report`` with the money of each renewal that happens (auto-renew on): its next term, priced on the
    day it starts, from the market's price sheet and the customer's pricebook."""
    customers: dict[str, CustomerFile] = {d.customer.metadata.name: d.customer for d in declared}
    priced = [r for r in report.renewals if r.auto_renew and r.customer in customers]
    if not priced:
        return report
    monies: dict[int, Money] = {}
    unknown: list[str] = []
    for r in priced:  # priced one by one: each at its own renewal day
        key, seats = _next_term(r)
        start = dt.datetime.combine(r.renews_on, dt.time(), tzinfo=dt.UTC)
        (money,), why = price_seats([(customers[r.customer], key, seats)], costs, pricebooks, start)
        monies[id(r)] = money
        unknown += [w for w in why if w not in unknown]
    renewed = tuple(dataclasses.replace(r, money=monies.get(id(r))) for r in report.renewals)
    return dataclasses.replace(report, renewals=renewed, costs_unknown=tuple(unknown))


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
