"""Subscriptions: created by checkout, read, and changed by PATCH with new-commerce rules.

Doc pages: "Get all of a customer's subscriptions", "Get a list of subscriptions by order"
(``?order_id=``), "Get subscriptions by partner" (get-all-subscriptions-by-partner, ``?mpn_id=`` of the
reseller of record), "Get a subscription by ID", "Get subscription provisioning status", "Change the
quantity of a subscription", "Update the nickname for a subscription", "Suspend a subscription",
"Reactivate a suspended subscription", "Update autorenew", "Cancel a subscription"
(cancel-an-azure-marketplace-subscription) and "Subscription resources"; field names follow the .NET
SDK's Subscription model (``refundOptions[].expiresAt``, ``refundableQuantity``,
``scheduledNextTermInstructions``).

Rules enforced on PATCH: the billing cycle cannot change (2054); seats can only be removed inside the
refundable windows (800090), each purchase, renewal or seat increase opening one (7 days for licences,
3 for marketplace SaaS); a purchase can only be cancelled until ``cancellationAllowedUntilDate`` (900117);
a cancelled subscription cannot change (2011); after ``Rules.max_updates`` updates no more are taken.

Time, on the emulator's clock ("Create scheduled changes", the new-commerce renewal and cancellation
policy): a subscription whose term has ended renews when ``autoRenewEnabled`` (else it expires), and the
renewal applies ``scheduledNextTermInstructions`` (product, quantity, billing cycle, term), then clears
them; a mid-term change (seats, status, turning auto-renew off) wipes them. With ``Rules.order_delay`` a
new subscription stays out of the lists until its order is provisioned; with ``Rules.accept_patches`` a
PATCH answers 202 with a ``Location`` header, as the quantity page says Partner Center does when an update
takes longer.
"""

from __future__ import annotations

import calendar
import copy
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.catalog import CANCELLATION_WINDOW_DAYS, Catalog, Offer
from cspsync.emulator.handlers.common import billing_cycle, check_etag, customer, parse_timestamp, timestamp
from cspsync.emulator.records import new_etag
from cspsync.emulator.routing import Call
from cspsync.emulator.rules import SANDBOX_LICENCES
from cspsync.emulator.upgrades import scheduled_targets
from cspsync.emulator.wire import collection, link, respond

AZURE_PLAN_COMMITMENT_END = "9999-12-14T00:00:00Z"  # what Partner Center shows for an Azure plan
_STATUSES = {"none", "active", "pending", "suspended", "deleted", "expired", "disabled"}
_TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def new_subscription(
    item: Offer,
    line: dict[str, Any],
    *,
    customer_id: str,
    country: str,
    order_id: str,
    now: datetime,
    partner_id: str | None,
) -> dict[str, Any]:
    """The subscription one cart line creates."""
    subscription_id = str(uuid.uuid4())
    quantity = int(line["quantity"])
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    document: dict[str, Any] = {
        "id": subscription_id,
        "offerId": item.catalog_item_id,
        "offerName": item.title,
        "friendlyName": line.get("friendlyName") or item.title,
        "quantity": quantity,
        "unitType": "Usage-based" if item.is_azure_plan else "Licenses",
        "hasPurchasableAddons": False,
        "creationDate": timestamp(now),
        "effectiveStartDate": timestamp(start),
    }
    document["productType"] = item.product_type
    if item.is_azure_plan:
        document.update(
            commitmentEndDate=AZURE_PLAN_COMMITMENT_END,
            status="active",
            autoRenewEnabled=False,
            isTrial=False,
            billingType="usage",
            billingCycle="monthly",
            refundOptions=[],
            refundableQuantity={"totalQuantity": 0, "details": []},
        )
    else:
        term = line.get("termDuration") or None
        months = _TERM_MONTHS.get(term or "")
        end = _add_months(start, months) - timedelta(days=1) if months else datetime(9999, 12, 31, tzinfo=start.tzinfo)
        document.update(
            commitmentEndDate=timestamp(end),
            status="active",
            autoRenewEnabled=item.kind in ("license", "saas"),
            isTrial=False,
            billingType="license",
            billingCycle=line["billingCycle"],
        )
        if term:
            document["termDuration"] = term
        _open_window(document, item, now)
    document.update(
        contractType="subscription",
        orderId=order_id,
        isMicrosoftProduct=item.publisher == "Microsoft Corporation",
        publisherName=item.publisher,
        links={
            "product": link(f"/products/{item.product_id}?country={country}"),
            "sku": link(f"/products/{item.product_id}/skus/{item.sku_id}?country={country}"),
            "availability": link(
                f"/products/{item.product_id}/skus/{item.sku_id}/availabilities/{item.availability_id}"
                f"?country={country}"
            ),
            "self": link(f"/customers/{customer_id}/subscriptions/{subscription_id}"),
        },
        attributes={"etag": new_etag(), "objectType": "Subscription"},
    )
    if partner_id:
        document["partnerId"] = partner_id
    return document


#: the emulator's own bookkeeping inside a stored subscription, never shown
_HIDDEN = ("_visibleFrom", "_updates")


def visible(subscription: dict[str, Any], now: datetime) -> bool:
    """False while the order that created it is still being provisioned (``Rules.order_delay``)."""
    moment = subscription.get("_visibleFrom")
    return moment is None or parse_timestamp(moment) <= now


def _open_window(subscription: dict[str, Any], item: Offer | None, start: datetime) -> None:
    """A purchase or renewal at ``start``: every seat may be cancelled or removed for the product's window."""
    days = _window_days(item)
    quantity = int(subscription["quantity"])
    if not days:
        subscription.pop("cancellationAllowedUntilDate", None)
        subscription.update(refundOptions=[], refundableQuantity={"totalQuantity": 0, "details": []})
        return
    window = timestamp(start + timedelta(days=days))
    subscription.update(
        cancellationAllowedUntilDate=window,
        refundOptions=[{"type": "Full", "expiresAt": window}],
        refundableQuantity={
            "totalQuantity": quantity,
            "details": [{"quantity": quantity, "allowedUntilDateTime": window}],
        },
    )


def _apply_instructions(subscription: dict[str, Any], catalog: Catalog) -> Offer | None:
    """Renewal: the scheduled next term replaces product, seats, billing cycle and term; returns the offer."""
    item = catalog.offer_for_catalog_item(subscription["offerId"])
    instructions = subscription.pop("scheduledNextTermInstructions", None)
    if not isinstance(instructions, dict):
        return item
    product = instructions.get("product") or {}
    if product.get("skuId"):
        next_item = catalog.offer(str(product.get("productId", "")), str(product["skuId"]))
        if next_item is not None:
            item = next_item
            subscription.update(offerId=item.catalog_item_id, offerName=item.title, productType=item.product_type)
    if product.get("billingCycle"):
        subscription["billingCycle"] = billing_cycle(product["billingCycle"])
    if product.get("termDuration"):
        subscription["termDuration"] = str(product["termDuration"]).upper()
    if isinstance(instructions.get("quantity"), int) and instructions["quantity"] > 0:
        subscription["quantity"] = instructions["quantity"]
    return item


def renew(subscription: dict[str, Any], catalog: Catalog, now: datetime) -> bool:
    """Renew every term that has ended by ``now`` (or expire the subscription); True when it changed."""
    changed = False
    while subscription.get("status") == "active" and subscription.get("termDuration"):
        months = _TERM_MONTHS.get(str(subscription["termDuration"]))
        ends = parse_timestamp(subscription["commitmentEndDate"])
        renews_at = ends + timedelta(days=1)
        if months is None or now < renews_at:
            break
        changed = True
        if not subscription.get("autoRenewEnabled"):
            subscription.update(status="expired")
            subscription.pop("scheduledNextTermInstructions", None)
            break
        item = _apply_instructions(subscription, catalog)
        months = _TERM_MONTHS.get(str(subscription["termDuration"]), months)
        subscription["commitmentEndDate"] = timestamp(_add_months(renews_at, months) - timedelta(days=1))
        _open_window(subscription, item, renews_at)
    if changed:
        subscription["attributes"]["etag"] = new_etag()
    return changed


def _open_details(subscription: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    details = (subscription.get("refundableQuantity") or {}).get("details") or []
    return [d for d in details if parse_timestamp(d["allowedUntilDateTime"]) >= now]


def present(subscription: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The subscription as read at ``now``: refund windows that have closed are left out."""
    shown = {key: value for key, value in subscription.items() if key not in _HIDDEN}
    details = _open_details(subscription, now)
    shown["refundableQuantity"] = {"totalQuantity": sum(d["quantity"] for d in details), "details": details}
    shown["refundOptions"] = [
        option for option in subscription.get("refundOptions") or [] if parse_timestamp(option["expiresAt"]) >= now
    ]
    return shown


def list_subscriptions(call: Call) -> httpx.Response:
    """``GET /v1/customers/{id}/subscriptions``, optionally only those of one order (``order_id``) or of
    one reseller of record (``mpn_id``)."""
    tenant = customer(call)
    subscriptions = [sub for sub in current_subscriptions(call, tenant.id) if visible(sub, call.now)]
    order_id = call.query("order_id")
    if order_id:
        subscriptions = [sub for sub in subscriptions if str(sub.get("orderId", "")).lower() == order_id.lower()]
    mpn_id = call.query("mpn_id")
    if mpn_id:
        subscriptions = [sub for sub in subscriptions if sub.get("partnerId") == mpn_id.strip()]
    return respond(200, collection([present(sub, call.now) for sub in subscriptions]))


def current_subscriptions(call: Call, customer_id: str) -> list[dict[str, Any]]:
    """The customer's subscriptions renewed up to now (renewals are written back)."""
    catalog = call.store.catalog()
    with call.store.atomic():
        subscriptions = call.store.subscriptions(customer_id)
        for subscription in subscriptions:
            if renew(subscription, catalog, call.now):
                call.store.put_subscription(customer_id, subscription)
    return subscriptions


def _subscription(call: Call, customer_id: str) -> dict[str, Any]:
    """The subscription named by the path, renewed up to now; 404 while its order is provisioning."""
    subscription_id = call.params["subscriptionId"]
    with call.store.atomic():
        found = call.store.subscription(customer_id, subscription_id)
        if found is None or not visible(found, call.now):
            raise codes.SUBSCRIPTION_NOT_FOUND.error(id=subscription_id)
        if renew(found, call.store.catalog(), call.now):
            call.store.put_subscription(customer_id, found)
    return found


#: the subscription a path names, for the other subscription handler modules (transitions)
path_subscription = _subscription


def get_subscription(call: Call) -> httpx.Response:
    tenant = customer(call)
    return respond(200, present(_subscription(call, tenant.id), call.now))


def provisioning_status(call: Call) -> httpx.Response:
    """``GET …/subscriptions/{id}/provisioningstatus`` (get-subscription-provisioning-status)."""
    tenant = customer(call)
    subscription = _subscription(call, tenant.id)
    status = "pending" if subscription.get("status") == "pending" else "success"
    body = {
        "skuId": subscription["offerId"].split(":")[1] if ":" in subscription["offerId"] else subscription["offerId"],
        "status": status,
        "quantity": subscription["quantity"],
        "endDate": subscription["commitmentEndDate"],
        "attributes": {"objectType": "SubscriptionProvisioningStatus"},
    }
    return respond(200, body)


def _window_days(item: Offer | None) -> int:
    return item.cancellation_days if item is not None else CANCELLATION_WINDOW_DAYS


def _cancel(subscription: dict[str, Any], item: Offer | None, now: datetime) -> None:
    """Cancel (status ``deleted``) within the product's window from ``cancellationAllowedUntilDate``:
    licences 7 days, marketplace SaaS 3 days, perpetual software 30 days; a reservation cannot be cancelled
    this way (Azure reservations are cancelled or exchanged in Azure)."""
    if item is not None and item.kind == "reservation":
        raise codes.STATUS_NOT_UPDATABLE.error("An Azure reservation cannot be cancelled by updating its subscription.")
    if item is None or not item.is_azure_plan:
        until = subscription.get("cancellationAllowedUntilDate")
        if until is None or parse_timestamp(until) < now:
            raise codes.CANCEL_WINDOW_PASSED.error(days=_window_days(item))
    subscription.update(status="deleted", autoRenewEnabled=False)
    subscription["refundableQuantity"] = {"totalQuantity": 0, "details": []}


def _change_quantity(subscription: dict[str, Any], item: Offer | None, quantity: Any, now: datetime) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise codes.INVALID_PROPERTY.error(f"quantity must be a positive integer, not {quantity!r}.")
    if item is None or item.kind in ("azure-plan", "reservation", "software"):
        raise codes.QUANTITY_NOT_UPDATABLE.error()
    if subscription.get("status") == "suspended":
        raise codes.SUSPENDED_UPDATE.error()
    if quantity > item.max_quantity:
        raise codes.INVALID_PROPERTY.error(f"quantity {quantity} exceeds the maximum of {item.max_quantity}.")
    details = _open_details(subscription, now)
    delta = quantity - int(subscription["quantity"])
    if delta > 0:
        window = timestamp(now + timedelta(days=_window_days(item)))
        details.append({"quantity": delta, "allowedUntilDateTime": window})
    else:
        removable = sum(d["quantity"] for d in details)
        if -delta > removable:
            raise codes.QUANTITY_DECREASE.error(
                f"Subscription quantity cannot be decreased by {-delta}: {removable} seat(s) are inside a "
                "refundable window now."
            )
        remaining = -delta
        for detail in reversed(details):  # the newest seats go first
            taken = min(remaining, detail["quantity"])
            detail["quantity"] -= taken
            remaining -= taken
        details = [d for d in details if d["quantity"] > 0]
    subscription["quantity"] = quantity
    subscription["refundableQuantity"] = {"totalQuantity": sum(d["quantity"] for d in details), "details": details}


def _change_status(subscription: dict[str, Any], item: Offer | None, status: Any, now: datetime) -> None:
    if not isinstance(status, str) or status.lower() not in _STATUSES:
        raise codes.INVALID_PROPERTY.error(f"status {status!r} is not a subscription status.")
    status = status.lower()
    current = subscription.get("status")
    if status == "deleted":
        _cancel(subscription, item, now)
    elif (current, status) in (("active", "suspended"), ("suspended", "active")):
        subscription["status"] = status
    else:
        raise codes.STATUS_NOT_UPDATABLE.error(
            f"Cannot update the status for this subscription from {current} to {status}."
        )


def _instructions_key(value: Any) -> tuple[Any, ...] | None:
    """What a scheduledNextTermInstructions value asks for, however it is spelt (nulls, case)."""
    if not isinstance(value, dict):
        return None
    product: dict[str, Any] = value["product"] if isinstance(value.get("product"), dict) else {}
    return (
        str(product.get("productId") or "").upper(),
        str(product.get("skuId") or "").upper(),
        str(product.get("availabilityId") or "").upper(),
        billing_cycle(product.get("billingCycle")),
        str(product.get("termDuration") or "").upper(),
        value.get("quantity"),
    )


def _check_instructions(value: Any, subscription: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """A new scheduledNextTermInstructions (create-scheduled-changes): an offer of the same product (or one of
    its scheduled transition eligibilities, transition-a-new-commerce-subscription) the
    catalog sells with that term and billing cycle, a seat count it allows, on a subscription that renews."""
    if not isinstance(value, dict):
        raise codes.INVALID_PROPERTY.error("scheduledNextTermInstructions must be an object or null.")
    if not subscription.get("autoRenewEnabled"):
        raise codes.INVALID_PROPERTY.error("Scheduled next-term changes need autoRenewEnabled: true.")
    product: dict[str, Any] = value["product"] if isinstance(value.get("product"), dict) else {}
    current = str(subscription["offerId"]).split(":")
    product_id = str(product.get("productId") or current[0]).upper()
    sku_id = str(product.get("skuId") or current[1]).upper()
    item = catalog.offer(product_id, sku_id)
    source = catalog.offer_for_catalog_item(str(subscription["offerId"]))
    eligible = source is not None and item in scheduled_targets(source, catalog)  # another offer at renewal
    if item is None or (product_id != current[0].upper() and not eligible):
        raise codes.INVALID_PROPERTY.error(
            f"scheduledNextTermInstructions.product {product_id}:{sku_id} is not a SKU of this subscription's product"
            " nor one of its scheduled transition eligibilities."
        )
    term = str(product.get("termDuration") or subscription.get("termDuration") or "").upper()
    cycle = billing_cycle(product.get("billingCycle") or subscription.get("billingCycle"))
    if not any((t.duration or "") == term and t.billing_cycle == cycle for t in item.terms):
        raise codes.INVALID_PROPERTY.error(f"{item.catalog_item_id} is not sold for term {term} billed {cycle}.")
    quantity = value.get("quantity", subscription["quantity"])
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= item.max_quantity:
        raise codes.INVALID_PROPERTY.error(f"scheduledNextTermInstructions.quantity must be 1 to {item.max_quantity}.")
    instructions: dict[str, Any] = {
        "product": {
            "productId": item.product_id,
            "skuId": item.sku_id,
            "availabilityId": item.availability_id,
            "billingCycle": cycle,
            "termDuration": term,
        },
        "quantity": quantity,
    }
    if value.get("customTermEndDate"):
        instructions["customTermEndDate"] = value["customTermEndDate"]
    return instructions


def update_subscription(call: Call) -> httpx.Response:
    """``PATCH /v1/customers/{id}/subscriptions/{id}`` with the whole subscription: friendly name, seats,
    status (suspend, reactivate, cancel), auto-renew and scheduled next-term changes."""
    body = call.json()
    with call.store.atomic():
        tenant = customer(call)
        subscription = _subscription(call, tenant.id)
        check_etag(call, subscription["attributes"]["etag"], body)
        if subscription.get("status") == "deleted":
            raise codes.SUBSCRIPTION_DELETED.error(id=subscription["id"])
        original = copy.deepcopy(subscription)  # what the body is compared with

        def changed(field: str) -> bool:
            return field in body and body[field] is not None and body[field] != original.get(field)

        if "billingCycle" in body:
            body["billingCycle"] = billing_cycle(body["billingCycle"])
        if changed("billingCycle"):
            raise codes.BILLING_CYCLE_CHANGE.error()
        for field in ("offerId", "termDuration"):
            if changed(field):
                raise codes.INVALID_PROPERTY.error(f"{field} cannot be changed by updating the subscription.")
        if int(subscription.get("_updates", 0)) >= call.rules.max_updates:
            raise codes.TOO_MANY_UPDATES.error(limit=call.rules.max_updates)
        catalog = call.store.catalog()
        item = catalog.offer_for_catalog_item(subscription["offerId"])
        mid_term = False
        if changed("status"):
            _change_status(subscription, item, body["status"], call.now)
            mid_term = True
        cancelling = subscription["status"] == "deleted"
        if changed("quantity") and not cancelling:
            quantity = body["quantity"]
            if call.rules.profile == "sandbox" and isinstance(quantity, int) and quantity > SANDBOX_LICENCES:
                raise codes.SANDBOX_LICENCE_LIMIT.error(limit=SANDBOX_LICENCES)
            _change_quantity(subscription, item, quantity, call.now)
            mid_term = True
        if changed("autoRenewEnabled") and not cancelling:
            if not isinstance(body["autoRenewEnabled"], bool):
                raise codes.INVALID_PROPERTY.error("autoRenewEnabled must be true or false.")
            if item is None or item.is_azure_plan:
                raise codes.AUTO_RENEW_NOT_ELIGIBLE.error()
            subscription["autoRenewEnabled"] = body["autoRenewEnabled"]
            mid_term = mid_term or not body["autoRenewEnabled"]
        if changed("friendlyName"):
            name = body["friendlyName"]
            if not isinstance(name, str) or not name.strip() or len(name) > 256:
                raise codes.INVALID_PROPERTY.error("friendlyName must be 1 to 256 characters.")
            subscription["friendlyName"] = name
        if mid_term:
            subscription.pop("scheduledNextTermInstructions", None)  # a mid-term change wipes them
        if "scheduledNextTermInstructions" in body:
            wanted = body["scheduledNextTermInstructions"]
            if wanted is None and not mid_term:
                subscription.pop("scheduledNextTermInstructions", None)
            elif not cancelling and _instructions_key(wanted) != _instructions_key(
                original.get("scheduledNextTermInstructions")
            ):
                subscription["scheduledNextTermInstructions"] = _check_instructions(wanted, subscription, catalog)
        if subscription != original:
            subscription["_updates"] = int(subscription.get("_updates", 0)) + 1
            subscription["attributes"]["etag"] = new_etag()
        call.store.put_subscription(tenant.id, subscription, audit="update_subscription")
    if call.rules.accept_patches:
        location = f"/customers/{tenant.id}/subscriptions/{subscription['id']}"
        return respond(202, headers={"Location": location})
    return respond(200, present(subscription, call.now))
