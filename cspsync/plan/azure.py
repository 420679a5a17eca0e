"""The Azure subscriptions declared under a customer's Azure plan against those Partner Center lists.

Identity is the licences' rule (:func:`cspsync.declarations.keys.find_subscription`): the declared
``subscriptionId`` when there is one, else the friendly name; with the id, a new name is a rename. A declared
name that matches nothing next to an Azure subscription no declaration claims is blocked (it may be that
one under a new name): it is never created twice on a guess. cspsync never cancels an Azure subscription;
one that is not declared is reported as such.
"""

from __future__ import annotations

from cspsync.declarations import Declared
from cspsync.declarations.keys import find_subscription, is_gone
from cspsync.declarations.models import Subscription
from cspsync.observe.state import ObservedAzureSubscription, ObservedCustomer, ObservedSubscription
from cspsync.plan import payloads
from cspsync.plan.builder import Builder
from cspsync.plan.model import Change, Kind, Symbol, Unmanaged


def _live(actual: ObservedSubscription | None) -> tuple[ObservedAzureSubscription, ...]:
    return actual.azure_subscriptions or () if actual is not None else ()


def unclaimed_azure(plan: Subscription, actual: ObservedSubscription | None) -> list[ObservedAzureSubscription]:
    """Live Azure subscriptions under the plan that no declaration means."""
    live = _live(actual)
    claimed = {
        found.id
        for a in plan.azureSubscriptions
        if (found := find_subscription(a.subscriptionId, a.friendlyName, live))
    }
    return [s for s in live if s.id not in claimed and not is_gone(s.status)]


def unmanaged_azure(declared: Declared, observed: ObservedCustomer | None) -> list[Unmanaged]:
    """Azure subscriptions under a declared Azure plan that declares Azure subscriptions but not these."""
    if observed is None or not observed.subscriptions:
        return []
    found: list[Unmanaged] = []
    for plan in declared.customer.spec.subscriptions:
        if plan.offer != "azure-plan" or not plan.azureSubscriptions:
            continue
        actual = find_subscription(plan.subscriptionId, plan.friendlyName, observed.subscriptions)
        found += [
            Unmanaged(
                customer=declared.customer.metadata.name,
                kind="azure-subscription",
                name=s.friendly_name,
                detail=f"{s.id} under Azure plan {plan.friendlyName}, {s.status}; cspsync never cancels it",
            )
            for s in unclaimed_azure(plan, actual)
        ]
    return found


def plan_azure_subscriptions(
    b: Builder, plan: Subscription, actual: ObservedSubscription | None, deps: list[str]
) -> None:
    """Create or rename each declared Azure subscription; ``deps`` include the plan's order when it is new."""
    live = _live(actual)
    others = unclaimed_azure(plan, actual)
    plan_id = actual.id if actual is not None else None
    for declared in plan.azureSubscriptions:
        found = find_subscription(declared.subscriptionId, declared.friendlyName, live)
        subject = f"{plan.friendlyName}/{declared.friendlyName}"
        if found is None:
            _create(b, plan, declared.friendlyName, declared.subscriptionId, plan_id, deps, others, subject)
        elif found.friendly_name != declared.friendlyName:
            assert plan_id is not None  # found under a live plan
            status, reason = b.status_after(deps)
            b.add(
                Kind.RENAME_AZURE_SUBSCRIPTION,
                f"rename Azure subscription {found.friendly_name} → {declared.friendlyName} "
                f"(under Azure plan {plan.friendlyName})",
                payloads.RenameAzureSubscription(
                    subscription_id=found.id,
                    friendly_name=declared.friendlyName,
                    azure_plan=plan.friendlyName,
                    azure_plan_id=plan_id,
                ),
                subject=subject,
                status=status,
                reason=reason,
                depends_on=deps,
                changes=[Change(field="friendlyName", before=found.friendly_name, after=declared.friendlyName)],
            )


def _create(
    b: Builder,
    plan: Subscription,
    name: str,
    declared_id: str | None,
    plan_id: str | None,
    deps: list[str],
    others: list[ObservedAzureSubscription],
    subject: str,
) -> None:
    status, reason = b.status_after(deps)
    symbol = None
    if declared_id is not None:
        status, reason, symbol = (
            "blocked",
            f"no Azure subscription {declared_id} is under Azure plan {plan.friendlyName}: correct the "
            "subscriptionId, or remove it to create a new Azure subscription",
            Symbol.HUMAN,
        )
    elif others:  # maybe a rename: never create it twice on a guess
        twin = others[0]
        status, reason, symbol = (
            "blocked",
            f"the Azure subscription {twin.friendly_name!r} ({twin.id}) under Azure plan {plan.friendlyName} has no "
            f"declaration: if this is it under a new name, add subscriptionId: {twin.id} to rename it; if it is "
            "another one, declare that one too (by its own name or id) before creating a new one",
            Symbol.HUMAN,
        )
    b.add(
        Kind.CREATE_AZURE_SUBSCRIPTION,
        f"create Azure subscription {name} under Azure plan {plan.friendlyName}",
        payloads.CreateAzureSubscription(friendly_name=name, azure_plan=plan.friendlyName, azure_plan_id=plan_id),
        subject=subject,
        status=status,
        reason=reason,
        depends_on=deps,
        symbol=symbol,
    )
