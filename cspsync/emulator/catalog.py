"""The emulator's catalog and price list: the Azure plan and five new-commerce license offers.

Product and SKU ids are Microsoft's; availability ids other than the Azure plan's (DZH318Z0BML6) are the
emulator's own, so clients must read them from the availabilities endpoint, as with the real service.
Prices are list prices per seat and month (annual-term, billed monthly) in each market's currency; a
monthly term costs 20% more, as in new commerce. They live here so a price sheet can be served later.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

AZURE_PLAN_PRODUCT = "DZH318Z0BPS6"

CURRENCY_BY_COUNTRY: dict[str, str] = {
    "GB": "GBP",
    "IE": "EUR",
    "DE": "EUR",
    "NL": "EUR",
    "FR": "EUR",
    "NO": "NOK",
    "US": "USD",
}
CURRENCY_SYMBOLS: dict[str, str] = {"GBP": "£", "EUR": "€", "NOK": "kr", "USD": "$"}

CANCELLATION_WINDOW_DAYS = 7  # new commerce: cancel or reduce seats within 7 days (168 hours)


@dataclass(frozen=True)
class Term:
    duration: str  # P1M | P1Y | P3Y
    billing_cycle: str  # monthly | annual | triennial


@dataclass(frozen=True)
class Offer:
    product_id: str
    sku_id: str
    availability_id: str
    title: str
    sku_title: str
    product_type: str  # Azure | OnlineServices
    terms: tuple[Term, ...]  # () for the Azure plan: no term, billed monthly
    max_quantity: int
    monthly_prices: dict[str, Decimal]  # currency -> per seat per month, annual term

    @property
    def catalog_item_id(self) -> str:
        return f"{self.product_id}:{self.sku_id}:{self.availability_id}"

    @property
    def is_azure_plan(self) -> bool:
        return self.product_id == AZURE_PLAN_PRODUCT

    @property
    def billing_cycles(self) -> list[str]:
        if not self.terms:
            return ["monthly"]
        return sorted({term.billing_cycle for term in self.terms})


def _terms(*durations: str) -> tuple[Term, ...]:
    cycles = {"P1M": ("monthly",), "P1Y": ("monthly", "annual"), "P3Y": ("monthly", "annual", "triennial")}
    return tuple(Term(duration, cycle) for duration in durations for cycle in cycles[duration])


def _prices(gbp: str, eur: str, nok: str, usd: str) -> dict[str, Decimal]:
    return {"GBP": Decimal(gbp), "EUR": Decimal(eur), "NOK": Decimal(nok), "USD": Decimal(usd)}


OFFERS: tuple[Offer, ...] = (
    Offer(
        AZURE_PLAN_PRODUCT,
        "0001",
        "DZH318Z0BML6",
        "Azure plan",
        "Microsoft Azure plan",
        "Azure",
        (),
        1,
        _prices("0", "0", "0", "0"),
    ),
    Offer(
        "CFQ7TTC0LH18",
        "0001",
        "CFQ7TTC0J1FV",
        "Microsoft 365 Business Basic",
        "Microsoft 365 Business Basic",
        "OnlineServices",
        _terms("P1M", "P1Y"),
        300,
        _prices("4.90", "5.60", "65.00", "6.00"),
    ),
    Offer(
        "CFQ7TTC0LDPB",
        "0001",
        "CFQ7TTC0J1FW",
        "Microsoft 365 Business Standard",
        "Microsoft 365 Business Standard",
        "OnlineServices",
        _terms("P1M", "P1Y"),
        300,
        _prices("10.30", "11.70", "135.00", "12.50"),
    ),
    Offer(
        "CFQ7TTC0LCHC",
        "0002",
        "CFQ7TTC0J1FX",
        "Microsoft 365 Business Premium",
        "Microsoft 365 Business Premium",
        "OnlineServices",
        _terms("P1M", "P1Y"),
        300,
        _prices("18.10", "20.60", "240.00", "22.00"),
    ),
    Offer(
        "CFQ7TTC0LF8Q",
        "0001",
        "CFQ7TTC0J1FY",
        "Office 365 E3",
        "Office 365 E3",
        "OnlineServices",
        _terms("P1M", "P1Y", "P3Y"),
        100000,
        _prices("18.80", "21.60", "250.00", "23.00"),
    ),
    Offer(
        "CFQ7TTC0LFLX",
        "0001",
        "CFQ7TTC0J1FZ",
        "Microsoft 365 E3",
        "Microsoft 365 E3",
        "OnlineServices",
        _terms("P1M", "P1Y", "P3Y"),
        100000,
        _prices("29.60", "33.70", "390.00", "36.00"),
    ),
)

_BY_SKU: dict[tuple[str, str], Offer] = {(offer.product_id.upper(), offer.sku_id): offer for offer in OFFERS}
TARGET_VIEWS: dict[str, str] = {"azure": "Azure", "microsoftazure": "Azure", "onlineservices": "OnlineServices"}


def offer(product_id: str, sku_id: str | None = None) -> Offer | None:
    """The offer of a product (its first SKU when ``sku_id`` is None)."""
    if sku_id is not None:
        return _BY_SKU.get((product_id.upper(), sku_id))
    return next((item for item in OFFERS if item.product_id == product_id.upper()), None)


def offer_for_catalog_item(catalog_item_id: str) -> Offer | None:
    parts = catalog_item_id.split(":")
    if len(parts) != 3:
        return None
    found = offer(parts[0], parts[1])
    return found if found is not None and found.availability_id == parts[2].upper() else None


@dataclass(frozen=True)
class Price:
    amount: Decimal
    currency: str
    per: str  # "month", "year" or "3 years": the billing period the amount covers


def unit_price(item: Offer, country: str, term: str | None, billing_cycle: str) -> Price | None:
    """Price per seat for one billing period; None when the country has no currency in the catalog."""
    currency = CURRENCY_BY_COUNTRY.get(country.upper())
    if currency is None:
        return None
    monthly = item.monthly_prices[currency]
    if term == "P1M":
        monthly = (monthly * Decimal("1.2")).quantize(Decimal("0.01"))
    if billing_cycle == "annual":
        return Price(monthly * 12, currency, "year")
    if billing_cycle == "triennial":
        return Price(monthly * 36, currency, "3 years")
    return Price(monthly, currency, "month")
