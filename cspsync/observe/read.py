"""Read the actual state of the customers in scope from Partner Center, with the fewest calls.

Two ways to find the declared customers, chosen by scope:

- ``list``: page through the partner's customer list once and match every declaration by natural key
  (tenant id, else domain, case-folded). Best for a full plan: pages = ceil(customers / 500).
- ``lookup``: one call per declared customer (by tenant id, or the Domain filter), so a plan scoped to
  the k files a pull request changed costs O(k) calls however large the portfolio is.

Then, per customer found, only the reads its declaration needs, one per declared resource kind: the
billing profile (every declaration has a company), the agreements when an agreement is declared, the
subscriptions when subscriptions are declared. New create-mode customers get the domain availability and
address validation checks instead. Reads run concurrently; the client's shared rate limiter and
concurrency bound keep them within Partner Center's limits. A read that fails marks that customer
unknown: never in sync, never drifted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from cspsync.declarations import Declared
from cspsync.declarations.keys import customer_domain, domain_key, tenant_key
from cspsync.declarations.models import Config
from cspsync.errors import NotFoundError, PartnerCenterError
from cspsync.observe.association import read_associations
from cspsync.observe.state import Observation, ObservedAgreement, ObservedCustomer, ObservedSubscription
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.models import Address, BillingProfile, CustomerAgreement, CustomerSummary, Subscription

Strategy = Literal["list", "lookup"]
#: whose partner relationships to read: none, the linked invite-mode customers (plan), every linked one (drift)
Associations = Literal["none", "invited", "linked"]


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def observed_billing(profile: BillingProfile) -> dict[str, Any]:
    address = profile.default_address
    return {
        "companyName": profile.company_name,
        "email": profile.email,
        "culture": profile.culture,
        "language": profile.language,
        "firstName": profile.first_name,
        "lastName": profile.last_name,
        "defaultAddress": {
            "addressLine1": getattr(address, "address_line1", None),
            "addressLine2": getattr(address, "address_line2", None),
            "city": getattr(address, "city", None),
            "state": getattr(address, "state", None),
            "postalCode": getattr(address, "postal_code", None),
            "country": getattr(address, "country", None),
            "phoneNumber": getattr(address, "phone_number", None),
        },
    }


def observed_subscription(sub: Subscription) -> ObservedSubscription:
    return ObservedSubscription(
        id=sub.id,
        friendly_name=sub.friendly_name or "",
        offer_id=sub.offer_id or "",
        quantity=sub.quantity or 0,
        status=(sub.status or "none").lower(),
        auto_renew=sub.auto_renew_enabled,
        billing_cycle=sub.billing_cycle,
        term=sub.term_duration,
        cancellation_allowed_until=_iso(sub.cancellation_allowed_until_date),
        commitment_end=_iso(sub.commitment_end_date),
        order_id=sub.order_id,
        refundable=_refundable(sub),
    )


def _refundable(sub: Subscription) -> tuple[tuple[int, str], ...] | None:
    """Seats that can still be removed and until when (new commerce: 168 hours after they were added)."""
    if sub.refundable_quantity is None:
        return None
    return tuple(
        (detail.quantity or 0, _iso(detail.allowed_until_date_time) or "")
        for detail in sub.refundable_quantity.details
        if detail.allowed_until_date_time is not None
    )


def observed_agreement(agreement: CustomerAgreement) -> ObservedAgreement:
    contact = agreement.primary_contact
    return ObservedAgreement(
        type=agreement.type,
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
        phone=contact.phone_number,
        date_agreed=_iso(agreement.date_agreed),
    )


def _summary_domain(summary: CustomerSummary) -> str:
    profile = summary.company_profile
    return (profile.domain or "") if profile else ""


def _summary_name(summary: CustomerSummary) -> str:
    profile = summary.company_profile
    return (profile.company_name or "") if profile else ""


def _find_by_list(
    client: PartnerCenterClient, declared: Sequence[Declared], observation: Observation, full_scope: bool
) -> dict[str, CustomerSummary]:
    by_id: dict[str, CustomerSummary] = {}
    by_domain: dict[str, CustomerSummary] = {}
    for summary in client.list_customers():
        by_id[tenant_key(summary.id) or ""] = summary
        domain = domain_key(_summary_domain(summary))
        if domain:
            by_domain[domain] = summary
    observation.total_customers = len(by_id)
    found: dict[str, CustomerSummary] = {}
    claimed: set[str] = set()
    for item in declared:
        tenant = item.customer.spec.tenant
        match = None
        if tenant.mode == "existing":
            match = by_id.get(tenant_key(tenant.tenantId) or "")
        else:
            domain = customer_domain(item.customer)
            match = by_domain.get(domain) if domain else None
        if match is not None:
            found[item.customer.metadata.name] = match
            claimed.add(tenant_key(match.id) or "")
    if full_scope:
        observation.unmanaged = sorted((s.id, _summary_domain(s)) for key, s in by_id.items() if key not in claimed)
    return found


def _find_one(client: PartnerCenterClient, item: Declared) -> CustomerSummary | None:
    tenant = item.customer.spec.tenant
    if tenant.mode == "existing":
        try:
            return client.get_customer(tenant.tenantId)
        except NotFoundError:
            return None
    domain = customer_domain(item.customer)
    return client.find_customer_by_domain(domain) if domain else None


def observe(
    client: PartnerCenterClient,
    declared: Sequence[Declared],
    *,
    strategy: Strategy = "list",
    full_scope: bool = False,
    workers: int = 8,
    config: Config | None = None,
    associations: Associations = "none",
) -> Observation:
    """Everything the planner needs about ``declared`` from Partner Center, read once, before planning."""
    observation = Observation()
    found: dict[str, CustomerSummary] = {}
    if strategy == "list":
        try:
            found = _find_by_list(client, declared, observation, full_scope)
        except PartnerCenterError as err:
            for item in declared:
                observation.unknown[item.customer.metadata.name] = f"customer list could not be read: {err.message}"
            return observation

    tasks: list[tuple[str, str, Callable[[], Any]]] = []
    for item in declared:
        name = item.customer.metadata.name
        if strategy == "lookup":
            tasks.append((name, "find", lambda item=item: _find_one(client, item)))  # type: ignore[misc]

    def run(batch: list[tuple[str, str, Callable[[], Any]]]) -> list[tuple[str, str, Any]]:
        def call(task: tuple[str, str, Callable[[], Any]]) -> tuple[str, str, Any]:
            name, kind, fn = task
            try:
                return name, kind, fn()
            except PartnerCenterError as err:
                return name, kind, err

        if not batch:
            return []
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(batch)))) as pool:
            return list(pool.map(call, batch))

    for name, _kind, result in run(tasks):
        if isinstance(result, PartnerCenterError):
            observation.unknown[name] = f"lookup failed: {result.message}"
        elif result is not None:
            found[name] = result

    reads: list[tuple[str, str, Callable[[], Any]]] = []
    for item in declared:
        name = item.customer.metadata.name
        if name in observation.unknown:
            continue
        spec = item.customer.spec
        summary = found.get(name)
        if summary is None:
            if spec.tenant.mode == "create":
                domain = customer_domain(item.customer) or ""
                reads.append((name, "domain", lambda d=domain: client.domain_available(d)))  # type: ignore[misc]
                declared_address = spec.company.address
                address = Address(
                    address_line1=declared_address.addressLine1,
                    address_line2=declared_address.addressLine2,
                    city=declared_address.city,
                    state=declared_address.state,
                    postal_code=declared_address.postalCode,
                    country=declared_address.country,
                )
                reads.append((name, "address", lambda a=address: client.validate_address(a)))  # type: ignore[misc]
            continue
        cid = summary.id
        reads.append((name, "billing", lambda c=cid: client.get_billing_profile(c)))  # type: ignore[misc]
        if spec.agreement is not None:
            reads.append((name, "agreements", lambda c=cid: client.list_agreements(c)))  # type: ignore[misc]
        if spec.subscriptions:
            reads.append((name, "subscriptions", lambda c=cid: client.list_subscriptions(c)))  # type: ignore[misc]

    results: dict[str, dict[str, Any]] = {}
    for name, kind, result in run(reads):
        if isinstance(result, PartnerCenterError):
            observation.unknown[name] = f"{kind} could not be read: {result.message}"
            continue
        results.setdefault(name, {})[kind] = result

    for item in declared:
        name = item.customer.metadata.name
        if name in observation.unknown:
            continue
        summary = found.get(name)
        got = results.get(name, {})
        if summary is None:
            observation.customers[name] = None
            if "domain" in got:
                observation.domain_available[name] = bool(got["domain"])
            if "address" in got:
                status = got["address"]
                observation.address_status[name] = (status.status or "None", status.validation_message)
            continue
        billing = got.get("billing")
        agreements = got.get("agreements")
        subscriptions = got.get("subscriptions")
        observation.customers[name] = ObservedCustomer(
            id=summary.id,
            domain=_summary_domain(summary),
            company_name=_summary_name(summary),
            relationship=summary.relationship_to_partner,
            billing=observed_billing(billing) if billing is not None else None,
            agreements=tuple(observed_agreement(a) for a in agreements) if agreements is not None else None,
            subscriptions=(
                tuple(sorted((observed_subscription(s) for s in subscriptions), key=lambda s: s.id))
                if subscriptions is not None
                else None
            ),
        )
    if config is not None and associations != "none":
        names = {
            item.customer.metadata.name: found_customer.id
            for item in declared
            if (found_customer := observation.customers.get(item.customer.metadata.name)) is not None
            and (associations == "linked" or item.customer.spec.tenant.mode == "invite")
        }
        read_associations(client, observation, declared, config, names=names, workers=workers)
    return observation
