"""A price sheet in the published format parses, plain and zipped, keeping only the rows a plan needs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from cspsync.declarations.pricebooks import OfferKey
from cspsync.pricing.pricesheet import PriceSheetError, parse_sheet

from .conftest import HEADER, PUBLISHED_ROW, row, sheet_text, zipped

ADVANCED = OfferKey("CFQ7TTC0HDK0", "0001", "P1Y", "annual")
BP = OfferKey("CFQ7TTC0LCHC", "0002", "P1Y", "monthly")


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


@pytest.mark.parametrize("packed", ["plain", "zipped"])
def test_the_published_example_row_parses(tmp_path: Path, packed: str) -> None:
    text = sheet_text([PUBLISHED_ROW])
    path = _write(tmp_path, "US.csv" if packed == "plain" else "US.zip", text if packed == "plain" else zipped(text))
    index = parse_sheet(path, "US", {ADVANCED})
    found = index.lookup(ADVANCED)
    assert found is not None
    assert (found.unit_price, found.currency, found.erp_price) == (Decimal("115.2"), "USD", Decimal("144"))
    assert found.monthly_unit_price == Decimal("9.6")  # an annual UnitPrice covers twelve months
    assert found.effective_start == dt.datetime(2019, 2, 1, tzinfo=dt.UTC)
    assert found.effective_end == dt.datetime(2021, 2, 4, 20, 35, 31, tzinfo=dt.UTC)
    assert found.product_title == "Advanced Communications"


def test_the_header_as_the_docs_print_it_with_a_curly_quote_and_a_bom(tmp_path: Path) -> None:
    text = sheet_text([PUBLISHED_ROW]).replace('"ERP Price"', '"ERP Price\u201c')
    path = _write(tmp_path, "US.csv", "\ufeff" + text)
    found = parse_sheet(path, "US", {ADVANCED}).lookup(ADVANCED)
    assert found is not None and found.erp_price == Decimal("144")


def test_columns_are_found_by_name_in_any_order_with_extra_ones(tmp_path: Path) -> None:
    header = ["Segment", *reversed(HEADER)]
    rows = [["Commercial", *reversed(PUBLISHED_ROW)]]
    path = _write(tmp_path, "US.csv", sheet_text(rows, header))
    found = parse_sheet(path, "US", {ADVANCED}).lookup(ADVANCED)
    assert found is not None and found.unit_price == Decimal("115.2")


def test_only_the_wanted_keys_are_kept(tmp_path: Path) -> None:
    rows = [
        row("CFQ7TTC0LCHC", "0002", "P1Y", "Monthly", "18.10"),
        row("CFQ7TTC0LCHC", "0002", "P1Y", "Annual", "217.20"),
        row("CFQ7TTC0LCHC", "0002", "P1M", "Monthly", "21.72"),
        row("CFQ7TTC0LFLX", "0001", "P1Y", "Monthly", "29.60"),
        *(row(f"CFQ7TTC{n:05d}", "0001", "P1Y", "Monthly", "1") for n in range(200)),
    ]
    index = parse_sheet(_write(tmp_path, "GB.csv", sheet_text(rows)), "GB", {BP})
    assert index.rows_read == 204
    assert list(index.rows) == [BP]
    found = index.lookup(BP)
    assert found is not None and found.unit_price == Decimal("18.10")


def test_every_row_when_nothing_is_asked_and_keys_ignore_case(tmp_path: Path) -> None:
    rows = [row("cfq7ttc0lchc", "0002", "p1y", "MONTHLY", "18.10"), row("CFQ7TTC0LFLX", "0001", "P1Y", "Annual", "1")]
    index = parse_sheet(_write(tmp_path, "GB.csv", sheet_text(rows)), "GB")
    assert len(index.rows) == 2
    assert index.lookup(OfferKey("CFQ7TTC0LCHC", "0002", "P1Y", "monthly")) is not None


def test_the_row_effective_at_the_plan_date_is_chosen(tmp_path: Path) -> None:
    rows = [
        row("CFQ7TTC0LCHC", "0002", "P1Y", "Monthly", "18.10", start="11/1/2026 12:00:00 AM",
            end="11/15/2026 12:00:00 AM"),
        row("CFQ7TTC0LCHC", "0002", "P1Y", "Monthly", "19.00", start="11/15/2026 12:00:00 AM"),
    ]  # fmt: skip
    index = parse_sheet(_write(tmp_path, "GB.csv", sheet_text(rows)), "GB", {BP})

    def price(day: int) -> Decimal | None:
        found = index.lookup(BP, at=dt.datetime(2026, 11, day, 9, tzinfo=dt.UTC))
        return found.unit_price if found else None

    assert (price(3), price(20)) == (Decimal("18.10"), Decimal("19.00"))
    assert index.lookup(BP) is not None and index.lookup(BP).unit_price == Decimal("19.00")  # type: ignore[union-attr]


def test_tiers_are_chosen_by_quantity(tmp_path: Path) -> None:
    rows = [
        row("CFQ7TTC0LCHC", "0002", "P1Y", "Monthly", "18.10", tier=("1", "300")),
        row("CFQ7TTC0LCHC", "0002", "P1Y", "Monthly", "17.00", tier=("301", "")),
    ]
    index = parse_sheet(_write(tmp_path, "GB.csv", sheet_text(rows)), "GB", {BP})
    prices = [index.lookup(BP, quantity=n) for n in (12, 300, 301, 5000)]
    assert [p.unit_price if p else None for p in prices] == [Decimal(x) for x in ("18.10", "18.10", "17.00", "17.00")]


def test_a_sheet_without_a_price_column_names_what_is_missing(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "UnitPrice"]
    path = _write(tmp_path, "GB.csv", sheet_text([], header))
    with pytest.raises(PriceSheetError, match=r"the price sheet for GB has no UnitPrice column \(its columns: Prod"):
        parse_sheet(path, "GB", {BP})


def test_a_price_that_is_not_a_number_names_its_line(tmp_path: Path) -> None:
    rows = [row("CFQ7TTC0LFLX", "0001", "P1Y", "Monthly", "29.60"), row("CFQ7TTC0LCHC", "0002", "P1Y", "Monthly", "x")]
    path = _write(tmp_path, "GB.csv", sheet_text(rows))
    with pytest.raises(PriceSheetError, match="price sheet line 3: UnitPrice 'x' is not a number"):
        parse_sheet(path, "GB", {BP})


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b"PK\x03\x04garbage", "is not a readable zip file"), (zipped("x", "readme.txt")[:40], "zip")],
    ids=["empty", "not-a-zip", "truncated-zip"],  # stable ids: the zip bytes hold a timestamp (pytest-xdist)
)
def test_unreadable_files_raise_a_price_sheet_error(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(PriceSheetError, match=message):
        parse_sheet(_write(tmp_path, "GB.csv", content), "GB", {BP})


def test_a_quoted_field_may_hold_line_breaks_and_quotes(tmp_path: Path) -> None:
    multi = list(row("CFQ7TTC0LFLX", "0001", "P1Y", "Monthly", "29.60"))
    multi[5] = 'Line one\r\nline "two" names CFQ7TTC0LCHC\r\nline three'
    wanted = list(row("CFQ7TTC0LCHC", "0002", "P1Y", "Monthly", "18.10"))
    wanted[0] = 'The "Premium" one'
    index = parse_sheet(_write(tmp_path, "GB.csv", sheet_text([multi, wanted])), "GB", {BP})
    assert index.rows_read == 2
    found = index.lookup(BP)
    assert found is not None and (found.product_title, found.unit_price) == ('The "Premium" one', Decimal("18.10"))
