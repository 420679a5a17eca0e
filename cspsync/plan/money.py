"""Money on a plan: what each change costs, totals and budget checks.

:func:`cspsync.plan.build.make_plan` calls it as its last step; it changes no decision of the planner (the
new-commerce windows are the planner's rule, :mod:`cspsync.plan.windows`), it only adds figures and
says until when a decrease or cancellation is still possible. Costs come from the
markets' price sheets (one parse per market, of the rows the plan needs), prices from the customers'
pricebooks. A price sheet that cannot be read leaves those figures unknown and says why in
``plan.money.unknown``: an unknown cost is never shown as zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from cspsync.currency import market_currency
from cspsync.declarations import Declared, Repository
from cspsync.declarations.keys import AZURE_PLAN_PRODUCT, subscription_key
from cspsync.declarations.models import CustomerFile
from cspsync.declarations.pricebooks import OfferKey, Pricebook, load_pricebooks
from cspsync.errors import CspsyncError
from cspsync.observe.state import Observation, ObservedSubscription
from cspsync.plan.costs import SeatChange, consumption, money_for
from cspsync.plan.model import Action, CustomerPlan, Kind, Money, Plan, PlanMoney, Totals
from cspsync.plan.payloads import CancelSubscription, OrderSubscription, UpdateSubscription, UpgradeSubscription
from cspsync.plan.totals import budget_checks, by_currency, counted, totals
from cspsync.plan.windows import (
    Window,
    cancellation_window,
    parse_instant,
    reduction_window,
    renews_on,
    show_instant,
)
from cspsync.pricing.pricesheet import PriceSheetIndex

#: the payloads that can carry money; every other action (tenants, agreements, invitations, access) is passed
#: over before anything is looked up for it: they are most of a plan's actions
_PRICED = (OrderSubscription, UpgradeSubscription, UpdateSubscription, CancelSubscription)


class CostSource(Protocol):
    """Where partner costs come from: :class:`cspsync.pricing.cache.PriceSheetCache` or a test's sheet."""

    def index(self, market: str, wanted: Collection[OfferKey]) -> PriceSheetIndex: ...


@dataclass(frozen=True)
class _Item:
    """What one action does to money: a seat change, or the Azure plan (consumption)."""

    customer: CustomerFile
    market: str
    change: SeatChange | None  # None: the Azure plan
    observed: ObservedSubscription | None = None
    #: an upgrade: the old offer's seats it gives up
    replaces: SeatChange | None = None
    #: an offer change scheduled for renewal: the day it takes effect (nothing is invoiced or committed now)
    from_renewal: dt.date | None = None


def _declared_terms(customer: CustomerFile, friendly_name: str) -> tuple[str | None, str | None]:
    wanted = subscription_key(friendly_name)
    for sub in customer.spec.subscriptions:
        if subscription_key(sub.friendlyName) == wanted:
            return sub.term, sub.billingCycle
    return None, None


def _observed(observation: Observation, customer: str, subscription_id: object) -> ObservedSubscription | None:
    found = observation.customers.get(customer)
    for sub in (found.subscriptions or ()) if found is not None else ():
        if sub.id == subscription_id:
            return sub
    return None


def _item(action: Action, customer: CustomerFile, observation: Observation) -> _Item | None:
    market = customer.spec.company.address.country.upper()
    payload = action.payload
    if isinstance(payload, OrderSubscription):
        if payload.azure_plan or payload.product_id == AZURE_PLAN_PRODUCT:
            return _Item(customer, market, None)
        key = OfferKey(payload.product_id, payload.sku_id, str(payload.term_duration), payload.billing_cycle)
        return _Item(customer, market, SeatChange(key, payload.quantity, payload.quantity, new_subscription=True))
    if isinstance(payload, UpgradeSubscription):
        return _upgrade_item(payload, customer, market, observation, action.customer)
    if isinstance(payload, UpdateSubscription) and payload.set.next_term is not None:
        return _renewal_offer_item(payload, customer, market, observation, action.customer)
    seats = payload.set.quantity if isinstance(payload, UpdateSubscription) else None
    if not isinstance(payload, UpdateSubscription | CancelSubscription) or (
        seats is None and not isinstance(payload, CancelSubscription)
    ):
        return None
    sub = _observed(observation, action.customer, payload.subscription_id)
    if sub is None:
        return None
    product, _, rest = sub.offer_id.partition(":")
    if product.upper() == AZURE_PLAN_PRODUCT:
        return _Item(customer, market, None, sub) if action.kind is Kind.CANCEL_SUBSCRIPTION else None
    term, billing = _declared_terms(customer, sub.friendly_name)
    key = OfferKey(
        product, rest.partition(":")[0], sub.term or term or "P1M", sub.billing_cycle or billing or "monthly"
    )
    after = seats if seats is not None else 0
    end = parse_instant(sub.commitment_end)
    change = SeatChange(key, after - sub.quantity, after, new_subscription=False, term_end=end.date() if end else None)
    return _Item(customer, market, change, sub)


def _upgrade_item(
    payload: UpgradeSubscription, customer: CustomerFile, market: str, observation: Observation, name: str
) -> _Item | None:
    """Both sides of an upgrade: the new offer's seats until the (unchanged) end of the term, and the old
    offer's seats they replace."""
    sub = _observed(observation, name, payload.subscription_id)
    if sub is None:
        return None
    term, billing = sub.term or "P1M", sub.billing_cycle or "monthly"
    end = parse_instant(sub.commitment_end)
    ends = end.date() if end else None
    q = payload.quantity
    new = SeatChange(OfferKey(payload.product_id, payload.sku_id, term, billing), q, q, False, term_end=ends)
    old = SeatChange(OfferKey(payload.from_product_id, payload.from_sku_id, term, billing), -q, 0, False, term_end=ends)
    return _Item(customer, market, new, sub, replaces=old)


def _renewal_offer_item(
    payload: UpdateSubscription, customer: CustomerFile, market: str, observation: Observation, name: str
) -> _Item | None:
    """Both sides of an offer change scheduled for renewal: the new offer's seats of the next term and the old
    offer's seats they replace, per month from the renewal on. Other changes at renewal carry no money here."""
    wanted = payload.set.next_term
    sub = _observed(observation, name, payload.subscription_id)
    if wanted is None or not (wanted.product_id and wanted.sku_id) or sub is None:
        return None
    product, _, rest = sub.offer_id.partition(":")
    scheduled = sub.scheduled
    q = wanted.quantity or (scheduled.quantity if scheduled is not None else None) or sub.quantity
    term = wanted.term_duration or (scheduled.term if scheduled is not None else None) or sub.term or "P1M"
    cycle = wanted.billing_cycle or (scheduled.billing_cycle if scheduled is not None else None)
    cycle = cycle or sub.billing_cycle or "monthly"
    old_key = OfferKey(product, rest.partition(":")[0], sub.term or "P1M", sub.billing_cycle or "monthly")
    new = SeatChange(OfferKey(wanted.product_id, wanted.sku_id, term, cycle), q, q, False)
    old = SeatChange(old_key, -sub.quantity, 0, False)
    return _Item(customer, market, new, sub, replaces=old, from_renewal=renews_on(sub))


def _window(action: Action, item: _Item, now: dt.datetime) -> Window | None:
    """The new-commerce window of a decrease or cancellation; None for anything else."""
    if item.observed is None or item.change is None or item.change.seats >= 0:
        return None
    if action.kind is Kind.CANCEL_SUBSCRIPTION:
        return cancellation_window(item.observed, now)
    return reduction_window(item.observed, -item.change.seats, now)


def _currency(
    customer: CustomerFile, book: Pricebook | None, market: str, index: PriceSheetIndex | None, key: OfferKey | None
) -> str:
    if customer.spec.currency:
        return customer.spec.currency
    if book is not None:
        return book.currency
    known = market_currency(market)
    if known is not None:
        return known
    row = index.lookup(key) if index is not None and key is not None else None
    return row.currency if row is not None else "XXX"


def _indexes(
    items: Iterable[_Item | None], costs: CostSource | None
) -> tuple[dict[str, PriceSheetIndex], dict[str, str], list[str]]:
    """One index per market holding the keys the plan needs; why a market has none."""
    wanted: dict[str, set[OfferKey]] = {}
    for item in items:
        if item is None:
            continue
        for change in (item.change, item.replaces):
            if change is not None:
                wanted.setdefault(item.market, set()).add(change.key)
    indexes: dict[str, PriceSheetIndex] = {}
    missing: dict[str, str] = {}
    unknown: list[str] = []
    for market, keys in sorted(wanted.items()):
        if costs is None:
            missing[market] = "no price sheet was read"
            continue
        try:
            indexes[market] = costs.index(market, keys)
        except CspsyncError as err:
            missing[market] = f"the price sheet for {market} could not be read"
            unknown.append(f"price sheet for {market}: {err.message}")
    if costs is None and missing:
        unknown.append("costs were not read: no price sheet source")
    return indexes, missing, unknown


def price_plan(
    plan: Plan,
    repo: Repository,
    declared: Sequence[Declared],
    observation: Observation,
    costs: CostSource | None,
    *,
    pricebooks: Mapping[str, Pricebook] | None = None,
) -> Plan:
    """``plan`` with money on its orders, seat changes and cancellations, totals and budget checks."""
    actions = list(plan.actions)
    customers, summary = price_actions(
        actions, plan.customers, repo, declared, observation, costs, now=plan.created_at, pricebooks=pricebooks
    )
    # other actions: a digest the plan carried is not theirs (None: worked out again when it is needed)
    update = {"actions": tuple(actions), "customers": customers, "money": summary, "actions_digest": None}
    return plan.model_copy(update=update)


def price_actions(
    actions: list[Action],
    customer_plans: Sequence[CustomerPlan],
    repo: Repository,
    declared: Sequence[Declared],
    observation: Observation,
    costs: CostSource | None,
    *,
    now: dt.datetime,
    pricebooks: Mapping[str, Pricebook] | None = None,
    unpriced: Collection[str] = (),
) -> tuple[tuple[CustomerPlan, ...], PlanMoney]:
    """Money on ``actions``, in place: each priced action replaces its unpriced one in the list, so a plan
    being made never holds both forms of every action (they were a tenth of its peak memory); the customers
    with their totals, and the plan's money. The actions named in ``unpriced`` (orders already placed) cost
    nothing."""
    books = load_pricebooks(repo.root) if pricebooks is None else pricebooks
    customers = {d.customer.metadata.name: d.customer for d in declared}

    def item_of(action: Action) -> _Item | None:
        if not isinstance(action.payload, _PRICED):
            return None
        customer = customers.get(action.customer) if action.id not in unpriced else None
        return _item(action, customer, observation) if customer is not None else None

    # each item is made twice, once for the price sheets to read and once to price it, and let go each time:
    # every order's item held until the last was priced was ~60 MiB at 100,000 customers, at the plan's peak
    indexes, missing, unknown = _indexes(map(item_of, actions), costs)

    for index, action in enumerate(actions):
        item = item_of(action)
        if item is None:
            continue
        window = _window(action, item, now)
        if window is not None and not window.possible:
            continue  # the planner blocked it: it will not happen, so it costs nothing
        money = _money(item, books, indexes, missing, now)
        if window is not None and window.until is not None:
            verb = "cancelled" if action.kind is Kind.CANCEL_SUBSCRIPTION else "reduced"
            note = "; ".join(filter(None, [f"can still be {verb} until {show_instant(window.until)}", money.note]))
            money = money.model_copy(update={"note": note})
        actions[index] = action.model_copy(update={"money": money})

    by_id = {a.id: a for a in actions}
    priced: list[CustomerPlan] = []
    customer_totals: dict[str, Totals] = {}
    for customer_plan in customer_plans:
        monies = [m for a in customer_plan.actions if counted(by_id[a]) and (m := by_id[a].money) is not None]
        if monies:
            total = totals(monies[0].currency, monies)
            customer_totals[customer_plan.name] = total
            customer_plan = customer_plan.model_copy(update={"money": total})
        priced.append(customer_plan)
    plan_totals = by_currency(a.money for a in actions if counted(a) and a.money is not None)
    summary = PlanMoney(
        totals=plan_totals,
        budget=budget_checks(repo.config.budget, plan_totals, customer_totals, [a for a in actions if counted(a)]),
        unknown=tuple(unknown),
    )
    return tuple(priced), summary


def price_seats(
    wanted: Sequence[tuple[CustomerFile, OfferKey, int]],
    costs: CostSource | None,
    pricebooks: Mapping[str, Pricebook],
    now: dt.datetime,
) -> tuple[list[Money], list[str]]:
    """The money of ``seats`` of an offer bought as a new term at ``now``, per (customer, offer, seats) (what a
    renewal costs), with why costs are unknown; one price-sheet index per market, as for a plan."""
    items = [
        _Item(c, c.spec.company.address.country.upper(), SeatChange(key, seats, seats, True))
        for c, key, seats in wanted
    ]
    indexes, missing, unknown = _indexes(items, costs)
    return [_money(item, pricebooks, indexes, missing, now) for item in items], unknown


def _money(
    item: _Item,
    books: Mapping[str, Pricebook],
    indexes: Mapping[str, PriceSheetIndex],
    missing: Mapping[str, str],
    now: dt.datetime,
) -> Money:
    spec = item.customer.spec
    book = books.get(spec.pricebook) if spec.pricebook else None
    index = indexes.get(item.market)
    change = item.change
    currency = _currency(item.customer, book, item.market, index, change.key if change else None)
    if change is None:
        return consumption(currency)
    money = _seat_money(item, change, currency, book, index, missing, now)
    if item.replaces is not None:
        money = money.model_copy(
            update={"replaces": _seat_money(item, item.replaces, currency, book, index, missing, now)}
        )
    return _at_renewal(money, item.from_renewal) if item.from_renewal is not None else money


def _at_renewal(money: Money, day: dt.date) -> Money:
    """Money of a change at renewal: per month from ``day`` on; no commitment, term figure or up-front invoice
    comes from it now (the renewal's own invoice is the next term's)."""
    zero = Decimal(0)
    quiet = {"commitment": None, "term_cost": zero, "term_price": zero, "billing_cycle": None}
    note = "; ".join(filter(None, [f"from the renewal on {day.isoformat()}", money.note]))
    replaced = money.replaces.model_copy(update=quiet) if money.replaces is not None else None
    return money.model_copy(update={**quiet, "note": note, "replaces": replaced})


def _seat_money(
    item: _Item,
    change: SeatChange,
    currency: str,
    book: Pricebook | None,
    index: PriceSheetIndex | None,
    missing: Mapping[str, str],
    now: dt.datetime,
) -> Money:
    spec = item.customer.spec
    row = index.lookup(change.key, quantity=max(change.quantity, 1), at=now) if index is not None else None
    note = missing.get(item.market)
    if row is not None and row.currency != currency:
        note = f"the price sheet for {item.market} is in {row.currency}, but the customer is billed in {currency}"
        row = None
    resolution = book.resolve(change.key) if book is not None else None
    if book is None and spec.pricebook:
        note = note or f"pricebook {spec.pricebook} was not found"
    if book is None and not spec.pricebook and note is None and row is not None:  # else money_for says why
        note = "no pricebook: the customer's price is not set"
    return money_for(
        change, currency=currency, row=row, resolution=resolution, pricebook=spec.pricebook, now=now, note=note
    )
