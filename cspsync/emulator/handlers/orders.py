"""Orders: what checkout placed, read back per customer.

Doc pages: "Get all of a customer's orders" (get-all-of-a-customer-s-orders), "Get a list of orders by
customer and billing cycle type", "Get an order by ID" (get-an-order-by-id) and "Order resources". An
order's links (``self``, ``provisioningStatus``) and its line items' links (``sku``, ``subscription``) are
added when it is read, in the pages' form (``/customers/{id}/orders/{orderId}``, no ``/v1``).

With ``Rules.order_delay`` an order is ``pending`` until then: its lines carry no subscription yet (as in
checkout-a-cart's pending orders) and it is not in the customer's order list ("Create an Azure plan":
an order can take up to 15 minutes to appear there); read by its id it is found at once.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.handlers.common import billing_cycle, customer, parse_timestamp
from cspsync.emulator.routing import Call
from cspsync.emulator.wire import collection, link, respond


def provisioned(order: dict[str, Any], now: datetime) -> bool:
    moment = order.get("_visibleFrom")
    return moment is None or parse_timestamp(moment) <= now


def order_document(order: dict[str, Any], country: str, now: datetime) -> dict[str, Any]:
    """The stored order as read at ``now``, with its documented links."""
    shown = copy.deepcopy(order)
    pending = not provisioned(shown, now)
    shown.pop("_visibleFrom", None)
    if pending:
        shown["status"] = "pending"
        for line in shown["lineItems"]:
            line.pop("subscriptionId", None)
    customer_id = shown["referenceCustomerId"]
    base = f"/customers/{customer_id}/orders/{shown['id']}"
    for line in shown["lineItems"]:
        product_id, sku_id = str(line["offerId"]).split(":")[:2]
        links: dict[str, Any] = {"sku": link(f"/products/{product_id}/skus/{sku_id}?country={country}")}
        if line.get("subscriptionId"):
            links["subscription"] = link(f"/customers/{customer_id}/subscriptions/{line['subscriptionId']}")
        line["links"] = links
    attributes = shown.pop("attributes", {"objectType": "Order"})
    shown["links"] = {"provisioningStatus": link(f"{base}/provisioningstatus"), "self": link(base)}
    shown["attributes"] = attributes
    return shown


def list_orders(call: Call) -> httpx.Response:
    """``GET /v1/customers/{id}/orders[?billingType=]``: the customer's orders, oldest first."""
    tenant = customer(call)
    wanted = call.query("billingType")
    orders = [order for order in call.store.orders(tenant.id) if provisioned(order, call.now)]
    if wanted:
        orders = [order for order in orders if order.get("billingCycle") == billing_cycle(wanted)]
    return respond(200, collection([order_document(order, tenant.country, call.now) for order in orders]))


def get_order(call: Call) -> httpx.Response:
    """``GET /v1/customers/{id}/orders/{orderId}``; 404 for another customer's or an unknown order."""
    tenant = customer(call)
    order_id = call.params["orderId"]
    found = next((o for o in call.store.orders(tenant.id) if o["id"].lower() == order_id.lower()), None)
    if found is None:
        raise codes.ORDER_NOT_FOUND.error(id=order_id)
    return respond(200, order_document(found, tenant.country, call.now))
