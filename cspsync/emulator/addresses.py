"""Postal rules per country, used by address validation, customer creation and generated customers.

Only the countries the emulator sells in plus the US and CA; other countries get the lenient default rule
(line 1, city and country required). Postal code patterns are the national formats.

Address validation follows "Validate an address" (validate-an-address, the 2021 revision with statuses
and suggested addresses): the answer is always 200 with ``originalAddress``, ``suggestedAddresses`` and
``status``, one of the page's eight with the page's number of suggestions. The page gives the meaning of
each status, not the address database behind it, so the emulator decides by rules a test can aim at:

- ``None`` (no suggestion): a required field missing or malformed; in the US, CA, MX and CN (the countries
  whose states the page says are checked against the country's list) a state that is not one of them;
- ``NotValidated`` (none): a country without postal rules here;
- ``InteractionRequired`` (one): the postal code belongs to another city (``KNOWN_POSTAL_AREAS``), so the
  suggestion changes the city, which the page calls a significant change needing the user's confirmation;
- ``StreetPartial`` (three): the street has no house number;
- ``PremisesPartial`` (three): a suite, unit, flat, floor or building word without its number;
- ``Multiple`` (three): both of the last two;
- ``Verified`` (one): a post-office box (it exists, but is no premises to ship to);
- ``VerifiedShippable`` (one): anything else, the suggestion being the address in its postal form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import pycountry


@dataclass(frozen=True)
class CountryRule:
    postal_code: re.Pattern[str] | None  # None: no postal code needed
    state_required: bool
    culture: str
    language: str
    sample_city: str
    sample_postal_code: str | None


COUNTRY_RULES: dict[str, CountryRule] = {
    "GB": CountryRule(
        re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", re.I), False, "en-GB", "en", "London", "EC1A 1BB"
    ),
    "IE": CountryRule(
        re.compile(r"[AC-FHKNPRTV-Y]\d{2}( ?[AC-FHKNPRTV-Y\d]{4})?", re.I), False, "en-IE", "en", "Dublin", "D02 X285"
    ),
    "NO": CountryRule(re.compile(r"\d{4}"), False, "nb-NO", "nb", "Oslo", "0150"),
    "DE": CountryRule(re.compile(r"\d{5}"), False, "de-DE", "de", "Berlin", "10115"),
    "NL": CountryRule(re.compile(r"\d{4} ?[A-Z]{2}", re.I), False, "nl-NL", "nl", "Amsterdam", "1012 AB"),
    "FR": CountryRule(re.compile(r"\d{5}"), False, "fr-FR", "fr", "Paris", "75001"),
    "US": CountryRule(re.compile(r"\d{5}(-\d{4})?"), True, "en-US", "en", "Redmond", "98052"),
    "CA": CountryRule(re.compile(r"[A-Z]\d[A-Z] ?\d[A-Z]\d", re.I), True, "en-CA", "en", "Toronto", "M5H 2N2"),
}
DEFAULT_RULE = CountryRule(None, False, "en-US", "en", "Capital City", None)

# Countries where Partner Center requires an organization registration number and a phone number.
REGISTRATION_NUMBER_COUNTRIES = frozenset({"AM", "AZ", "BY", "HU", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA"})


def rule_for(country: str) -> CountryRule:
    return COUNTRY_RULES.get(country.upper(), DEFAULT_RULE)


def address_problems(address: dict[str, Any]) -> list[str]:
    """What keeps ``address`` from being shippable, as short sentences naming the field; [] when fine."""
    problems = [
        f"{field} is required."
        for field in ("addressLine1", "city", "country")
        if not isinstance(address.get(field), str) or not address[field].strip()
    ]
    country = address.get("country")
    if not isinstance(country, str) or not country.strip():
        return problems
    if not re.fullmatch(r"[A-Za-z]{2}", country):
        return [*problems, f"country {country!r} is not an ISO 3166-1 alpha-2 code."]
    rule = rule_for(country)
    postal_code = address.get("postalCode")
    if rule.postal_code is not None:
        if not isinstance(postal_code, str) or not postal_code.strip():
            problems.append(f"postalCode is required in {country.upper()}.")
        elif not rule.postal_code.fullmatch(postal_code.strip()):
            problems.append(f"postalCode {postal_code!r} is not a valid postal code in {country.upper()}.")
    if rule.state_required and not address.get("state"):
        problems.append(f"state is required in {country.upper()}.")
    return problems


def normalized(address: dict[str, Any]) -> dict[str, Any]:
    """The address as the validation service suggests it: trimmed, country and postal code upper case."""
    fields = ("addressLine1", "addressLine2", "addressLine3", "city", "state", "postalCode", "country")
    result = {field: address[field].strip() for field in fields if isinstance(address.get(field), str)}
    for field in ("country", "postalCode"):
        if field in result:
            result[field] = result[field].upper()
    return result


def sample_address(country: str, line1: str = "1 Main Street") -> dict[str, Any]:
    """A valid address in ``country`` for generated customers."""
    rule = rule_for(country)
    address: dict[str, Any] = {"addressLine1": line1, "city": rule.sample_city, "country": country.upper()}
    if rule.sample_postal_code:
        address["postalCode"] = rule.sample_postal_code
    if rule.state_required:
        address["state"] = {"US": "WA", "CA": "ON"}.get(country.upper(), "")
    return address


_NUMBER_WORDS = frozenset({"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"})
#: Countries whose street addresses carry a house number the emulator can check for.
_NUMBERED_STREETS = frozenset({"GB", "US", "CA", "DE", "NL", "NO", "FR"})


def _has_premises(line: str) -> bool:
    return any(char.isdigit() for char in line) or any(word.lower() in _NUMBER_WORDS for word in line.split())


def _postal_code_form(country: str, postal_code: str) -> str:
    """The postal code as the national format writes it (GB/CA/NL with their space)."""
    compact = postal_code.replace(" ", "").upper()
    if country in ("GB", "CA") and len(compact) > 3:
        return f"{compact[:-3]} {compact[-3:]}"
    if country == "NL" and len(compact) == 6:
        return f"{compact[:4]} {compact[4:]}"
    return compact


#: (country, postal code prefix) -> the city the postal code belongs to, for ``InteractionRequired``
KNOWN_POSTAL_AREAS: dict[tuple[str, str], str] = {
    ("GB", "BS1"): "Bristol",
    ("GB", "EC1A"): "London",
    ("GB", "M1"): "Manchester",
    ("IE", "D02"): "Dublin",
    ("NO", "01"): "Oslo",
    ("NO", "50"): "Bergen",
    ("DE", "101"): "Berlin",
    ("DE", "803"): "München",
    ("NL", "1012"): "Amsterdam",
    ("FR", "750"): "Paris",
    ("US", "98052"): "Redmond",
    ("CA", "M5H"): "Toronto",
}
#: countries whose ``state`` the page says is checked against the country's list of states
_STATE_LISTS = frozenset({"US", "CA", "MX", "CN"})
_PREMISES_WORD = re.compile(r"\b(suite|unit|flat|apt|apartment|floor|building|bldg)\b\.?(?!\s*#?\s*\w*\d)", re.I)
_PO_BOX = re.compile(r"^\s*(p\.?\s*o\.?\s*box|post\s*office\s*box|postfach|postboks|boîte postale|bp)\b", re.I)


@cache
def _states(country: str) -> frozenset[str]:
    found = pycountry.subdivisions.get(country_code=country) or []  # type: ignore[no-untyped-call]
    return frozenset(s.code.split("-", 1)[1].upper() for s in found)


def _state_problem(country: str, state: object) -> bool:
    return country in _STATE_LISTS and isinstance(state, str) and state.strip().upper() not in _states(country)


def _city_of(country: str, postal_code: str) -> str | None:
    compact = postal_code.replace(" ", "").upper()
    for (where, prefix), city in KNOWN_POSTAL_AREAS.items():
        if where == country and compact.startswith(prefix):
            return city
    return None


def _numbered(suggestion: dict[str, Any], number: Any) -> list[dict[str, Any]]:
    return [{**suggestion, "addressLine1": number(n)} for n in (1, 2, 3)]


def validation(address: dict[str, Any]) -> dict[str, Any]:
    """The AddressValidationResponse for ``address`` (camelCase fields as sent)."""
    original = {
        key: value
        for key, value in address.items()
        if key in ("addressLine1", "addressLine2", "addressLine3", "city", "state", "postalCode", "country")
        and isinstance(value, str)
    }
    body: dict[str, Any] = {"originalAddress": original, "suggestedAddresses": []}
    problems = address_problems(address)
    fields = {problem.split(" ")[0].rstrip(".") for problem in problems}
    country = str(original.get("country", "")).strip().upper()
    if not problems and _state_problem(country, address.get("state")):
        fields.add("state")
    if fields:
        names = ", ".join(f"'{field[:1].upper()}{field[1:]}'" for field in sorted(fields))
        return {**body, "status": "None", "validationMessage": f"Address field invalid for property: {names}"}
    if country not in COUNTRY_RULES:
        return {**body, "status": "NotValidated", "validationMessage": f"Addresses in {country} are not validated."}
    suggestion = normalized(address)
    if "postalCode" in suggestion:
        suggestion["postalCode"] = _postal_code_form(country, suggestion["postalCode"])
    line = suggestion["addressLine1"]
    if _PO_BOX.match(line):
        return {**body, "suggestedAddresses": [suggestion], "status": "Verified"}
    city = _city_of(country, suggestion.get("postalCode", ""))
    if city is not None and city.casefold() != suggestion["city"].casefold():
        return {
            **body,
            "suggestedAddresses": [{**suggestion, "city": city}],
            "status": "InteractionRequired",
            "validationMessage": "Address field invalid for property: 'City'",
        }
    street_partial = country in _NUMBERED_STREETS and not _has_premises(_PREMISES_WORD.sub("", line))
    premises = _PREMISES_WORD.search(line)
    if premises and street_partial:
        word = premises.group(0)
        rest = _PREMISES_WORD.sub("", line, count=1).strip(" ,")
        numbered = _numbered(suggestion, lambda n: f"{word} {n}, {n} {rest}")
        status, names = "Multiple", "'AddressLine1', 'AddressLine2'"
    elif premises:
        word = premises.group(0)
        numbered = _numbered(suggestion, lambda n: line.replace(word, f"{word} {n}", 1))
        status, names = "PremisesPartial", "'AddressLine2'"
    elif street_partial:
        numbered = _numbered(suggestion, lambda n: f"{n} {line}")
        status, names = "StreetPartial", "'AddressLine1'"
    else:
        return {**body, "suggestedAddresses": [suggestion], "status": "VerifiedShippable"}
    return {
        **body,
        "suggestedAddresses": numbered,
        "status": status,
        "validationMessage": f"Address field invalid for property: {names}",
    }
