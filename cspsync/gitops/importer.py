"""Declarations from what Partner Center already has: ``cspsync import`` for customers made elsewhere.

Each customer becomes one ``existing``-mode file that says exactly what Partner Center holds, so planning
right after an import shows no changes: the company from the billing profile, the latest Microsoft
Customer Agreement acceptance, every live subscription (friendly name, offer, quantity, term, billing
cycle, auto-renew), and the partner's live admin relationships (GDAP) with the tenant and their access
assignments (read from Microsoft Graph; a relationship Graph cannot show is left out with the reason). What
cannot be declared as it is (a legacy offer, a pending subscription, a second
subscription with the same friendly name) is left out with a warning that says why, never guessed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cspsync.declarations.keys import (
    AZURE_PLAN_PRODUCT,
    LIVE_ADMIN_STATUSES,
    domain_key,
    is_default_relationship,
    is_gone,
    live_offer_key,
    onmicrosoft_domain,
    subscription_key,
    tenant_key,
    text,
)
from cspsync.declarations.load import parse_text, read_values
from cspsync.declarations.models import Config
from cspsync.declarations.repository import customer_files
from cspsync.declarations.roles import BUILT_IN_ROLES
from cspsync.errors import PartnerCenterError
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.gdap import AccessAssignment, AdminRelationship
from cspsync.partnercenter.models import (
    AzureEntitlement,
    BillingProfile,
    Customer,
    CustomerAgreement,
    CustomerSummary,
    Subscription,
)
from cspsync.threads import in_threads
from cspsync.workspace import write_bytes_atomic

SCHEMA_URL = "https://cspsync.io/schemas/customer.schema.json"
_SLUG_PART = re.compile(r"[^a-z0-9]+")
_OFFER = re.compile(r"^([A-Za-z0-9]{12}):([A-Za-z0-9]{4})(:|$)")
TERMS = ("P1M", "P1Y", "P3Y")
CYCLES = ("monthly", "annual", "triennial")


@dataclass(frozen=True)
class Claimed:
    """What the customer files already in the repository claim: names, tenant ids and domains."""

    names: dict[str, Path] = field(default_factory=dict)
    tenants: dict[str, Path] = field(default_factory=dict)
    domains: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def scan(cls, folders: Sequence[Path], config_path: Path | None = None) -> Claimed:
        """Read every customer file under ``folders`` leniently: an invalid file still claims its keys."""
        claimed = cls()
        for path in customer_files([f for f in folders if f.is_dir()], config_path):
            try:
                document = read_values(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
            if not isinstance(document, dict) or document.get("kind") != "Customer":
                continue
            metadata, spec = document.get("metadata") or {}, document.get("spec") or {}
            tenant = spec.get("tenant") if isinstance(spec, dict) else None
            if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
                claimed.names[metadata["name"]] = path
            if isinstance(tenant, dict):
                if isinstance(tenant.get("tenantId"), str):
                    claimed.tenants[tenant_key(tenant["tenantId"]) or ""] = path
                domain = tenant.get("domain")
                if tenant.get("mode") == "create" and isinstance(tenant.get("domainPrefix"), str):
                    domain = onmicrosoft_domain(tenant["domainPrefix"])
                if isinstance(domain, str):
                    claimed.domains[domain_key(domain) or ""] = path
        return claimed

    def file_of(self, tenant_id: str, domain: str | None) -> Path | None:
        by_domain = self.domains.get(domain_key(domain) or "") if domain else None
        return self.tenants.get(tenant_key(tenant_id) or "") or by_domain


@dataclass(frozen=True)
class ImportedCustomer:
    """One customer as a declaration document (YAML keys, in file order) and what was left out."""

    name: str
    tenant_id: str
    domain: str | None
    document: dict[str, Any]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    what: str  # domain or tenant id
    reason: str


@dataclass
class ImportResult:
    customers: list[ImportedCustomer] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    failed: list[Skipped] = field(default_factory=list)  # a read failed or a domain is not a customer


def slug_candidates(domain: str | None, company: str | None, tenant_id: str) -> Iterable[str]:
    """metadata.name candidates, best first: the domain's first label, then more of it, then the company."""
    labels = [p for p in _SLUG_PART.split((domain or "").casefold().replace("onmicrosoft.com", "")) if p]
    for count in range(1, len(labels) + 1):
        yield "-".join(labels[:count])[:63].strip("-")
    company_slug = "-".join(p for p in _SLUG_PART.split((company or "").casefold()) if p)[:63].strip("-")
    if company_slug:
        yield company_slug
    yield "customer-" + tenant_id.casefold()[:8]


def unique_name(candidates: Iterable[str], taken: set[str]) -> str:
    first = ""
    for candidate in candidates:
        if not candidate:
            continue
        first = first or candidate
        if candidate not in taken:
            return candidate
    number = 2
    while f"{first[:59]}-{number}" in taken:
        number += 1
    return f"{first[:59]}-{number}"


class Quoted(str):
    """Text written in double quotes: phone numbers, postal codes, SKU ids and dates stay text to any reader."""


def _quoted(value: str | None) -> Quoted | None:
    return None if value is None else Quoted(value)


def _culture(value: str | None) -> str | None:
    """Partner Center may answer ``en-gb``; declarations write ``en-GB``."""
    if not value:
        return None
    language, _, country = value.partition("-")
    return f"{language.lower()}-{country.upper()}" if country else value


def _drop_none(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


def company_of(customer: Customer, billing: BillingProfile) -> dict[str, Any]:
    address = billing.default_address
    profile = customer.company_profile
    return _drop_none(
        {
            "name": billing.company_name or (profile.company_name if profile else None),
            "billingEmail": billing.email,
            "culture": _culture(billing.culture),
            "language": (billing.language or "").lower() or None,
            "organizationRegistrationNumber": profile.organization_registration_number if profile else None,
            "address": _drop_none(
                {
                    "addressLine1": address.address_line1 if address else None,
                    "addressLine2": address.address_line2 if address else None,
                    "city": address.city if address else None,
                    "state": address.state if address else None,
                    "postalCode": _quoted(address.postal_code) if address else None,
                    "country": (address.country or "").upper() or None if address else None,
                }
            ),
            # Partner Center keeps one billing contact: its name and e-mail, the address's phone
            "primaryContact": _drop_none(
                {
                    "firstName": billing.first_name,
                    "lastName": billing.last_name,
                    "email": billing.email,
                    "phone": _quoted(address.phone_number) if address else None,
                }
            ),
        }
    )


def agreement_of(agreements: Sequence[CustomerAgreement]) -> dict[str, Any] | None:
    """The latest Microsoft Customer Agreement acceptance, as a declaration."""
    accepted = [a for a in agreements if a.type == "MicrosoftCustomerAgreement"]
    if not accepted:
        return None
    latest = max(accepted, key=lambda a: a.date_agreed)
    contact = latest.primary_contact
    return {
        "acceptedBy": _drop_none(
            {
                "firstName": contact.first_name,
                "lastName": contact.last_name,
                "email": contact.email,
                "phone": _quoted(contact.phone_number),
            }
        ),
        "dateAgreed": Quoted(latest.date_agreed.astimezone(dt.UTC).date().isoformat()),
    }


def azure_subscriptions_of(
    plan: str, entitlements: Sequence[AzureEntitlement], taken: set[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The live Azure subscriptions under an Azure plan as declarations, with their ids (so a later rename in
    the file is a rename), and a warning for each left out; ``taken`` holds the customer's names so far."""
    declared: list[dict[str, Any]] = []
    warnings: list[str] = []
    for azure in sorted(entitlements, key=lambda e: (subscription_key(e.friendly_name), e.id)):
        name = text(azure.friendly_name) or ""
        label = f"Azure subscription {name or azure.id} under {plan}"
        if is_gone(azure.status):
            continue
        if not name:
            warnings.append(f"{label} has no name; name it in Azure and import it again")
            continue
        if subscription_key(name) in taken:
            warnings.append(f"{label}: another subscription has the same name; rename one and import it again")
            continue
        taken.add(subscription_key(name))
        declared.append({"friendlyName": name, "subscriptionId": azure.id.lower()})
    return declared, warnings


def subscriptions_of(
    subscriptions: Sequence[Subscription], azure: Mapping[str, Sequence[AzureEntitlement]] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Live subscriptions as declarations (by friendly name: the same file for the same state, however the
    orders raced) and a warning for each left out; ``azure``: the Azure subscriptions under each Azure plan
    (by the plan's id), declared under it."""
    declared: list[dict[str, Any]] = []
    warnings: list[str] = []
    seen: set[str] = set()
    ordered = sorted(subscriptions, key=lambda s: (subscription_key(s.friendly_name), s.id))
    for sub in ordered:
        status = (sub.status or "none").lower()
        name = text(sub.friendly_name) or ""
        label = f"subscription {name or sub.id}"
        if is_gone(status):
            continue  # history: Partner Center keeps it, nothing declares it
        if status not in ("active", "suspended"):
            warnings.append(f"{label} is {status}; import it again once it is active")
            continue
        if not name:
            warnings.append(f"{label} has no friendly name; name it in Partner Center and import it again")
            continue
        if subscription_key(name) in seen:
            warnings.append(
                f"{label}: another live subscription has the same friendly name ({sub.id}); "
                "rename one in Partner Center and import it again"
            )
            continue
        match = _OFFER.match(sub.offer_id or "")
        if match is None:
            warnings.append(f"{label} has the legacy offer {sub.offer_id!r}, which cannot be declared")
            continue
        product, sku = match.group(1).upper(), match.group(2).upper()
        item: dict[str, Any] = {"friendlyName": name, "subscriptionId": sub.id.lower()}
        if product == AZURE_PLAN_PRODUCT:
            item["offer"] = "azure-plan"
            under, left_out = azure_subscriptions_of(
                name, (azure or {}).get(sub.id, ()), seen | {subscription_key(name)}
            )
            warnings += left_out
            if under:
                item["azureSubscriptions"] = under
        else:
            term, cycle = sub.term_duration, (sub.billing_cycle or "").lower()
            if term not in TERMS or cycle not in CYCLES or not sub.quantity:
                warnings.append(
                    f"{label}: term {term!r}, billing cycle {sub.billing_cycle!r} and quantity "
                    f"{sub.quantity!r} cannot be declared"
                )
                continue
            item["offer"] = {"productId": product, "skuId": Quoted(sku)}
            item["quantity"] = sub.quantity
            item["term"] = term
            item["billingCycle"] = cycle
            item["autoRenew"] = bool(sub.auto_renew_enabled)
        if status == "suspended":
            item["status"] = "suspended"
            item["protected"] = False  # a suspended subscription can only be declared unprotected
        seen.add(subscription_key(name))
        declared.append(item)
    return declared, warnings


def _is_live_azure_plan(sub: Subscription) -> bool:
    """An Azure plan whose Azure subscriptions the import reads ("Get a list of Azure entitlements")."""
    return live_offer_key(sub.offer_id).startswith(AZURE_PLAN_PRODUCT) and (sub.status or "").lower() == "active"


#: (relationship, its assignments when it is active) as read from Graph, or why they could not be read
AdminRecords = list[tuple[AdminRelationship, list[AccessAssignment]]] | str


def admin_access_of(tenant_id: str, records: AdminRecords, config: Config) -> tuple[dict[str, Any] | None, list[str]]:
    """The tenant's live GDAP relationships as ``spec.adminAccess`` (groups by their cspsync.yaml names), and a
    warning for each thing left out."""
    if isinstance(records, str):
        return None, [f"admin relationships (GDAP) could not be read: {records}"]
    groups = {v.lower(): k for k, v in (config.adminAccess.securityGroups if config.adminAccess else {}).items()}
    warnings: list[str] = []
    declared: list[dict[str, Any]] = []

    def roles_of(ids: Sequence[str], what: str) -> list[str]:
        unknown = [r for r in ids if r not in BUILT_IN_ROLES]
        if unknown:
            warnings.append(f"{what}: role(s) {', '.join(unknown)} that cspsync does not know")
        return [BUILT_IN_ROLES[r] for r in ids if r in BUILT_IN_ROLES]

    for relationship, assignments in sorted(records, key=lambda r: r[0].display_name.casefold()):
        if relationship.status not in LIVE_ADMIN_STATUSES:
            continue
        label = f"admin relationship {relationship.display_name}"
        item: dict[str, Any]
        if is_default_relationship(relationship.display_name, relationship.customer_tenant_id, tenant_id):
            item = {"default": True}
        else:
            item = {
                "name": relationship.display_name,
                "duration": relationship.duration or "P730D",
                "autoExtend": relationship.auto_extend_duration == "P180D",
                "roles": roles_of(relationship.access_details.role_ids, label),
            }
        given = []
        for assignment in sorted(assignments, key=lambda a: a.group_id):
            if assignment.status not in ("active", "pending"):
                continue
            roles = roles_of(assignment.access_details.role_ids, f"{label}, group {assignment.group_id}")
            if roles:
                given.append({"group": groups.get(assignment.group_id, assignment.group_id), "roles": roles})
        if given:
            item["assignments"] = given
        declared.append(item)
    return ({"relationships": declared} if declared else None), warnings


def declaration(
    name: str,
    customer: Customer,
    billing: BillingProfile,
    agreements: Sequence[CustomerAgreement],
    subscriptions: Sequence[Subscription],
    config: Config,
    reseller_id: str | None = None,
    admin: AdminRecords | None = None,
    azure: Mapping[str, Sequence[AzureEntitlement]] | None = None,
) -> ImportedCustomer:
    """The declaration of one customer from its Partner Center records; ``reseller_id`` is the tenant id
    of the indirect reseller it was found under (see :func:`resellers_of`)."""
    warnings: list[str] = []
    tenant: dict[str, Any] = {"mode": "existing", "tenantId": customer.id.lower()}
    if customer.domain:
        tenant["domain"] = customer.domain.lower()
    spec: dict[str, Any] = {"company": company_of(customer, billing), "tenant": tenant}
    reseller_id = tenant_key(reseller_id or customer.associated_partner_id)
    if reseller_id:
        names = {tenant_key(r.tenantId): r.name for r in config.partner.resellers}
        if reseller_id in names:
            spec["reseller"] = names[reseller_id]
        else:
            warnings.append(
                f"its indirect reseller {reseller_id} is not in partner.resellers of cspsync.yaml; "
                "add it there and set spec.reseller"
            )
    agreement = agreement_of(agreements)
    if agreement is not None:
        spec["agreement"] = agreement
    declared, left_out = subscriptions_of(subscriptions, azure)
    warnings += left_out
    if declared:
        spec["subscriptions"] = declared
    if admin is not None:
        access, left_out = admin_access_of(customer.id.lower(), admin, config)
        warnings += left_out
        if access is not None:
            spec["adminAccess"] = access
    document = {
        "apiVersion": "cspsync.io/v1",
        "kind": "Customer",
        "metadata": {"name": name},
        "spec": spec,
    }
    return ImportedCustomer(name, customer.id.lower(), customer.domain, document, tuple(warnings))


def resellers_of(client: PartnerCenterClient, config: Config) -> dict[str, str]:
    """Customer tenant id -> the tenant id of its indirect reseller, for the customers of every reseller
    in cspsync.yaml and every reseller Partner Center lists for the provider: one filtered customer list
    per reseller (``IndirectReseller``), since no documented read of a customer names its reseller."""
    reseller_ids = {tenant_key(r.tenantId) for r in config.partner.resellers}
    reseller_ids |= {tenant_key(r.id) for r in client.indirect_resellers()}
    found: dict[str, str] = {}
    for reseller_id in sorted(r for r in reseller_ids if r):
        for summary in client.customers_of_reseller(reseller_id):
            found.setdefault(tenant_key(summary.id) or "", reseller_id)
    return found


def read_customers(
    client: PartnerCenterClient,
    config: Config,
    claimed: Claimed,
    *,
    domains: Sequence[str] = (),
    workers: int = 8,
) -> ImportResult:
    """Read the customers (all, or those of ``domains``) not yet declared and build their declarations."""
    result = ImportResult()
    summaries: list[CustomerSummary] = []
    if domains:
        for domain in dict.fromkeys(d.strip().casefold() for d in domains):
            try:
                found = client.find_customer_by_domain(domain)
            except PartnerCenterError as err:
                result.failed.append(Skipped(domain, f"could not be looked up: {err.message}"))
                continue
            if found is None:
                result.failed.append(Skipped(domain, "is not a customer of yours in Partner Center"))
            else:
                summaries.append(found)
    else:
        summaries = list(client.list_customers())
    todo: list[CustomerSummary] = []
    for summary in summaries:
        existing = claimed.file_of(summary.id, summary.domain)
        if existing is not None:
            result.skipped.append(Skipped(summary.domain or summary.id, f"is already declared in {existing}"))
        else:
            todo.append(summary)

    def admin(tenant_id: str) -> AdminRecords:
        try:
            found = client.gdap.relationships_of(tenant_id)
            return [(r, client.gdap.assignments(r.id) if r.status == "active" else []) for r in found]
        except PartnerCenterError as err:
            return err.message

    def read(summary: CustomerSummary) -> tuple[CustomerSummary, Any]:
        try:
            cid = summary.id
            subscriptions = client.list_subscriptions(cid)
            plans = [s for s in subscriptions if _is_live_azure_plan(s)]
            return summary, (
                client.get_customer(cid),
                client.get_billing_profile(cid),
                client.list_agreements(cid),
                subscriptions,
                admin(cid),
                {plan.id: client.azure_entitlements(cid, plan.id) for plan in plans},
            )
        except PartnerCenterError as err:
            return summary, err

    reseller_of = resellers_of(client, config) if todo else {}
    taken = set(claimed.names)
    for summary, record in in_threads(read, todo, workers):
        if isinstance(record, PartnerCenterError):
            result.failed.append(Skipped(summary.domain or summary.id, f"could not be read: {record.message}"))
            continue
        customer, billing, agreements, subscriptions, admin_records, azure = record
        profile = customer.company_profile
        name = unique_name(
            slug_candidates(customer.domain, profile.company_name if profile else None, customer.id), taken
        )
        taken.add(name)
        reseller_id = reseller_of.get(tenant_key(customer.id) or "")
        result.customers.append(
            declaration(
                name,
                customer,
                billing,
                agreements,
                subscriptions,
                config,
                reseller_id=reseller_id,
                admin=admin_records,
                azure=azure,
            )
        )
    result.customers.sort(key=lambda c: c.name)
    return result


# ------------------------------------------------------------------------------------------ YAML text


class _Dumper(yaml.SafeDumper):
    """Block style with list items indented under their key, like the examples."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_quoted(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


_Dumper.add_representer(Quoted, _represent_quoted)


class _QuotingDumper(_Dumper):
    """Every string in double quotes: the fallback when a plain scalar would read differently."""


_QuotingDumper.add_representer(str, _represent_quoted)


def dump_yaml(document: dict[str, Any]) -> str:
    """Block YAML that cspsync's YAML 1.2 loader reads back as exactly ``document``.

    PyYAML quotes by YAML 1.1 rules; where 1.2 reads a plain scalar differently (``0o17`` is a number in
    1.2 only), every string is quoted instead.
    """
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    if _hidden(text):
        # a name from Partner Center with a bidi override or another invisible control: written as an escape
        # (\u202E), never raw, so the committed file and its pull-request diff show what it holds
        return yaml.dump(document, Dumper=_QuotingDumper, sort_keys=False, allow_unicode=False, width=120)
    parsed = parse_text("<import>", text)
    if isinstance(parsed, list) or parsed.data != document:
        text = yaml.dump(document, Dumper=_QuotingDumper, sort_keys=False, allow_unicode=True, width=120)
    return text


def _hidden(text: str) -> bool:
    """Characters that change or hide what a reader sees: controls (but the line break) and format characters."""
    return any(unicodedata.category(c) in ("Cc", "Cf") and c != "\n" for c in text)


def schema_reference(out_dir: Path) -> str:
    """The ``$schema`` a file in ``out_dir`` names: the repository's schemas/ folder if there is one."""
    folder = out_dir.resolve()
    for candidate in (folder, *folder.parents):
        schema = candidate / "schemas" / "customer.schema.json"
        if schema.is_file():
            return Path(os.path.relpath(schema, folder)).as_posix()
    return SCHEMA_URL


def to_yaml(customer: ImportedCustomer, schema: str, *, today: dt.date | None = None) -> str:
    header = [
        f"# yaml-language-server: $schema={schema}",
        f"# Imported from Partner Center by `cspsync import` on {(today or dt.date.today()).isoformat()}.",
    ]
    header += [f"# Left out: {w}" for w in customer.warnings]
    body = dump_yaml(customer.document)
    return "\n".join(header) + "\n" + body


@dataclass(frozen=True)
class Written:
    path: Path
    customer: ImportedCustomer
    overwritten: bool


def write_files(
    customers: Sequence[ImportedCustomer],
    out_dir: Path,
    *,
    force: bool,
    today: dt.date | None = None,
) -> tuple[list[Written], list[Skipped]]:
    """Write ``<name>.yaml`` per customer; an existing file is kept (and reported) unless ``force``.

    Each file is written whole or not at all (an overwritten one is never left half-written); one that cannot
    be written (no permission, a full disk) is reported with the reason, and the others are still written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    schema = schema_reference(out_dir)
    written: list[Written] = []
    refused: list[Skipped] = []
    for customer in customers:
        path = out_dir / f"{customer.name}.yaml"
        present = path.exists()
        if present and not force:
            refused.append(Skipped(str(path), "exists; pass --force to overwrite it"))
            continue
        text = to_yaml(customer, schema, today=today)
        try:  # the writer ends the file with its newline
            write_bytes_atomic(path, [text.removesuffix("\n").encode("utf-8")], private=False)
        except OSError as err:
            refused.append(Skipped(str(path), f"cannot be written: {err.strerror or type(err).__name__}"))
            continue
        written.append(Written(path, customer, present))
    return written, refused
