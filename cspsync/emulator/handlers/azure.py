"""Azure subscriptions under an Azure plan: Partner Center lists them, Azure Resource Manager makes them.

Doc pages:

- Partner Center "Get a list of Azure entitlements for a subscription": ``GET /v1/customers/{id}/subscriptions/
  {azure-plan-id}/azureEntitlements`` answers a collection of AzureEntitlement (``id``, ``friendlyName``,
  ``status``, ``subscriptionId`` of the plan; "Subscription resources").
- Azure "Programmatically create Azure subscriptions for a Microsoft Partner Agreement with the latest APIs":
  ``GET /providers/Microsoft.Billing/billingAccounts`` (``agreementType: MicrosoftPartnerAgreement``), then
  ``PUT /providers/Microsoft.Subscription/aliases/{aliasName}?api-version=2021-10-01`` with
  ``properties.displayName``, ``workload`` and ``billingScope`` ``/providers/Microsoft.Billing/billingAccounts/
  {account}/customers/{customerTenantId}``; the answer's ``provisioningState`` is ``Accepted`` while Azure
  works, and ``GET`` on the same URL gives the status until ``Succeeded`` with ``subscriptionId``.
- Azure "Subscription - Rename": ``POST /subscriptions/{id}/providers/Microsoft.Subscription/rename`` with
  ``subscriptionName``, answering ``{"subscriptionId"}``.

Chosen and written down here (not in the docs): a new alias answers 202 with ``Location`` (the alias URL) and
``Retry-After: 1`` and is provisioned at the first poll; a repeated PUT of an alias answers the alias as it
stands (aliases are idempotent); the customer must have an active Azure plan. Errors use Azure's shape
``{"error": {"code", "message"}}``. The Azure subscriptions are kept in the emulator's database (table
``azure_subscriptions``), which tests read with :func:`azure_subscriptions` and seed with
:func:`add_azure_subscription`.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx

from cspsync.emulator.handlers.common import customer, timestamp
from cspsync.emulator.handlers.subscriptions import path_subscription
from cspsync.emulator.routing import Call
from cspsync.emulator.wire import collection, respond

if TYPE_CHECKING:
    from cspsync.emulator.store import Store

AZURE_PLAN_PRODUCT = "DZH318Z0BPS6"
PARTNER_AGREEMENT = "MicrosoftPartnerAgreement"
ALIAS = "/providers/Microsoft.Subscription/aliases/{aliasName}"
RENAME = "/subscriptions/{azureSubscriptionId}/providers/Microsoft.Subscription/rename"
BILLING_ACCOUNTS = "/providers/Microsoft.Billing/billingAccounts"
ENTITLEMENTS = "/v1/customers/{customerId}/subscriptions/{subscriptionId}/azureEntitlements"

TABLE = """
CREATE TABLE IF NOT EXISTS azure_subscriptions (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    status TEXT NOT NULL,
    alias TEXT UNIQUE,
    provisioned INTEGER NOT NULL,
    created_at TEXT NOT NULL
)
"""


def routes() -> list[tuple[str, str, Any]]:
    """(method, template, handler) of Partner Center's list and Azure Resource Manager's operations."""
    return [
        ("GET", ENTITLEMENTS, list_entitlements),
        ("GET", BILLING_ACCOUNTS, list_billing_accounts),
        ("PUT", ALIAS, put_alias),
        ("GET", ALIAS, get_alias),
        ("POST", RENAME, rename),
    ]


#: the routes Azure Resource Manager serves (tokens for https://management.azure.com)
ARM_ROUTES = ("GET " + BILLING_ACCOUNTS, "PUT " + ALIAS, "GET " + ALIAS, "POST " + RENAME)


def _table(store: Store) -> None:
    store._write(TABLE)  # the emulator's own database; the table is Azure's alone


def azure_subscriptions(store: Store, customer_id: str) -> list[dict[str, Any]]:
    """Every Azure subscription of a customer as the emulator keeps it, oldest first."""
    _table(store)
    rows = store._all(
        "SELECT id, plan_id, friendly_name, status, alias, provisioned FROM azure_subscriptions "
        "WHERE customer_id = ? ORDER BY created_at, id",
        (customer_id.lower(),),
    )
    return [
        {"id": r[0], "planId": r[1], "friendlyName": r[2], "status": r[3], "alias": r[4], "provisioned": bool(r[5])}
        for r in rows
    ]


def add_azure_subscription(
    store: Store, customer_id: str, plan_id: str, friendly_name: str, *, created_at: str = "2026-01-01T00:00:00Z"
) -> str:
    """An Azure subscription made outside cspsync (in the Azure portal, say): its id."""
    _table(store)
    subscription_id = str(uuid.uuid4())
    store._write(
        "INSERT INTO azure_subscriptions (id, customer_id, plan_id, friendly_name, status, alias, provisioned, "
        "created_at) VALUES (?, ?, ?, ?, 'active', NULL, 1, ?)",
        (subscription_id, customer_id.lower(), plan_id, friendly_name, created_at),
    )
    return subscription_id


def _arm_error(status: int, code: str, message: str) -> httpx.Response:
    return respond(status, {"error": {"code": code, "message": message}})


def _billing_account(call: Call) -> str:
    partner = call.store.world().partner.tenantId.lower()
    return f"{partner}:{partner}_2019-05-31"


def list_entitlements(call: Call) -> httpx.Response:
    """``GET …/subscriptions/{azure-plan-id}/azureEntitlements``: the provisioned ones under that plan."""
    tenant = customer(call)
    plan = path_subscription(call, tenant.id)
    found = [
        {"id": s["id"], "friendlyName": s["friendlyName"], "status": s["status"], "subscriptionId": plan["id"]}
        for s in azure_subscriptions(call.store, tenant.id)
        if s["planId"] == plan["id"] and s["provisioned"]
    ]
    return respond(200, collection(found))


def list_billing_accounts(call: Call) -> httpx.Response:
    account = _billing_account(call)
    name = call.store.world().partner.name
    value = {
        "id": f"{BILLING_ACCOUNTS}/{account}",
        "name": account,
        "properties": {
            "accountStatus": "Active",
            "accountType": "Partner",
            "agreementType": PARTNER_AGREEMENT,
            "displayName": name,
            "hasReadAccess": True,
        },
        "type": "Microsoft.Billing/billingAccounts",
    }
    return respond(200, {"value": [value]})


def _alias_view(alias: str, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ALIAS.format(aliasName=alias),
        "name": alias,
        "type": "Microsoft.Subscription/aliases",
        "properties": {
            "subscriptionId": row["id"],
            "provisioningState": "Succeeded" if row["provisioned"] else "Accepted",
        },
    }


def _by_alias(store: Store, alias: str) -> dict[str, Any] | None:
    _table(store)
    row = store._one("SELECT id, provisioned FROM azure_subscriptions WHERE alias = ?", (alias,))
    return {"id": row[0], "provisioned": bool(row[1])} if row is not None else None


def _azure_plan(call: Call, customer_id: str) -> dict[str, Any] | None:
    return next(
        (
            s
            for s in call.store.subscriptions(customer_id)
            if str(s.get("offerId", "")).upper().startswith(AZURE_PLAN_PRODUCT) and s.get("status") == "active"
        ),
        None,
    )


def put_alias(call: Call) -> httpx.Response:
    alias = call.params["aliasName"]
    existing = _by_alias(call.store, alias)
    if existing is not None:
        return respond(200, _alias_view(alias, existing))
    properties = call.json().get("properties")
    if not isinstance(properties, dict):
        return _arm_error(400, "InvalidRequestContent", "The request content must have properties.")
    name = str(properties.get("displayName") or "").strip()
    scope = str(properties.get("billingScope") or "")
    if not name:
        return _arm_error(400, "InvalidDisplayName", "properties.displayName is required.")
    if str(properties.get("workload") or "") not in ("Production", "DevTest"):
        return _arm_error(400, "InvalidWorkload", "properties.workload must be Production or DevTest.")
    prefix = f"{BILLING_ACCOUNTS}/{_billing_account(call)}/customers/"
    if not scope.lower().startswith(prefix.lower()):
        return _arm_error(400, "InvalidBillingScope", f"The billing scope {scope!r} is not a customer of this account.")
    customer_id = scope[len(prefix) :].strip("/").lower()
    plan = _azure_plan(call, customer_id)
    if plan is None:
        return _arm_error(400, "InvalidBillingScope", f"Customer {customer_id} has no active Azure plan.")
    subscription_id = str(uuid.uuid4())
    store = call.store
    store._write(
        "INSERT INTO azure_subscriptions (id, customer_id, plan_id, friendly_name, status, alias, provisioned, "
        "created_at) VALUES (?, ?, ?, ?, 'active', ?, 0, ?)",
        (subscription_id, customer_id, plan["id"], name, alias, timestamp(call.now)),
    )
    url = call.request.url
    location = f"{url.scheme}://{url.netloc.decode('ascii')}{ALIAS.format(aliasName=alias)}?api-version=2021-10-01"
    view = _alias_view(alias, {"id": subscription_id, "provisioned": False})
    return respond(202, view, {"Location": location, "Retry-After": "1"})


def get_alias(call: Call) -> httpx.Response:
    alias = call.params["aliasName"]
    existing = _by_alias(call.store, alias)
    if existing is None:
        return _arm_error(404, "ResourceNotFound", f"The alias {alias} was not found.")
    if not existing["provisioned"]:
        call.store._write("UPDATE azure_subscriptions SET provisioned = 1 WHERE alias = ?", (alias,))
        existing["provisioned"] = True
    return respond(200, _alias_view(alias, existing))


def rename(call: Call) -> httpx.Response:
    subscription_id = call.params["azureSubscriptionId"].lower()
    name = str(call.json().get("subscriptionName") or "").strip()
    if not name:
        return _arm_error(400, "InvalidSubscriptionName", "subscriptionName is required.")
    _table(call.store)
    changed = call.store._write(
        "UPDATE azure_subscriptions SET friendly_name = ? WHERE lower(id) = ? AND provisioned = 1",
        (name, subscription_id),
    )
    if not changed:
        return _arm_error(404, "SubscriptionNotFound", f"The subscription {subscription_id} could not be found.")
    return respond(200, {"subscriptionId": subscription_id})
