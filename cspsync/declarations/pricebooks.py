"""Pricebooks: what a partner charges, as rules over its cost; loaded from ``pricebooks/*.yaml``.

A pricebook file is checked like a customer file (safe YAML, ``schemas/pricebook.schema.json``, located
problems). :meth:`Pricebook.resolve` picks the rule that prices an offer: the most specific matching rule,
where a rule naming a product beats any rule that does not, then one naming a SKU, then a term, then a
billing cycle; when none matches, ``defaultMarkup``; when there is none either, the offer is not priced.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, model_validator

from cspsync.currency import round_money
from cspsync.declarations.load import Document, read_document
from cspsync.declarations.models import ProductId, SkuId, Slug, Strict
from cspsync.declarations.problems import Finding, Problem
from cspsync.declarations.schema import is_valid, schema_findings

PRICEBOOK_DIR = "pricebooks"
SUFFIXES = (".yaml", ".yml")

Term = Literal["P1M", "P1Y", "P3Y"]
BillingCycle = Literal["monthly", "annual", "triennial"]


def _decimal(value: Any) -> Any:
    """A JSON number as written (``12.5`` stays 12.5, never 12.4999…); anything else is left to fail."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    return value


Percent = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=-100, le=1000)]
Amount = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=1_000_000)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class PriceRule(Strict):
    product: ProductId | None = None
    sku: SkuId | None = None
    term: Term | None = None
    billingCycle: BillingCycle | None = None
    markup: Percent | None = None
    monthlyPrice: Amount | None = None

    @model_validator(mode="after")
    def _one_price(self) -> PriceRule:
        """The schema's ``oneOf`` and ``dependentRequired``: one way to price, and a SKU only with its product."""
        if (self.markup is None) == (self.monthlyPrice is None):
            raise ValueError("a rule sets exactly one of markup or monthlyPrice")
        if self.sku is not None and self.product is None:
            raise ValueError("sku needs product")
        return self

    @property
    def selector(self) -> tuple[str | None, str | None, str | None, str | None]:
        return (self.product, self.sku, self.term, self.billingCycle)

    @property
    def specificity(self) -> tuple[bool, bool, bool, bool]:
        """Compared as a tuple: product first, then SKU, term and billing cycle."""
        return tuple(part is not None for part in self.selector)  # type: ignore[return-value]

    def matches(self, offer: OfferKey) -> bool:
        wanted = (offer.product_id.upper(), offer.sku_id.upper(), offer.term, offer.billing_cycle)
        pairs = zip(self.selector, wanted, strict=True)
        return all(part is None or part.upper() == value.upper() for part, value in pairs)

    def describe(self) -> str:
        parts = [
            f"{name} {value}"
            for name, value in zip(("product", "sku", "term", "billing"), self.selector, strict=True)
            if value is not None
        ]
        return ", ".join(parts) or "every offer"


class PricebookFile(Strict):
    apiVersion: Literal["cspsync.io/v1"]
    kind: Literal["Pricebook"]
    name: Slug
    description: Annotated[str, Field(max_length=255)] | None = None
    currency: CurrencyCode
    defaultMarkup: Percent | None = None
    rules: list[PriceRule] = Field(default_factory=list)


@dataclass(frozen=True)
class OfferKey:
    """One way to buy an offer: what a price sheet row and a pricebook rule are keyed by."""

    product_id: str
    sku_id: str
    term: str  # P1M | P1Y | P3Y
    billing_cycle: str  # monthly | annual | triennial

    def label(self) -> str:
        return f"{self.product_id}:{self.sku_id} {self.term} {self.billing_cycle}"


@dataclass(frozen=True)
class Resolution:
    """How a pricebook prices an offer: by the rule at ``rule_index`` (None: ``defaultMarkup``)."""

    rule_index: int | None
    markup: Decimal | None
    monthly_price: Decimal | None

    def unit_price(self, monthly_cost: Decimal | None, currency: str) -> Decimal | None:
        """The customer's price per seat and month, rounded to the minor unit; None without a cost to mark up."""
        if self.monthly_price is not None:
            return round_money(self.monthly_price, currency)
        if monthly_cost is None or self.markup is None:
            return None
        return round_money(monthly_cost * (1 + self.markup / 100), currency)

    def describe(self, book: Pricebook) -> str:
        where = "defaultMarkup" if self.rule_index is None else f"rules[{self.rule_index}]"
        how = f"fixed {self.monthly_price}/month" if self.monthly_price is not None else f"markup {self.markup}%"
        return f"{book.name} {where} ({how})"


@dataclass(frozen=True)
class Pricebook:
    """A valid pricebook and the file it came from."""

    path: Path
    model: PricebookFile

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def currency(self) -> str:
        return self.model.currency

    def resolve(self, offer: OfferKey) -> Resolution | None:
        """The rule (or default markup) that prices ``offer``; None when the pricebook does not price it."""
        best: tuple[tuple[bool, bool, bool, bool], int] | None = None
        for index, rule in enumerate(self.model.rules):
            if rule.matches(offer) and (best is None or rule.specificity > best[0]):
                best = (rule.specificity, index)
        if best is not None:
            rule = self.model.rules[best[1]]
            return Resolution(best[1], rule.markup, rule.monthlyPrice)
        if self.model.defaultMarkup is not None:
            return Resolution(None, self.model.defaultMarkup, None)
        return None


def pricebook_files(root: Path) -> list[Path]:
    """``pricebooks/*.yaml`` (and ``.yml``) next to cspsync.yaml, sorted; none when the folder is missing."""
    folder = root / PRICEBOOK_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file() and not p.name.startswith("."))


def parse_pricebook(path: Path, file: str) -> tuple[Document | None, PricebookFile | None, list[Problem]]:
    """One file: its document (to place further problems), its model when valid, and its problems."""
    document = read_document(path, file)
    if isinstance(document, list):
        return None, None, document
    if not is_valid("pricebook", document.data):
        findings = schema_findings("pricebook", document.data, document.locator.plain_scalar)
        return document, None, [document.problem(f) for f in findings]
    try:
        return document, PricebookFile.model_validate(document.data), []
    except ValidationError as err:  # the schema and the model disagree: say so where it happened
        problems = [
            document.problem(Finding(tuple(p for p in e["loc"] if isinstance(p, str | int)), e["msg"]))
            for e in err.errors(include_url=False)
        ]
        return document, None, problems


def load_pricebooks(root: Path) -> dict[str, Pricebook]:
    """Every valid pricebook under ``root/pricebooks`` by name (the first file wins a duplicate name).

    Invalid files are left out here; ``cspsync validate`` reports them
    (:mod:`cspsync.declarations.pricebook_rules`).
    """
    books: dict[str, Pricebook] = {}
    for path in pricebook_files(root):
        _, model, problems = parse_pricebook(path, str(path))
        if model is not None and not problems:
            books.setdefault(model.name, Pricebook(path, model))
    return books
