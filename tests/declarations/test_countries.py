"""The country codes a declaration may name are ISO 3166-1's, as pycountry lists them."""

from __future__ import annotations

import pycountry

from cspsync.declarations.countries import ISO_3166_ALPHA_2
from cspsync.declarations.rules import country_problem


def test_the_written_out_codes_are_exactly_pycountrys() -> None:
    assert {country.alpha_2 for country in pycountry.countries} == ISO_3166_ALPHA_2


def test_a_code_iso_does_not_know_is_refused_with_the_likely_one() -> None:
    assert country_problem("NO") is None
    assert country_problem("AX") is None  # Åland: in ISO 3166-1, easily missed by a hand-made list
    assert country_problem("UK") == 'is not an ISO 3166-1 country code; did you mean "GB"?'
    assert country_problem("XK") == "is not an ISO 3166-1 alpha-2 country code"  # Kosovo: user-assigned, not ISO
