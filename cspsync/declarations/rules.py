"""Rules a schema cannot say: across files, against cspsync.yaml, and Partner Center's own checks.

They run on documents the schema accepted (typed models), except :func:`raw_findings`, which holds
whatever else is wrong with a file. Each rule returns findings (a field path and a message); the caller
gives them a line and column. Sources: design.md "Rules from the seeds", partner-center-api.md §4.1.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from functools import cache, lru_cache
from typing import Any

from cspsync.declarations.access import MAX_DURATION_DAYS, duration_days, group_id, resolve_relationship
from cspsync.declarations.countries import ISO_3166_ALPHA_2
from cspsync.declarations.keys import Claim, relationship_key, subscription_key
from cspsync.declarations.models import Config, Contact, CustomerFile, LicenseOffer, Subscription
from cspsync.declarations.phones import plain_phone
from cspsync.declarations.problems import Finding, JsonPath, did_you_mean
from cspsync.declarations.roles import DEFAULT_GDAP_ROLES, GLOBAL_ADMINISTRATOR, known_role_names, role_id, role_name

# partner-center-api.md §4.1: these countries need a registration number and a phone (600049/50/51);
# everywhere else Partner Center rejects the number (600002).
REGISTRATION_COUNTRIES = ("AM", "AZ", "BY", "HU", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA")
# Codes people write that ISO 3166-1 spells differently.
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}
# Names people type when they do not know the person's: Partner Center refuses placeholders.
_PLACEHOLDERS = frozenset(
    {
        "test",
        "tbd",
        "tba",
        "n/a",
        "na",
        "none",
        "unknown",
        "x",
        "xx",
        "xxx",
        "-",
        ".",
        "?",
        "name",
        "first name",
        "firstname",
        "last name",
        "lastname",
        "admin",
        "user",
        "customer",
        "contact",
    }
)
#: a character for which str.isalnum() is true: re's \w is exactly those and the underscore (re's documentation)
_ALPHANUMERIC = re.compile(r"[^\W_]")
_LEGAL_FORMS_ONLY = frozenset({"llc", "ltd", "inc", "plc", "gmbh", "ag", "bv", "nv", "as", "sa", "sas", "sarl"})
_TRANSFER = {
    "csp": "an existing CSP subscription cannot be linked: request a transfer of billing ownership "
    '(Partner Center: Customers > Transfer subscriptions), then declare it without "existing"',
    "paygo": "an existing PayGo (pay-as-you-go) subscription cannot be linked to CSP: the customer moves it "
    "with an Azure billing ownership transfer into the Azure plan",
    "ea": "an existing EA (Enterprise Agreement) subscription cannot be linked to CSP: the customer moves it "
    "with an Azure billing ownership transfer into the Azure plan",
}
_ANY_TRANSFER = (
    "existing CSP, PayGo or EA subscriptions cannot be linked: CSP subscriptions move by a transfer of billing "
    "ownership (Partner Center: Customers > Transfer subscriptions), PayGo and EA ones by an Azure billing "
    "ownership transfer"
)


# ------------------------------------------------------------------------------- checks of one value


# The plainest addresses: an ASCII dot-atom before the @, lower-case letter-digit-hyphen labels and an
# alphabetic top-level domain after it. email-validator accepts every one of them within the length limits
# below (a property test holds plain_email to that), so they skip its full parse, which costs ~0.1 ms, and
# `cspsync validate` of such files never imports it (27 ms).
#: email-validator's SPECIAL_USE_DOMAIN_NAMES, which it refuses with their subdomains (a test keeps them equal)
SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")
_SPECIAL_USE_SUFFIXES = tuple(f".{name}" for name in SPECIAL_USE_DOMAINS)
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[a-z0-9]+(?:-[a-z0-9]+)*\.)+[a-z]{2,24}")


def plain_email(address: str) -> bool:
    """True when ``address`` is an email address email-validator would accept, known without asking it."""
    if len(address) > 254 or not _PLAIN_EMAIL.fullmatch(address):
        return False
    local, _, domain = address.partition("@")
    if len(local) > 64 or domain in SPECIAL_USE_DOMAINS or domain.endswith(_SPECIAL_USE_SUFFIXES):
        return False
    return max(map(len, domain.split("."))) <= 63


@lru_cache(maxsize=8192)
def email_problem(address: str) -> str | None:
    """Syntax only (no DNS); Partner Center also refuses Microsoft's own addresses."""
    if plain_email(address):
        domain = address.partition("@")[2]
    else:
        from email_validator import EmailNotValidError, validate_email

        try:
            domain = validate_email(address, check_deliverability=False).ascii_domain.lower()
        except EmailNotValidError as err:
            return f"is not a valid email address: {err}"
    if domain == "microsoft.com" or domain.endswith(".microsoft.com"):
        return "is a Microsoft address, which Partner Center refuses; use the customer's own address"
    return None


@lru_cache(maxsize=8192)
def phone_problem(number: str, country: str | None) -> str | None:
    """A real number (libphonenumber's metadata) of the country of the company's address, if it is known."""
    if country is not None and plain_phone(number, country):
        return None  # what libphonenumber would say, without its full parse (phones.py)
    import phonenumbers  # 20 ms of start-up, paid only when a file has a phone number

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "is not a phone number in international format (+, country code, number)"
    if country is not None and phonenumbers.is_valid_number_for_region(parsed, country):
        return None
    if phonenumbers.is_valid_number(parsed):
        if country is None:
            return None
        region = phonenumbers.region_code_for_number(parsed)
        return f"is a phone number of {region} (+{parsed.country_code}), but the company's address is in {country}"
    return f"is not a valid phone number (+{parsed.country_code} numbers have a different length or prefix)"


@cache
def country_problem(code: str) -> str | None:
    if code in ISO_3166_ALPHA_2:
        return None
    if code in COUNTRY_ALIASES:
        return f'is not an ISO 3166-1 country code; did you mean "{COUNTRY_ALIASES[code]}"?'
    return "is not an ISO 3166-1 alpha-2 country code"


@cache
def culture_language(culture: str) -> str | None:
    """The language of a known culture (``en-GB`` -> ``en``), None when babel does not know it."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(culture, sep="-")
    except (UnknownLocaleError, ValueError):
        return None
    language, _, territory = culture.partition("-")
    # babel maps unknown regions to a default one (en-ZZ -> en_US): only an exact match is known.
    return language if (locale.language, locale.territory) == (language, territory) else None


@cache
def compiled_pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def recipient_problem(recipient: str) -> str | None:
    """age (``age1...``) or SSH public keys, as pyrage reads them; the value itself is never repeated."""
    import pyrage  # only when cspsync.yaml lists recipients

    if recipient.upper().startswith("AGE-SECRET-KEY-"):
        return "is an age secret key: list the public key (age1...) and keep the secret key out of the repository"
    try:
        if recipient.startswith("age1"):
            pyrage.x25519.Recipient.from_str(recipient)
        elif recipient.startswith(("ssh-", "ecdsa-")):
            pyrage.ssh.Recipient.from_str(recipient)
        else:
            return "must be an age public key (age1...) or an SSH public key (ssh-ed25519 ..., ssh-rsa ...)"
    except Exception as err:  # pyrage raises its own RecipientError
        return f"is not a valid {'age' if recipient.startswith('age1') else 'SSH'} public key ({err})"
    return None


# ------------------------------------------------------------------------------------- one customer


#: characters no declared value may hold: C0 and C1 controls (line breaks, tabs, ESC, BEL), DEL, and the line
#: and paragraph separators. Every Partner Center field a declaration fills is one line of text
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_NAMES = {"\n": "a line break", "\r": "a line break", "\x85": "a line break", "\u2028": "a line break"}
_CONTROL_NAMES |= {"\u2029": "a paragraph break", "\t": "a tab"}
# What a file's text must hold for a value to get one of them: an escape (double quotes), a block scalar
# (| or >), a tab, an empty line inside a multi-line scalar (a line break, maybe blanks, a line break), or one
# written as it is (the only ones the loader lets through). The check of every value runs only then.
_CONTROL_SOURCES = ("\\", "|", ">", "\t", "\n\n", "\r\r", "\n\r", " \n", " \r", "\x85", "\u2028", "\u2029")


def control_character_findings(text: str, data: object) -> list[Finding]:
    """Values with a line break, tab or other control character: one per value, at the value."""
    if not any(source in text for source in _CONTROL_SOURCES):
        return []
    findings: list[Finding] = []

    def walk(value: object, path: JsonPath) -> None:
        if isinstance(value, str):
            found = _CONTROL.search(value)
            if found:
                character = found.group()
                name = _CONTROL_NAMES.get(character, "a control character")
                findings.append(
                    Finding(path, f"holds {name} (U+{ord(character):04X}): write it on one line, without it")
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index))

    walk(data, ())
    return findings


def raw_findings(data: dict[str, Any]) -> list[Finding]:
    """Rules that hold however the rest of the file looks: existing subscriptions cannot be linked."""
    spec = data.get("spec")
    subscriptions = spec.get("subscriptions") if isinstance(spec, dict) else None
    if not isinstance(subscriptions, list):
        return []
    findings = []
    for index, subscription in enumerate(subscriptions):
        if isinstance(subscription, dict) and subscription.get("existing") is not None:
            existing = subscription["existing"]
            source = existing.get("source") if isinstance(existing, dict) else None
            message = _TRANSFER.get(source, _ANY_TRANSFER) if isinstance(source, str) else _ANY_TRANSFER
            findings.append(Finding(("spec", "subscriptions", index, "existing"), message, at_key=True))
    return findings


def _contact_findings(contact: Contact, path: JsonPath, country: str | None) -> Iterator[Finding]:
    for field in ("firstName", "lastName"):
        value = getattr(contact, field)
        if value.strip().casefold() in _PLACEHOLDERS:
            yield Finding((*path, field), f"{value!r} looks like a placeholder; give the person's real name")
    problem = email_problem(contact.email)
    if problem:
        yield Finding((*path, "email"), problem)
    if contact.phone is not None:
        problem = phone_problem(contact.phone, country)
        if problem:
            yield Finding((*path, "phone"), problem)


def customer_findings(customer: CustomerFile, config: Config | None, *, today: dt.date) -> list[Finding]:
    """Every rule about one customer file; config-dependent rules are skipped when config is None."""
    return [
        *_company_findings(customer, config),
        *_tenant_findings(customer, config),
        *_agreement_findings(customer, today),
        *_subscription_findings(customer, config),
        *_admin_access_findings(customer, config),
    ]


def _known_country(customer: CustomerFile) -> str | None:
    """The address's country when it is a real one: phone numbers are checked against it."""
    country = customer.spec.company.address.country
    return None if country_problem(country) else country


def _company_findings(customer: CustomerFile, config: Config | None) -> Iterator[Finding]:
    company = customer.spec.company
    base: JsonPath = ("spec", "company")
    country = company.address.country
    if not _ALPHANUMERIC.search(company.name):
        yield Finding((*base, "name"), "must contain letters or digits, not only punctuation")
    elif company.name.strip().rstrip(".").casefold() in _LEGAL_FORMS_ONLY:
        yield Finding((*base, "name"), f"{company.name!r} is only a legal form; write the full company name")
    problem = email_problem(company.billingEmail)
    if problem:
        yield Finding((*base, "billingEmail"), problem)
    problem = country_problem(country)
    if problem:
        yield Finding((*base, "address", "country"), problem)
    elif config is not None and country not in config.markets:
        yield Finding(
            (*base, "address", "country"),
            f"{country} is not one of the partner's markets in cspsync.yaml ({', '.join(config.markets)})",
        )
    language = culture_language(company.culture)
    if language is None:
        yield Finding((*base, "culture"), f"{company.culture!r} is not a known culture (language-COUNTRY, e.g. en-GB)")
    elif company.language != language:
        yield Finding((*base, "language"), f'must be the language of the culture {company.culture}: "{language}"')
    yield from _contact_findings(company.primaryContact, (*base, "primaryContact"), _known_country(customer))
    if country in REGISTRATION_COUNTRIES:
        if company.organizationRegistrationNumber is None:
            yield Finding(
                base,
                f'missing required field "organizationRegistrationNumber": Partner Center requires '
                f"it for customers in {country}",
                at_key=True,
            )
        if company.primaryContact.phone is None:
            yield Finding(
                (*base, "primaryContact"),
                f'missing required field "phone": Partner Center requires it for customers in {country}',
                at_key=True,
            )
    elif company.organizationRegistrationNumber is not None:
        yield Finding(
            (*base, "organizationRegistrationNumber"),
            f"Partner Center takes a registration number only in {', '.join(REGISTRATION_COUNTRIES)} and rejects "
            f"it for {country} (error 600002); remove it",
        )


def _tenant_findings(customer: CustomerFile, config: Config | None) -> Iterator[Finding]:
    spec = customer.spec
    tenant = spec.tenant
    if tenant.mode == "invite":
        problem = email_problem(tenant.invitationEmail)
        if problem:
            yield Finding(("spec", "tenant", "invitationEmail"), problem)
    if config is None:
        return
    if tenant.mode == "existing":
        own = {config.partner.tenantId.lower(): "the partner's own tenant"}
        own.update({r.tenantId.lower(): f"the tenant of reseller {r.name}" for r in config.partner.resellers})
        if tenant.tenantId.lower() in own:
            yield Finding(
                ("spec", "tenant", "tenantId"), f"is {own[tenant.tenantId.lower()]} in cspsync.yaml, not a customer's"
            )
    if spec.reseller is None:
        return
    names = [r.name for r in config.partner.resellers]
    if config.partner.model == "direct":
        yield Finding(
            ("spec", "reseller"),
            "only an indirect provider sells through resellers, and partner.model "
            'in cspsync.yaml is "direct"; remove it',
        )
    elif spec.reseller not in names:
        guess = did_you_mean(spec.reseller, names)
        hint = f'; did you mean "{guess}"?' if guess else f" (partner.resellers: {', '.join(names) or 'none'})"
        yield Finding(("spec", "reseller"), f"is not a reseller in cspsync.yaml{hint}")


#: the easternmost time zone's offset (the Line Islands, UTC+14): where a new calendar day begins first
_EASTERNMOST = dt.timedelta(hours=14)


def latest_date(now: dt.datetime | None = None) -> dt.date:
    """The date it is now where it is latest (UTC+14): the bound of a declared day such as ``dateAgreed``.

    A day that has begun somewhere is not in the future, so at any instant validate on a laptop in Auckland,
    one in Los Angeles and CI (UTC) agree (the local date made a file valid in Sydney fail CI until UTC's
    midnight). Partner Center takes the day as its midnight UTC, at most 14 hours ahead of its own clock."""
    return ((now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC) + _EASTERNMOST).date()


def _agreement_findings(customer: CustomerFile, today: dt.date) -> Iterator[Finding]:
    agreement = customer.spec.agreement
    if agreement is None:
        return
    base: JsonPath = ("spec", "agreement")
    if agreement.dateAgreed > today:
        yield Finding(
            (*base, "dateAgreed"),
            f"is in the future (no time zone has reached it: the latest date anywhere is {today.isoformat()}); "
            "write the day the customer accepted the agreement",
        )
    yield from _contact_findings(agreement.acceptedBy, (*base, "acceptedBy"), _known_country(customer))


def _subscription_findings(customer: CustomerFile, config: Config | None) -> Iterator[Finding]:
    spec = customer.spec
    pattern = compiled_pattern(config.naming.subscriptionPattern) if config is not None else None
    first_use: dict[str, str] = {}  # name -> where it was first declared
    azure_plan: int | None = None
    for index, sub in enumerate(spec.subscriptions):
        base: JsonPath = ("spec", "subscriptions", index)
        if sub.offer == "azure-plan":
            if azure_plan is not None:
                yield Finding(
                    (*base, "offer"),
                    f"is a second Azure plan (spec.subscriptions[{azure_plan}] is one): Partner Center allows one "
                    "Azure plan per customer; further Azure subscriptions are created under that plan",
                )
            else:
                azure_plan = index
        if spec.agreement is None:
            yield Finding(
                base,
                "needs the customer's Microsoft Customer Agreement first: add spec.agreement "
                "(Partner Center refuses purchases without it, error 13605)",
            )
        yield from _friendly_name_findings(
            sub.friendlyName, base, f"spec.subscriptions[{index}]", pattern, config, first_use
        )
        if isinstance(sub.offer, LicenseOffer):
            if sub.term is None:
                yield Finding(base, 'missing required field "term" for a license offer (P1M, P1Y or P3Y)', at_key=True)
            elif sub.billingCycle == "annual" and sub.term == "P1M":
                yield Finding((*base, "billingCycle"), "annual billing needs a term of P1Y or P3Y (term is P1M)")
            elif sub.billingCycle == "triennial" and sub.term != "P3Y":
                yield Finding((*base, "billingCycle"), f"triennial billing needs a term of P3Y (term is {sub.term})")
        else:
            if sub.term is not None:
                yield Finding((*base, "term"), "the Azure plan has no term; remove it")
            if sub.quantity != 1:
                yield Finding(
                    (*base, "quantity"),
                    f"the Azure plan has quantity 1 (got {sub.quantity}); Azure is billed by consumption",
                )
            if sub.billingCycle != "monthly":
                yield Finding((*base, "billingCycle"), f"the Azure plan is billed monthly (got {sub.billingCycle})")
        if sub.status != "active" and sub.protected:
            yield Finding(
                (*base, "status"),
                f"is {sub.status}, but the subscription is protected; set protected: "
                "false to allow cspsync to change it",
            )
        yield from _azure_subscription_findings(sub, base, pattern, config, first_use)


def _friendly_name_findings(
    name: str,
    path: JsonPath,
    where: str,
    pattern: re.Pattern[str] | None,
    config: Config | None,
    first_use: dict[str, str],
) -> Iterator[Finding]:
    """A subscription's or an Azure subscription's friendly name: the naming policy, and unique among all of
    the customer's (``first_use``: each name's first place, ``where`` this one's)."""
    if pattern is not None and config is not None and not pattern.fullmatch(name):
        yield Finding(
            (*path, "friendlyName"),
            f"does not follow the naming policy in cspsync.yaml "
            f"(naming.subscriptionPattern: {config.naming.subscriptionPattern})",
        )
    key = subscription_key(name)
    if key in first_use:
        yield Finding(
            (*path, "friendlyName"), f"is already the name of {first_use[key]}; friendly names are unique per customer"
        )
    else:
        first_use[key] = where


def _azure_subscription_findings(
    sub: Subscription,
    base: JsonPath,
    pattern: re.Pattern[str] | None,
    config: Config | None,
    first_use: dict[str, str],
) -> Iterator[Finding]:
    """Azure subscriptions live under the Azure plan only; their names share the customer's friendly names."""
    if sub.azureSubscriptions and sub.offer != "azure-plan":
        yield Finding(
            (*base, "azureSubscriptions"),
            "Azure subscriptions live under the Azure plan: move them to the subscription with offer: azure-plan",
        )
        return
    ids: dict[str, int] = {}
    for index, azure in enumerate(sub.azureSubscriptions):
        path: JsonPath = (*base, "azureSubscriptions", index)
        where = f"spec.subscriptions[{base[-1]}].azureSubscriptions[{index}]"
        yield from _friendly_name_findings(azure.friendlyName, path, where, pattern, config, first_use)
        if azure.subscriptionId:
            wanted = azure.subscriptionId.casefold()
            if wanted in ids:
                yield Finding(
                    (*path, "subscriptionId"),
                    f"is already the id of azureSubscriptions[{ids[wanted]}]; each Azure subscription is declared once",
                )
            else:
                ids[wanted] = index


# ------------------------------------------------------------------------------------ admin access


def role_problem(reference: str) -> str | None:
    """A role must be a Microsoft Entra built-in role: GDAP grants no others (see roles.py)."""
    if role_id(reference) is not None:
        return None
    guess = did_you_mean(reference, known_role_names())
    hint = f'; did you mean "{guess}"?' if guess else " (see docs/gdap.md for the names cspsync knows)"
    return f"{reference!r} is not a Microsoft Entra built-in role name or role template id{hint}"


def _group_finding(config: Config | None, group: str, path: JsonPath) -> Finding | None:
    if config is None or group_id(config, group) is not None:
        return None
    names = sorted(config.adminAccess.securityGroups) if config.adminAccess is not None else []
    guess = did_you_mean(group, names)
    hint = f'; did you mean "{guess}"?' if guess else f" (adminAccess.securityGroups: {', '.join(names) or 'none'})"
    return Finding(path, f"is neither a security group of cspsync.yaml nor a group object id{hint}")


def _admin_access_findings(customer: CustomerFile, config: Config | None) -> Iterator[Finding]:
    """GDAP rules of Microsoft Graph (resources/delegatedadminrelationship.md) and Partner Center."""
    access = customer.spec.adminAccess
    if access is None:
        return
    base: JsonPath = ("spec", "adminAccess")
    tenant = customer.spec.tenant
    settings = config.adminAccess if config is not None else None
    if access.approverEmail is not None:
        problem = email_problem(access.approverEmail)
        if problem:
            yield Finding((*base, "approverEmail"), problem)
    names: dict[str, int] = {}
    defaults = 0
    for index, relationship in enumerate(access.relationships):
        path: JsonPath = (*base, "relationships", index)
        if relationship.default:
            defaults += 1
            if defaults > 1:
                yield Finding((*path, "default"), "a tenant has one Default GDAP relationship; declare it once")
            for field in ("name", "duration", "autoExtend"):
                if getattr(relationship, field) is not None:
                    yield Finding(
                        (*path, field),
                        "the Default GDAP relationship is named and shaped by Partner Center; declare only its "
                        "assignments (remove it, or remove default: true)",
                    )
            if relationship.roles:
                yield Finding(
                    (*path, "roles"),
                    "the Default GDAP relationship's roles are Microsoft's; declare only its assignments",
                )
            if tenant.mode == "create" and settings is not None and not settings.enableGDAPByDefault:
                yield Finding(
                    (*path, "default"),
                    "cspsync.yaml sets adminAccess.enableGDAPByDefault: false, so Partner Center creates this "
                    "tenant without a Default GDAP relationship; set it to true or declare a named relationship",
                )
            elif tenant.mode == "create" and config is not None and settings is None:
                yield Finding(
                    (*path, "default"),
                    "needs adminAccess.enableGDAPByDefault: true in cspsync.yaml (the choice is sent with the new "
                    "tenant and must be explicit)",
                )
        elif relationship.name is None:
            yield Finding(
                path,
                'missing required field "name": the relationship\'s display name in Partner Center (or set '
                "default: true for the Default GDAP relationship)",
                at_key=True,
            )
        else:
            key = relationship_key(relationship.name)
            if key in names:
                yield Finding(
                    (*path, "name"),
                    f"is already the name of spec.adminAccess.relationships[{names[key]}]; display names are unique "
                    "across all of the partner's relationships",
                )
            names.setdefault(key, index)
        if relationship.duration is not None:
            days = duration_days(relationship.duration)
            if days is None or not 1 <= days <= MAX_DURATION_DAYS:
                yield Finding(
                    (*path, "duration"),
                    f"must be between P1D and P2Y ({MAX_DURATION_DAYS} days), as Microsoft Graph requires",
                )
        for role_index, reference in enumerate(relationship.roles):
            problem = role_problem(reference)
            if problem:
                yield Finding((*path, "roles", role_index), problem)
        templates = settings.roleTemplates if settings is not None else {}
        for template_index, template in enumerate(relationship.templates):
            if config is not None and template not in templates:
                guess = did_you_mean(template, list(templates))
                hint = f'; did you mean "{guess}"?' if guess else f" ({', '.join(sorted(templates)) or 'none'})"
                yield Finding(
                    (*path, "templates", template_index),
                    f"is not a role template in cspsync.yaml adminAccess.roleTemplates{hint}",
                )
        resolved = resolve_relationship(relationship, config)
        granted = set(DEFAULT_GDAP_ROLES) if relationship.default else set(resolved.roles)
        if (
            not relationship.default
            and not relationship.terminate
            and not (relationship.roles or relationship.templates)
        ):
            yield Finding(path, "requests no role: add roles or templates", at_key=True)
        if relationship.autoExtend and GLOBAL_ADMINISTRATOR in resolved.roles:
            yield Finding(
                (*path, "autoExtend"),
                "a relationship with the Global Administrator role cannot be auto-extended: Microsoft does not "
                "extend GDAP relationships that include Global Administrator (partner-center: Extend granular "
                "delegated admin privileges), so it would end on its end date; set autoExtend: false (cspsync then "
                "requests a replacement before it ends) or remove Global Administrator",
            )
        for assignment_index, assignment in enumerate(relationship.assignments):
            apath: JsonPath = (*path, "assignments", assignment_index)
            found = _group_finding(config, assignment.group, (*apath, "group"))
            if found is not None:
                yield found
            for role_index, reference in enumerate(assignment.roles):
                problem = role_problem(reference)
                if problem:
                    yield Finding((*apath, "roles", role_index), problem)
                    continue
                wanted = role_id(reference)
                if wanted not in granted:
                    what = "the Default GDAP relationship" if relationship.default else "this relationship"
                    yield Finding(
                        (*apath, "roles", role_index),
                        f"{role_name(wanted or reference)} is not one of the roles of {what}: an access assignment "
                        "can only give roles the relationship grants",
                    )
        if relationship.default and resolved.roles == () and config is not None:
            for template in relationship.templates:
                found_template = templates.get(template)
                if found_template is None:
                    continue
                extra = sorted({r for ref in found_template.roles if (r := role_id(ref))} - granted)
                if extra and found_template.assignTo:
                    yield Finding(
                        (*path, "templates"),
                        f"template {template} gives {', '.join(role_name(r) for r in extra)}, which the Default "
                        "GDAP relationship does not grant; use a named relationship for those roles",
                    )
    approved = [r.name for r in access.relationships if not r.default and not r.terminate and r.name]
    if approved and tenant.mode == "create" and access.approverEmail is None:
        yield Finding(
            base,
            f'missing required field "approverEmail": a global admin of the customer must approve '
            f"{', '.join(approved)}, and tenant.mode {tenant.mode} names nobody to send the approval link to",
            at_key=True,
        )


# ---------------------------------------------------------------------------------------- all files


def cross_file_findings(
    claims: Sequence[Sequence[Claim]], where: Callable[[int, JsonPath], str]
) -> list[tuple[int, Finding]]:
    """Names, companies, domains and tenant ids that two files claim (``claims[i]`` is the
    :func:`~cspsync.declarations.keys.claims_of` of file ``i``); the later file gets the problem.

    Returns (index into ``claims``, finding) pairs. ``where(i, path)`` places the earlier file's field
    (``FILE:LINE:COL``); it is asked only for a conflict, so files need not be kept to be placed.
    """
    first: dict[tuple[str, str], int] = {}  # (kind, value) -> the index of the file that claimed it first
    findings: list[tuple[int, Finding]] = []
    for index, claimed in enumerate(claims):
        for kind, value, path, label in claimed:
            earlier = first.setdefault((kind, value), index)
            if earlier != index:
                earlier_path = next(c[2] for c in claims[earlier] if c[0] == kind and c[1] == value)
                message = (
                    f"{label} is already declared in {where(earlier, earlier_path)}; each customer (and tenant) has "
                    "exactly one file"
                )
                findings.append((index, Finding(path, message)))
    return findings


# ------------------------------------------------------------------------------------------- config


def config_findings(config: Config) -> list[Finding]:
    findings = []
    seen_markets: set[str] = set()
    for index, market in enumerate(config.markets):
        problem = country_problem(market)
        if problem:
            findings.append(Finding(("markets", index), problem))
        elif market in seen_markets:
            findings.append(Finding(("markets", index), f"{market} is listed twice"))
        seen_markets.add(market)
    try:
        re.compile(config.naming.subscriptionPattern)
    except re.error as err:
        findings.append(Finding(("naming", "subscriptionPattern"), f"is not a valid regular expression: {err}"))
    for index, recipient in enumerate(config.credentials.ageRecipients):
        problem = recipient_problem(recipient)
        if problem:
            findings.append(Finding(("credentials", "ageRecipients", index), problem))
    partner = config.partner
    if partner.model == "direct" and partner.resellers:
        findings.append(
            Finding(
                ("partner", "resellers"),
                "a direct partner has no indirect resellers; set model: indirect-provider or remove them",
            )
        )
    findings += _admin_config_findings(config)
    names: dict[str, int] = {}
    tenants: dict[str, int] = {}
    for index, reseller in enumerate(partner.resellers):
        name_key, tenant_key = reseller.name.casefold(), reseller.tenantId.lower()
        if name_key in names:
            findings.append(
                Finding(
                    ("partner", "resellers", index, "name"),
                    f"is already the name of partner.resellers[{names[name_key]}]",
                )
            )
        if tenant_key in tenants:
            findings.append(
                Finding(
                    ("partner", "resellers", index, "tenantId"),
                    f"is already the tenant of partner.resellers[{tenants[tenant_key]}]",
                )
            )
        if tenant_key == partner.tenantId.lower():
            findings.append(Finding(("partner", "resellers", index, "tenantId"), "is the partner's own tenant"))
        names.setdefault(name_key, index)
        tenants.setdefault(tenant_key, index)
    return findings


def _admin_config_findings(config: Config) -> list[Finding]:
    """Role templates name built-in roles and security groups of the same config."""
    settings = config.adminAccess
    if settings is None:
        return []
    findings: list[Finding] = []
    base: JsonPath = ("adminAccess",)
    for name, template in settings.roleTemplates.items():
        path: JsonPath = (*base, "roleTemplates", name)
        for index, reference in enumerate(template.roles):
            problem = role_problem(reference)
            if problem:
                findings.append(Finding((*path, "roles", index), problem))
        for index, group in enumerate(template.assignTo):
            if group not in settings.securityGroups:
                names = sorted(settings.securityGroups)
                guess = did_you_mean(group, names)
                hint = f'; did you mean "{guess}"?' if guess else f" ({', '.join(names) or 'none'})"
                findings.append(
                    Finding((*path, "assignTo", index), f"is not a name of adminAccess.securityGroups{hint}")
                )
    seen: dict[str, str] = {}
    for name, object_id in settings.securityGroups.items():
        key = object_id.lower()
        if key in seen:
            findings.append(
                Finding((*base, "securityGroups", name), f"is the same group as securityGroups.{seen[key]}")
            )
        seen.setdefault(key, name)
    return findings
