"""Declarations + observation -> a :class:`~cspsync.plan.model.Plan`: which actions, in which order, and why.

Per customer the chain is: tenant (create / invite and wait / existing) -> billing profile updates ->
Microsoft Customer Agreement -> subscription orders and updates. An action that depends on a tenant
waiting for its invitation to be accepted waits too (``!``), so the plan shows the whole road ahead.
Destructive actions are only ``ready`` when both the declaration and the config opt in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from cspsync import __version__
from cspsync.declarations import Declared, Repository
from cspsync.declarations.models import Config, CustomerFile, LicenseOffer, Subscription
from cspsync.invitations.schedule import next_reminder_at, times
from cspsync.observe.state import Observation, ObservedCustomer, ObservedSubscription
from cspsync.plan.diff import (
    agreement_matches,
    as_written,
    billing_fields,
    changes_between,
    declared_billing,
    normalise_billing,
    observed_subscription_fields,
    subscription_fields,
)
from cspsync.plan.model import SYMBOLS, Action, Change, CustomerPlan, Kind, Plan, Status, Unmanaged

AZURE_PLAN_PRODUCT = "DZH318Z0BPS6"
AZURE_PLAN_SKU = "0001"
BILLED = {"monthly": "monthly", "annual": "annually", "triennial": "every three years"}
#: subscription states that no longer hold a friendly name: a declaration with that name orders anew
GONE = {"deleted", "expired", "disabled", "cancelled"}


@dataclass(frozen=True)
class SentInvitation:
    """An invitation an earlier apply already sent (from the invitations ledger).

    ``resend`` (``apply --resend``) plans it again; so does a customer file that now names another address.
    """

    to: str
    sent_at: str
    reminders: int = 0
    delivery: str = "outbox"  # smtp | graph | outbox (written to a file for a person to send)
    file: str | None = None  # the outbox file
    reminder_times: tuple[str, ...] = ()
    resend: bool = False


def customer_domain(customer: CustomerFile) -> str | None:
    tenant = customer.spec.tenant
    if tenant.mode == "create":
        return f"{tenant.domainPrefix}.onmicrosoft.com".lower()
    return tenant.domain.lower() if tenant.domain else None


def offer_ids(subscription: Subscription) -> tuple[str, str]:
    if isinstance(subscription.offer, LicenseOffer):
        return subscription.offer.productId, subscription.offer.skuId
    return AZURE_PLAN_PRODUCT, AZURE_PLAN_SKU


def offer_label(subscription: Subscription) -> str:
    if isinstance(subscription.offer, LicenseOffer):
        return f"{subscription.offer.productId}:{subscription.offer.skuId}"
    return "Azure plan"


def declarations_fingerprint(declared: Sequence[Declared]) -> str:
    digest = hashlib.sha256()
    for item in sorted(declared, key=lambda d: d.customer.metadata.name):
        digest.update(item.customer.model_dump_json().encode())
    return "sha256:" + digest.hexdigest()


@dataclass
class _Builder:
    """Collects one customer's actions; ids are ``<customer>/<kind>[/<subject>]``."""

    name: str
    actions: list[Action] = field(default_factory=list)

    def add(
        self,
        kind: Kind,
        summary: str,
        *,
        subject: str | None = None,
        status: Status = "ready",
        reason: str | None = None,
        depends_on: Sequence[str] = (),
        changes: Sequence[Change] = (),
        payload: Mapping[str, object] | None = None,
        warnings: Sequence[str] = (),
        destructive: bool = False,
    ) -> str:
        action_id = f"{self.name}/{kind.value}" + (f"/{subject}" if subject else "")
        self.actions.append(
            Action(
                id=action_id,
                customer=self.name,
                kind=kind,
                symbol=SYMBOLS[kind],
                summary=summary,
                status=status,
                reason=reason,
                depends_on=tuple(depends_on),
                changes=tuple(changes),
                payload=dict(payload or {}),
                warnings=tuple(warnings),
                destructive=destructive,
            )
        )
        return action_id

    def status_after(self, depends_on: Sequence[str]) -> tuple[Status, str | None]:
        """An action inherits waiting/blocked from what it depends on."""
        by_id = {a.id: a for a in self.actions}
        for dep in depends_on:
            parent = by_id.get(dep)
            if parent is None:
                continue
            if parent.kind is Kind.AWAIT_ACCEPTANCE or parent.status == "waiting":
                return "waiting", "waits until the customer accepts the reseller relationship"
            if parent.status in ("blocked", "refused"):
                return "blocked", f"blocked by {parent.id}"
        return "ready", None


def _plan_tenant(
    b: _Builder,
    declared: Declared,
    observed: ObservedCustomer | None,
    observation: Observation,
    config: Config,
    sent: SentInvitation | None,
) -> tuple[list[str], str, str | None]:
    """Actions that establish the tenant link; returns (dependencies for later actions, state, note)."""
    customer = declared.customer
    spec = customer.spec
    tenant = spec.tenant
    name = customer.metadata.name
    if observed is not None:
        return [], "linked", None
    if tenant.mode == "create":
        domain = f"{tenant.domainPrefix}.onmicrosoft.com"
        status: Status = "ready"
        reason = None
        available = observation.domain_available.get(name)
        if available is False:
            status, reason = (
                "blocked",
                (
                    f"{domain} is already taken by another tenant; choose another tenant.domainPrefix "
                    "(the prefix is permanent)"
                ),
            )
        warnings = []
        address = observation.address_status.get(name)
        if address and address[0] not in ("VerifiedShippable", "Verified"):
            warnings.append(f"address validation: {address[0]}" + (f" ({address[1]})" if address[1] else ""))
        reseller = _reseller(config, spec.reseller)
        summary = f"create customer {spec.company.name} with new tenant {domain}"
        if reseller:
            summary += f" for reseller {reseller[0]}"
        action = b.add(
            Kind.CREATE_CUSTOMER,
            summary,
            status=status,
            reason=reason,
            warnings=warnings,
            payload={
                "domain": domain,
                "associatedPartnerId": reseller[1] if reseller else None,
                "billingProfile": declared_billing(spec),
                "country": spec.company.address.country,
                "organizationRegistrationNumber": spec.company.organizationRegistrationNumber,
            },
        )
        return [action], "new", None
    if tenant.mode == "invite":
        reseller = _reseller(config, spec.reseller)
        deps: list[str] = []
        note = None
        readdressed = sent is not None and sent.to.casefold() != tenant.invitationEmail.casefold()
        if sent is None or sent.resend or readdressed:
            summary = f"request a reseller relationship: invitation to {tenant.invitationEmail} for {tenant.domain}"
            if sent is not None:
                summary += (
                    f" (again: the one of {sent.sent_at[:10]} went to {sent.to})"
                    if readdressed
                    else f" (again: --resend; first sent on {sent.sent_at[:10]})"
                )
            warnings = []
            if config.invitations.transport == "outbox":
                warnings.append(
                    "no mail transport is configured (invitations.transport: outbox): apply writes the message to "
                    f"outbox/{name}.eml in the state folder (.cspsync/) and a person must send it"
                )
            deps.append(
                b.add(
                    Kind.REQUEST_INVITATION,
                    summary,
                    warnings=warnings,
                    payload={
                        "domain": tenant.domain,
                        "to": tenant.invitationEmail,
                        "indirectResellerId": reseller[1] if reseller else None,
                        "resend": sent is not None,
                    },
                )
            )
        else:
            note = _invitation_note(sent, config)
        wait = b.add(
            Kind.AWAIT_ACCEPTANCE,
            f"wait for a global admin of {tenant.domain} to accept the reseller relationship",
            status="waiting",
            reason="Partner Center shows the customer once the invitation is accepted; then run plan again",
            depends_on=deps,
            payload={"domain": tenant.domain},
        )
        return [wait], "waiting", note
    # existing: the tenant must already be the partner's customer
    reason = (
        f"tenant {tenant.tenantId} is not in your Partner Center customer list; an existing relationship "
        "cannot be adopted until it exists: use tenant.mode: invite to request it"
    )
    action = b.add(
        Kind.AWAIT_ACCEPTANCE,
        f"adopt existing tenant {tenant.tenantId}",
        status="blocked",
        reason=reason,
        payload={"tenantId": tenant.tenantId},
    )
    return [action], "missing", None


def _invitation_note(sent: SentInvitation, config: Config) -> str:
    """``invitation sent to X on D by smtp; waiting since D, reminded N times; next reminder on D``."""
    how = (
        f"via the outbox ({sent.file or '.cspsync/outbox/'}: to be sent by hand)"
        if sent.delivery == "outbox"
        else f"by {sent.delivery}"
    )
    note = (
        f"invitation sent to {sent.to} on {sent.sent_at[:10]} {how}; waiting since {sent.sent_at[:10]}, "
        f"reminded {times(sent.reminders)}"
    )
    settings = config.invitations
    due = next_reminder_at(
        sent.sent_at, sent.reminder_times, after_days=settings.reminderAfterDays, max_reminders=settings.maxReminders
    )
    if due is not None:
        note += f"; next reminder on {due.date().isoformat()} (cspsync invitations remind)"
    elif settings.maxReminders:
        note += f" (no reminders left: invitations.maxReminders is {settings.maxReminders})"
    return note


def _reseller(config: Config, name: str | None) -> tuple[str, str] | None:
    if not name:
        return None
    for reseller in config.partner.resellers:
        if reseller.name == name:
            return reseller.name, reseller.tenantId
    return name, ""


def _match_subscription(
    declared: Subscription, observed: tuple[ObservedSubscription, ...] | None
) -> ObservedSubscription | None:
    if not observed:
        return None
    wanted = " ".join(declared.friendlyName.split()).casefold()
    candidates = [s for s in observed if " ".join(s.friendly_name.split()).casefold() == wanted]
    live = [s for s in candidates if s.status not in GONE]
    return live[0] if live else None


def _plan_subscription(
    b: _Builder,
    sub: Subscription,
    actual: ObservedSubscription | None,
    deps: list[str],
    config: Config,
    country: str,
) -> None:
    product, sku = offer_ids(sub)
    label = offer_label(sub)
    if actual is None:
        if sub.status == "cancelled":
            return  # declared cancelled and nothing live: nothing to do
        status, reason = b.status_after(deps)
        terms = "" if sub.offer == "azure-plan" else f" ({sub.term}, billed {BILLED[sub.billingCycle]}, auto-renew "
        terms += "" if sub.offer == "azure-plan" else ("on)" if sub.autoRenew else "off)")
        quantity = "" if sub.offer == "azure-plan" else f"{sub.quantity} × "
        b.add(
            Kind.ORDER_SUBSCRIPTION,
            f"order {sub.friendlyName}: {quantity}{label}{terms}",
            subject=sub.friendlyName,
            status=status,
            reason=reason,
            depends_on=deps,
            payload={
                "friendlyName": sub.friendlyName,
                "productId": product,
                "skuId": sku,
                "quantity": sub.quantity,
                "termDuration": sub.term,
                "billingCycle": sub.billingCycle,
                "autoRenew": sub.autoRenew,
                "country": country,
                "azurePlan": sub.offer == "azure-plan",
            },
        )
        return
    base = {"subscriptionId": actual.id, "friendlyName": sub.friendlyName}
    if not actual.offer_id.upper().startswith(product.upper()):
        b.add(
            Kind.UPDATE_SUBSCRIPTION,
            f"subscription {sub.friendlyName} is {actual.offer_id}, declared {label}",
            subject=sub.friendlyName,
            status="blocked",
            reason="a subscription's product cannot be changed in place; declare the new offer under a new "
            "friendly name (and cancel the old one within its window if needed)",
            payload=base,
        )
        return
    azure_plan = sub.offer == "azure-plan"
    changes = changes_between(observed_subscription_fields(actual, azure_plan=azure_plan), subscription_fields(sub))
    blocked: list[str] = []
    if not azure_plan:
        if actual.billing_cycle and actual.billing_cycle != sub.billingCycle:
            blocked.append(
                f"billing cycle is {actual.billing_cycle}, declared {sub.billingCycle}: Partner Center cannot change "
                "a billing cycle in place (error 2054); it changes at renewal through scheduled next-term instructions"
            )
        if actual.term and sub.term and actual.term != sub.term:
            blocked.append(f"term is {actual.term}, declared {sub.term}: a term changes only at renewal")
    status_change = next((c for c in changes if c.field == "status"), None)
    other = [c for c in changes if c.field != "status"]
    if blocked:
        b.add(
            Kind.UPDATE_SUBSCRIPTION,
            f"update subscription {sub.friendlyName}",
            subject=sub.friendlyName,
            status="blocked",
            reason="; ".join(blocked),
            payload=base,
        )
        return
    if other:
        status = "ready"
        reason = None
        decrease = next((c for c in other if c.field == "quantity" and c.after < c.before), None)
        destructive = False
        if decrease is not None:
            destructive = True
            if not config.destructive.allowQuantityDecrease:
                status, reason = (
                    "refused",
                    (
                        f"quantity decrease {decrease.before} → {decrease.after} needs "
                        "destructive.allowQuantityDecrease: true in cspsync.yaml"
                    ),
                )
        wait_status, wait_reason = b.status_after(deps)
        if wait_status != "ready" and status == "ready":
            status, reason = wait_status, wait_reason
        b.add(
            Kind.UPDATE_SUBSCRIPTION,
            f"update subscription {sub.friendlyName}",
            subject=sub.friendlyName,
            status=status,
            reason=reason,
            changes=other,
            payload={**base, "set": {c.field: c.after for c in other}},
            destructive=destructive,
        )
    if status_change is not None:
        _plan_status_change(b, sub, actual, status_change, config, base)


def _plan_status_change(
    b: _Builder,
    sub: Subscription,
    actual: ObservedSubscription,
    change: Change,
    config: Config,
    base: Mapping[str, object],
) -> None:
    target = change.after
    if target == "active":
        b.add(
            Kind.UPDATE_SUBSCRIPTION,
            f"reactivate subscription {sub.friendlyName}",
            subject=f"{sub.friendlyName}/status",
            changes=[change],
            payload={**base, "set": {"status": "active"}},
        )
        return
    kind = Kind.CANCEL_SUBSCRIPTION if target == "deleted" else Kind.SUSPEND_SUBSCRIPTION
    allowed = config.destructive.allowCancel if target == "deleted" else config.destructive.allowSuspend
    option = "allowCancel" if target == "deleted" else "allowSuspend"
    verb = "cancel" if target == "deleted" else "suspend"
    status: Status = "ready"
    reason = None
    if sub.protected:
        status, reason = "refused", f"{sub.friendlyName} is protected: set protected: false on it to {verb} it"
    elif not allowed:
        status, reason = "refused", f"{verb} needs destructive.{option}: true in cspsync.yaml"
    elif target == "deleted" and actual.cancellation_allowed_until:
        until = actual.cancellation_allowed_until[:10]
        if until < dt.date.today().isoformat():
            status, reason = (
                "blocked",
                (
                    f"the new-commerce cancellation window closed on {until}; the subscription can only be "
                    "left to expire (set autoRenew: false)"
                ),
            )
    b.add(
        kind,
        f"{verb} subscription {sub.friendlyName} ({actual.quantity} × {actual.offer_id})",
        subject=sub.friendlyName,
        status=status,
        reason=reason,
        changes=[change],
        payload={**base, "set": {"status": target}},
        destructive=True,
    )


def plan_customer(
    declared: Declared,
    observed: ObservedCustomer | None,
    observation: Observation,
    config: Config,
    sent: SentInvitation | None,
) -> tuple[CustomerPlan, list[Action]]:
    customer = declared.customer
    spec = customer.spec
    name = customer.metadata.name
    b = _Builder(name)
    domain = customer_domain(customer)
    tenant_deps, state, note = _plan_tenant(b, declared, observed, observation, config, sent)

    if observed is not None and observed.billing is not None:
        desired = billing_fields(spec)
        changes = as_written(
            changes_between(normalise_billing(observed.billing), desired), observed.billing, declared_billing(spec)
        )
        country = next((c for c in changes if c.field == "defaultAddress.country"), None)
        if country is not None:
            b.add(
                Kind.UPDATE_BILLING_PROFILE,
                f"update billing profile of {spec.company.name}",
                status="blocked",
                reason=f"Partner Center does not change a customer's country ({country.before} → {country.after}); "
                "a customer in another country is a new customer",
                changes=[country],
            )
        elif changes:
            b.add(
                Kind.UPDATE_BILLING_PROFILE,
                f"update billing profile of {spec.company.name}",
                changes=changes,
                payload={"billingProfile": declared_billing(spec)},
            )

    order_deps = list(tenant_deps)
    if spec.agreement is not None:
        agreement = spec.agreement
        recorded = observed.agreements if observed is not None else None
        if not recorded or not any(agreement_matches(agreement, a) for a in recorded):
            status, reason = b.status_after(tenant_deps)
            contact = agreement.acceptedBy
            order_deps.append(
                b.add(
                    Kind.CREATE_AGREEMENT,
                    f"record Microsoft Customer Agreement accepted by {contact.firstName} {contact.lastName} "
                    f"<{contact.email}> on {agreement.dateAgreed.isoformat()}",
                    status=status,
                    reason=reason,
                    depends_on=tenant_deps,
                    payload={
                        "type": agreement.type,
                        "firstName": contact.firstName,
                        "lastName": contact.lastName,
                        "email": contact.email,
                        "phoneNumber": contact.phone,
                        "dateAgreed": agreement.dateAgreed.isoformat(),
                    },
                )
            )
    observed_subs = observed.subscriptions if observed is not None else None
    for sub in spec.subscriptions:
        actual = _match_subscription(sub, observed_subs)
        _plan_subscription(b, sub, actual, order_deps, config, spec.company.address.country)

    plan = CustomerPlan(
        name=name,
        file=str(declared.path),
        company=spec.company.name,
        mode=spec.tenant.mode,
        domain=domain if observed is None else observed.domain,
        tenant_id=observed.id if observed is not None else getattr(spec.tenant, "tenantId", None),
        state=state,
        note=note,
        actions=tuple(a.id for a in b.actions),
    )
    return plan, b.actions


def unmanaged_subscriptions(declared: Declared, observed: ObservedCustomer | None) -> list[Unmanaged]:
    if observed is None or not observed.subscriptions:
        return []
    names = {" ".join(s.friendlyName.split()).casefold() for s in declared.customer.spec.subscriptions}
    return [
        Unmanaged(
            customer=declared.customer.metadata.name,
            kind="subscription",
            name=s.friendly_name,
            detail=f"{s.quantity} × {s.offer_id}, {s.status}",
        )
        for s in observed.subscriptions
        if " ".join(s.friendly_name.split()).casefold() not in names and s.status not in GONE
    ]


def make_plan(
    repo: Repository,
    declared: Sequence[Declared],
    observation: Observation,
    *,
    target: Literal["emulator", "partner-center"],
    correlation_id: str,
    sent_invitations: dict[str, SentInvitation] | None = None,
    now: dt.datetime | None = None,
) -> Plan:
    """The whole plan for ``declared`` (the customers in scope) against ``observation``."""
    sent_invitations = sent_invitations or {}
    customers: list[CustomerPlan] = []
    actions: list[Action] = []
    unmanaged: list[Unmanaged] = []
    unknown: list[str] = []
    for item in sorted(declared, key=lambda d: str(d.path)):
        name = item.customer.metadata.name
        if name in observation.unknown:
            unknown.append(f"{name}: {observation.unknown[name]}")
            customers.append(
                CustomerPlan(
                    name=name,
                    file=str(item.path),
                    company=item.customer.spec.company.name,
                    mode=item.customer.spec.tenant.mode,
                    domain=customer_domain(item.customer),
                    state="unknown",
                    note=f"state unknown: {observation.unknown[name]}",
                )
            )
            continue
        observed = observation.customers.get(name)
        plan, customer_actions = plan_customer(item, observed, observation, repo.config, sent_invitations.get(name))
        customers.append(plan)
        actions += customer_actions
        unmanaged += unmanaged_subscriptions(item, observed)
    for tenant_id, domain in observation.unmanaged:
        unmanaged.append(Unmanaged(customer=domain, kind="customer", name=tenant_id, detail="no customer file"))
    return Plan(
        cspsync_version=__version__,
        created_at=now or dt.datetime.now(dt.UTC),
        target=target,
        partner_tenant_id=repo.config.partner.tenantId,
        correlation_id=correlation_id,
        scope=tuple(sorted(str(d.path) for d in declared)),
        observed_fingerprint=observation.fingerprint(),
        declarations_fingerprint=declarations_fingerprint(declared),
        customers=tuple(customers),
        actions=tuple(actions),
        unmanaged=tuple(unmanaged),
        unknown=tuple(unknown),
    )
