"""The emulator's catalog and price list: what can be bought, in which markets, at which price.

The built-in catalog holds the common commercial offers with Microsoft's own ids. Product and SKU ids
are Microsoft's; availability ids are the ones Microsoft's published examples use where a page shows
one (the Azure plan ``DZH318Z0BPS6:0001:DZH318Z0BML6``, Microsoft 365 E5 ``CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS``
and Business Basic ``CFQ7TTC0LH18:0001:CFQ7TTC0K971`` in create-a-cart and get-an-availability-by-id,
Business Standard ``CFQ7TTC0LDPB:0001:CFQ7TTC0LGNT`` in the new-commerce migration pages, the reserved VM
instance ``DZH318Z0BQ36:004G:DZH318Z08C0S``, the perpetual software ``DG7GMGF0DWTL:0001:DG7GMGF0DSFM`` and
the SaaS plan ``DZH318Z0BXWC:0002:DZH318Z0BMRV`` in create-a-cart); the others are the emulator's own.
Availability ids change over time ("This ID can change", product-resources), so clients read them
from the availabilities endpoint, as with the real service.

A partner can replace the built-in catalog with its own, read from a Partner Center price sheet
(:func:`catalog_from_price_rows`, used by ``cspsync emulator seed --price-sheet``): then offers and prices
are the partner's.

Built-in prices are list prices per seat and month (annual term, billed monthly) in GBP, EUR, NOK and
USD; other currencies follow from USD at fixed rates. Every market of Microsoft's currency table has
its currency. A monthly term costs 20% more, as in new commerce.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

AZURE_PLAN_PRODUCT = "DZH318Z0BPS6"


#: Every market's billing currency, per Microsoft's "Geographic availability and currency support" table
#: (CSP customers in Brazil are billed in USD, as that table notes).
def _markets(text: str) -> list[str]:
    return text.split()


_EURO_MARKETS = _markets("AD AT BE BG CY CZ DE EE ES FI FR GR HR HU IE IS IT LI LT LU LV MC MT NL PL PT RO SI SK VA")
_DOLLAR_MARKETS = _markets(
    "AE AF AL AM AO AR AZ BA BB BD BH BM BN BO BR BW BY BZ CI CL CM CO CR CV CW DO DZ EC EG ET GE GH GT HK HN "
    "ID IL IQ JM JO KE KG KN KW KY KZ LB LK LY MA MD ME MK MN MO MU MX MY NA NG NI NP OM PA PE PH PK PR PS PY "
    "QA RS RW SA SG SN SV TH TJ TM TN TR TT TZ UA UG US UY UZ VE VI VN YE ZA ZM ZW"
)
CURRENCY_BY_COUNTRY: dict[str, str] = {
    **dict.fromkeys(_EURO_MARKETS, "EUR"),
    **dict.fromkeys(_DOLLAR_MARKETS, "USD"),
    "AU": "AUD",
    "CA": "CAD",
    "CH": "CHF",
    "DK": "DKK",
    "FJ": "AUD",
    "FO": "DKK",
    "GB": "GBP",
    "IN": "INR",
    "JP": "JPY",
    "KR": "KRW",
    "NO": "NOK",
    "NZ": "NZD",
    "RU": "RUB",
    "SE": "SEK",
    "TW": "TWD",
}
CURRENCY_SYMBOLS: dict[str, str] = {
    "GBP": "£",
    "EUR": "€",
    "NOK": "kr",
    "SEK": "kr",
    "DKK": "kr",
    "CHF": "CHF",
    "USD": "$",
    "CAD": "$",
    "AUD": "$",
    "NZD": "$",
    "JPY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "RUB": "₽",
    "TWD": "NT$",
}
#: currency units per US dollar, for the currencies the built-in prices do not list
_USD_RATES: dict[str, Decimal] = {
    "SEK": Decimal("10.5"),
    "DKK": Decimal("6.9"),
    "CHF": Decimal("0.9"),
    "CAD": Decimal("1.36"),
    "AUD": Decimal("1.52"),
    "NZD": Decimal("1.65"),
    "JPY": Decimal("150"),
    "INR": Decimal("83"),
    "KRW": Decimal("1350"),
    "RUB": Decimal("92"),
    "TWD": Decimal("32"),
}
_MINOR_UNITS: dict[str, Decimal] = {"JPY": Decimal("1"), "KRW": Decimal("1")}

CANCELLATION_WINDOW_DAYS = 7  # new commerce: cancel or reduce seats within 7 days (168 hours)

#: ``license``: new-commerce licence; ``azure-plan``; ``reservation``: Azure reserved instance;
#: ``software``: perpetual software; ``saas``: a commercial-marketplace SaaS plan
Kind = Literal["azure-plan", "license", "reservation", "software", "saas"]

#: productType of each kind (get-a-list-of-products, get-a-product-by-id). ``SaaS`` is the emulator's
#: reading: no page shows the product type of a marketplace item.
PRODUCT_TYPES: dict[str, dict[str, Any]] = {
    "azure-plan": {"id": "Azure", "displayName": "Azure"},
    "reservation": {
        "id": "Azure",
        "displayName": "Azure",
        "subType": {"id": "VirtualMachines", "displayName": "VirtualMachines"},
    },
    "license": {"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"},
    "saas": {"id": "SaaS", "displayName": "SaaS"},
    "software": {"id": "Software", "displayName": "Software"},
}
#: targetView (get-a-list-of-products) -> the kinds it lists; OnlineServices includes marketplace items
TARGET_VIEWS: dict[str, frozenset[str]] = {
    "azure": frozenset({"azure-plan", "reservation"}),
    "microsoftazure": frozenset({"azure-plan"}),
    "azurereservations": frozenset({"reservation"}),
    "azurereservationsvm": frozenset({"reservation"}),
    "onlineservices": frozenset({"license", "saas"}),
    "software": frozenset({"software"}),
    "softwareperpetual": frozenset({"software"}),
}
#: days a purchase can be cancelled (0: not through the API); seat reductions follow the same window
CANCELLATION_DAYS: dict[str, int] = {
    "azure-plan": 0,
    "license": CANCELLATION_WINDOW_DAYS,
    "saas": 3,  # commercial marketplace: 72 hours
    "software": 30,  # perpetual software: 30 days (partner-center-api.md §12)
    "reservation": 0,
}
_TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}


@dataclass(frozen=True)
class Term:
    duration: str | None  # P1M | P1Y | P3Y; None for perpetual software
    billing_cycle: str  # monthly | annual | triennial | one_time


@dataclass(frozen=True)
class Price:
    amount: Decimal
    currency: str
    per: str  # "month", "year", "3 years" or "purchase": the billing period the amount covers


@dataclass(frozen=True)
class Offer:
    product_id: str
    sku_id: str
    availability_id: str
    title: str
    sku_title: str
    kind: Kind
    terms: tuple[Term, ...]  # () for the Azure plan: no term, billed monthly
    max_quantity: int
    publisher: str = "Microsoft Corporation"
    provisioning_variables: tuple[str, ...] = ()

    @property
    def catalog_item_id(self) -> str:
        return f"{self.product_id}:{self.sku_id}:{self.availability_id}"

    @property
    def is_azure_plan(self) -> bool:
        return self.kind == "azure-plan"

    @property
    def product_type(self) -> dict[str, Any]:
        return PRODUCT_TYPES[self.kind]

    @property
    def billing_cycles(self) -> list[str]:
        if not self.terms:
            return ["monthly"]
        return sorted({term.billing_cycle for term in self.terms})

    @property
    def cancellation_days(self) -> int:
        return CANCELLATION_DAYS[self.kind]


@dataclass
class Catalog:
    """Offers, and prices keyed by (catalog item, term or "", billing cycle, market)."""

    offers: tuple[Offer, ...]
    prices: dict[tuple[str, str, str, str], Price] = field(default_factory=dict)
    currencies: dict[str, str] = field(default_factory=lambda: dict(CURRENCY_BY_COUNTRY))

    def __post_init__(self) -> None:
        self._by_sku = {(item.product_id.upper(), item.sku_id.upper()): item for item in self.offers}

    def offer(self, product_id: str, sku_id: str | None = None) -> Offer | None:
        """The offer of a product (its first SKU when ``sku_id`` is None)."""
        if sku_id is not None:
            return self._by_sku.get((product_id.upper(), sku_id.upper()))
        return next((item for item in self.offers if item.product_id == product_id.upper()), None)

    def product_exists(self, product_id: str) -> bool:
        return self.offer(product_id) is not None

    def offer_for_catalog_item(self, catalog_item_id: str) -> Offer | None:
        parts = catalog_item_id.split(":")
        if len(parts) != 3:
            return None
        found = self.offer(parts[0], parts[1])
        return found if found is not None and found.availability_id == parts[2].upper() else None

    def currency(self, country: str) -> str | None:
        return self.currencies.get(country.upper())

    def unit_price(self, item: Offer, country: str, term: str | None, billing_cycle: str) -> Price | None:
        """Price per seat for one billing period; None when the market has no price for it."""
        return self.prices.get((item.catalog_item_id, term or "", billing_cycle, country.upper()))

    def to_json(self) -> dict[str, Any]:
        return {
            "offers": [
                {
                    "productId": o.product_id,
                    "skuId": o.sku_id,
                    "availabilityId": o.availability_id,
                    "title": o.title,
                    "skuTitle": o.sku_title,
                    "kind": o.kind,
                    "terms": [[t.duration, t.billing_cycle] for t in o.terms],
                    "maxQuantity": o.max_quantity,
                    "publisher": o.publisher,
                    "provisioningVariables": list(o.provisioning_variables),
                }
                for o in self.offers
            ],
            "prices": [[*key, str(p.amount), p.currency, p.per] for key, p in self.prices.items()],
            "currencies": self.currencies,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Catalog:
        offers = tuple(
            Offer(
                o["productId"],
                o["skuId"],
                o["availabilityId"],
                o["title"],
                o["skuTitle"],
                o["kind"],
                tuple(Term(t[0], t[1]) for t in o["terms"]),
                o["maxQuantity"],
                o["publisher"],
                tuple(o["provisioningVariables"]),
            )
            for o in data["offers"]
        )
        prices = {(r[0], r[1], r[2], r[3]): Price(Decimal(r[4]), r[5], r[6]) for r in data["prices"]}
        return cls(offers, prices, dict(data["currencies"]))


# ------------------------------------------------------------------------------------ built-in catalog


def _terms(*durations: str, cycles: Mapping[str, tuple[str, ...]] | None = None) -> tuple[Term, ...]:
    cycles = cycles or {"P1M": ("monthly",), "P1Y": ("monthly", "annual"), "P3Y": ("monthly", "annual", "triennial")}
    return tuple(Term(duration, cycle) for duration in durations for cycle in cycles[duration])


def _base(gbp: str, eur: str, nok: str, usd: str) -> dict[str, Decimal]:
    return {"GBP": Decimal(gbp), "EUR": Decimal(eur), "NOK": Decimal(nok), "USD": Decimal(usd)}


_M = "Microsoft Corporation"
#: (offer, base price per seat and month; for software the price of one licence)
_BUILT_IN: tuple[tuple[Offer, dict[str, Decimal]], ...] = (
    (
        Offer(AZURE_PLAN_PRODUCT, "0001", "DZH318Z0BML6", "Azure plan", "Microsoft Azure plan", "azure-plan", (), 1),
        _base("0", "0", "0", "0"),
    ),
    (
        Offer(
            "CFQ7TTC0LH18",
            "0001",
            "CFQ7TTC0K971",
            "Microsoft 365 Business Basic",
            "Microsoft 365 Business Basic",
            "license",
            _terms("P1M", "P1Y"),
            300,
        ),
        _base("4.90", "5.60", "65.00", "6.00"),
    ),
    (
        Offer(
            "CFQ7TTC0LDPB",
            "0001",
            "CFQ7TTC0LGNT",
            "Microsoft 365 Business Standard",
            "Microsoft 365 Business Standard",
            "license",
            _terms("P1M", "P1Y"),
            300,
        ),
        _base("10.30", "11.70", "135.00", "12.50"),
    ),
    (
        Offer(
            "CFQ7TTC0LCHC",
            "0002",
            "CFQ7TTC0J1FX",
            "Microsoft 365 Business Premium",
            "Microsoft 365 Business Premium",
            "license",
            _terms("P1M", "P1Y"),
            300,
        ),
        _base("18.10", "20.60", "240.00", "22.00"),
    ),
    (
        Offer(
            "CFQ7TTC0LF8Q",
            "0001",
            "CFQ7TTC0J1FY",
            "Office 365 E3",
            "Office 365 E3",
            "license",
            _terms("P1M", "P1Y", "P3Y"),
            100000,
        ),
        _base("18.80", "21.60", "250.00", "23.00"),
    ),
    (
        Offer(
            "CFQ7TTC0LFLX",
            "0001",
            "CFQ7TTC0J1FZ",
            "Microsoft 365 E3",
            "Microsoft 365 E3",
            "license",
            _terms("P1M", "P1Y", "P3Y"),
            100000,
        ),
        _base("29.60", "33.70", "390.00", "36.00"),
    ),
    (
        Offer(
            "CFQ7TTC0LFLZ",
            "0002",
            "CFQ7TTC0K4TS",
            "Microsoft 365 E5",
            "Microsoft 365 E5",
            "license",
            _terms("P1M", "P1Y", "P3Y"),
            100000,
        ),
        _base("44.90", "51.80", "600.00", "57.00"),
    ),
    (
        Offer(
            "DZH318Z0BQ36",
            "004G",
            "DZH318Z08C0S",
            "Reserved VM Instance, Standard_NV12",
            "Reserved VM Instance, Standard_NV12, US East 2, 1 Year",
            "reservation",
            _terms("P1Y", cycles={"P1Y": ("one_time",)}),
            999999999,
            _M,
            ("Scope", "SubscriptionId"),
        ),
        _base("740.00", "850.00", "9800.00", "930.00"),
    ),
    (
        Offer(
            "DG7GMGF0DWTL",
            "0001",
            "DG7GMGF0DSFM",
            "Windows Server 2022 Standard - 2 Core License Pack",
            "Windows Server 2022 Standard - 2 Core License Pack",
            "software",
            (Term(None, "one_time"),),
            100000,
        ),
        _base("95.00", "110.00", "1250.00", "120.00"),
    ),
    (
        Offer(
            "DZH318Z0BXWC",
            "0002",
            "DZH318Z0BMRV",
            "Barracuda WaaS",
            "Barracuda WaaS - Medium Plan",
            "saas",
            _terms("P1M", "P1Y"),
            1000,
            "Barracuda Networks, Inc.",
        ),
        _base("350.00", "400.00", "4600.00", "440.00"),
    ),
)


def _in(currency: str, base: dict[str, Decimal]) -> Decimal:
    if currency in base:
        return base[currency]
    return (base["USD"] * _USD_RATES[currency]).quantize(_MINOR_UNITS.get(currency, Decimal("0.01")))


def _period_price(item: Offer, monthly: Decimal, term: Term, currency: str) -> Price:
    unit = _MINOR_UNITS.get(currency, Decimal("0.01"))
    if item.kind == "software":
        return Price(monthly, currency, "purchase")
    months = _TERM_MONTHS.get(term.duration or "", 1)
    if item.kind == "reservation":
        return Price((monthly * months).quantize(unit), currency, "purchase")
    if term.duration == "P1M":
        monthly = (monthly * Decimal("1.2")).quantize(unit)
    if term.billing_cycle == "annual":
        return Price(monthly * 12, currency, "year")
    if term.billing_cycle == "triennial":
        return Price(monthly * 36, currency, "3 years")
    return Price(monthly, currency, "month")


def built_in_catalog() -> Catalog:
    prices: dict[tuple[str, str, str, str], Price] = {}
    for item, base in _BUILT_IN:
        terms = item.terms or (Term(None, "monthly"),)
        for country, currency in CURRENCY_BY_COUNTRY.items():
            monthly = _in(currency, base)
            for term in terms:
                key = (item.catalog_item_id, term.duration or "", term.billing_cycle, country)
                prices[key] = _period_price(item, monthly, term, currency)
    return Catalog(tuple(item for item, _ in _BUILT_IN), prices)


DEFAULT_CATALOG = built_in_catalog()
OFFERS = DEFAULT_CATALOG.offers


def offer(product_id: str, sku_id: str | None = None) -> Offer | None:
    """An offer of the built-in catalog."""
    return DEFAULT_CATALOG.offer(product_id, sku_id)


def unit_price(item: Offer, country: str, term: str | None, billing_cycle: str) -> Price | None:
    """A built-in price (see :meth:`Catalog.unit_price`)."""
    return DEFAULT_CATALOG.unit_price(item, country, term, billing_cycle)


# ------------------------------------------------------------------------------ from a price sheet

_PERIODS = {"monthly": "month", "annual": "year", "triennial": "3 years", "one_time": "purchase", "onetime": "purchase"}


def _availability_id(product_id: str, sku_id: str) -> str:
    """A stable availability id for a price-sheet row (sheets carry none): 12 capitals and digits."""
    digest = hashlib.sha256(f"{product_id}:{sku_id}".encode()).digest()
    alphabet = "0123456789BCDFGHJKLMNPQRSTVWXZ"
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:12])


def catalog_from_price_rows(rows: Iterable[Mapping[str, str]]) -> Catalog:
    """A catalog from license-based price-sheet rows (ProductId, SkuId, ProductTitle, SkuTitle, Publisher,
    TermDuration, BillingPlan, Market, Currency, UnitPrice), as "Get a price sheet" publishes them.

    Every (product, SKU) becomes a licence offer (a marketplace plan when its publisher is not Microsoft),
    its terms and billing plans are the sheet's, and each row's UnitPrice is the price for one billing
    period in the row's market. Raises ValueError on a row without ids or with a price that is not a number.
    """
    offers: dict[tuple[str, str], dict[str, Any]] = {}
    prices: dict[tuple[str, str, str, str], Price] = {}
    currencies: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        product_id = (row.get("ProductId") or "").strip().upper()
        sku_id = (row.get("SkuId") or "").strip().upper()
        if not product_id or not sku_id:
            raise ValueError(f"price sheet row {number} has no ProductId or SkuId")
        cycle = (row.get("BillingPlan") or "").strip().lower().replace(" ", "_")
        cycle = "one_time" if cycle == "onetime" else cycle
        if cycle not in _PERIODS:
            continue
        term = (row.get("TermDuration") or "").strip().upper()
        market = (row.get("Market") or "").strip().upper()
        currency = (row.get("Currency") or "").strip().upper()
        try:
            amount = Decimal((row.get("UnitPrice") or "").strip().replace(",", ""))
        except ArithmeticError:
            raise ValueError(f"price sheet row {number}: UnitPrice {row.get('UnitPrice')!r} is not a number") from None
        publisher = (row.get("Publisher") or "").strip() or _M
        entry = offers.setdefault(
            (product_id, sku_id),
            {
                "title": (row.get("ProductTitle") or product_id).strip(),
                "sku_title": (row.get("SkuTitle") or row.get("ProductTitle") or sku_id).strip(),
                "publisher": publisher,
                "terms": [],
            },
        )
        term_key = Term(term or None, cycle)
        if term_key not in entry["terms"]:
            entry["terms"].append(term_key)
        if market and currency:
            currencies[market] = currency
            availability = _availability_id(product_id, sku_id)
            prices[(f"{product_id}:{sku_id}:{availability}", term, cycle, market)] = Price(
                amount, currency, _PERIODS[cycle]
            )
    built: list[Offer] = []
    if not any(product_id == AZURE_PLAN_PRODUCT for product_id, _ in offers):
        # the license-based sheet has no Azure plan; every market sells it (billed by consumption)
        plan = DEFAULT_CATALOG.offer(AZURE_PLAN_PRODUCT, "0001")
        assert plan is not None
        built.append(plan)
        for market, currency in currencies.items():
            prices[(plan.catalog_item_id, "", "monthly", market)] = Price(Decimal("0"), currency, "month")
    for (product_id, sku_id), entry in offers.items():
        kind: Kind = "license" if entry["publisher"] == _M else "saas"
        if product_id == AZURE_PLAN_PRODUCT:
            kind = "azure-plan"
        built.append(
            Offer(
                product_id,
                sku_id,
                _availability_id(product_id, sku_id),
                entry["title"],
                entry["sku_title"],
                kind,
                tuple(entry["terms"]) if kind != "azure-plan" else (),
                1 if kind == "azure-plan" else 10000,
                entry["publisher"],
            )
        )
    return Catalog(tuple(built), prices, currencies)
