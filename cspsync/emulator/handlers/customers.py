"""Customers: list (paged, filtered), read, create, domain check, address validation, profiles.

Doc pages (Partner Center developer docs): "Get a list of customers", "Get a list of customers filtered
by a search field" (get-a-customer-by-name), "Get customers of an indirect reseller", "Get a customer by
ID", "Create a customer", "Create a customer for an indirect reseller", "Get a customer's company
profile", "Get a customer's billing profile" (get-all-of-a-customer-s-billing-profiles), "Update a
customer's billing profile", "Verify domain availability", "Validate an address" and "Customer
resources". Resource links are written as the pages show them (``/customers/{id}``, no ``/v1``).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
import uuid
from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.addresses import REGISTRATION_NUMBER_COUNTRIES, address_problems, validation
from cspsync.emulator.handlers import gdap
from cspsync.emulator.handlers.common import (
    check_email,
    check_etag,
    customer,
    is_live,
    query_int,
    required_object,
    required_text,
    timestamp,
)
from cspsync.emulator.records import DuplicateError, Tenant
from cspsync.emulator.routing import Call
from cspsync.emulator.rules import SANDBOX_CUSTOMERS
from cspsync.emulator.wire import collection, link, respond

_ONMICROSOFT = re.compile(r"([a-z0-9]{1,27})\.onmicrosoft\.com")
_CULTURE = re.compile(r"[a-z]{2,3}-[a-z]{2}", re.IGNORECASE)
_LANGUAGE = re.compile(r"[a-z]{2,3}", re.IGNORECASE)
#: get-a-customer-by-name and get-customers-of-an-indirect-reseller: the searchable fields
_FILTER_FIELDS = {
    "domain": "domain",
    "companyname": "company_name",
    "indirectreseller": "associated_partner_id",
    "indirectcloudsolutionprovider": "indirect_provider",
}


# ------------------------------------------------------------------------------------------ documents


def company_profile(tenant: Tenant, *, full: bool) -> dict[str, Any]:
    """CustomerCompanyProfile; ``full`` adds the address and email that get-a-customer-by-id shows."""
    profile: dict[str, Any] = {
        "tenantId": tenant.id,
        "domain": tenant.domain,
        "companyName": tenant.company_name,
    }
    if full:
        profile["address"] = tenant.billing.get("defaultAddress")
        profile["email"] = tenant.billing.get("email")
    profile["links"] = {"self": link(f"/customers/{tenant.id}/profiles/company")}
    profile["attributes"] = {"objectType": "CustomerCompanyProfile"}
    return profile


def billing_profile(tenant: Tenant) -> dict[str, Any]:
    """CustomerBillingProfile as get-all-of-a-customer-s-billing-profiles shows it (with its etag)."""
    profile: dict[str, Any] = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"billing:{tenant.id}"))}
    profile.update(tenant.billing)
    profile.setdefault("companyName", tenant.company_name)
    profile["links"] = {"self": link(f"/v1/customers/{tenant.id}/profiles/billing")}
    profile["attributes"] = {"etag": tenant.billing_etag, "objectType": "CustomerBillingProfile"}
    return profile


def customer_document(tenant: Tenant, custom_domains: list[str] | None = None) -> dict[str, Any]:
    """The Customer of get-a-customer-by-id. ``associatedPartnerId`` is not part of it: no documented
    read shows it (only the create response echoes it), so a client learns a customer's reseller from
    the IndirectReseller filter or the customer's relationships. ``customDomains`` are the tenant's
    verified custom domains, without its default one (the page's example lists ``….ccsctp.net`` beside the
    ``….onmicrosoft.com`` domain of the company profile); a new tenant has none. Links are written as that
    page writes them (no ``/v1``), the billing profile's too."""
    billing = billing_profile(tenant)
    billing["links"] = {"self": link(f"/customers/{tenant.id}/profiles/billing")}
    return {
        "id": tenant.id,
        "commerceId": tenant.commerce_id,
        "companyProfile": company_profile(tenant, full=True),
        "billingProfile": billing,
        "relationshipToPartner": "reseller",
        "allowDelegatedAccess": False,
        "customDomains": list(custom_domains or []),
        "links": {"self": link(f"/customers/{tenant.id}")},
        "attributes": {"objectType": "Customer"},
    }


def _summary(customer_id: str, domain: str, company_name: str) -> dict[str, Any]:
    """A light list item (get-a-list-of-customers, get-customers-of-an-indirect-reseller)."""
    return {
        "id": customer_id,
        "companyProfile": {
            "tenantId": customer_id,
            "domain": domain,
            "companyName": company_name,
            "links": {"self": link(f"/customers/{customer_id}/profiles/company")},
            "attributes": {"objectType": "CustomerCompanyProfile"},
        },
        "relationshipToPartner": "reseller",
        "links": {"self": link(f"/customers/{customer_id}")},
        "attributes": {"objectType": "Customer"},
    }


# ------------------------------------------------------------------------------------------- listing


def _encode_token(after: int, field: str | None, prefix: str | None) -> str:
    raw = json.dumps({"after": after, "field": field, "prefix": prefix}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, str | None, str | None]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after, field, prefix = data["after"], data["field"], data["prefix"]
        if not isinstance(after, int) or field not in (None, *_FILTER_FIELDS.values()):
            raise ValueError(token)
        return after, field, prefix
    except (ValueError, KeyError, TypeError):
        raise codes.INVALID_INPUT.error("The continuation token is not valid.") from None


def _parse_filter(raw: str) -> tuple[str, str]:
    try:
        data = json.loads(raw)
    except ValueError:
        raise codes.INVALID_INPUT.error("The filter is not valid JSON.") from None
    data = {str(key).lower(): value for key, value in data.items()} if isinstance(data, dict) else {}
    field, value, operator = data.get("field"), data.get("value"), data.get("operator")
    if not isinstance(field, str) or field.lower() not in _FILTER_FIELDS:
        raise codes.INVALID_INPUT.error(
            f"The filter field {field!r} is not supported; use CompanyName, Domain, IndirectReseller or "
            "IndirectCloudSolutionProvider."
        )
    if not isinstance(operator, str) or operator.lower() != "starts_with":
        raise codes.INVALID_INPUT.error(f"The filter operator {operator!r} is not supported; use starts_with.")
    if not isinstance(value, str) or not value:
        raise codes.INVALID_INPUT.error("The filter value must be a non-empty string.")
    return _FILTER_FIELDS[field.lower()], value


def list_customers(call: Call) -> httpx.Response:
    """``GET /v1/customers?size=&filter=`` with MS-ContinuationToken paging. ``IndirectCloudSolutionProvider``
    is how a reseller lists a provider's customers: the caller here is the provider, so none match."""
    size = query_int(call, "size")
    if size is not None and size < 0:
        raise codes.INVALID_INPUT.error(f"The query parameter size must not be negative, not {size}.")
    size = min(size or call.page_size, call.max_page_size)
    after, field, prefix = 0, None, None
    if (call.query("seekOperation") or "").lower() == "next":
        token = call.header("MS-ContinuationToken")
        if not token:
            raise codes.INVALID_INPUT.error("seekOperation=Next needs the MS-ContinuationToken header.")
        after, field, prefix = _decode_token(token)
    else:
        raw_filter = call.query("filter")
        if raw_filter:
            field, prefix = _parse_filter(raw_filter)
    if field == "indirect_provider":
        rows = []
    else:
        rows = call.store.list_customers(after=after, limit=size + 1, field=field, prefix=prefix)
    page = rows[:size]
    links: dict[str, Any] = {"self": link(f"/v1/customers?size={size}")}
    body_token: str | None = None
    if len(rows) > size:
        body_token = _encode_token(page[-1].seq, field, prefix)
        links["next"] = link(
            f"/v1/customers?size={size}&seekOperation=Next", headers={"MS-ContinuationToken": body_token}
        )
    body = collection([_summary(row.id, row.domain, row.company_name) for row in page], links=links)
    if body_token:
        body["continuationToken"] = body_token
    return respond(200, body)


def get_customer(call: Call) -> httpx.Response:
    """``GET /v1/customers/{id}`` (get-a-customer-by-id): the full Customer, with ``customDomains``."""
    tenant = customer(call)
    return respond(200, customer_document(tenant, call.store.custom_domains(tenant.id)))


def get_company_profile(call: Call) -> httpx.Response:
    """``GET /v1/customers/{id}/profiles/company`` (get-a-customer-s-company-profile)."""
    return respond(200, company_profile(customer(call), full=True))


# ------------------------------------------------------------------------------------------ creating


def _strong_password() -> str:
    """16 characters with upper and lower case letters, digits and symbols, as Partner Center issues."""
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits, "!#$%&*+-=?@^_")
    chars = [secrets.choice(pool) for pool in pools]
    chars += [secrets.choice("".join(pools)) for _ in range(12)]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def checked_billing(billing: dict[str, Any], where: str = "billingProfile") -> dict[str, Any]:
    """The billing profile fields the emulator keeps, after checking them (400 naming the field)."""
    email = check_email(required_text(billing, "email", where), f"{where}.email")
    if email.lower().endswith("@microsoft.com"):
        raise codes.INVALID_PROPERTY.error(f"{where}.email must not be a microsoft.com address.")
    culture = required_text(billing, "culture", where)
    if not _CULTURE.fullmatch(culture):
        raise codes.INVALID_PROPERTY.error(f"{where}.culture {culture!r} is not a culture such as en-GB.")
    # create-a-customer-for-an-indirect-reseller sends "EN-US" and gets "en-US" back
    language_part, region_part = culture.split("-")
    culture = f"{language_part.lower()}-{region_part.upper()}"
    language = required_text(billing, "language", where)
    if not _LANGUAGE.fullmatch(language):
        raise codes.INVALID_PROPERTY.error(f"{where}.language {language!r} is not a language such as en.")
    address = required_object(billing, "defaultAddress", where)
    problems = address_problems(address)
    if problems:
        raise codes.INVALID_PROPERTY.error(f"{where}.defaultAddress: {' '.join(problems)}")
    kept: dict[str, Any] = {"email": email, "culture": culture, "language": language}
    for field in ("firstName", "lastName"):
        value = billing.get(field) or address.get(field)
        if isinstance(value, str) and value.strip():
            kept[field] = value.strip()
    kept["defaultAddress"] = {
        key: value for key, value in address.items() if key != "attributes" and isinstance(value, str) and value.strip()
    }
    kept["defaultAddress"]["country"] = address["country"].upper()
    return kept


def _company_name(billing: dict[str, Any]) -> str:
    name = required_text(billing, "companyName", "billingProfile")
    if not 2 <= len(name) <= 255 or not any(char.isalnum() for char in name):
        raise codes.INVALID_PROPERTY.error(
            "billingProfile.companyName must be 2 to 255 characters and contain letters or digits."
        )
    return name


def create_customer(call: Call) -> httpx.Response:
    body = call.json()
    profile = required_object(body, "companyProfile")
    domain = required_text(profile, "domain", "companyProfile").lower()
    if not _ONMICROSOFT.fullmatch(domain):
        raise codes.INVALID_PROPERTY.error(
            f"companyProfile.domain {domain!r} must be <prefix>.onmicrosoft.com, the prefix at most 27 "
            "letters or digits."
        )
    billing_body = required_object(body, "billingProfile")
    company_name = _company_name(billing_body)
    billing = checked_billing(billing_body)
    country = billing["defaultAddress"]["country"]
    world = call.store.world()
    if country not in world.partner.markets:
        raise codes.COUNTRY_NOT_ONBOARDED.error(country=country)
    registration = profile.get("organizationRegistrationNumber")
    if country in REGISTRATION_NUMBER_COUNTRIES:
        if not registration:
            raise codes.REGISTRATION_NUMBER_MISSING.error(country=country)
        if not billing["defaultAddress"].get("phoneNumber"):
            raise codes.PHONE_NUMBER_MISSING.error(country=country)
    elif registration:
        raise codes.REGISTRATION_NUMBER_NOT_SUPPORTED.error(country=country)
    reseller = body.get("associatedPartnerId")
    if reseller is not None:
        if not isinstance(reseller, str) or reseller.lower() not in {r.tenantId for r in world.resellers}:
            raise codes.NOT_A_RESELLER.error(partner=reseller)
        reseller = reseller.lower()
    billing["companyName"] = company_name
    if call.rules.profile == "sandbox" and call.store.customer_count() >= SANDBOX_CUSTOMERS:
        raise codes.SANDBOX_CUSTOMER_LIMIT.error(limit=SANDBOX_CUSTOMERS)
    try:
        tenant = call.store.create_customer(
            domain=domain,
            company_name=company_name,
            country=country,
            billing=billing,
            associated_partner_id=reseller,
        )
    except DuplicateError:
        raise codes.DOMAIN_TAKEN.error(domain=domain) from None
    call.store.record_created(tenant.id, timestamp(call.now))  # its account validation starts UnderReview
    if body.get("enableGDAPByDefault") is not False:  # Partner Center's Default GDAP unless the body says false
        gdap.create_default_relationship(call.store, tenant.id, company_name, call.now)
    document = customer_document(tenant)
    if tenant.associated_partner_id:  # echoed by create-a-customer-for-an-indirect-reseller
        document["associatedPartnerId"] = tenant.associated_partner_id
    else:  # create-a-customer's example answers "none" for a direct customer (reads say "reseller")
        document["relationshipToPartner"] = "none"
    # The one and only place the admin password exists: it is never stored.
    document["userCredentials"] = {
        "userName": "admin",
        "password": _strong_password(),
        "attributes": {"objectType": "UserCredentials"},
    }
    return respond(201, document)


def domain_exists(call: Call) -> httpx.Response:
    """``HEAD /v1/domains/{domain}`` (verify-domain-availability): 200 taken, 404 free, no body."""
    return respond(200 if call.store.domain_taken(call.params["domain"]) else 404)


def validate_address(call: Call) -> httpx.Response:
    """``POST /v1/validations/address`` (validate-an-address): always 200 with an AddressValidationResponse;
    the status says how usable the address is (see :func:`addresses.validation`)."""
    address = call.json()
    address.pop("attributes", None)
    return respond(200, validation(address))


# ------------------------------------------------------------------------------------ billing profile


def get_billing_profile(call: Call) -> httpx.Response:
    """``GET /v1/customers/{id}/profiles/billing`` (get-all-of-a-customer-s-billing-profiles)."""
    return respond(200, billing_profile(customer(call)))


def put_billing_profile(call: Call) -> httpx.Response:
    """``PUT /v1/customers/{id}/profiles/billing`` (update-a-customer-s-billing-profile): the full profile
    with ``If-Match`` (required by the page; the body's ``attributes.etag`` is taken in its place).

    The company name changes with it: Microsoft's feature sample for that page (UpdateCustomerBillingProfile.cs)
    appends to ``CompanyName`` and updates, and "Update customer account information"
    (learn.microsoft.com/partner-center/customers/update-customer-account-info, "Update customer name") has
    the partner change it under Billing information > Company name, a "friendly" name: the tenant's original
    name stays in the company details, so the company profile keeps it here."""
    body = call.json()
    with call.store.atomic():
        tenant = customer(call)
        check_etag(call, tenant.billing_etag, body, required=True)
        name = _company_name(body) if body.get("companyName") is not None else None
        billing = checked_billing(body, "billingProfile")
        if billing["defaultAddress"]["country"] != tenant.country:
            raise codes.INVALID_PROPERTY.error(
                f"billingProfile.defaultAddress.country cannot change from {tenant.country}."
            )
        billing["companyName"] = name or billing_profile(tenant)["companyName"]
        call.store.update_billing(tenant.id, billing)
        updated = call.store.tenant_by_id(tenant.id)
    assert updated is not None
    return respond(200, billing_profile(updated))


def delete_customer(call: Call) -> httpx.Response:
    """``DELETE /v1/customers/{id}`` (delete-a-customer-account-from-the-integration-sandbox): 204, in the
    integration sandbox only, once the customer's Azure reservations and software purchases are cancelled."""
    if call.rules.profile != "sandbox":
        raise codes.DELETE_ONLY_IN_SANDBOX.error()
    with call.store.atomic():
        tenant = customer(call)
        catalog = call.store.catalog()
        for subscription in call.store.subscriptions(tenant.id):
            item = catalog.offer_for_catalog_item(subscription["offerId"])
            if is_live(subscription) and item is not None and item.kind in ("reservation", "software"):
                raise codes.DELETE_BLOCKED.error()
        call.store.delete_customer(tenant.id)
    return respond(204)
