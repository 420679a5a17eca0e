"""Offer changes of a new-commerce subscription: transition eligibilities and transitions (upgrades).

Doc page: "Transition a new commerce subscription" (transition-a-new-commerce-subscription, and
transition-resources for the fields):

- ``GET /v1/customers/{id}/subscriptions/{id}/transitionEligibilities?eligibilityType=immediate|scheduled``
  (``immediate`` when left out) lists the catalog items the subscription can move to, each with
  ``eligibilities[{isEligible, transitionType, errors}]``; ``subscriptionEligibilities`` is empty for
  ``scheduled`` (an existing subscription is only a target of an immediate transition). A subscription
  that is not active is eligible for nothing ("source subscription isn't active").
- ``POST …/transitions`` ``{toCatalogItemId*, quantity*, transitionType*, fromCatalogItemId?,
  fromSubscriptionId?, toSubscriptionId?, termDuration?, billingCycle?}`` answers the Transition with
  its ``events`` (``Conversion``, ``Started``).

A transition is recorded in the activity log as ``upgrade_subscription`` of the source subscription ("Auditing
resources" lists it among the operation types; none names a transition otherwise): one partner operation, one
record, whose customer a later observation reads again.

Which offer moves to which is the emulator's own (:mod:`cspsync.emulator.upgrades`). Unconfirmed, so
chosen and written down here: a transition of all seats leaves the source subscription ``expired`` and
creates the target subscription (the offer's title as its friendly name, the source's term end date,
cycle and auto-renew); fewer seats leave the rest on the source.
"""

from __future__ import annotations

from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.catalog import Catalog, Offer
from cspsync.emulator.handlers.common import billing_cycle, customer, timestamp
from cspsync.emulator.handlers.subscriptions import new_subscription, path_subscription
from cspsync.emulator.records import new_etag
from cspsync.emulator.routing import Call
from cspsync.emulator.upgrades import immediate_targets, scheduled_targets
from cspsync.emulator.wire import collection, respond

TRANSITION_ONLY = "transition_only"
_NOT_ACTIVE = "Subscription can't be Transitioned - source subscription isn't active."


def _source(call: Call) -> tuple[str, dict[str, Any], Offer | None, Catalog]:
    tenant = customer(call)
    subscription = path_subscription(call, tenant.id)
    catalog = call.store.catalog()
    return tenant.id, subscription, catalog.offer_for_catalog_item(subscription["offerId"]), catalog


def transition_eligibilities(call: Call) -> httpx.Response:
    """``GET …/subscriptions/{id}/transitionEligibilities?eligibilityType=``."""
    kind = (call.query("eligibilityType") or "immediate").strip().lower()
    if kind not in ("immediate", "scheduled"):
        raise codes.INVALID_INPUT.error("eligibilityType must be immediate or scheduled.")
    _, subscription, item, catalog = _source(call)
    if item is None or item.is_azure_plan:
        return respond(200, collection([]))
    targets = immediate_targets(item, catalog) if kind == "immediate" else scheduled_targets(item, catalog)
    active = subscription.get("status") == "active"
    errors = [] if active else [{"code": 1, "description": _NOT_ACTIVE}]
    items = [
        {
            "catalogItemId": target.catalog_item_id,
            "title": target.sku_title,
            "description": target.title,
            "quantity": subscription["quantity"],
            "subscriptionEligibilities": [],
            "eligibilities": [{"isEligible": active, "transitionType": TRANSITION_ONLY, "errors": errors}],
            "attributes": {"objectType": "TransitionEligibility"},
        }
        for target in targets
    ]
    return respond(200, collection(items))


def create_transition(call: Call) -> httpx.Response:
    """``POST …/subscriptions/{id}/transitions``: an immediate upgrade of some or all seats."""
    body = call.json()
    with call.store.atomic():
        customer_id, source, item, catalog = _source(call)
        tenant = customer(call)
        if source.get("status") != "active" or item is None:
            raise codes.INVALID_PROPERTY.error(_NOT_ACTIVE)
        if str(body.get("transitionType") or "").lower() != TRANSITION_ONLY:
            raise codes.INVALID_PROPERTY.error("transitionType must be transition_only.")
        wanted = str(body.get("toCatalogItemId") or "").upper()
        target = next((o for o in immediate_targets(item, catalog) if o.catalog_item_id.upper() == wanted), None)
        if target is None:
            raise codes.INVALID_PROPERTY.error(f"{wanted or 'toCatalogItemId'} is not an eligible transition.")
        quantity = body.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= source["quantity"]:
            raise codes.INVALID_PROPERTY.error(f"quantity must be 1 to {source['quantity']}.")
        term = str(body.get("termDuration") or source.get("termDuration") or "").upper() or None
        cycle = billing_cycle(body.get("billingCycle") or source.get("billingCycle"))
        created = new_subscription(
            target,
            {"quantity": quantity, "termDuration": term, "billingCycle": cycle},
            customer_id=customer_id,
            country=tenant.country,
            order_id=str(source.get("orderId") or ""),
            now=call.now,
            partner_id=source.get("partnerId"),
        )
        created.update(
            commitmentEndDate=source["commitmentEndDate"], autoRenewEnabled=bool(source.get("autoRenewEnabled"))
        )
        call.store.put_subscription(customer_id, created)
        remaining = int(source["quantity"]) - quantity
        if remaining:
            source["quantity"] = remaining
        else:
            source["status"] = "expired"
        source.pop("scheduledNextTermInstructions", None)
        source["attributes"]["etag"] = new_etag()
        call.store.put_subscription(customer_id, source, audit="upgrade_subscription")
    transition = {
        "fromCatalogItemId": source["offerId"],
        "fromSubscriptionId": source["id"],
        "toCatalogItemId": target.catalog_item_id,
        "toSubscriptionId": created["id"],
        "quantity": quantity,
        "termDuration": term,
        "billingCycle": cycle,
        "transitionType": TRANSITION_ONLY,
        "events": [
            {
                "name": "Conversion",
                "status": "Started",
                "timestamp": timestamp(call.now),
                "attributes": {"objectType": "TransitionEvent"},
            }
        ],
        "attributes": {"objectType": "Transition"},
    }
    return respond(200, transition)
