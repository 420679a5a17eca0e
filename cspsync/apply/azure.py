"""Apply the Azure subscriptions under an Azure plan: create one in Azure Resource Manager, rename one.

Each first checks whether its effect exists, by the rule the planner uses
(:func:`cspsync.declarations.keys.find_subscription` over the plan's Azure entitlements), so an apply killed
half-way is repaired by running it again; the alias name is derived from the customer and the name, and Azure
answers a repeated alias with the subscription it already made. The created subscription's id is recorded
(``subscriptionId``), as licence orders record theirs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cspsync.declarations.keys import AZURE_PLAN_PRODUCT, find_subscription, live_offer_key
from cspsync.errors import CspsyncError
from cspsync.partnercenter.arm import alias_name
from cspsync.plan import payloads
from cspsync.plan.model import Action

if TYPE_CHECKING:
    from cspsync.apply.record import ActionResult
    from cspsync.apply.run import Applier


def _azure_plan_id(applier: Applier, customer_id: str, name: str, known: str | None) -> str:
    """The Azure plan's id: as planned, or (ordered in this apply) the live Azure plan of that name."""
    if known:
        return known
    live = applier.client.list_subscriptions(customer_id)
    found = find_subscription(None, name, live)
    if found is None or not live_offer_key(found.offer_id).startswith(AZURE_PLAN_PRODUCT):
        raise CspsyncError(
            f"the Azure plan {name} is not in Partner Center's subscriptions yet (an order can take up to 15 minutes "
            "to show): apply again later"
        )
    return found.id


def create_azure_subscription(applier: Applier, action: Action, result: ActionResult) -> None:
    p = action.payload
    assert isinstance(p, payloads.CreateAzureSubscription)
    client = applier.client
    customer_id = applier.customer_id(action)
    plan_id = _azure_plan_id(applier, customer_id, p.azure_plan, p.azure_plan_id)
    result.details.update(customerId=customer_id, azurePlanId=plan_id, friendlyName=p.friendly_name)
    existing = find_subscription(None, p.friendly_name, client.azure_entitlements(customer_id, plan_id))
    if existing is not None:
        result.status = "already-done"
        result.details["subscriptionId"] = existing.id
        result.message = f"Azure subscription {p.friendly_name} already exists ({existing.id})"
        return
    account = client.arm.partner_billing_account()
    scope = f"/providers/Microsoft.Billing/billingAccounts/{account}/customers/{customer_id}"
    alias = alias_name(customer_id, p.friendly_name)
    subscription_id = client.arm.create_subscription(alias, p.friendly_name, scope)
    result.details.update(subscriptionId=subscription_id, alias=alias)
    result.message = f"created Azure subscription {p.friendly_name} ({subscription_id}) under {p.azure_plan}"


def rename_azure_subscription(applier: Applier, action: Action, result: ActionResult) -> None:
    p = action.payload
    assert isinstance(p, payloads.RenameAzureSubscription)
    client = applier.client
    customer_id = applier.customer_id(action)
    live = client.azure_entitlements(customer_id, p.azure_plan_id)
    found = find_subscription(p.subscription_id, None, live)
    result.details["subscriptionId"] = p.subscription_id
    if found is None or found.id.casefold() != p.subscription_id.casefold():
        raise CspsyncError(
            f"Azure subscription {p.subscription_id} is no longer under Azure plan {p.azure_plan}: run plan again"
        )
    if found.friendly_name == p.friendly_name:
        result.status = "already-done"
        result.message = f"Azure subscription {p.subscription_id} is already named {p.friendly_name}"
        return
    client.arm.rename_subscription(p.subscription_id, p.friendly_name)
    result.message = f"renamed Azure subscription {found.friendly_name} → {p.friendly_name} ({p.subscription_id})"
