"""Every natural key and identity rule, written once: how a declaration is matched to what Partner Center has.

cspsync keeps no state file: a customer is found by its tenant domain (or declared tenant id), a
subscription by (customer, friendly name), an agreement by (customer, type, contact), a reseller by the
name in cspsync.yaml. Validation, observation, the planner, apply, pricing and import all ask this module,
so the rules cannot drift apart (two copies of "which statuses count as gone" once disagreed and made a
disabled subscription re-order forever).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar

from cspsync.declarations.models import Config, CustomerFile, LicenseOffer, Reseller, Subscription
from cspsync.declarations.problems import JsonPath

ONMICROSOFT = ".onmicrosoft.com"
#: the Azure plan's product and SKU (Partner Center: "Create an Azure plan"; one per customer)
AZURE_PLAN_PRODUCT = "DZH318Z0BPS6"
AZURE_PLAN_SKU = "0001"

#: subscription statuses that no longer hold their friendly name: a declaration with that name is ordered
#: anew, and such a subscription is neither "unmanaged" nor a match (Partner Center: Subscription.status)
GONE_STATUSES = frozenset({"deleted", "expired", "disabled", "cancelled"})


def text(value: Any) -> str | None:
    """Whitespace collapsed; empty is absent (Partner Center's own normal form of names)."""
    if value is None:
        return None
    collapsed = " ".join(str(value).split())
    return collapsed or None


def folded(value: Any) -> str | None:
    """:func:`text`, case-folded: how e-mail addresses, domains and names compare."""
    t = text(value)
    return t.casefold() if t is not None else None


def address_form(address: Mapping[str, Any]) -> dict[str, str | None]:
    """A postal address (``addressLine1``… ``country``) in the normal form plan and observation compare: the
    plan's billing diff, and the check whether a declared address moved so it must be prevalidated."""
    return {
        "addressLine1": text(address.get("addressLine1")),
        "addressLine2": text(address.get("addressLine2")),
        "city": text(address.get("city")),
        "state": text(address.get("state")),
        "postalCode": folded(address.get("postalCode")),
        "country": (text(address.get("country")) or "").upper() or None,
    }


def phone(value: Any) -> str | None:
    """Digits and a leading plus only: ``+44 20 7946 0000`` and ``+442079460000`` are one number."""
    t = text(value)
    if t is None:
        return None
    digits = re.sub(r"[^\d+]", "", t)
    return digits or None


def onmicrosoft_domain(prefix: str) -> str:
    """The initial domain of a tenant created with ``prefix`` (lower case, as Partner Center returns it)."""
    return f"{prefix}{ONMICROSOFT}".lower()


def customer_domain(customer: CustomerFile) -> str | None:
    """The tenant domain a customer file claims: ``<prefix>.onmicrosoft.com`` or the declared domain."""
    tenant = customer.spec.tenant
    if tenant.mode == "create":
        return onmicrosoft_domain(tenant.domainPrefix)
    return tenant.domain.lower() if tenant.domain else None


#: a natural key one customer file claims, which no other file may claim: (kind, value, path, label) -
#: ``("domain", "contoso.onmicrosoft.com", ("spec", "tenant", "domainPrefix"), "domain contoso...")``: where
#: it is and how a message names it. A plain tuple, so a validating child process sends it back cheaply
#: (a named tuple costs a Python call per claim to unpickle; see repository.py)
Claim = tuple[str, str, JsonPath, str]


def claims_of(customer: CustomerFile) -> list[Claim]:
    """Every key of ``customer`` that is one customer's (and tenant's) only: its name, its company, its
    tenant domain and declared tenant id, and its GDAP relationships' names (unique across the partner)."""
    spec = customer.spec
    tenant = spec.tenant
    claims: list[Claim] = [("name", customer.metadata.name, ("metadata", "name"), "metadata.name")]
    company = folded(spec.company.name)
    if company is not None:
        claims.append(("company", company, ("spec", "company", "name"), "company"))
    domain = customer_domain(customer)
    if domain is not None:
        field = "domainPrefix" if tenant.mode == "create" else "domain"
        claims.append(("domain", domain, ("spec", "tenant", field), f"domain {domain}"))
    tenant_id = tenant_key(tenant.tenantId) if tenant.mode == "existing" else None
    if tenant_id is not None:
        claims.append(("tenant", tenant_id, ("spec", "tenant", "tenantId"), "tenant id"))
    access = spec.adminAccess
    for index, relationship in enumerate(access.relationships if access is not None else []):
        if relationship.name is not None:
            path: JsonPath = ("spec", "adminAccess", "relationships", index, "name")
            label = f"admin relationship name {relationship.name!r}"
            claims.append(("relationship", relationship_key(relationship.name), path, label))
    return claims


def domain_key(domain: str | None) -> str | None:
    return folded(domain)


def tenant_key(tenant_id: str | None) -> str | None:
    return tenant_id.strip().casefold() if tenant_id else None


def subscription_key(friendly_name: str | None) -> str:
    """A subscription's identity within its customer: its friendly name, whitespace- and case-blind."""
    return folded(friendly_name) or ""


def is_gone(status: str | None) -> bool:
    """True for a subscription that no longer counts (cancelled, expired, disabled)."""
    return (status or "").strip().lower() in GONE_STATUSES


class LiveSubscription(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def friendly_name(self) -> str | None: ...
    @property
    def status(self) -> str | None: ...


S = TypeVar("S", bound=LiveSubscription)


def find_subscription(subscription_id: str | None, friendly_name: str | None, live: Iterable[S]) -> S | None:
    """The live subscription a declaration means: by its declared Partner Center id when it has one (so a new
    friendly name is a rename), else by friendly name; gone subscriptions never match. The planner and
    apply both ask this."""
    subs = [s for s in live if not is_gone(s.status)]
    if subscription_id:
        wanted_id = subscription_id.strip().casefold()
        found = next((s for s in subs if s.id.strip().casefold() == wanted_id), None)
        if found is not None:
            return found
    wanted = subscription_key(friendly_name)
    return next((s for s in subs if subscription_key(s.friendly_name) == wanted), None)


def declared_offer(subscription: Subscription) -> tuple[str, str]:
    """The (product id, SKU id) a declaration buys; the Azure plan's for ``offer: azure-plan``."""
    if isinstance(subscription.offer, LicenseOffer):
        return subscription.offer.productId, subscription.offer.skuId
    return AZURE_PLAN_PRODUCT, AZURE_PLAN_SKU


def offer_key(product_id: str, sku_id: str | None = None) -> str:
    """``PRODUCT:SKU`` upper-cased: how offers compare (a live ``offerId`` also carries its availability)."""
    return f"{product_id}:{sku_id}".upper() if sku_id is not None else product_id.upper()


def live_offer_key(offer_id: str | None) -> str:
    """The ``PRODUCT:SKU`` of a live subscription's ``offerId`` (``product:sku:availability``)."""
    parts = (offer_id or "").split(":")
    return offer_key(parts[0], parts[1]) if len(parts) > 1 else offer_key(parts[0])


def same_offer(subscription: Subscription, offer_id: str | None) -> bool:
    """True when a live subscription's offer is the declared product and SKU."""
    return live_offer_key(offer_id) == offer_key(*declared_offer(subscription))


def contact_key(first_name: Any, last_name: Any, email: Any, phone_number: Any) -> tuple[str | None, ...]:
    """Partner Center keeps one agreement record per contact: same names, e-mail and phone = same record."""
    return folded(first_name), folded(last_name), folded(email), phone(phone_number)


def reseller(config: Config, name: str | None) -> Reseller | None:
    """The reseller of cspsync.yaml a customer file names (``spec.reseller``); None when none is named
    or the name is unknown (validation reports an unknown name before any plan)."""
    if not name:
        return None
    return next((r for r in config.partner.resellers if r.name == name), None)


def reseller_tenant_id(config: Config, name: str | None) -> str | None:
    found = reseller(config, name)
    return found.tenantId if found is not None else None


# ----------------------------------------------------------------------------- GDAP relationships

#: relationship statuses that still hold, or will hold, access (Graph: resources/delegatedadminrelationship.md)
LIVE_ADMIN_STATUSES = frozenset({"created", "approvalPending", "approved", "activating", "active"})
#: ``expiring`` has "passed its expiration date"; the others are on their way out or out
ENDED_ADMIN_STATUSES = frozenset(
    {"expiring", "expired", "terminationRequested", "terminating", "terminated", "unknownFutureValue"}
)
#: Partner Center names the Default GDAP relationship of a new tenant ``Default_…`` (what partners see in
#: Partner Center's Admin relationships; no API contract names it): cspsync recognises it by this prefix
#: together with the customer's tenant id
DEFAULT_ADMIN_PREFIX = "Default_"
_RENEWED = re.compile(r"-(\d{8})$")


def relationship_key(display_name: str | None) -> str:
    """A GDAP relationship's identity: its display name, unique across the partner (Graph:
    "Must be unique across all delegated admin relationships of the partner"), whitespace- and case-blind."""
    return folded(display_name) or ""


def replacement_name(name: str, on: dt.date) -> str:
    """The display name of a relationship that replaces ``name`` (the name itself stays taken while the old
    one exists): at most 41 characters of it, a hyphen and the day, within Graph's 50."""
    return f"{name[:41]}-{on:%Y%m%d}"


#: the generation of the relationship named exactly as declared (replacements are dated after it)
FIRST_GENERATION = dt.date.min


def relationship_generation(display_name: str, name: str) -> dt.date | None:
    """Whether ``display_name`` is declared relationship ``name`` (:data:`FIRST_GENERATION`) or one of its
    replacements (the day in its name), or neither (None)."""
    if relationship_key(display_name) == relationship_key(name):
        return FIRST_GENERATION
    found = _RENEWED.search(display_name)
    if found is None or relationship_key(display_name[: found.start()]) != relationship_key(name[:41]):
        return None
    try:
        return dt.datetime.strptime(found.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def is_default_relationship(display_name: str | None, customer_tenant_id: str | None, tenant_id: str | None) -> bool:
    return bool(
        display_name
        and display_name.startswith(DEFAULT_ADMIN_PREFIX)
        and tenant_id
        and tenant_key(customer_tenant_id) == tenant_key(tenant_id)
    )
