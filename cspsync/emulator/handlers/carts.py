"""Carts and checkout: lines are checked against the catalog, checkout creates one subscription per line.

Doc pages: "Create a cart" (create-a-cart, with its new-commerce example that sends ``"BillingCycle":
"Monthly"``), "Create a cart with add-ons" (carts expire 7 days after creation), "Update a cart",
"Checkout a cart" and "Cart resources". Enum values are read case-insensitively and written in their
documented form (``monthly``, ``P1Y``). A line that does not fit the catalog keeps an ``error``
({errorCode, errorDescription}, Partner Center's CartErrorCode) and blocks checkout (800009). Checkout
needs a Microsoft Customer Agreement (13605) and works once per cart (800065).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.catalog import CURRENCY_SYMBOLS, Catalog, Offer
from cspsync.emulator.handlers.agreements import MCA
from cspsync.emulator.handlers.common import billing_cycle, customer, is_live, parse_timestamp, term_duration, timestamp
from cspsync.emulator.handlers.orders import order_document
from cspsync.emulator.handlers.subscriptions import new_subscription
from cspsync.emulator.records import Tenant
from cspsync.emulator.routing import Call
from cspsync.emulator.rules import SANDBOX_AZURE_PLANS, SANDBOX_LICENCES, SANDBOX_SUBSCRIPTIONS
from cspsync.emulator.wire import link, respond
from cspsync.emulator.world import WorldSeed

CART_LIFETIME = timedelta(days=7)

_PARTICIPANT_KEYS = {"transaction_reseller", "additional_transaction_reseller", "consumption_reseller"}


def _line_error(code: str, description: str) -> dict[str, Any]:
    return {"errorCode": code, "errorDescription": description}


def _check_participants(line: dict[str, Any], world: WorldSeed) -> str | None:
    participants = line.get("participants")
    if participants is None:
        return None
    reseller_mpns = {reseller.mpnId for reseller in world.resellers}
    if not isinstance(participants, list):
        return "participants must be a list of {key, value}."
    for participant in participants:
        key = participant.get("key") if isinstance(participant, dict) else None
        if not isinstance(key, str) or key not in _PARTICIPANT_KEYS:
            return f"participant {participant!r} is not one of {sorted(_PARTICIPANT_KEYS)}."
        value = participant.get("value")
        if not isinstance(value, str) or value not in reseller_mpns:
            return f"MPN Id {value!r} is not an indirect reseller of the partner."
    return None


def _line_problem(line: dict[str, Any], item: Offer, catalog: Catalog, country: str) -> str | None:
    quantity = line.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= item.max_quantity:
        return f"quantity must be an integer from 1 to {item.max_quantity}, not {quantity!r}."
    cycle, term = line.get("billingCycle"), line.get("termDuration") or None
    if item.is_azure_plan:
        if term is not None:
            return f"The Azure plan has no term; termDuration {term!r} is not allowed."
        if cycle != "monthly":
            return f"The Azure plan is billed monthly, not {cycle!r}."
        return None
    durations = sorted({t.duration or "" for t in item.terms})
    if (term or "") not in durations:
        wanted = [d for d in durations if d] or "no termDuration"
        return f"termDuration must be one of {wanted} for {item.catalog_item_id}, not {term!r}."
    cycles = [t.billing_cycle for t in item.terms if (t.duration or None) == term]
    if cycle not in cycles:
        return f"billingCycle {cycle!r} is not available for term {term} of {item.catalog_item_id}; use {cycles}."
    if catalog.unit_price(item, country, term, cycle) is None:
        return f"{item.catalog_item_id} has no price for term {term} billed {cycle} in {country}."
    context = line.get("provisioningContext") or {}
    missing = [name for name in item.provisioning_variables if not any(k.lower() == name.lower() for k in context)]
    if missing:
        needed = ", ".join(missing)
        return f"provisioningContext needs {needed} for {item.catalog_item_id} (the SKU's provisioningVariables)."
    friendly_name = line.get("friendlyName")
    if friendly_name is not None and (not isinstance(friendly_name, str) or len(friendly_name) > 256):
        return "friendlyName must be a string of at most 256 characters."
    return None


def _checked_line(line: Any, index: int, tenant: Tenant, world: WorldSeed, catalog: Catalog) -> dict[str, Any]:
    if not isinstance(line, dict):
        raise codes.INVALID_INPUT.error(f"lineItems[{index}] must be an object.")
    checked = dict(line)
    checked["id"] = line.get("id") if isinstance(line.get("id"), int) else index
    checked.pop("error", None)
    if "billingCycle" in checked:
        checked["billingCycle"] = line["billingCycle"] = billing_cycle(line["billingCycle"])
    if checked.get("termDuration"):
        checked["termDuration"] = line["termDuration"] = term_duration(line["termDuration"])
    if not isinstance(checked.get("provisioningContext"), dict):
        checked["provisioningContext"] = {}
    currency = catalog.currency(tenant.country)
    if currency is not None:
        checked["currencyCode"] = currency
    catalog_item_id = line.get("catalogItemId")
    item = catalog.offer_for_catalog_item(catalog_item_id) if isinstance(catalog_item_id, str) else None
    if item is None or currency is None:
        checked["error"] = _line_error(
            codes.LINE_INVALID_CATALOG_ITEM,
            f"The catalog item {catalog_item_id!r} is not available for customers in {tenant.country}.",
        )
        return checked
    participants_problem = _check_participants(line, world)
    if participants_problem:
        checked["error"] = _line_error(codes.LINE_INVALID_PARTICIPANTS, participants_problem)
        return checked
    problem = _line_problem(line, item, catalog, tenant.country)
    if problem:
        checked["error"] = _line_error(codes.LINE_INVALID_INPUT, problem)
    return checked


def _checked_lines(body: dict[str, Any], tenant: Tenant, call: Call) -> list[dict[str, Any]]:
    lines = body.get("lineItems")
    if not isinstance(lines, list) or not lines:
        raise codes.INVALID_PROPERTY.error("lineItems is required and must not be empty.")
    world, catalog = call.store.world(), call.store.catalog()
    checked = [_checked_line(line, index, tenant, world, catalog) for index, line in enumerate(lines)]
    if call.rules.profile == "sandbox":
        _sandbox_limits(checked, tenant, call)
    groups: dict[str, str] = {}
    for line in checked:
        line["orderGroup"] = groups.setdefault(str(line.get("billingCycle")), str(len(groups)))
    return checked


def _sandbox_limits(lines: list[dict[str, Any]], tenant: Tenant, call: Call) -> None:
    """test-and-debug: 25 licences a subscription, 5 subscriptions a customer (CartErrorCode 10009)."""
    live = sum(1 for s in call.store.subscriptions(tenant.id) if is_live(s))
    room = SANDBOX_SUBSCRIPTIONS - live
    for line in lines:
        if line.get("error"):
            continue
        if isinstance(line.get("quantity"), int) and line["quantity"] > SANDBOX_LICENCES:
            line["error"] = _line_error(
                codes.LINE_SANDBOX_LIMIT, f"The integration sandbox allows at most {SANDBOX_LICENCES} licences."
            )
        elif room <= 0:
            line["error"] = _line_error(
                codes.LINE_SANDBOX_LIMIT,
                f"The integration sandbox allows at most {SANDBOX_SUBSCRIPTIONS} subscriptions a customer.",
            )
        else:
            room -= 1


def _check_sandbox_plans(call: Call, cart: dict[str, Any], catalog: Catalog) -> None:
    """test-and-debug: at most 10 Azure plans across the sandbox account (900116)."""
    new = sum(
        1
        for line in cart["lineItems"]
        if (item := catalog.offer_for_catalog_item(line["catalogItemId"])) is not None and item.is_azure_plan
    )
    if not new:
        return
    plans = sum(
        1
        for s in call.store.subscription_docs()
        if is_live(s) and (item := catalog.offer_for_catalog_item(s["offerId"])) is not None and item.is_azure_plan
    )
    if plans + new > SANDBOX_AZURE_PLANS:
        raise codes.SANDBOX_PLAN_LIMIT.error(limit=SANDBOX_AZURE_PLANS)


def create_cart(call: Call) -> httpx.Response:
    """``POST /v1/customers/{id}/carts``: 201 with the cart, each line priced in the market's currency
    and put in an ``orderGroup``."""
    tenant = customer(call)
    lines = _checked_lines(call.json(), tenant, call)
    now = timestamp(call.now)
    cart_id = str(uuid.uuid4())
    cart = {
        "id": cart_id,
        "creationTimestamp": now,
        "lastModifiedTimestamp": now,
        "expirationTimestamp": timestamp(call.now + CART_LIFETIME),
        "lastModifiedUser": str(uuid.uuid5(uuid.NAMESPACE_URL, f"user:{call.store.world().partner.tenantId}")),
        "status": "Active",
        "lineItems": lines,
        "links": {"self": link(f"/customers/{tenant.id}/carts/{cart_id}")},
        "attributes": {"objectType": "Cart"},
    }
    call.store.put_cart(tenant.id, cart)
    return respond(201, cart)


def _cart(call: Call, tenant: Tenant) -> dict[str, Any]:
    cart_id = call.params["cartId"]
    cart = call.store.cart(tenant.id, cart_id)
    if cart is None or parse_timestamp(cart["expirationTimestamp"]) < call.now:
        raise codes.CART_NOT_FOUND.error(f"Unable to retrieve cart Id {cart_id}: it does not exist or expired.")
    return cart


def get_cart(call: Call) -> httpx.Response:
    """``GET /v1/customers/{id}/carts/{cartId}``; an expired cart is gone (800008)."""
    return respond(200, _cart(call, customer(call)))


def update_cart(call: Call) -> httpx.Response:
    """``PUT /v1/customers/{id}/carts/{cartId}`` (update-a-cart): the lines are replaced and checked again."""
    body = call.json()
    with call.store.atomic():
        tenant = customer(call)
        cart = _cart(call, tenant)
        if cart["status"] != "Active":
            raise codes.CART_SUBMITTED.error(f"Cart {cart['id']} was already submitted and cannot be updated.")
        cart["lineItems"] = _checked_lines(body, tenant, call)
        cart["lastModifiedTimestamp"] = timestamp(call.now)
        call.store.put_cart(tenant.id, cart)
    return respond(201, cart)  # update-a-cart answers 201 Created


def checkout(call: Call) -> httpx.Response:
    """``POST …/carts/{cartId}/checkout`` (checkout-a-cart): 201 with a CartCheckoutResult, one order per
    order group."""
    with call.store.atomic():
        tenant = customer(call)
        cart = _cart(call, tenant)
        if cart["status"] != "Active":
            raise codes.CART_SUBMITTED.error(cart=cart["id"])
        if not call.store.agreements(tenant.id, MCA):
            raise codes.AGREEMENT_MISSING.error()
        if call.rules.profile == "sandbox":
            _check_sandbox_plans(call, cart, call.store.catalog())
        failing = [str(line["id"]) for line in cart["lineItems"] if line.get("error")]
        if failing:
            raise codes.CART_ITEM_ERRORS.error(f"Error in Cart item(s): line(s) {', '.join(failing)}.")
        orders = _place_orders(call, tenant, cart)
        cart["status"] = "Ordered"
        cart["lastModifiedTimestamp"] = timestamp(call.now)
        call.store.put_cart(tenant.id, cart)
    return respond(201, {"orders": orders, "orderErrors": [], "attributes": {"objectType": "CartCheckoutResult"}})


def _place_orders(call: Call, tenant: Tenant, cart: dict[str, Any]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for line in cart["lineItems"]:
        groups.setdefault(line["orderGroup"], []).append(line)
    orders = []
    catalog = call.store.catalog()
    ready_at = timestamp(call.now + call.rules.order_delay) if call.rules.order_delay else None
    for lines in groups.values():
        order_id = uuid.uuid4().hex[:16].upper()
        order_lines = []
        for number, line in enumerate(lines):
            item = catalog.offer_for_catalog_item(line["catalogItemId"])
            assert item is not None  # lines with errors never reach checkout
            reseller = next(
                (p["value"] for p in line.get("participants") or [] if p["key"] == "transaction_reseller"), None
            )
            subscription = new_subscription(
                item,
                line,
                customer_id=tenant.id,
                country=tenant.country,
                order_id=order_id,
                now=call.now,
                partner_id=reseller,
            )
            if ready_at:
                subscription["_visibleFrom"] = ready_at
            call.store.put_subscription(tenant.id, subscription)
            order_line: dict[str, Any] = {
                "lineItemNumber": number,
                "offerId": item.catalog_item_id,
                "subscriptionId": subscription["id"],
                "termDuration": line.get("termDuration"),
                "transactionType": "New",
                "friendlyName": subscription["friendlyName"],
                "quantity": line["quantity"],
            }
            if reseller:
                order_line["partnerIdOnRecord"] = reseller
            order_lines.append(order_line)
        order = {
            "id": order_id,
            "alternateId": order_id.lower(),
            "referenceCustomerId": tenant.id,
            "billingCycle": lines[0]["billingCycle"],
            "currencyCode": lines[0].get("currencyCode"),
            "currencySymbol": CURRENCY_SYMBOLS.get(lines[0].get("currencyCode") or "", ""),
            "lineItems": order_lines,
            "creationDate": timestamp(call.now),
            "status": "completed",
            "transactionType": "UserPurchase",
            "attributes": {"objectType": "Order"},
        }
        if ready_at:
            order["_visibleFrom"] = ready_at
        call.store.put_order(tenant.id, order)
        orders.append(order_document(order, tenant.country, call.now))
    return orders
