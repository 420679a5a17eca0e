"""One declared subscription against what Partner Center has: order it, update it, suspend or cancel it.

Destructive changes (a seat decrease, a suspension, a cancellation) are only ``ready`` when both the
declaration and cspsync.yaml opt in, and only while new commerce still allows them (the 168-hour
windows of :mod:`cspsync.plan.windows`); otherwise the plan says why instead of failing at apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cspsync.declarations import Declared
from cspsync.declarations.keys import (
    AZURE_PLAN_PRODUCT,
    declared_offer,
    find_subscription,
    is_gone,
    live_offer_key,
    offer_key,
    same_offer,
)
from cspsync.declarations.models import Config, LicenseOffer, Subscription
from cspsync.observe.state import ObservedCustomer, ObservedSubscription
from cspsync.plan import payloads
from cspsync.plan.azure import plan_azure_subscriptions, unmanaged_azure
from cspsync.plan.builder import Builder
from cspsync.plan.diff import changes_between, observed_subscription_fields, subscription_fields
from cspsync.plan.model import Change, Kind, Status, Symbol, Unmanaged
from cspsync.plan.windows import cancellation_window, reduction_window, renews_on

BILLED = {"monthly": "monthly", "annual": "annually", "triennial": "every three years"}


def offer_label(subscription: Subscription) -> str:
    if isinstance(subscription.offer, LicenseOffer):
        return f"{subscription.offer.productId}:{subscription.offer.skuId}"
    return "Azure plan"


def match(declared: Subscription, observed: tuple[ObservedSubscription, ...] | None) -> ObservedSubscription | None:
    """The live subscription a declaration means: by its declared id, else its friendly name (apply uses the
    same rule, :func:`cspsync.declarations.keys.find_subscription`)."""
    return find_subscription(declared.subscriptionId, declared.friendlyName, observed or ())


def unclaimed(declared: Declared, observed: ObservedCustomer | None) -> list[ObservedSubscription]:
    """Live subscriptions of a declared customer that no declaration means."""
    if observed is None or not observed.subscriptions:
        return []
    claimed = {
        found.id for sub in declared.customer.spec.subscriptions if (found := match(sub, observed.subscriptions))
    }
    return [s for s in observed.subscriptions if s.id not in claimed and not is_gone(s.status)]


def unmanaged(declared: Declared, observed: ObservedCustomer | None) -> list[Unmanaged]:
    """Live subscriptions (and Azure subscriptions under a declared Azure plan) of a declared customer that no
    declaration names: reported, never touched."""
    return [
        Unmanaged(
            customer=declared.customer.metadata.name,
            kind="subscription",
            name=s.friendly_name,
            detail=f"{s.quantity} × {s.offer_id}, {s.status}",
        )
        for s in unclaimed(declared, observed)
    ] + unmanaged_azure(declared, observed)


def plan_subscription(
    b: Builder,
    sub: Subscription,
    actual: ObservedSubscription | None,
    deps: list[str],
    config: Config,
    country: str,
    now: dt.datetime,
    others: Sequence[ObservedSubscription] = (),
) -> None:
    """``others``: the customer's live subscriptions no declaration means (a renamed one may be among them)."""
    if actual is None:
        if sub.status != "cancelled":  # declared cancelled and nothing live: nothing to do
            twin = None if sub.subscriptionId else next((o for o in others if same_offer(sub, o.offer_id)), None)
            ordered = _order(b, sub, deps, country, twin)
            plan_azure_subscriptions(b, sub, None, [*deps, ordered])  # they wait for the Azure plan
        return
    plan_azure_subscriptions(b, sub, actual, deps)
    base = payloads.UpdateSubscription(subscription_id=actual.id, friendly_name=sub.friendlyName)
    azure_plan = sub.offer == "azure-plan"
    later = [] if azure_plan else _next_term_changes(sub, actual)
    offer = None if same_offer(sub, actual.offer_id) else _offer_change(sub, actual)
    if offer is not None:
        route, reason = _offer_route(sub, actual, offer.after)
        if route == "now":  # the upgrade makes a new subscription: its other changes follow in the next plan
            _upgrade(b, sub, actual, offer, deps, country)
            return
        if route == "renewal":
            later.append(offer)
        elif route == "blocked":
            b.add(
                Kind.UPDATE_SUBSCRIPTION,
                f"update subscription {sub.friendlyName}",
                base,
                subject=f"{sub.friendlyName}/offer",
                status="blocked",
                reason=reason,
                changes=[offer],
            )
    changes = changes_between(observed_subscription_fields(actual, azure_plan=azure_plan), subscription_fields(sub))
    mid_term: list[str] = []
    for change in sorted(changes, key=_step):  # one step per field, each with its own readiness
        after = _ready(b, mid_term)  # one PATCH at a time, each on the state the one before left
        if change.field == "status":
            mid_term.append(_status_change(b, sub, actual, change, config, now, after))
        elif change.field == "quantity" and change.after < change.before and not _now_possible(actual, change, now):
            if actual.scheduled is None or actual.scheduled.quantity != change.after:
                later.insert(0, change)  # outside its 7-day window: at renewal
        else:
            mid_term.append(_update(b, sub, actual, change, deps, config, base, now, after))
    for change in later:
        _schedule(b, sub, actual, change, config, base, [*deps, *mid_term], country)


def _step(change: Change) -> int:
    """The order of a subscription's mid-term steps: a reactivation first and a suspension or cancellation
    last, because Partner Center changes no seats of a suspended subscription (error 800091) and nothing of
    a cancelled one (error 2011); the other fields in between, in the order the plan lists them."""
    if change.field != "status":
        return 1
    return 0 if change.after == "active" else 2


def _ready(b: Builder, ids: list[str]) -> list[str]:
    """The actions among ``ids`` that apply runs: the ones a later step of the same subscription follows
    (a refused or blocked step does not run, so it holds nothing back)."""
    return [a.id for a in b.actions if a.id in ids and a.status == "ready"]


def _now_possible(actual: ObservedSubscription, decrease: Change, now: dt.datetime) -> bool:
    return reduction_window(actual, decrease.before - decrease.after, now).possible


def _next_term_changes(sub: Subscription, actual: ObservedSubscription) -> list[Change]:
    """Billing cycle and term: Partner Center changes them only at renewal (error 2054 in place), through
    scheduledNextTermInstructions; nothing to do when that is already scheduled."""
    scheduled = actual.scheduled
    found: list[Change] = []
    cycle_scheduled = scheduled is not None and scheduled.billing_cycle == sub.billingCycle
    if actual.billing_cycle and actual.billing_cycle != sub.billingCycle and not cycle_scheduled:
        found.append(Change(field="billingCycle", before=actual.billing_cycle, after=sub.billingCycle))
    term_scheduled = scheduled is not None and scheduled.term == sub.term
    if actual.term and sub.term and actual.term != sub.term and not term_scheduled:
        found.append(Change(field="termDuration", before=actual.term, after=sub.term))
    return found


_NEXT_TERM = {"quantity": "quantity", "billingCycle": "billing_cycle", "termDuration": "term_duration"}


def _schedule(
    b: Builder,
    sub: Subscription,
    actual: ObservedSubscription,
    change: Change,
    config: Config,
    base: payloads.UpdateSubscription,
    deps: list[str],
    country: str,
) -> str:
    """A change at renewal (scheduledNextTermInstructions), after this plan's mid-term steps of the same
    subscription, which would otherwise wipe it."""
    renews = renews_on(actual)
    when = f"at renewal on {renews.isoformat()}" if renews is not None else "at renewal"
    status, reason = b.status_after(deps)
    symbol = None
    decrease = change.field == "quantity"
    if decrease and not config.destructive.allowQuantityDecrease:
        status, reason = (
            "refused",
            f"quantity decrease {change.before} → {change.after} (at renewal) needs "
            "destructive.allowQuantityDecrease: true in cspsync.yaml",
        )
    elif sub.status == "cancelled":  # after the cancellation Partner Center changes nothing (error 2011)
        status, reason, symbol = (
            "blocked",
            f"{sub.friendlyName} is declared cancelled: a cancelled subscription has no renewal to change; remove "
            "this change from the declaration, or the status: cancelled",
            Symbol.HUMAN,
        )
    elif not sub.autoRenew:
        status, reason, symbol = (
            "blocked",
            "a change at renewal needs autoRenew: true (without it the subscription ends with its term)",
            Symbol.HUMAN,
        )
    if decrease:
        why = "new commerce removes seats mid-term only within 7 days of adding them"
    elif change.field == "offer":
        why = "Partner Center offers this change of offer at renewal, not as an upgrade now"
    else:
        why = "Partner Center changes a billing cycle or term only at renewal"
    if change.field == "offer":
        product, sku = str(change.after).split(":")
        next_term = payloads.NextTermFields(product_id=product, sku_id=sku, country=country)
    else:
        next_term = payloads.NextTermFields(**{_NEXT_TERM[change.field]: change.after})
    return b.add(
        Kind.UPDATE_SUBSCRIPTION,
        f"update subscription {sub.friendlyName} {when} ({why})",
        base.model_copy(update={"set": payloads.SubscriptionFields(next_term=next_term)}),
        subject=f"{sub.friendlyName}/next-term/{change.field}",
        status=status,
        reason=reason,
        depends_on=deps,
        changes=[change],
        symbol=symbol,
    )


def _wipes(actual: ObservedSubscription, change: Change) -> list[str]:
    """The warning for a mid-term change on a subscription with a change scheduled for renewal."""
    if actual.scheduled is None or change.field == "friendlyName":
        return []
    if change.field == "autoRenewEnabled" and change.after:
        return []
    pending = ", ".join(
        f"{field} → {value}"
        for field, value in (
            ("quantity", actual.scheduled.quantity),
            ("billingCycle", actual.scheduled.billing_cycle),
            ("termDuration", actual.scheduled.term),
        )
        if value is not None
    )
    renews = renews_on(actual)
    on = f" on {renews.isoformat()}" if renews is not None else ""
    return [
        f"this mid-term change wipes the change scheduled for renewal{on} ({pending}); the next plan schedules "
        "what is still declared again"
    ]


def _offer_change(sub: Subscription, actual: ObservedSubscription) -> Change:
    return Change(field="offer", before=live_offer_key(actual.offer_id), after=offer_key(*declared_offer(sub)))


def _offer_route(sub: Subscription, actual: ObservedSubscription, wanted: str) -> tuple[str, str | None]:
    """How Partner Center moves a subscription to another offer: ``now`` (an upgrade, the subscription's
    immediate transition eligibilities), ``renewal`` (its scheduled eligibilities, as a change at renewal),
    ``scheduled`` (already scheduled) or ``blocked`` with why ("Transition a new commerce subscription")."""
    label = offer_label(sub)
    azure = AZURE_PLAN_PRODUCT.upper()
    if (sub.offer == "azure-plan") != live_offer_key(actual.offer_id).startswith(azure):
        return "blocked", (
            f"subscription is {actual.offer_id}, declared {label}: an Azure plan and a licence offer never turn into "
            "each other; declare the new offer under a new friendly name (and cancel the old one within its window "
            "if needed)"
        )
    if actual.scheduled is not None and actual.scheduled.offer == wanted:
        return "scheduled", None
    if actual.upgrades is not None and wanted in actual.upgrades:
        return "now", None
    if actual.renewal_offers is not None and wanted in actual.renewal_offers:
        return "renewal", None
    if actual.upgrades is None:
        return "blocked", f"Partner Center's upgrade paths of {actual.offer_id} were not read; plan again"
    return "blocked", (
        f"subscription is {live_offer_key(actual.offer_id)}, declared {label}: Partner Center lists no upgrade to it "
        "and no change to it at renewal (transition eligibilities); declare the new offer under a new friendly name "
        "(and cancel the old one within its window if needed)"
    )


def _upgrade(
    b: Builder, sub: Subscription, actual: ObservedSubscription, change: Change, deps: list[str], country: str
) -> str:
    """Every seat moves to the declared offer now, keeping the term's end date; the new subscription takes the
    declared friendly name, and the next plan makes the declaration's other changes on it."""
    from_product, from_sku = str(change.before).split(":")
    product, sku = declared_offer(sub)
    status, reason = b.status_after(deps)
    warnings = []
    if actual.scheduled is not None:
        warnings.append("the upgrade drops the change scheduled for renewal; the next plan schedules it again")
    return b.add(
        Kind.UPGRADE_SUBSCRIPTION,
        f"upgrade subscription {sub.friendlyName}: {actual.quantity} × {change.before} → {change.after} now "
        "(Partner Center's upgrade path; the term's end date stays)",
        payloads.UpgradeSubscription(
            subscription_id=actual.id,
            friendly_name=sub.friendlyName,
            from_product_id=from_product,
            from_sku_id=from_sku,
            product_id=product,
            sku_id=sku,
            quantity=actual.quantity,
            country=country,
        ),
        subject=f"{sub.friendlyName}/offer",
        status=status,
        reason=reason,
        depends_on=deps,
        changes=[change],
        warnings=warnings,
    )


def _order(
    b: Builder, sub: Subscription, deps: list[str], country: str, twin: ObservedSubscription | None = None
) -> str:
    product, sku = declared_offer(sub)
    azure_plan = sub.offer == "azure-plan"
    status, reason = b.status_after(deps)
    if twin is not None:  # maybe a rename: never buy it twice on a guess
        status, reason = (
            "blocked",
            f"the live subscription {twin.friendly_name!r} ({twin.id}) has the same offer and no declaration: if "
            f"this is it under a new name, add subscriptionId: {twin.id} to rename it; if it is another "
            "subscription, declare that one too (by its own name or id) before buying a new one",
        )
    terms = ""
    quantity = ""
    if not azure_plan:
        renew = "on" if sub.autoRenew else "off"
        terms = f" ({sub.term}, billed {BILLED[sub.billingCycle]}, auto-renew {renew})"
        quantity = f"{sub.quantity} × "
    return b.add(
        Kind.ORDER_SUBSCRIPTION,
        f"order {sub.friendlyName}: {quantity}{offer_label(sub)}{terms}",
        payloads.OrderSubscription(
            friendly_name=sub.friendlyName,
            product_id=product,
            sku_id=sku,
            quantity=sub.quantity,
            term_duration=sub.term,
            billing_cycle=sub.billingCycle,
            auto_renew=sub.autoRenew,
            country=country,
            azure_plan=azure_plan,
        ),
        subject=sub.friendlyName,
        status=status,
        reason=reason,
        depends_on=deps,
    )


_SET_FIELDS = {
    "friendlyName": "friendly_name",
    "quantity": "quantity",
    "autoRenewEnabled": "auto_renew_enabled",
    "status": "status",
}


def _fields(changes: list[Change]) -> payloads.SubscriptionFields:
    return payloads.SubscriptionFields(**{_SET_FIELDS[c.field]: c.after for c in changes})


def _update(
    b: Builder,
    sub: Subscription,
    actual: ObservedSubscription,
    change: Change,
    deps: list[str],
    config: Config,
    base: payloads.UpdateSubscription,
    now: dt.datetime,
    after: list[str],
) -> str:
    """One field of one subscription, now: a seat change, the auto-renew flag or a rename; ``after``: the
    steps of the same subscription it follows."""
    status: Status = "ready"
    reason = None
    symbol = None
    decrease = change.field == "quantity" and change.after < change.before
    if decrease and not config.destructive.allowQuantityDecrease:
        status, reason = (
            "refused",
            f"quantity decrease {change.before} → {change.after} needs "
            "destructive.allowQuantityDecrease: true in cspsync.yaml",
        )
    wait_status, wait_reason = b.status_after(deps)
    if wait_status != "ready" and status == "ready":
        status, reason = wait_status, wait_reason
    if decrease:
        window = reduction_window(actual, change.before - change.after, now)
        if not window.possible:
            status, reason, symbol = "blocked", window.reason, Symbol.HUMAN
    if change.field == "quantity" and actual.status == "suspended" and sub.status == "suspended":
        status, reason, symbol = (
            "blocked",
            f"{sub.friendlyName} is suspended and stays suspended: Partner Center changes no seats of a suspended "
            f"subscription (error 800091); declare status: active to reactivate it first, or keep "
            f"quantity: {change.before}",
            Symbol.HUMAN,
        )
    return b.add(
        Kind.UPDATE_SUBSCRIPTION,
        f"rename subscription {change.before} → {change.after}"
        if change.field == "friendlyName"
        else f"update subscription {sub.friendlyName}",
        base.model_copy(update={"set": _fields([change])}),
        subject=f"{sub.friendlyName}/{change.field}",
        status=status,
        reason=reason,
        depends_on=after,
        changes=[change],
        warnings=_wipes(actual, change),
        destructive=decrease,
        symbol=symbol,
    )


def _status_change(
    b: Builder,
    sub: Subscription,
    actual: ObservedSubscription,
    change: Change,
    config: Config,
    now: dt.datetime,
    after: list[str],
) -> str:
    """Reactivate, suspend or cancel; ``after``: the steps of the same subscription it follows."""
    target = change.after
    if target == "active":
        return b.add(
            Kind.UPDATE_SUBSCRIPTION,
            f"reactivate subscription {sub.friendlyName}",
            payloads.UpdateSubscription(
                subscription_id=actual.id,
                friendly_name=sub.friendlyName,
                set=payloads.SubscriptionFields(status="active"),
            ),
            subject=f"{sub.friendlyName}/status",
            depends_on=after,
            changes=[change],
            warnings=_wipes(actual, change),
        )
    cancel = target == "deleted"
    allowed = config.destructive.allowCancel if cancel else config.destructive.allowSuspend
    option = "allowCancel" if cancel else "allowSuspend"
    verb = "cancel" if cancel else "suspend"
    status: Status = "ready"
    reason = None
    symbol = None
    if sub.protected:
        status, reason = "refused", f"{sub.friendlyName} is protected: set protected: false on it to {verb} it"
    elif not allowed:
        status, reason = "refused", f"{verb} needs destructive.{option}: true in cspsync.yaml"
    if cancel:
        window = cancellation_window(actual, now)
        if not window.possible:
            status, reason, symbol = "blocked", window.reason, Symbol.HUMAN
    summary = f"{verb} subscription {sub.friendlyName} ({actual.quantity} × {actual.offer_id})"
    payload: payloads.Payload
    if cancel:  # the subscription ends: no scheduled change is left to wipe
        kind, warnings = Kind.CANCEL_SUBSCRIPTION, []
        payload = payloads.CancelSubscription(subscription_id=actual.id, friendly_name=sub.friendlyName)
    else:
        kind, warnings = Kind.SUSPEND_SUBSCRIPTION, _wipes(actual, change)
        payload = payloads.SuspendSubscription(subscription_id=actual.id, friendly_name=sub.friendlyName)
    return b.add(
        kind,
        summary,
        payload,
        subject=sub.friendlyName,
        status=status,
        reason=reason,
        depends_on=after,
        changes=[change],
        warnings=warnings,
        destructive=True,
        symbol=symbol,
    )
