"""Partner Center's license-based price sheet: stream-parse a CSV (or zipped CSV) into a small index.

The published format (Partner Center "Get a price sheet", ``PricesheetView='updatedlicensebased'``) is a
CSV with a header row of quoted names: ProductTitle, ProductId, SkuId, SkuTitle, Publisher,
SkuDescription, UnitOfMeasure, TermDuration, BillingPlan, Market, Currency, UnitPrice,
PricingTierRangeMin, PricingTierRangeMax, EffectiveStartDate, EffectiveEndDate, Tags, ERP Price.
``UnitPrice`` is the partner's price for one unit and one billing period of the row's ``BillingPlan``
(Monthly, Annual, Triennial), ``ERP Price`` the estimated retail price, dates are written
``2/1/2019 12:00:00 AM``. Columns are found by name (order, case, spaces and stray quotes do not matter),
so added columns do not break the parser.

A real sheet holds hundreds of thousands of rows and a plan needs a handful: :func:`parse_sheet` reads
row by row and keeps only the rows whose (product, SKU, term, billing plan) is wanted, so time grows with
the file and memory does not.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

from cspsync.declarations.pricebooks import OfferKey
from cspsync.errors import PartnerCenterError

ZIP_MAGIC = b"PK\x03\x04"
#: BillingPlan values and the months one UnitPrice covers
PERIOD_MONTHS = {"monthly": 1, "annual": 12, "triennial": 36}
COLUMNS = (
    "ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
    "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice", "PricingTierRangeMin",
    "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate", "Tags", "ERP Price",
)  # fmt: skip
REQUIRED = ("ProductId", "SkuId", "TermDuration", "BillingPlan", "Currency", "UnitPrice")
_CURLY_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"'})
_DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


class PriceSheetError(PartnerCenterError):
    """A price sheet that cannot be read (not CSV, a required column missing, a price that is not a number)."""


def _column_key(name: str) -> str:
    return "".join(ch for ch in name if ch.isalnum()).casefold()


def _parse_date(text: str) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


def _decimal(text: str, what: str, line: int) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise PriceSheetError(f"price sheet line {line}: {what} {text!r} is not a number") from None
    if not value.is_finite():
        raise PriceSheetError(f"price sheet line {line}: {what} {text!r} is not a number")
    return value


def _optional_decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", "")) if text.strip() else None
    except InvalidOperation:
        return None
    return value if value is not None and value.is_finite() else None


@dataclass(frozen=True)
class SheetPrice:
    """One price sheet row that a plan needs."""

    key: OfferKey
    unit_price: Decimal  # partner's price per unit for one billing period (BillingPlan)
    currency: str
    erp_price: Decimal | None = None
    tier_min: Decimal | None = None
    tier_max: Decimal | None = None
    effective_start: dt.datetime | None = None
    effective_end: dt.datetime | None = None
    product_title: str = ""
    sku_title: str = ""
    unit_of_measure: str = ""
    market: str = ""  # the row's Market (ISO 3166-1 alpha-2)
    publisher: str = ""

    @property
    def monthly_unit_price(self) -> Decimal:
        """The partner's cost per unit and month (an annual UnitPrice covers twelve months)."""
        return self.unit_price / PERIOD_MONTHS[self.key.billing_cycle]

    def effective_at(self, moment: dt.datetime) -> bool:
        started = self.effective_start is None or self.effective_start <= moment
        return started and (self.effective_end is None or moment < self.effective_end)

    def covers(self, quantity: int) -> bool:
        above = self.tier_min is None or quantity >= self.tier_min
        return above and (self.tier_max is None or quantity <= self.tier_max)


@dataclass
class PriceSheetIndex:
    """Rows by (product, SKU, term, billing cycle) for one market; only the keys that were asked for."""

    market: str
    rows: dict[OfferKey, list[SheetPrice]] = field(default_factory=dict)
    rows_read: int = 0

    def lookup(self, key: OfferKey, *, quantity: int = 1, at: dt.datetime | None = None) -> SheetPrice | None:
        """The row for ``key``: the tier holding ``quantity``, effective at ``at`` (else the newest one)."""
        candidates = self.rows.get(_normal(key), [])
        tiered = [row for row in candidates if row.covers(quantity)] or candidates
        if not tiered:
            return None
        if at is not None:
            effective = [row for row in tiered if row.effective_at(at)]
            if effective:
                return effective[-1]
        floor = dt.datetime.min.replace(tzinfo=dt.UTC)
        return max(tiered, key=lambda row: row.effective_start or floor)


def _normal(key: OfferKey) -> OfferKey:
    return OfferKey(key.product_id.upper(), key.sku_id.upper(), key.term.upper(), key.billing_cycle.lower())


@contextmanager
def open_sheet(path: Path) -> Iterator[IO[str]]:
    """The CSV text of a cached sheet, plain or zipped (the first ``.csv`` member), read lazily."""
    with path.open("rb") as raw:
        magic = raw.read(4)
    if magic == ZIP_MAGIC:
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as err:
            raise PriceSheetError(f"the price sheet {path.name} is not a readable zip file: {err}") from None
        with archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            csvs = [info for info in members if info.filename.lower().endswith(".csv")] or members
            if not csvs:
                raise PriceSheetError(f"the zipped price sheet {path.name} holds no file")
            with archive.open(csvs[0]) as member:
                yield io.TextIOWrapper(member, encoding="utf-8-sig", newline="")
        return
    with path.open(encoding="utf-8-sig", newline="") as text:
        yield text


def _records(lines: Iterator[str], first_number: int) -> Iterator[tuple[int, str]]:
    """Whole CSV records and the line each starts on. A quoted field may hold line breaks; a record is whole
    when it holds an even number of quote characters (a quote inside a field is written twice)."""
    number = first_number - 1
    pending: list[str] = []
    start = 0
    odd = False
    for line in lines:
        number += 1
        quotes_odd = line.count('"') % 2 == 1
        if not pending:
            if not quotes_odd:
                yield number, line
                continue
            pending, start, odd = [line], number, True
            continue
        pending.append(line)
        odd ^= quotes_odd
        if not odd:
            yield start, "".join(pending)
            pending = []
    if pending:
        yield start, "".join(pending)


@dataclass(frozen=True)
class _Layout:
    """Where the columns are in this sheet's header."""

    product: int
    sku: int
    term: int
    billing: int
    currency: int
    unit_price: int
    optional: dict[str, int | None]
    width: int

    @classmethod
    def of(cls, header: list[str], market: str) -> _Layout:
        positions = {_column_key(name): i for i, name in enumerate(header)}
        missing = [name for name in REQUIRED if _column_key(name) not in positions]
        if missing:
            raise PriceSheetError(
                f"the price sheet for {market} has no {', '.join(missing)} column "
                f"(its columns: {', '.join(h.strip() for h in header[:20])})"
            )
        product, sku, term, billing, currency, unit_price = (positions[_column_key(n)] for n in REQUIRED)
        optional = {name: positions.get(_column_key(name)) for name in COLUMNS if name not in REQUIRED}
        width = max(product, sku, term, billing, currency, unit_price) + 1
        return cls(product, sku, term, billing, currency, unit_price, optional, width)

    def cell(self, row: list[str], name: str) -> str:
        position = self.optional[name]
        return row[position] if position is not None and position < len(row) else ""

    def price(self, row: list[str], keys: set[OfferKey] | None, line: int) -> SheetPrice | None:
        """The row as a price when its key is wanted; None for other rows, blank or short lines."""
        if len(row) < self.width:
            return None
        key = OfferKey(
            row[self.product].strip().upper(),
            row[self.sku].strip().upper(),
            row[self.term].strip().upper(),
            row[self.billing].strip().lower(),
        )
        if (keys is not None and key not in keys) or key.billing_cycle not in PERIOD_MONTHS:
            return None
        return SheetPrice(
            key=key,
            unit_price=_decimal(row[self.unit_price], "UnitPrice", line),
            currency=row[self.currency].strip().upper(),
            erp_price=_optional_decimal(self.cell(row, "ERP Price")),
            tier_min=_optional_decimal(self.cell(row, "PricingTierRangeMin")),
            tier_max=_optional_decimal(self.cell(row, "PricingTierRangeMax")),
            effective_start=_parse_date(self.cell(row, "EffectiveStartDate")),
            effective_end=_parse_date(self.cell(row, "EffectiveEndDate")),
            product_title=self.cell(row, "ProductTitle"),
            sku_title=self.cell(row, "SkuTitle"),
            unit_of_measure=self.cell(row, "UnitOfMeasure"),
            market=self.cell(row, "Market").strip().upper(),
            publisher=self.cell(row, "Publisher").strip(),
        )


def parse_rows(lines: Iterable[str], market: str, wanted: Collection[OfferKey] | None) -> PriceSheetIndex:
    """Index the rows of ``lines`` (CSV text) whose key is in ``wanted`` (every row when None).

    With ``wanted``, a record is split into fields only when its text holds a wanted product id (in
    capitals, as Partner Center writes ids): the other rows, nearly all of them, cost one scan of their
    text in C and are never held.
    """
    index = PriceSheetIndex(market=market.upper())
    remaining = iter(lines)
    first = next(remaining, "").lstrip("\ufeff")
    if not first.strip():
        raise PriceSheetError(f"the price sheet for {market} is empty")
    # The header alone, its curly quotes made straight (the published example ends with "ERP Price\u201c):
    # one stray quote must not swallow the rows below it.
    layout = _Layout.of(next(csv.reader([first.translate(_CURLY_QUOTES)]), []), market)
    keys = {_normal(k) for k in wanted} if wanted is not None else None
    products = sorted({re.escape(k.product_id) for k in keys}) if keys is not None else []
    # Product ids are matched as Partner Center writes them (capitals): a case-blind search costs 3x more.
    named = re.compile("|".join(products)).search if products else None
    count = 0
    number = 2
    try:
        for number, text in _records(remaining, 2):
            count += 1
            if keys is not None and (named is None or named(text) is None):
                continue
            found = layout.price(next(csv.reader([text]), []), keys, number)
            if found is not None:
                index.rows.setdefault(found.key, []).append(found)
    except csv.Error as err:
        raise PriceSheetError(f"the price sheet for {market} is not valid CSV at line {number}: {err}") from None
    except UnicodeDecodeError as err:
        raise PriceSheetError(f"the price sheet for {market} is not UTF-8 text: {err.reason}") from None
    index.rows_read = count
    return index


def parse_sheet(path: Path, market: str, wanted: Collection[OfferKey] | None = None) -> PriceSheetIndex:
    """Parse a cached sheet (plain or zipped CSV), keeping only the ``wanted`` keys."""
    try:
        with open_sheet(path) as text:
            return parse_rows(text, market, wanted)
    except (zipfile.BadZipFile, EOFError) as err:
        raise PriceSheetError(f"the zipped price sheet {path.name} is damaged: {err}") from None
    except OSError as err:
        raise PriceSheetError(f"cannot read the price sheet {path}: {err.strerror or err}") from None
