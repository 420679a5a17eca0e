"""What one order or seat change costs: per month and over its commitment, at cost and at the customer's price.

The partner's cost per seat and month is the price sheet's ``UnitPrice`` divided by the months its billing
plan covers; the customer's price comes from the pricebook and is rounded to the currency's minor unit
per seat. A new subscription commits to its whole term from the day it is bought (an annual term: twelve
months); seats added to a running subscription share its end date, so they commit to what is left of it
(prorated by day, as Partner Center bills them). Either can be undone within 168 hours of purchase.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache

from cspsync.currency import round_money
from cspsync.declarations.pricebooks import OfferKey, Resolution
from cspsync.plan.model import Commitment, Money
from cspsync.plan.windows import WINDOW
from cspsync.pricing.pricesheet import SheetPrice

TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}
#: the same as Decimals, one object each (every order's commitment holds one)
_TERM_MONTHS = {months: Decimal(months) for months in (1, *TERM_MONTHS.values())}
_MONTHS = Decimal("0.01")
_PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class SeatChange:
    """Seats an action adds to (or, negative, removes from) one way of buying an offer."""

    key: OfferKey
    seats: int
    quantity: int  # seats after the change (price tiers are by quantity)
    new_subscription: bool
    term_end: dt.date | None = None  # the running subscription's commitment end


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def commitment(change: SeatChange, now: dt.datetime) -> Commitment | None:
    """The commitment an order or seat increase creates; None for a decrease (it creates none)."""
    if change.seats <= 0:
        return None
    if change.new_subscription:
        return _new_term(change.key.term, now)
    left = _months(change, now).quantize(_MONTHS)
    cancellable = (now + WINDOW).replace(microsecond=0)
    return Commitment(term=change.key.term, months=left, ends_on=change.term_end, cancellable_until=cancellable)


@lru_cache(maxsize=64)
def _new_term(term: str, now: dt.datetime) -> Commitment:
    """A new subscription's commitment: the same for every order of a term in one plan (one ``now``), so one
    record is shared by them all (a record is frozen)."""
    months = TERM_MONTHS.get(term, 1)
    ends = add_months(now.date(), months) - dt.timedelta(days=1)
    cancellable = (now + WINDOW).replace(microsecond=0)
    return Commitment(term=term, months=_TERM_MONTHS[months], ends_on=ends, cancellable_until=cancellable)


def remaining_months(today: dt.date, last_day: dt.date, term: str | None = None) -> Decimal:
    """Months from ``today`` to the end of ``last_day``, by day, never negative: the share of the days left
    in a term (P1M, P1Y, P3Y) that ends on ``last_day``, times its months; without a term a month is 365/12
    days. By the term's own days, seats added the day a monthly subscription was bought cost its month, as
    the subscription did (a 31-day month counted 1.02 months by 365/12)."""
    days = max(0, (last_day - today).days + 1)
    months = TERM_MONTHS.get(term or "")
    if months is None:
        return Decimal(days) * 12 / 365
    started = add_months(last_day + dt.timedelta(days=1), -months)
    term_days = (last_day - started).days + 1
    return Decimal(months) * min(days, term_days) / term_days


def _months(change: SeatChange, now: dt.datetime) -> Decimal:
    """Months the seats are paid for: the whole term of a new subscription, else what is left of it."""
    if change.new_subscription:
        return _TERM_MONTHS[TERM_MONTHS.get(change.key.term, 1)]
    if change.term_end is None:
        return Decimal(0)
    return remaining_months(now.date(), change.term_end, change.key.term)


def money_for(
    change: SeatChange,
    *,
    currency: str,
    row: SheetPrice | None,
    resolution: Resolution | None,
    pricebook: str | None,
    now: dt.datetime,
    note: str | None = None,
) -> Money:
    """The money of one change; figures that cannot be known stay None and ``note`` says why."""
    promise = commitment(change, now)
    months = _months(change, now)
    unit_cost = row.monthly_unit_price if row is not None else None
    unit_price = resolution.unit_price(unit_cost, currency) if resolution is not None else None
    if resolution is None and pricebook is not None and note is None:
        note = f"pricebook {pricebook} does not price {change.key.label()}"
    unlisted = row is None and note is None
    if unlisted:
        note = f"{change.key.label()} is not in the market's price sheet"
    seats = Decimal(change.seats)

    def figure(unit: Decimal | None, factor: Decimal) -> Decimal | None:
        return round_money(unit * seats * factor, currency) if unit is not None else None

    monthly_cost, monthly_price = figure(unit_cost, Decimal(1)), figure(unit_price, Decimal(1))
    margin = monthly_price - monthly_cost if monthly_price is not None and monthly_cost is not None else None
    percent = None
    if margin is not None and monthly_price:
        percent = (margin / monthly_price * 100).quantize(_PERCENT)
    return Money(
        currency=currency,
        seats=change.seats,
        billing_cycle=change.key.billing_cycle,
        unit_cost=round_money(unit_cost, currency) if unit_cost is not None else None,
        unit_price=unit_price,
        monthly_cost=monthly_cost,
        monthly_price=monthly_price,
        term_cost=figure(unit_cost, months),
        term_price=figure(unit_price, months),
        margin=margin,
        margin_percent=percent,
        unlisted=unlisted,
        pricebook=pricebook,
        commitment=promise,
        note=note,
    )


@cache
def consumption(currency: str) -> Money:
    """The Azure plan: billed by what the customer uses in Azure, so the plan states no figure; one record per
    currency, shared by every Azure plan's order (a record is frozen)."""
    return Money(
        currency=currency,
        billing_cycle="monthly",
        consumption=True,
        note="billed by consumption (Azure usage): no figure is estimated",
    )
