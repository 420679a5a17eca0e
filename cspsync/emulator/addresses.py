"""Postal rules per country, used by address validation, customer creation and generated customers.

Only the countries the emulator sells in plus the US; other countries get the lenient default rule
(line 1, city and country required). Postal code patterns are the national formats.
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
        address["state"] = "WA"
    return address
