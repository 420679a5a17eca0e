"""Price sheets on disk: downloaded once per market, view and month, then parsed from the file.

Partner Center publishes a market's license-based prices for the month; a plan made on 3 March and one
made on 28 March read the same sheet, so the first downloads it into ``.cspsync/pricesheets/<target>/``
(``GB-updatedlicensebased-202603.csv``, or ``.zip`` when the API sent the zipped CSV) and the second reads
that file. The first plan of April downloads April's sheet and removes March's. A download is written to
a temporary file and renamed into place, so a file in the cache is always a whole one; a cached file that
turns out not to parse (edited, or damaged on disk) is fetched again at once, and a sheet just downloaded
that does not parse is removed and reported, so that the next run fetches it again.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from cspsync.declarations.pricebooks import OfferKey
from cspsync.pricing.pricesheet import ZIP_MAGIC, PriceSheetError, PriceSheetIndex, parse_sheet

VIEW = "updatedlicensebased"
#: (market, view) -> the sheet's bytes, in chunks (``PartnerCenterClient.price_sheet``)
Download = Callable[[str, str], Iterable[bytes]]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PriceSheetCache:
    """The price sheets of one target (the emulator's and Partner Center's never share a folder)."""

    def __init__(
        self, directory: Path, download: Download, *, view: str = VIEW, clock: Callable[[], dt.datetime] = utc_now
    ) -> None:
        self.directory = directory
        self.view = view
        self._download = download
        self._clock = clock
        self.downloads = 0  # sheets fetched by this cache object (tests and benchmarks read it)

    def month(self) -> str:
        """``YYYYMM`` of the clock in UTC: the month whose sheet is current."""
        return self._clock().astimezone(dt.UTC).strftime("%Y%m")

    def _stem(self, market: str, month: str) -> str:
        return f"{market.upper()}-{self.view}-{month}"

    def cached(self, market: str) -> Path | None:
        """This month's sheet for ``market`` when it is on disk."""
        stem = self._stem(market, self.month())
        for suffix in (".csv", ".zip"):
            path = self.directory / (stem + suffix)
            if path.is_file():
                return path
        return None

    def fetch(self, market: str) -> Path:
        """This month's sheet for ``market``: from disk, else downloaded now (and older months removed)."""
        found = self.cached(market)
        if found is not None:
            return found
        self.directory.mkdir(parents=True, exist_ok=True)
        stem = self._stem(market, self.month())
        handle, temporary = tempfile.mkstemp(prefix=f".{stem}.", suffix=".part", dir=self.directory)
        try:
            with os.fdopen(handle, "wb") as out:
                first = b""
                for chunk in self._download(market.upper(), self.view):
                    if len(first) < len(ZIP_MAGIC):
                        first += chunk[: len(ZIP_MAGIC) - len(first)]
                    out.write(chunk)
            target = self.directory / (stem + (".zip" if first == ZIP_MAGIC else ".csv"))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.downloads += 1
        self._remove_other_months(market, keep=target)
        return target

    def _remove_other_months(self, market: str, *, keep: Path) -> None:
        for old in self.directory.glob(f"{market.upper()}-{self.view}-*"):
            if old != keep and old.suffix in (".csv", ".zip"):
                old.unlink(missing_ok=True)

    def index(self, market: str, wanted: Collection[OfferKey]) -> PriceSheetIndex:
        """The rows of ``market``'s sheet that ``wanted`` asks for."""
        downloads = self.downloads
        while True:  # twice at most: a second fetch downloads, and a downloaded sheet is never fetched again
            path = self.fetch(market)
            try:
                return parse_sheet(path, market, wanted)
            except PriceSheetError:
                path.unlink(missing_ok=True)
                if self.downloads != downloads:  # Partner Center's own answer: reported
                    raise
