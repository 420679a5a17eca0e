"""Pricebook rules resolve as documented: the most specific rule wins, prices round to the minor unit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cspsync.currency import format_money, market_currency, round_money
from cspsync.declarations.pricebooks import OfferKey, Pricebook, PricebookFile

E3 = OfferKey("CFQ7TTC0LFLX", "0001", "P1Y", "monthly")


def book(*rules: dict[str, Any], currency: str = "GBP", default: float | None = None) -> Pricebook:
    document: dict[str, Any] = {"apiVersion": "cspsync.io/v1", "kind": "Pricebook", "name": "test"}
    document["currency"] = currency
    if default is not None:
        document["defaultMarkup"] = default
    document["rules"] = list(rules)
    return Pricebook(Path("pricebooks/test.yaml"), PricebookFile.model_validate(document))


def test_a_rule_naming_the_product_beats_rules_on_term_and_billing_cycle() -> None:
    prices = book(
        {"term": "P1Y", "billingCycle": "monthly", "markup": 30},
        {"product": "CFQ7TTC0LFLX", "markup": 10},
        default=50,
    )
    resolution = prices.resolve(E3)
    assert resolution is not None
    assert (resolution.rule_index, resolution.markup) == (1, Decimal(10))


def test_each_further_field_is_more_specific_and_the_default_covers_the_rest() -> None:
    prices = book(
        {"product": "CFQ7TTC0LFLX", "markup": 10},
        {"product": "CFQ7TTC0LFLX", "sku": "0001", "markup": 11},
        {"product": "CFQ7TTC0LFLX", "sku": "0001", "term": "P1Y", "markup": 12},
        {"product": "CFQ7TTC0LFLX", "sku": "0001", "term": "P1Y", "billingCycle": "monthly", "monthlyPrice": 33.5},
        default=20,
    )
    chosen = {
        "exact": prices.resolve(E3),
        "other cycle": prices.resolve(OfferKey("CFQ7TTC0LFLX", "0001", "P1Y", "annual")),
        "other term": prices.resolve(OfferKey("CFQ7TTC0LFLX", "0001", "P3Y", "annual")),
        "other sku": prices.resolve(OfferKey("CFQ7TTC0LFLX", "0002", "P1Y", "monthly")),
        "other product": prices.resolve(OfferKey("CFQ7TTC0LH18", "0001", "P1Y", "monthly")),
    }
    assert {name: r.rule_index if r else "none" for name, r in chosen.items()} == {
        "exact": 3,
        "other cycle": 2,
        "other term": 1,
        "other sku": 0,
        "other product": None,  # defaultMarkup
    }
    assert chosen["exact"] is not None and chosen["exact"].monthly_price == Decimal("33.5")


def test_without_a_matching_rule_or_default_the_offer_is_not_priced() -> None:
    assert book({"product": "CFQ7TTC0LH18", "markup": 10}).resolve(E3) is None


def test_markup_rounds_half_up_to_the_pence() -> None:
    resolution = book(default=12.5).resolve(E3)
    assert resolution is not None
    # 29.60 x 1.125 = 33.30; 10.01 x 1.125 = 11.26125 -> 11.26; 10.02 x 1.125 = 11.2725 -> 11.27
    assert resolution.unit_price(Decimal("29.60"), "GBP") == Decimal("33.30")
    assert resolution.unit_price(Decimal("10.01"), "GBP") == Decimal("11.26")
    assert resolution.unit_price(Decimal("10.02"), "GBP") == Decimal("11.27")
    assert resolution.unit_price(Decimal("0.04"), "GBP") == Decimal("0.05")  # 0.045 rounds up


def test_yen_has_no_minor_unit() -> None:
    resolution = book(currency="JPY", default=15).resolve(E3)
    assert resolution is not None
    assert resolution.unit_price(Decimal("3290"), "JPY") == Decimal("3784")  # 3783.5 -> 3784
    assert str(resolution.unit_price(Decimal("1000"), "JPY")) == "1150"
    assert round_money(Decimal("1234.5"), "JPY") == Decimal("1235")
    assert format_money(Decimal("1234.5"), "JPY") == "JPY 1,235"


def test_equal_rounded_amounts_are_one_object_and_written_as_their_currency_writes_them() -> None:
    """A plan keeps hundreds of thousands of amounts; equal ones are shared, never at another exponent."""
    first, second = round_money(Decimal("14.044"), "GBP"), round_money(Decimal("14.04"), "GBP")
    assert first is second and str(first) == "14.04"
    assert str(round_money(Decimal("0"), "GBP")) == "0.00" and str(round_money(Decimal("0.001"), "JPY")) == "0"
    assert str(round_money(Decimal("14"), "JPY")) == "14" and str(round_money(Decimal("14"), "EUR")) == "14.00"
    assert str(round_money(Decimal("-0.001"), "GBP")) == "-0.00"  # not made the 0.00 shared with others
    assert str(round_money(Decimal("0.001"), "GBP")) == "0.00"


def test_a_fixed_price_ignores_the_cost_and_a_markup_needs_one() -> None:
    fixed = book({"product": "CFQ7TTC0LFLX", "monthlyPrice": 19.95}).resolve(E3)
    marked = book(default=20).resolve(E3)
    assert fixed is not None and marked is not None
    assert fixed.unit_price(None, "GBP") == Decimal("19.95")
    assert marked.unit_price(None, "GBP") is None


def test_amounts_are_decimals_as_written_never_floats() -> None:
    prices = book({"product": "CFQ7TTC0LFLX", "monthlyPrice": 0.1}, default=0.3)
    assert prices.model.rules[0].monthlyPrice == Decimal("0.1")
    assert prices.model.defaultMarkup == Decimal("0.3")


@pytest.mark.parametrize(
    ("market", "currency"),
    [("GB", "GBP"), ("IE", "EUR"), ("DE", "EUR"), ("NL", "EUR"), ("FR", "EUR"), ("NO", "NOK"), ("US", "USD"),
     ("SE", "SEK"), ("DK", "DKK"), ("CH", "CHF"), ("JP", "JPY"), ("BR", "USD"), ("PL", "EUR")],
)  # fmt: skip
def test_market_currencies(market: str, currency: str) -> None:
    assert market_currency(market) == currency


def test_money_is_written_with_its_code_and_a_sign_for_changes() -> None:
    assert format_money(Decimal("1234.5"), "GBP") == "GBP 1,234.50"
    assert format_money(Decimal("54.3"), "EUR", sign=True) == "+EUR 54.30"
    assert format_money(Decimal("-54.3"), "EUR", sign=True) == "-EUR 54.30"
    assert format_money(Decimal("0"), "NOK", sign=True) == "NOK 0.00"
