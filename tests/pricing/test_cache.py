"""The price sheet cache: one download per market and month, reused, refreshed when the month changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from freezegun import freeze_time

from cspsync.declarations.pricebooks import OfferKey
from cspsync.errors import TransientError
from cspsync.pricing.cache import PriceSheetCache
from cspsync.pricing.pricesheet import PriceSheetError

from .conftest import row, sheet_text, zipped

BP = OfferKey("CFQ7TTC0LCHC", "0002", "P1Y", "monthly")


class Sheets:
    """A download function that serves a sheet per market and records every call."""

    def __init__(self, price: str = "18.10", *, packed: bool = False) -> None:
        self.price = price
        self.packed = packed
        self.calls: list[tuple[str, str]] = []

    def __call__(self, market: str, view: str) -> Iterator[bytes]:
        self.calls.append((market, view))
        text = sheet_text([row("CFQ7TTC0LCHC", "0002", "P1Y", "Monthly", self.price, market=market)])
        content = zipped(text) if self.packed else text.encode()
        for start in range(0, len(content), 7):  # in small chunks, as a stream arrives
            yield content[start : start + 7]


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_the_sheet_is_downloaded_once_a_month_and_refreshed_when_the_month_changes(tmp_path: Path) -> None:
    download = Sheets()
    cache = PriceSheetCache(tmp_path / "sheets", download)
    with freeze_time("2026-11-03 09:00:00"):
        first = cache.index("GB", {BP})
        download.price = "99.00"  # Partner Center's next sheet; the cached one is still this month's
    with freeze_time("2026-11-30 23:59:59"):
        again = cache.index("gb", {BP})
    assert download.calls == [("GB", "updatedlicensebased")]
    assert [str(i.lookup(BP).unit_price) for i in (first, again)] == ["18.10", "18.10"]  # type: ignore[union-attr]
    assert _names(tmp_path / "sheets") == ["GB-updatedlicensebased-202611.csv"]

    with freeze_time("2026-12-01 00:00:00"):
        december = cache.index("GB", {BP})
    assert len(download.calls) == 2
    assert str(december.lookup(BP).unit_price) == "99.00"  # type: ignore[union-attr]
    assert _names(tmp_path / "sheets") == ["GB-updatedlicensebased-202612.csv"]


def test_markets_are_cached_apart_and_a_zip_keeps_its_kind(tmp_path: Path) -> None:
    download = Sheets(packed=True)
    cache = PriceSheetCache(tmp_path, download)
    with freeze_time("2026-11-03"):
        cache.index("GB", {BP})
        cache.index("IE", {BP})
        cache.index("GB", {BP})
    assert [market for market, _ in download.calls] == ["GB", "IE"]
    assert _names(tmp_path) == ["GB-updatedlicensebased-202611.zip", "IE-updatedlicensebased-202611.zip"]
    assert cache.downloads == 2


def test_a_failed_download_leaves_nothing_behind(tmp_path: Path) -> None:
    def broken(market: str, view: str) -> Iterator[bytes]:
        yield b'"ProductId","SkuId"\r\n'
        raise TransientError("Partner Center call GET /v1.0/sales/pricesheets lost the connection (ReadError)")

    with freeze_time("2026-11-03"), pytest.raises(TransientError):
        PriceSheetCache(tmp_path, broken).index("GB", {BP})
    assert _names(tmp_path) == []


def test_a_cached_sheet_that_does_not_parse_is_fetched_again_at_once(tmp_path: Path) -> None:
    """It was removed and reported: that plan's costs were unknown (over every budget) until the next run."""
    download = Sheets()
    cache = PriceSheetCache(tmp_path, download)
    with freeze_time("2026-11-03"):
        (tmp_path / "GB-updatedlicensebased-202611.csv").write_text('"Nothing","Useful"\r\n"a","b"\r\n')
        found = cache.index("GB", {BP}).lookup(BP)
    assert found is not None and str(found.unit_price) == "18.10"
    assert len(download.calls) == 1
    assert _names(tmp_path) == ["GB-updatedlicensebased-202611.csv"]


def test_a_downloaded_sheet_that_does_not_parse_is_reported_and_fetched_again_next_time(tmp_path: Path) -> None:
    def useless(market: str, view: str) -> Iterator[bytes]:
        yield b'"Nothing","Useful"\r\n"a","b"\r\n'

    cache = PriceSheetCache(tmp_path, useless)
    with freeze_time("2026-11-03"), pytest.raises(PriceSheetError, match="has no ProductId, SkuId, TermDuration"):
        cache.index("GB", {BP})
    assert cache.downloads == 1  # once: Partner Center's own answer is not asked for again in the same run
    assert _names(tmp_path) == []
