"""Declarations + observation + prices -> the finished :class:`~cspsync.plan.model.Plan`, in one pass.

Per customer the chain is: tenant (create / invite and wait / existing) -> billing profile updates ->
Microsoft Customer Agreement -> subscription orders and updates. An action that depends on a tenant
waiting for its invitation to be accepted waits too (``!``), so the plan shows the whole road ahead.
Nothing here reads the network or a file but through the readers the caller passes (``costs``: price
sheets; ``offers``: the availabilities of the new orders' offers, read once the orders are known):
observation has read everything else before, and renderers and apply only read the plan this returns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cspsync import __version__
from cspsync.collector import collector_paused
from cspsync.declarations import Declared, Repository
from cspsync.declarations.keys import customer_domain
from cspsync.declarations.models import Config
from cspsync.declarations.pricebooks import Pricebook
from cspsync.observe.association import findings_for
from cspsync.observe.state import Observation, ObservedCustomer
from cspsync.plan import payloads
from cspsync.plan.builder import WAITS_FOR_ACCEPTANCE, Builder
from cspsync.plan.diff import (
    agreement_matches,
    as_written,
    billing_fields,
    changes_between,
    declared_billing,
    normalise_billing,
)
from cspsync.plan.gdap import AdminPlan
from cspsync.plan.identity import adopt_summary, adopt_warnings, identify
from cspsync.plan.model import Action, CustomerPlan, CustomerState, Kind, Plan, Target, Unmanaged
from cspsync.plan.money import CostSource, price_actions
from cspsync.plan.offers import OfferReader, check_orders
from cspsync.plan.provisioning import ProvisioningReader, hold_provisioning
from cspsync.plan.subscriptions import match, plan_subscription, unclaimed, unmanaged
from cspsync.plan.tenant import address_refusal, plan_tenant
from cspsync.secrets import recovery_steps

__all__ = ["WAITS_FOR_ACCEPTANCE", "DeletedDeclaration", "declarations_fingerprint", "make_plan", "plan_customer"]


@dataclass(frozen=True)
class DeletedDeclaration:
    """A customer file deleted since the base of a pull request: reported as no longer managed."""

    path: str
    name: str | None
    ref: str


def declarations_fingerprint(declared: Sequence[Declared]) -> str:
    digest = hashlib.sha256()
    for item in sorted(declared, key=lambda d: d.customer.metadata.name):
        digest.update(item.customer.model_dump_json().encode())
    return "sha256:" + digest.hexdigest()


def _billing(b: Builder, declared: Declared, observed: ObservedCustomer, observation: Observation) -> None:
    spec = declared.customer.spec
    if observed.billing is None:
        return
    changes = changes_between(normalise_billing(observed.billing), billing_fields(spec))
    if not changes:  # in sync, as most customers are: nothing more to build
        return
    changes = as_written(changes, observed.billing, declared_billing(spec))
    country = next((c for c in changes if c.field == "defaultAddress.country"), None)
    if country is not None:
        b.add(
            Kind.UPDATE_BILLING_PROFILE,
            f"update billing profile of {spec.company.name}",
            payloads.UpdateBillingProfile(),
            status="blocked",
            reason=f"Partner Center does not change a customer's country ({country.before} → {country.after}); "
            "a customer in another country is a new customer",
            changes=[country],
        )
    elif changes:
        # "Validate an address" is for prevalidating profile updates: a new address it does not verify
        # blocks the update with its suggestions, as it blocks a create
        moved = any(c.field.startswith("defaultAddress.") and c.field != "defaultAddress.phoneNumber" for c in changes)
        refusal = address_refusal(observation, b.name) if moved else None
        b.add(
            Kind.UPDATE_BILLING_PROFILE,
            f"update billing profile of {spec.company.name}",
            payloads.UpdateBillingProfile(billing_profile=payloads.BillingDetails.declared(spec)),
            changes=changes,
            status="blocked" if refusal else "ready",
            reason=refusal,
        )


def _agreement(b: Builder, declared: Declared, observed: ObservedCustomer | None, tenant_deps: list[str]) -> list[str]:
    agreement = declared.customer.spec.agreement
    if agreement is None:
        return []
    recorded = observed.agreements if observed is not None else None
    if recorded and any(agreement_matches(agreement, a) for a in recorded):
        return []
    status, reason = b.status_after(tenant_deps)
    contact = agreement.acceptedBy
    return [
        b.add(
            Kind.CREATE_AGREEMENT,
            f"record Microsoft Customer Agreement accepted by {contact.firstName} {contact.lastName} "
            f"<{contact.email}> on {agreement.dateAgreed.isoformat()}",
            payloads.CreateAgreement(
                type=agreement.type,
                first_name=contact.firstName,
                last_name=contact.lastName,
                email=contact.email,
                phone_number=contact.phone,
                date_agreed=agreement.dateAgreed,
            ),
            status=status,
            reason=reason,
            depends_on=tenant_deps,
        )
    ]


def _notes(name: str, state: str, observation: Observation, findings: Mapping[str, list[str]]) -> list[str]:
    """What a reviewer must know about a customer that is not an action (each note one line)."""
    notes: list[str] = []
    lost = observation.applied.lost.get(name)
    if state == "linked" and lost is not None:
        notes.append(f"{name}: " + recovery_steps(name, lost.domain or "its tenant"))
    notes += findings.get(name, [])
    return notes


def _identity(
    b: Builder, declared: Declared, observed: ObservedCustomer, observation: Observation
) -> tuple[str | None, CustomerState]:
    """The adopt-customer action a found customer needs (None when proven), and the customer's state."""
    identity = identify(declared, observed, observation)
    if identity.verdict == "proven" or identity.found is None:
        return None, "linked"
    if identity.verdict == "conflict":
        action = b.add(
            Kind.ADOPT_CUSTOMER,
            adopt_summary(identity.found, identity.known_as),
            identity.found,
            status="blocked",
            reason=identity.reason,
        )
        return action, "conflict"
    action = b.add(
        Kind.ADOPT_CUSTOMER,
        adopt_summary(identity.found),
        identity.found,
        warnings=adopt_warnings(identity, b.name),
    )
    return action, "linked"


def plan_customer(
    declared: Declared,
    observed: ObservedCustomer | None,
    observation: Observation,
    config: Config,
    now: dt.datetime,
    association_notes: Mapping[str, list[str]] | None = None,
    unmanaged_found: list[Unmanaged] | None = None,
) -> tuple[CustomerPlan, list[Action]]:
    """One customer's plan; ``unmanaged_found`` receives what it has in Partner Center that nothing declares."""
    customer = declared.customer
    spec = customer.spec
    name = customer.metadata.name
    b = Builder(name)
    adoption: str | None = None
    note = None
    admin: AdminPlan | None = None
    if observed is not None:
        adoption, state = _identity(b, declared, observed, observation)
        tenant_deps = [adoption] if adoption else []
        if adoption and state != "conflict":
            b.adoption = adoption  # every action from here on waits for it
        if state == "conflict":
            observed = None  # not proven to be this customer: nothing of it is read as the declared one's
        elif spec.adminAccess:  # proven, or adopted first (every action waits for the adoption, below)
            admin = AdminPlan.start(b, declared, observed, observation, config, now)
            admin.requests(tenant_deps)
    else:
        admin = AdminPlan.start(b, declared, observed, observation, config, now) if spec.adminAccess else None
        # an invitation still to send carries the approval links of relationships requested before it
        early = admin is not None and spec.tenant.mode == "invite"
        if admin is not None and early:
            admin.requests([])
        tenant_deps, state, note = plan_tenant(
            b,
            declared,
            observed,
            observation,
            config,
            admin_approvals=tuple(admin.approvals) if admin is not None and early else (),
            admin_deps=tuple(admin.approval_deps) if admin is not None and early else (),
        )
        if admin is not None and early:
            admin.carried = any(a.kind is Kind.REQUEST_INVITATION and a.status == "ready" for a in b.actions)
        elif admin is not None:
            admin.requests(tenant_deps)
    if observed is not None:
        _billing(b, declared, observed, observation)
    order_deps = list(tenant_deps) + _agreement(b, declared, observed, tenant_deps)
    observed_subs = observed.subscriptions if observed is not None else None
    others = unclaimed(declared, observed)
    country = spec.company.address.country
    for sub in spec.subscriptions:
        plan_subscription(b, sub, match(sub, observed_subs), order_deps, config, country, now, others)
    notes = _notes(name, state, observation, association_notes or {})
    if admin is not None:
        found = admin.finish(tenant_deps)
        if unmanaged_found is not None:
            unmanaged_found += found
        notes += admin.default_notes()
    actions = b.actions
    plan = CustomerPlan(
        name=name,
        file=str(declared.path),
        company=spec.company.name,
        mode=spec.tenant.mode,
        domain=customer_domain(customer) if observed is None else observed.domain,
        tenant_id=observed.id if observed is not None else getattr(spec.tenant, "tenantId", None),
        state=state,
        note=note,
        attention=tuple(notes),
        actions=tuple(a.id for a in actions),
    )
    return plan, actions


def _association_notes(observation: Observation, declared: Sequence[Declared], config: Config) -> dict[str, list[str]]:
    notes: dict[str, list[str]] = {}
    for name, findings in findings_for(observation, declared, config).items():
        for finding in findings:
            if finding.needs_action:
                fix = f"; the link that fixes it: {finding.link}" if finding.link else ""
                notes.setdefault(name, []).append(f"{finding.message}{fix}")
    for name, reason in observation.relationship_failures.items():
        notes.setdefault(name, []).append(f"{reason}: the association with the partner was not checked")
    return notes


@collector_paused()
def make_plan(
    repo: Repository,
    declared: Sequence[Declared],
    observation: Observation,
    *,
    target: Target,
    correlation_id: str,
    costs: CostSource | None = None,
    offers: OfferReader | None = None,
    provisioning: ProvisioningReader | None = None,
    pricebooks: Mapping[str, Pricebook] | None = None,
    deleted: Sequence[DeletedDeclaration] = (),
    priced: bool = True,
    now: dt.datetime | None = None,
) -> Plan:
    """The whole plan for ``declared`` (the customers in scope) against ``observation``, with its money;
    ``offers`` reads what Partner Center sells of the new orders' offers (none read without it);
    ``provisioning`` which new orders an earlier apply already placed (plan/provisioning.py)."""
    now = now or dt.datetime.now(dt.UTC)
    association_notes = _association_notes(observation, declared, repo.config)
    customers: list[CustomerPlan] = []
    actions: list[Action] = []
    found_unmanaged: list[Unmanaged] = []
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
        plan, customer_actions = plan_customer(
            item, observed, observation, repo.config, now, association_notes, found_unmanaged
        )
        customers.append(plan)
        actions += customer_actions
        found_unmanaged += unmanaged(item, observed if plan.state != "conflict" else None)
    for tenant_id, domain in observation.unmanaged:
        found_unmanaged.append(Unmanaged(customer=domain, kind="customer", name=tenant_id, detail="no customer file"))
    for gone in deleted:
        found_unmanaged.append(
            Unmanaged(
                customer=gone.name or gone.path.rsplit("/", 1)[-1].rsplit(".", 1)[0],
                kind="customer",
                name=gone.path,
                detail=f"no longer managed: its file was deleted since {gone.ref}; nothing is deleted",
            )
        )
    # orders already placed first: they are neither checked against the catalog again nor blocked by it
    held = hold_provisioning(actions, provisioning, {c.name: c.tenant_id for c in customers}) if provisioning else set()
    if offers is not None:
        check_orders(actions, offers, {c.name: c.file for c in customers})
    priced_customers, money = (
        price_actions(
            actions, customers, repo, declared, observation, costs, now=now, pricebooks=pricebooks, unpriced=held
        )
        if priced
        else (tuple(customers), None)
    )
    return Plan(
        cspsync_version=__version__,
        created_at=now,
        target=target,
        partner_tenant_id=repo.config.partner.tenantId,
        correlation_id=correlation_id,
        scope=tuple(sorted(str(d.path) for d in declared)),
        observed_fingerprint=observation.fingerprint(),
        declarations_fingerprint=declarations_fingerprint(declared),
        customers=priced_customers,
        actions=tuple(actions),
        unmanaged=tuple(found_unmanaged),
        unknown=tuple(unknown),
        money=money,
    )
