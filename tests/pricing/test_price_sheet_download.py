"""PartnerCenterClient.price_sheet against the emulator's price sheet, in process and over loopback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from cspsync.declarations.pricebooks import OfferKey
from cspsync.emulator import EmulatorApp, serve, transport
from cspsync.errors import AuthenticationError, RequestRejectedError
from cspsync.partnercenter.auth import StaticToken
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.pricing.cache import PriceSheetCache
from cspsync.pricing.pricesheet import ZIP_MAGIC, parse_sheet

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
E3_ANNUAL = OfferKey("CFQ7TTC0LF8Q", "0001", "P1Y", "annual")


class _Token:
    def __init__(self) -> None:
        self.asked: list[bool] = []

    def token(self, user: bool = False) -> str:
        self.asked.append(user)
        return "emulator"


@pytest.fixture(params=["in-process", "loopback"])
def client(request: pytest.FixtureRequest) -> Iterator[PartnerCenterClient]:
    app = EmulatorApp(clock=lambda: NOW)
    if request.param == "in-process":
        with PartnerCenterClient(transport=transport(app), tokens=StaticToken()) as in_process:
            yield in_process
        return
    server = serve(app)
    try:
        with PartnerCenterClient(base_url=server.url, tokens=StaticToken()) as served:
            yield served
    finally:
        server.shutdown()


def test_the_sheet_comes_zipped_by_default_and_plain_on_request(client: PartnerCenterClient, tmp_path: Path) -> None:
    packed = b"".join(client.price_sheet("GB"))
    plain = b"".join(client.price_sheet("gb", compressed=False))
    assert packed.startswith(ZIP_MAGIC)
    assert plain.startswith(b'"ProductTitle","ProductId","SkuId","SkuTitle","Publisher","SkuDescription",')
    for name, content in (("GB.zip", packed), ("GB.csv", plain)):
        (tmp_path / name).write_bytes(content)
        found = parse_sheet(tmp_path / name, "GB", {E3_ANNUAL}).lookup(E3_ANNUAL)
        assert found is not None
        # the catalog's 18.80 a month, billed annually: UnitPrice is the year's
        assert (found.unit_price, found.currency, found.monthly_unit_price) == (
            Decimal("225.60"), "GBP", Decimal("18.80"),
        )  # fmt: skip
        assert found.effective_start == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def test_every_offer_term_and_billing_plan_is_in_the_sheet(client: PartnerCenterClient) -> None:
    lines = b"".join(client.price_sheet("NO", compressed=False)).decode().splitlines()
    # the header; licence and SaaS offers with P1M and P1Y have 3 rows, with P3Y too 6
    assert len(lines) == 1 + 4 * 3 + 3 * 6
    assert all('"NO","NOK"' in line for line in lines[1:])


def test_an_unknown_market_and_another_view_are_refused(client: PartnerCenterClient) -> None:
    with pytest.raises(RequestRejectedError, match="No price sheet is available for market 'XX'"):
        b"".join(client.price_sheet("XX"))
    with pytest.raises(RequestRejectedError, match="serves the updatedlicensebased price sheet only"):
        b"".join(client.price_sheet("GB", "azure_consumption"))
    with pytest.raises(ValueError, match="not a price sheet market and view"):
        client.price_sheet_url("GBR")


def test_the_pricing_host_is_partner_centers_other_host_unless_the_client_talks_to_an_emulator() -> None:
    real = PartnerCenterClient(tokens=StaticToken())
    served = PartnerCenterClient(base_url="http://127.0.0.1:8080", tokens=StaticToken())
    assert real.price_sheet_url("gb") == (
        "https://api.partner.microsoft.com/v1.0/sales/pricesheets(Market='GB',PricesheetView='updatedlicensebased')/$value"
    )
    assert served.price_sheet_url("GB", "updatedlicensebased").startswith("http://127.0.0.1:8080/v1.0/sales/")


def test_the_download_is_an_app_user_call_and_counted() -> None:
    app = EmulatorApp(clock=lambda: NOW)
    tokens = _Token()
    with PartnerCenterClient(transport=transport(app), tokens=tokens) as client, client.calls() as log:
        b"".join(client.price_sheet("IE"))
    assert tokens.asked == [True]
    assert [record.operation for record in log.records] == ["GET /v1.0/sales/pricesheets"]
    assert log.records[0].status == 200
    assert app.request_counts() == {"GET /v1.0/sales/pricesheets(Market='{market}',PricesheetView='{view}')/$value": 1}


def test_without_a_token_the_emulator_says_401() -> None:
    class NoToken:
        def token(self, user: bool = False) -> str:
            return ""

    client = PartnerCenterClient(transport=transport(EmulatorApp()), tokens=NoToken())
    with client, pytest.raises(AuthenticationError):
        b"".join(client.price_sheet("GB"))


def test_the_cache_downloads_through_the_client_once(tmp_path: Path) -> None:
    app = EmulatorApp(clock=lambda: NOW)
    with PartnerCenterClient(transport=transport(app), tokens=StaticToken()) as client:
        cache = PriceSheetCache(tmp_path, client.price_sheet, clock=lambda: NOW)
        first = cache.index("DE", {E3_ANNUAL})
        second = cache.index("DE", {E3_ANNUAL})
    assert first.lookup(E3_ANNUAL) == second.lookup(E3_ANNUAL)
    assert sum(app.request_counts().values()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["DE-updatedlicensebased-202611.zip"]


def test_a_throttled_or_failing_download_is_retried_like_every_call() -> None:
    app = EmulatorApp(clock=lambda: NOW)
    answers = [
        httpx.Response(429, headers={"Retry-After": "2"}, json={"code": "429", "description": "Too many requests"}),
        httpx.Response(503, json={"code": 503, "description": "The service is temporarily unavailable."}),
    ]

    def flaky(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else app(request)

    slept: list[float] = []
    clock = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    with (
        PartnerCenterClient(
            transport=httpx.MockTransport(flaky), tokens=StaticToken(), sleep=sleep, clock=lambda: clock[0]
        ) as client,
        client.calls() as log,
    ):
        content = b"".join(client.price_sheet("GB"))
    assert content.startswith(ZIP_MAGIC)
    assert [(r.status, r.attempts) for r in log.records] == [(200, 3)]
    assert slept and slept[0] >= 2  # Retry-After was honoured
