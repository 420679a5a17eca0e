"""Read the actual state of the customers in scope from Partner Center, with the fewest calls.

Two ways to find the declared customers, chosen by scope:

- ``list``: page through the partner's customer list once and match every declaration by natural key
  (tenant id, else domain, case-folded). Best for a full plan: pages = ceil(customers / 500).
- ``lookup``: one call per declared customer (by tenant id, or the Domain filter), so a plan scoped to
  the k files a pull request changed costs O(k) calls however large the portfolio is.

Then, per customer found, only the reads its declaration needs, one per declared resource kind: the
billing profile (every declaration has a company), the agreements when an agreement is declared, the
subscriptions when subscriptions are declared. New create-mode customers get the domain availability and
address validation checks instead (with Partner Center's suggested addresses). An existing-mode file whose
declared domain is not the tenant's default one gets ``GET /v1/customers/{id}`` for its custom domains;
when a customer in scope names a reseller, the provider's resellers are read once, so a plan for a reseller
Partner Center would refuse (800016) is blocked in the plan. Reads run concurrently; the client's shared
rate limiter and concurrency bound keep them within Partner Center's limits. A read that fails marks that
customer unknown: never in sync, never drifted. Finding the customers without a token (sign-in unreachable,
the app's credentials refused) is no read of any of them: that error stops the command, with its hint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from cspsync.declarations import Declared
from cspsync.declarations.keys import address_form, customer_domain, domain_key, live_offer_key, offer_key, tenant_key
from cspsync.declarations.models import Config
from cspsync.errors import AuthenticationError, NotFoundError, PartnerCenterError
from cspsync.observe.association import read_associations
from cspsync.observe.azure import read_azure_subscriptions
from cspsync.observe.gdap import read_admin_access
from cspsync.observe.memory import FULL_READ_EVERY, Memory, Remembered, Reuse, plan_reuse, usable
from cspsync.observe.state import (
    NextTerm,
    Observation,
    ObservedAgreement,
    ObservedCustomer,
    ObservedSubscription,
    ReadNote,
)
from cspsync.observe.transitions import read_offer_changes
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.models import (
    Address,
    BillingProfile,
    Customer,
    CustomerAgreement,
    CustomerSummary,
    Subscription,
)
from cspsync.records import shared_text
from cspsync.threads import in_threads

Strategy = Literal["list", "lookup"]
#: whose partner relationships to read: none, the linked invite-mode customers that declare a reseller (plan),
#: every linked one (drift)
Associations = Literal["none", "invited", "linked"]
#: whose GDAP relationships to read: those declaring admin access (plan), or every customer too (drift)
AdminAccessScope = Literal["declared", "all"]


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def observed_billing(profile: BillingProfile) -> dict[str, Any]:
    address = profile.default_address
    return {
        "companyName": profile.company_name,
        "email": profile.email,
        "culture": shared_text(profile.culture),
        "language": shared_text(profile.language),
        "firstName": profile.first_name,
        "lastName": profile.last_name,
        "defaultAddress": {
            "addressLine1": getattr(address, "address_line1", None),
            "addressLine2": getattr(address, "address_line2", None),
            "city": shared_text(getattr(address, "city", None)),
            "state": getattr(address, "state", None),
            "postalCode": getattr(address, "postal_code", None),
            "country": shared_text(getattr(address, "country", None)),
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
        scheduled=_scheduled(sub),
    )


def _scheduled(sub: Subscription) -> NextTerm | None:
    instructions = sub.scheduled_next_term_instructions
    if instructions is None:
        return None
    product = instructions.product
    offer = (
        offer_key(product.product_id, product.sku_id)
        if product is not None and product.product_id and product.sku_id
        else None
    )
    current = live_offer_key(sub.offer_id)
    return NextTerm(
        offer=offer if offer is not None and offer != current else None,
        quantity=instructions.quantity,
        billing_cycle=(product.billing_cycle or "").lower() or None if product is not None else None,
        term=product.term_duration if product is not None else None,
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


def tenant_domains(summary: CustomerSummary) -> tuple[str, ...]:
    """The tenant's domains, lower case, the default domain first: ``companyProfile.domain`` and, from
    ``GET /v1/customers/{id}`` (Partner Center: "Get a customer by ID"), ``customDomains``."""
    found = [_summary_domain(summary)]
    if isinstance(summary, Customer):
        found += summary.custom_domains or []
    return tuple(dict.fromkeys(d.strip().lower() for d in found if d and d.strip()))


def address_in_words(address: Address) -> str:
    """``addressLine1: Karl Johans gate 12, postalCode: 0154, city: Oslo, country: NO``: one suggested address
    as the fields of company.address, so a person can copy it into the file (cspsync never copies it)."""
    fields = (
        ("addressLine1", address.address_line1),
        ("addressLine2", address.address_line2),
        ("postalCode", address.postal_code),
        ("city", address.city),
        ("state", address.state),
        ("country", address.country),
    )
    return ", ".join(f"{name}: {value}" for name, value in fields if value)


def _declares_another_domain(item: Declared, summary: CustomerSummary) -> bool:
    """An existing-mode file whose declared domain is not the default one: its custom domains are evidence."""
    tenant = item.customer.spec.tenant
    if tenant.mode != "existing" or not tenant.domain:
        return False
    return domain_key(tenant.domain) != domain_key(_summary_domain(summary))


def _needs_full_customer(item: Declared, summary: CustomerSummary) -> bool:
    """The custom domains are evidence and the summary (a list item) does not hold them."""
    return not isinstance(summary, Customer) and _declares_another_domain(item, summary)


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


ReadKind = Literal["find", "domain", "address", "customer", "billing", "agreements", "subscriptions", "resellers"]


@dataclass(frozen=True)
class Read:
    """One Partner Center read for one declared customer; run concurrently with the others."""

    customer: str
    kind: ReadKind
    call: Callable[[], Any]


def _run(reads: Iterable[Read], workers: int) -> Iterator[tuple[Read, Any]]:
    """Each read's result, or the PartnerCenterError it raised (one failed read never stops the others), in
    the order of ``reads``, as they arrive: the caller can turn a customer's responses into its observed
    state and let them go before the last read is in."""

    def one(read: Read) -> tuple[Read, Any]:
        try:
            return read, read.call()
        except PartnerCenterError as err:
            return read, err

    yield from in_threads(one, reads, workers)


def _declared_address(item: Declared) -> Address:
    address = item.customer.spec.company.address
    return Address(
        address_line1=address.addressLine1,
        address_line2=address.addressLine2,
        city=address.city,
        state=address.state,
        postal_code=address.postalCode,
        country=address.country,
    )


def _reads_for(client: PartnerCenterClient, item: Declared, summary: CustomerSummary | None) -> list[Read]:
    """One read per declared resource kind of a found customer; the create checks for one not found."""
    name = item.customer.metadata.name
    spec = item.customer.spec
    if summary is None:
        if spec.tenant.mode != "create":
            return []
        domain = customer_domain(item.customer) or ""
        address = _declared_address(item)
        return [
            Read(name, "domain", lambda: client.domain_available(domain)),
            Read(name, "address", lambda: client.validate_address(address)),
        ]
    cid = summary.id
    reads = [Read(name, "billing", lambda: client.get_billing_profile(cid))]
    if _needs_full_customer(item, summary):
        reads.append(Read(name, "customer", lambda: client.get_customer(cid)))
    if spec.agreement is not None:
        reads.append(Read(name, "agreements", lambda: client.list_agreements(cid)))
    if spec.subscriptions:
        reads.append(Read(name, "subscriptions", lambda: client.list_subscriptions(cid)))
    return reads


def _found(summary: CustomerSummary, got: dict[str, Any], item: Declared) -> ObservedCustomer:
    billing, agreements, subscriptions = got.get("billing"), got.get("agreements"), got.get("subscriptions")
    full = got.get("customer")
    return ObservedCustomer(
        id=summary.id,
        domain=_summary_domain(summary),
        company_name=_summary_name(summary),
        relationship=summary.relationship_to_partner,
        # custom domains only where they are evidence: the same observation whether the customer came
        # from the list (no customDomains) or from GET /v1/customers/{id} (with them)
        domains=(
            tenant_domains(full if full is not None else summary)
            if _declares_another_domain(item, summary)
            else tenant_domains(summary)[:1]
        ),
        billing=observed_billing(billing) if billing is not None else None,
        agreements=tuple(observed_agreement(a) for a in agreements) if agreements is not None else None,
        subscriptions=(
            tuple(sorted((observed_subscription(s) for s in subscriptions), key=lambda s: s.id))
            if subscriptions is not None
            else None
        ),
    )


def _record_missing(observation: Observation, name: str, got: dict[str, Any]) -> None:
    """A customer not in Partner Center yet: ``None``, with its create checks."""
    observation.customers[name] = None
    if "domain" in got:
        observation.domain_available[name] = bool(got["domain"])
    if "address" in got:
        status = got["address"]
        observation.address_status[name] = (status.status or "None", status.validation_message)
        observation.address_suggestions[name] = tuple(address_in_words(a) for a in status.suggested_addresses)


def _record_resellers(
    observation: Observation, declared: Sequence[Declared], found: dict[str, CustomerSummary], result: Any
) -> None:
    """The provider's resellers (Partner Center: "Retrieve a list of indirect resellers"), or why they could
    not be read: then a new customer that names one is unknown (what it needs could not be checked)."""
    if isinstance(result, PartnerCenterError):
        observation.reseller_failure = f"the provider's indirect resellers could not be read: {result.message}"
        for item in declared:
            if item.customer.spec.reseller and item.customer.metadata.name not in found:
                observation.unknown.setdefault(item.customer.metadata.name, observation.reseller_failure)
        return
    observation.resellers = {(r.id or "").lower(): (r.state or "Active") for r in result if r.id}


def observe(
    client: PartnerCenterClient,
    declared: Sequence[Declared],
    *,
    strategy: Strategy = "list",
    full_scope: bool = False,
    workers: int = 8,
    config: Config | None = None,
    associations: Associations = "none",
    admin_access: AdminAccessScope = "declared",
    memory: Memory | None = None,
    full_read_every: dt.timedelta = FULL_READ_EVERY,
    fresh: frozenset[str] = frozenset(),
) -> Observation:
    """Everything the planner needs about ``declared`` from Partner Center, read once, before planning.

    ``memory`` (list strategy only): re-read only the customers the audit records name since the last
    observation (:mod:`cspsync.observe.memory`); ``memory`` is updated in place for the caller to save.
    ``fresh``: names read now even when remembered (what apply is about to act on)."""
    observation = Observation()
    found: dict[str, CustomerSummary] = {}
    reuse: Reuse | None = None
    if strategy == "list":
        try:
            found = _find_by_list(client, declared, observation, full_scope)
        except AuthenticationError:  # no token (or one Partner Center refuses): nothing can be read at all
            raise
        except PartnerCenterError as err:
            for item in declared:
                observation.unknown[item.customer.metadata.name] = f"customer list could not be read: {err.message}"
            return observation
        if memory is not None:
            now = client.server_time() or dt.datetime.now(dt.UTC)
            reuse = plan_reuse(client, memory, now=now, full_read_every=full_read_every)
    else:
        lookups = [Read(d.customer.metadata.name, "find", partial(_find_one, client, d)) for d in declared]
        for read, result in _run(lookups, workers):
            if isinstance(result, AuthenticationError):
                raise result
            if isinstance(result, PartnerCenterError):
                observation.unknown[read.customer] = f"lookup failed: {result.message}"
            elif result is not None:
                found[read.customer] = result

    wants_relationships = _relationship_names(declared, associations) if config is not None else set()
    kinds_needed: dict[str, frozenset[str]] = {}
    shared_kinds: dict[frozenset[str], frozenset[str]] = {}  # one set per combination, not per customer
    reused: dict[str, Remembered] = {}

    def wanted() -> Iterator[list[Read]]:
        """Each customer's reads, made as they are run: made up front, 300,000 reads and their closures were
        ~0.2 GB at 100,000 customers. Fills ``kinds_needed`` and ``reused`` on the way."""
        for item in declared:
            name = item.customer.metadata.name
            if name in observation.unknown:
                continue
            summary = found.get(name)
            reads = _reads_for(client, item, summary)
            if summary is not None:
                kinds = frozenset(
                    {r.kind for r in reads} | ({"relationships"} if name in wants_relationships else set())
                )
                kinds = kinds_needed[name] = shared_kinds.setdefault(kinds, kinds)
                if reuse is not None and name not in fresh:
                    entry = usable(reuse, summary.id, kinds, _found(summary, {}, item), _parse_time(reuse.started_at))
                    if entry is not None:
                        reused[name] = entry
                        continue
            yield reads
        if config is not None and any(item.customer.spec.reseller for item in declared):
            yield [Read("", "resellers", client.indirect_resellers)]

    observed, results = _read_found(wanted(), workers, observation, declared, found)

    for item in declared:
        name = item.customer.metadata.name
        if name in observation.unknown:
            continue
        summary = found.get(name)
        if name in reused:
            observation.customers[name] = reused[name].customer
            if reused[name].relationships is not None and name in wants_relationships:
                observation.relationships[name] = reused[name].relationships or ()
        elif summary is None:
            _record_missing(observation, name, results.get(name, {}))
        else:
            made = observed.get(name)
            observation.customers[name] = made if made is not None else _found(summary, results.get(name, {}), item)
    read_offer_changes(client, observation, declared, workers)
    read_azure_subscriptions(client, observation, declared, workers)
    if config is not None and associations != "none":
        names = {
            item.customer.metadata.name: customer.id
            for item in declared
            if (customer := observation.customers.get(item.customer.metadata.name)) is not None
            and item.customer.metadata.name in wants_relationships
            and item.customer.metadata.name not in reused
        }
        read_associations(client, observation, declared, config, names=names, workers=workers)
    _validate_new_addresses(client, observation, declared, workers)
    read_admin_access(client, observation, declared, everyone=admin_access == "all", workers=workers)
    if reuse is not None and memory is not None:
        _remember(memory, observation, reuse, reused, kinds_needed)
    return observation


def _read_found(
    reads: Iterable[list[Read]],
    workers: int,
    observation: Observation,
    declared: Sequence[Declared],
    found: dict[str, CustomerSummary],
) -> tuple[dict[str, ObservedCustomer], dict[str, dict[str, Any]]]:
    """The observed state of each found customer, made as soon as its last read is in (its responses are then
    dropped: holding every customer's parsed responses until the last read was most of a full plan's memory
    while it observed), and the results by customer and kind of the others (those not found)."""
    items = {item.customer.metadata.name: item for item in declared}
    left: dict[str, int] = {}

    def counted() -> Iterator[Read]:
        for customer in reads:  # a customer's reads are all counted before the first of them runs
            if customer:
                left[customer[0].customer] = len(customer)
            yield from customer

    observed: dict[str, ObservedCustomer] = {}
    results: dict[str, dict[str, Any]] = {}
    for read, result in _run(counted(), workers):
        if read.kind == "resellers":
            _record_resellers(observation, declared, found, result)
            continue
        if isinstance(result, PartnerCenterError):
            observation.unknown[read.customer] = f"{read.kind} could not be read: {result.message}"
        else:
            results.setdefault(read.customer, {})[read.kind] = result
        left[read.customer] -= 1
        summary = found.get(read.customer)
        if left[read.customer] == 0 and summary is not None and read.customer not in observation.unknown:
            observed[read.customer] = _found(summary, results.pop(read.customer, {}), items[read.customer])
    return observed, results


def _relationship_names(declared: Sequence[Declared], associations: Associations) -> set[str]:
    """Declared customers whose partner relationships the observation reads once they are found."""
    if associations == "none":
        return set()
    return {
        item.customer.metadata.name
        for item in declared
        if associations == "linked" or (item.customer.spec.tenant.mode == "invite" and item.customer.spec.reseller)
    }


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _remember(
    memory: Memory,
    observation: Observation,
    reuse: Reuse,
    reused: dict[str, Remembered],
    kinds_needed: dict[str, frozenset[str]],
) -> None:
    """Record what this observation confirmed (and when) in ``observation`` and in ``memory``. A customer
    whose read failed, or whose relationships could not be read, is left out: the next pass reads it."""
    customers: dict[str, Remembered] = {}
    for name, customer in observation.customers.items():
        if customer is None or name in observation.unknown:
            continue
        if name in reused:
            entry = reused[name]
        else:
            kinds = kinds_needed.get(name, frozenset())
            if "relationships" in kinds and name not in observation.relationships:
                continue
            entry = Remembered(reuse.started_at, kinds, customer, observation.relationships.get(name))
        observation.confirmed_at[name] = entry.read_at
        customers[customer.id.lower()] = entry
    memory.customers = customers
    observation.remembered = frozenset(name for name in reused if name in observation.confirmed_at)
    memory.observed_at = reuse.started_at
    memory.full_read_at = reuse.started_at if reuse.mode == "full" else reuse.full_read_at
    oldest = min((e.read_at for e in reused.values()), default=None)
    observation.read_note = ReadNote(
        mode=reuse.mode,
        reason=reuse.reason,
        started_at=reuse.started_at,
        read_now=len(observation.confirmed_at) - len(reused),
        remembered=len(reused),
        records=reuse.records,
        oldest_read=oldest,
    )


def _address_differs(item: Declared, customer: ObservedCustomer) -> bool:
    """The declared address is not the one Partner Center holds, in the normal form the plan's billing diff
    compares (:func:`~cspsync.declarations.keys.address_form`): only an address the plan would change is
    prevalidated."""
    if customer.billing is None:
        return False
    held = address_form(customer.billing.get("defaultAddress") or {})
    return held != address_form(item.customer.spec.company.address.model_dump())


def _validate_new_addresses(
    client: PartnerCenterClient, observation: Observation, declared: Sequence[Declared], workers: int
) -> None:
    """One address validation per found customer whose declared address changed ("Validate an address":
    the API is for prevalidating customer profile updates); its status goes where a create's does."""
    reads = []
    for item in declared:
        name = item.customer.metadata.name
        customer = observation.customers.get(name)
        if customer is not None and _address_differs(item, customer):
            address = _declared_address(item)
            reads.append(Read(name, "address", partial(client.validate_address, address)))
    for read, result in _run(reads, workers):
        if isinstance(result, PartnerCenterError):
            observation.unknown[read.customer] = f"address could not be validated: {result.message}"
            observation.customers.pop(read.customer, None)
        else:
            observation.address_status[read.customer] = (result.status or "None", result.validation_message)
            observation.address_suggestions[read.customer] = tuple(
                address_in_words(a) for a in result.suggested_addresses
            )
