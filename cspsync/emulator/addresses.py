"""Postal rules per country, used by address validation, customer creation and generated customers.

Only the countries the emulator sells in plus the US and CA; other countries get the lenient default rule
(line 1, city and country required). Postal code patterns are the national formats.

Address validation follows "Validate an address" (validate-an-address, the 2021 revision with statuses
and suggested addresses): the answer is always 200 with ``originalAddress``, ``suggestedAddresses`` and
``status``; the emulator's statuses are ``None`` (a required field is missing or malformed, no suggestion),
``StreetPartial`` (the street has no house number, three suggestions), ``VerifiedShippable`` (one
suggestion: the address in its postal form) and ``NotValidated`` (a country without postal rules here).
Not emulated: ``Verified``, ``InteractionRequired``, ``PremisesPartial`` and ``Multiple``, which need a
real address database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


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
    if problems:
        fields = sorted({problem.split(" ")[0].rstrip(".") for problem in problems})
        names = ", ".join(f"'{field[:1].upper()}{field[1:]}'" for field in fields)
        return {**body, "status": "None", "validationMessage": f"Address field invalid for property: {names}"}
    country = original["country"].strip().upper()
    if country not in COUNTRY_RULES:
        return {**body, "status": "NotValidated", "validationMessage": f"Addresses in {country} are not validated."}
    suggestion = normalized(address)
    if "postalCode" in suggestion:
        suggestion["postalCode"] = _postal_code_form(country, suggestion["postalCode"])
    if country in _NUMBERED_STREETS and not _has_premises(suggestion["addressLine1"]):
        numbered = [{**suggestion, "addressLine1": f"{n} {suggestion['addressLine1']}"} for n in (1, 2, 3)]
        return {
            **body,
            "suggestedAddresses": numbered,
            "status": "StreetPartial",
            "validationMessage": "Address field invalid for property: 'AddressLine1'",
        }
    return {**body, "suggestedAddresses": [suggestion], "status": "VerifiedShippable"}
