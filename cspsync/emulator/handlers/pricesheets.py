"""The license-based price sheet (``GET /v1.0/sales/pricesheets(Market='GB',PricesheetView=...)/$value``).

Partner Center serves it from another host (api.partner.microsoft.com); the emulator serves it on its own,
in the published CSV format (see :mod:`cspsync.pricing.pricesheet`), from the catalog's prices: one row per
offer, term and billing plan in the market's currency. ``UnitPrice`` is the partner's price for one
billing period, ``ERP Price`` the estimated retail price (20% above). ``Accept-Encoding: deflate`` asks
for the zipped CSV, as the real API documents; ``timeline=history`` needs ``month=YYYYMM``;
``timeline=future`` answers 404 (no announced price changes), as the real API does when none are.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from decimal import Decimal

import httpx

from cspsync.emulator import codes
from cspsync.emulator.catalog import Catalog, Offer
from cspsync.emulator.routing import Call

VIEW = "updatedlicensebased"
COLUMNS = (
    "ProductTitle", "ProductId", "SkuId", "SkuTitle", "Publisher", "SkuDescription", "UnitOfMeasure",
    "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice", "PricingTierRangeMin",
    "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate", "Tags", "ERP Price",
)  # fmt: skip
_OTHER_VIEWS = ("azure_consumption", "azure_reservations", "marketplace", "software")
_MONTH = re.compile(r"20[0-9]{2}(0[1-9]|1[0-2])")
ERP_FACTOR = Decimal("1.2")


def _sheet_date(moment: datetime) -> str:
    """``11/1/2026 12:00:00 AM``: the sheet's US date form, without leading zeros."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment.minute:02d}:{moment.second:02d} {half}"


def _rows(catalog: Catalog, market: str, month_start: datetime) -> list[list[str]]:
    rows = []
    for item in catalog.offers:
        if item.kind in ("license", "saas"):  # the license-based view; Azure, reservations and software have theirs
            rows.extend(_offer_rows(catalog, item, market, month_start))
    return rows


def _offer_rows(catalog: Catalog, item: Offer, market: str, month_start: datetime) -> list[list[str]]:
    rows = []
    for term in item.terms:
        price = catalog.unit_price(item, market, term.duration, term.billing_cycle)
        if price is None:
            continue
        erp = (price.amount * ERP_FACTOR).quantize(Decimal("0.01"))
        row = [
            item.title, item.product_id, item.sku_id, item.sku_title, item.publisher,
            f"{item.sku_title} from {item.publisher}.", "1 License", term.duration or "",
            term.billing_cycle.capitalize(),
            market, price.currency, str(price.amount), "", "", _sheet_date(month_start), "", "License", str(erp),
        ]  # fmt: skip
        rows.append(row)
    return rows


def sheet_csv(catalog: Catalog, market: str, month_start: datetime) -> bytes:
    """The whole sheet for ``market`` as CSV bytes, every field quoted as Partner Center writes it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_rows(catalog, market, month_start))
    return buffer.getvalue().encode("utf-8")


def _zipped(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sheets.csv", content)
    return buffer.getvalue()


def _month_start(call: Call) -> datetime:
    timeline = (call.query("timeline") or "current").lower()
    if timeline == "future":
        raise codes.ROUTE_NOT_FOUND.error("No future price list is published for this view.")
    if timeline == "history":
        month = call.query("month") or ""
        if not _MONTH.fullmatch(month):
            raise codes.INVALID_INPUT.error("month must be YYYYMM when timeline is history.")
        return datetime(int(month[:4]), int(month[4:]), 1, tzinfo=call.now.tzinfo)
    if timeline != "current":
        raise codes.INVALID_INPUT.error(f"timeline {timeline!r} must be history, current or future.")
    return call.now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def get_price_sheet(call: Call) -> httpx.Response:
    market = call.params["market"].upper()
    view = call.params["view"]
    if view.lower() != VIEW:
        known = view.lower() in _OTHER_VIEWS
        raise codes.INVALID_INPUT.error(
            f"The emulator serves the {VIEW} price sheet only" if known else f"Unknown PricesheetView {view!r}."
        )
    catalog = call.store.catalog()
    if catalog.currency(market) is None:
        raise codes.INVALID_INPUT.error(f"No price sheet is available for market {market!r}.")
    content = sheet_csv(catalog, market, _month_start(call))
    name = "sheets.csv"
    if "deflate" in (call.header("Accept-Encoding") or "").lower():
        content, name = _zipped(content), "sheets.zip"
    headers = {
        "content-type": "application/octet-stream",
        "content-disposition": f"attachment; filename={name}",
        "cache-control": "private",
    }
    return httpx.Response(200, headers=headers, content=content)
