"""The phone shortcut never calls a number valid that libphonenumber would refuse, and takes the usual ones."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from cspsync.declarations.phones import plain_phone
from cspsync.declarations.rules import phone_problem

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
TYPES = [value for name, value in vars(PhoneNumberType).items() if name.isupper() and name != "UNKNOWN"]


def libphonenumber_says_valid(number: str, country: str) -> bool:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number_for_region(parsed, country)


def examples() -> list[tuple[str, str]]:
    """Every region's example number of every type, as E.164 and in the international format."""
    found = []
    for region in REGIONS:
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            for style in (PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL):
                found.append((phonenumbers.format_number(example, style), region))
    return found


def variations(number: str, rng: random.Random) -> list[str]:
    """The number with one digit changed, removed, added, and separators moved."""
    digits = [index for index, character in enumerate(number) if character.isdigit()]
    out = []
    for _ in range(6):
        index = rng.choice(digits[1:]) if len(digits) > 1 else digits[0]
        out.append(number[:index] + str(rng.randrange(10)) + number[index + 1 :])
        out.append(number[:index] + number[index + 1 :])
        out.append(number[:index] + str(rng.randrange(10)) + number[index:])
        out.append(number[:index] + rng.choice(" -") + number[index:])
    return out


def test_every_example_number_and_its_variations_agree_with_libphonenumber() -> None:
    rng = random.Random(19)
    taken = valid = 0
    for number, region in examples():
        for candidate in [number, *variations(number, rng)]:
            if plain_phone(candidate, region):
                taken += 1
                assert libphonenumber_says_valid(candidate, region), (candidate, region)
            elif candidate == number:
                valid += libphonenumber_says_valid(candidate, region)
    # the shortcut is not idle: most valid numbers are known without the parse
    assert taken > 10 * valid


def test_numbers_of_other_countries_and_other_forms_are_left_to_libphonenumber() -> None:
    assert plain_phone("+47 22 12 34 56", "NO")
    assert plain_phone("+47-22-12-34-56", "NO")
    assert not plain_phone("+44 117 496 0123", "NO")  # a GB number: the full check says so
    assert not plain_phone("+39 02 1234 5678", "IT")  # leading zero: libphonenumber keeps it
    assert not plain_phone("+44 (0)117 496 0123", "GB")  # parentheses: the full parse strips the 0
    assert not plain_phone("+44 0117 496 0123", "GB")  # the national prefix: the full parse strips it
    assert not plain_phone("+47  22 12 34 56", "NO")  # two spaces
    assert not plain_phone("+47 22 12 34 56", "XX")  # no such region
    assert phone_problem("+44 0117 496 0123", "GB") is None
    assert phone_problem("+39 02 1234 5678", "IT") is None


@settings(max_examples=400, deadline=None)
@given(
    region=st.sampled_from(REGIONS),
    national=st.text(alphabet="0123456789", min_size=1, max_size=19),
    separators=st.lists(st.sampled_from(["", " ", "-"]), min_size=19, max_size=19),
)
def test_random_digits_after_a_country_code_agree_with_libphonenumber(
    region: str, national: str, separators: list[str]
) -> None:
    code = str(phonenumbers.country_code_for_region(region))
    number = "+" + code + "".join(separator + digit for separator, digit in zip(separators, national, strict=False))
    if plain_phone(number, region):
        assert libphonenumber_says_valid(number, region), (number, region)


#: the number ranges bench/validate.py writes its portfolios with (its COUNTRIES)
PORTFOLIO = {
    "GB": "+44 20 7946 0{d:03d}",
    "IE": "+353 1 555 0{d:03d}",
    "NO": "+47 22 12 3{d:03d}",
    "DE": "+49 30 1234 5{d:03d}",
    "NL": "+31 20 794 5{d:03d}",
    "FR": "+33 1 23 45 6{d:03d}",
}


@pytest.mark.parametrize("country", sorted(PORTFOLIO))
def test_the_numbers_of_a_generated_portfolio_take_the_shortcut(country: str) -> None:
    for d in range(1000):
        number = PORTFOLIO[country].format(d=d)
        assert plain_phone(number, country), number
        assert libphonenumber_says_valid(number, country), number
