"""Fixtures for pricing: price sheets in Partner Center's published format, and the CLI over the examples."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from cspsync.declarations import Repository, load_repository
from tests.cli import Run, examples_workdir, runner

REPO = Path(__file__).resolve().parents[2]
CUSTOMERS = "examples/customers"

#: The header as "Get a price sheet" shows it for the updatedlicensebased view (quoted, in this order).
HEADER = (
    "ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
    "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice", "PricingTierRangeMin",
    "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate", "Tags", "ERP Price",
)  # fmt: skip
#: The published example row (Partner Center docs, "Response example for new commerce").
PUBLISHED_ROW = (
    "Advanced Communications", "CFQ7TTC0HDK0", "0001", "Advanced Communications", "Microsoft Corporation",
    "Advanced meetings, calling, workflow integration, and management tools for IT.", "", "P1Y", "Annual",
    "US", "USD", "115.2", "", "", "2/1/2019 12:00:00 AM", "2/4/2021 8:35:31 PM", "License", "144",
)  # fmt: skip


def row(
    product: str,
    sku: str,
    term: str,
    billing: str,
    price: str,
    *,
    market: str = "GB",
    currency: str = "GBP",
    start: str = "11/1/2026 12:00:00 AM",
    end: str = "",
    tier: tuple[str, str] = ("", ""),
) -> tuple[str, ...]:
    return (
        f"Title {product}", product, sku, f"Sku {sku}", "Microsoft Corporation", "A product.", "1 License", term,
        billing, market, currency, price, tier[0], tier[1], start, end, "License", "",
    )  # fmt: skip


def sheet_text(rows: Iterable[Sequence[str]], header: Sequence[str] = HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def zipped(text: str, name: str = "sheets.csv") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return examples_workdir(tmp_path, monkeypatch)


@pytest.fixture
def cspsync(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    return runner(capsys)


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    """The examples' repository, loaded with contoso-bikes (GB, pricebook retail-gbp) in scope."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return load_repository([tmp_path / "examples" / "customers" / "contoso-bikes.yaml"])
