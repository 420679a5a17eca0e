"""Phone numbers libphonenumber accepts for a country, known without its full parse.

``phonenumbers.parse`` is general: it finds a number in free text, strips extensions, national and
international prefixes, and tries every normalisation. For the form declarations use, ``+`` and the country
code then digits separated by single spaces or hyphens, almost all of that is idle, and it was ~20 us of a
customer file's ~120 us check (bench/README.md, section 1c). :func:`plain_phone` answers only "valid for
this country" and leaves every other case to libphonenumber, so it can make a check faster but never
change its answer:

- the country code is the one of the country's metadata, and no shorter prefix of the digits is a country
  code (what ``_extract_country_code`` would take first);
- the national number does not start with 0 (libphonenumber then keeps leading zeros, the "Italian" case)
  and does not start with the national prefix for parsing of the country code's main region (which
  ``parse`` would try to strip): both go to the full parse;
- it is valid when it matches the general description and one of the number types, each with its possible
  lengths, as ``_number_type_helper`` decides (mobile only when its pattern differs from the fixed line's);
  which type matches first does not change that it is valid.

The descriptions come from phonenumbers' own metadata. A property test holds the shortcut to
``phonenumbers.parse`` and ``is_valid_number_for_region`` for every region's example numbers and random
variations of them (tests/declarations/test_phones.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

_PLAIN = re.compile(r"\+[1-9][0-9]*(?:[ -][0-9]+)*")
_SEPARATORS = str.maketrans("", "", " -")
_LONGEST_NATIONAL = 17  # libphonenumber's _MAX_LENGTH_FOR_NSN; under 2 digits is not a number
#: the number types _number_type_helper tries after the general description. It names the first that matches;
#: valid is "any matches", so the two a contact's number almost always is come first (a mobile number was
#: tried against eight patterns before its own)
_TYPES = (
    "fixed_line",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)

#: a description as (its possible lengths, empty when any; its pattern's fullmatch)
_Description = tuple[frozenset[int], Callable[[str], Any]]


@dataclass(frozen=True, slots=True)
class _Region:
    """What the shortcut needs of one region: its code, the prefix ``parse`` strips, its descriptions."""

    code: str
    national_prefix: re.Pattern[str] | None
    general: _Description
    types: tuple[_Description, ...]


def _description(desc: Any) -> _Description | None:
    if desc is None or not desc.national_number_pattern:
        return None  # _match_national_number: no pattern matches nothing
    return frozenset(desc.possible_length), re.compile(desc.national_number_pattern).fullmatch


@cache
def _region(country: str) -> _Region | None:
    import phonenumbers
    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(country)
    general = _description(metadata.general_desc) if metadata is not None else None
    if metadata is None or general is None or not metadata.country_code:
        return None
    code = metadata.country_code
    main = PhoneMetadata.metadata_for_region_or_calling_code(code, phonenumbers.region_code_for_country_code(code))
    if main is None:
        return None
    prefix = re.compile(main.national_prefix_for_parsing) if main.national_prefix_for_parsing else None
    names = _TYPES if metadata.same_mobile_and_fixed_line_pattern else ("mobile", *_TYPES)
    types = tuple(found for name in names if (found := _description(getattr(metadata, name))) is not None)
    return _Region(str(code), prefix, general, types)


@cache
def _shorter_codes() -> frozenset[str]:
    """Every country code, as text: a shorter prefix that is one would be taken by libphonenumber first."""
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

    return frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)


def _matches(national: str, description: _Description) -> bool:
    lengths, fullmatch = description
    return (not lengths or len(national) in lengths) and fullmatch(national) is not None


def plain_phone(number: str, country: str) -> bool:
    """True when libphonenumber would find ``number`` a valid number of ``country``; False: ask it."""
    if not _PLAIN.fullmatch(number):
        return False
    region = _region(country)
    if region is None:
        return False
    digits = number[1:].translate(_SEPARATORS)
    code = region.code
    if not digits.startswith(code):
        return False
    codes = _shorter_codes()
    if any(digits[:size] in codes for size in range(1, len(code))):
        return False
    national = digits[len(code) :]
    if not 2 <= len(national) <= _LONGEST_NATIONAL or national[0] == "0":
        return False
    if region.national_prefix is not None and region.national_prefix.match(national):
        return False
    if not _matches(national, region.general):
        return False
    return any(_matches(national, description) for description in region.types)
