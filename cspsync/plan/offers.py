"""New orders checked against what Partner Center sells in the customer's market, before anything is applied.

A typo'd product or SKU id, an offer not sold in the market, a term and billing cycle the offer does not
have there, or more seats than its SKU allows in one subscription (``maximumQuantity``: 300 for the
Microsoft 365 Business plans) would pass validation and fail at checkout, after the customer was created and
its agreement recorded. The plan reads the availabilities of each distinct (product, SKU, market) of its
ready orders (:mod:`cspsync.observe.offers`; an order waiting for an invitation is checked by the plan that
finds it ready, so a waiting portfolio costs no call) and blocks (``!``) each order they rule out, with what
to change in the file. Only the order is held back (design.md is silent on what a blocked order stops; a
subscription needs the tenant and the agreement first, not the other way round): the rest of the customer is
still applied, and a later apply makes the order once the file is fixed. What depends on the order (the
Azure subscriptions under a new Azure plan) is blocked with it. A read that failed confirms nothing: the
order stays ready with a warning, as apply reads the availabilities again before it orders.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from cspsync.observe.offers import OfferAt, Offered
from cspsync.plan.builder import hold_dependents
from cspsync.plan.model import Action, Kind, Symbol
from cspsync.plan.payloads import OrderSubscription

#: reads the availabilities of some offers (:func:`cspsync.observe.offers.read_availabilities` over a client)
OfferReader = Callable[[Collection[OfferAt]], Mapping[OfferAt, Offered]]

_BILLED = {"monthly": "billed monthly", "annual": "billed annually", "triennial": "billed every 3 years"}


def _offer(action: Action) -> OfferAt | None:
    payload = action.payload
    if action.kind is not Kind.ORDER_SUBSCRIPTION or action.status != "ready":
        return None
    assert isinstance(payload, OrderSubscription)
    return OfferAt(payload.product_id.upper(), payload.sku_id, payload.country.upper())


def _sold_as(term: str, cycle: str, offered: Offered) -> bool:
    """Partner Center lists the term with that billing cycle (a term that names no cycle allows any)."""
    return any(d.upper() == term.upper() and c in (None, cycle.lower()) for d, c in offered.terms)


def _terms_in_words(offered: Offered) -> str:
    words = [f"{d} {_BILLED.get(c, f'billed {c}')}" if c else d for d, c in dict.fromkeys(offered.terms)]
    return ", ".join(words) if words else "none"


def refusal(order: OrderSubscription, offer: OfferAt, offered: Offered, file: str) -> str | None:
    """Why Partner Center would not sell ``order`` as declared in ``file``; None when it would, or nobody knows."""
    what = f"{file}: subscription {order.friendly_name} declares offer {offer.label()}"
    if offered.not_found is not None:
        problem = (
            f"{what}, which Partner Center does not have ({offered.not_found}); correct offer.productId and "
            "offer.skuId (the ids are in Partner Center's catalog and price sheet)"
        )
    elif offered.failure is not None:
        return None
    elif not offered.sold:
        problem = (
            f"{what}, which Partner Center does not sell in {offer.country} (no availability there); declare an "
            f"offer sold in {offer.country}"
        )
    elif order.term_duration and not _sold_as(order.term_duration, order.billing_cycle, offered):
        declared = f"{order.term_duration} {_BILLED.get(order.billing_cycle, order.billing_cycle)}"
        problem = (
            f"{what} as {declared}, which Partner Center does not sell in {offer.country}; the terms it has there: "
            f"{_terms_in_words(offered)}; change term or billingCycle to one of them"
        )
    elif offered.max_quantity is not None and order.quantity > offered.max_quantity:
        problem = (
            f"{what} with {order.quantity} seats; Partner Center sells at most {offered.max_quantity} seats of it "
            f"in one subscription (the SKU's maximumQuantity); lower quantity to {offered.max_quantity}, and declare "
            "another subscription (its own friendlyName) for the rest"
        )
    elif offered.min_quantity is not None and order.quantity < offered.min_quantity:
        problem = (
            f"{what} with {order.quantity} seat(s); Partner Center sells it from {offered.min_quantity} seats (the "
            f"SKU's minimumQuantity); raise quantity to at least {offered.min_quantity}"
        )
    else:
        return None
    return f"{problem}. Only this order is held back: the rest of the customer is still applied; apply again once fixed"


def _unconfirmed(offer: OfferAt, offered: Offered) -> str | None:
    if offered.failure is None:
        return None
    return (
        f"availability of {offer.label()} in {offer.country} was not confirmed (the catalog could not be read: "
        f"{offered.failure}); apply reads it again before ordering"
    )


def check_orders(actions: list[Action], read: OfferReader, files: Mapping[str, str]) -> None:
    """Block, in ``actions`` (in place), each new order Partner Center would refuse as declared, and what waits
    for it; ``files``: the customer file of each customer name."""
    wanted = {index: offer for index, action in enumerate(actions) if (offer := _offer(action)) is not None}
    if not wanted:
        return
    found = read(set(wanted.values()))
    blocked: set[str] = set()
    for index, offer in wanted.items():
        action = actions[index]
        offered = found.get(offer, Offered(failure="no answer"))
        assert isinstance(action.payload, OrderSubscription)
        reason = refusal(action.payload, offer, offered, files.get(action.customer, action.customer))
        if reason is not None:
            actions[index] = action.model_copy(update={"status": "blocked", "reason": reason, "symbol": Symbol.HUMAN})
            blocked.add(action.id)
        elif (warning := _unconfirmed(offer, offered)) is not None:
            actions[index] = action.model_copy(update={"warnings": (*action.warnings, warning)})
    hold_dependents(actions, blocked, "blocked", "blocked by", pending=("ready", "waiting"))
