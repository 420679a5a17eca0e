"""Currencies: which one Partner Center bills in each market, minor units, rounding and display.

``MARKET_CURRENCY`` is Microsoft's "Geographic availability and currency support" table (the currency
assigned to each market for commercial-marketplace and CSP purchases), with the one exception that table
notes: CSP customers in Brazil are billed in USD. Minor units come from babel's CLDR data (JPY has none,
so a yen amount is a whole number). Money is always :class:`~decimal.Decimal`, rounded half up to the
currency's minor unit only where a figure is shown or added up.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies


def _codes(text: str) -> list[str]:
    return text.split()


_EUR = _codes("AD AT BE BG CY CZ DE EE ES FI FR GR HR HU IE IS IT LI LT LU LV MC MT NL PL PT RO SI SK VA")
_USD = _codes(
    "AE AF AL AM AO AR AZ BA BB BD BH BM BN BO BR BW BY BZ CI CL CM CO CR CV CW DO DZ EC EG ET GE GH GT HK HN "
    "ID IL IQ JM JO KE KG KN KW KY KZ LB LK LY MA MD ME MK MN MO MU MX MY NA NG NI NP OM PA PE PH PK PR PS PY "
    "QA RS RW SA SG SN SV TH TJ TM TN TR TT TZ UA UG US UY UZ VE VI VN YE ZA ZM ZW"
)
_OWN = {
    "AU": "AUD", "CA": "CAD", "CH": "CHF", "DK": "DKK", "FJ": "AUD", "FO": "DKK", "GB": "GBP", "IN": "INR",
    "JP": "JPY", "KR": "KRW", "NO": "NOK", "NZ": "NZD", "RU": "RUB", "SE": "SEK", "TW": "TWD",
}  # fmt: skip

#: ISO 3166-1 alpha-2 market -> ISO 4217 currency Partner Center bills license-based offers in.
MARKET_CURRENCY: dict[str, str] = {
    **dict.fromkeys(_EUR, "EUR"),
    **dict.fromkeys(_USD, "USD"),
    **_OWN,
}


def market_currency(country: str) -> str | None:
    """The billing currency of a market, None for a market cspsync has no currency for."""
    return MARKET_CURRENCY.get(country.upper())


@cache
def is_currency(code: str) -> bool:
    """An ISO 4217 code babel knows (``EUR``), not a symbol (``€``) or a made-up code."""
    return len(code) == 3 and code.isupper() and code in list_currencies()


@cache
def minor_digits(currency: str) -> int:
    """Digits after the decimal point: 2 for GBP and EUR, 0 for JPY and KRW."""
    return int(get_currency_precision(currency))


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_digits(currency))


#: the rounded amounts made so far, one object per value and currency: a plan of 100,000 customers rounds
#: ~600,000 amounts (104 bytes each) to a few thousand values, "0.00" alone twice per customer. Within one
#: currency every rounded amount has the same exponent, so equal amounts are written alike.
_ROUNDED: dict[str, dict[Decimal, Decimal]] = {}
_ROUNDED_KEPT = 1 << 16  # values per currency; beyond them an amount is its own object


def round_money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half up to the currency's minor unit (12.345 GBP -> 12.35, 1234.5 JPY -> 1235)."""
    rounded = amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)
    if not rounded and rounded.is_signed():
        return rounded  # -0.00 equals 0.00 but is not written alike: never shared with it
    shared = _ROUNDED.get(currency)
    if shared is None:
        shared = _ROUNDED[currency] = {}
    found = shared.get(rounded)
    if found is not None:
        return found
    if len(shared) < _ROUNDED_KEPT:
        shared[rounded] = rounded
    return rounded


def format_money(amount: Decimal, currency: str, *, sign: bool = False) -> str:
    """``GBP 1,234.50``; ``sign=True`` writes ``+`` before amounts above zero (changes, not balances).

    The ISO code rather than a symbol: a plan can hold NOK, SEK and DKK, which all write "kr".
    """
    value = round_money(amount, currency)
    digits = minor_digits(currency)
    text = f"{currency} {abs(value):,.{digits}f}"
    if value < 0:
        return "-" + text
    if sign and value > 0:
        return "+" + text
    return text
