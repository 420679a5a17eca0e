from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cspsync.emulator import EmulatorApp, Store, transport

BASE_URL = "https://api.partnercenter.microsoft.com"
FABRIKAM = "6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
NORTHWIND = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
TAILSPIN = "3c9d7a10-2b4e-4f6a-8c1d-5e7f9a0b1c2d"
ADATUM = "7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12"
MCA_TEMPLATE = "117a77b0-9360-443b-8795-c6dedc750cf9"
AZURE_PLAN = "DZH318Z0BPS6:0001:DZH318Z0BML6"
BUSINESS_PREMIUM = "CFQ7TTC0LCHC:0002:CFQ7TTC0J1FX"


class FakeClock:
    """The emulator's "now", moved by hand."""

    def __init__(self, start: datetime = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(clock: FakeClock) -> EmulatorApp:
    return EmulatorApp(Store(), clock=clock, page_size=100)


@pytest.fixture
def client(app: EmulatorApp) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=transport(app), base_url=BASE_URL, headers={"Authorization": "Bearer test-token"}
    ) as http:
        yield http


def customer_body(prefix: str = "contosobikes", country: str = "GB", **extra: Any) -> dict[str, Any]:
    addresses = {
        "GB": {"AddressLine1": "1 Wheel Street", "City": "Bristol", "PostalCode": "BS1 4DJ", "Country": "GB"},
        "NO": {"AddressLine1": "Storgata 1", "City": "Oslo", "PostalCode": "0155", "Country": "NO"},
        "US": {
            "AddressLine1": "1 Microsoft Way",
            "City": "Redmond",
            "State": "WA",
            "PostalCode": "98052",
            "Country": "US",
        },
    }
    body: dict[str, Any] = {
        "CompanyProfile": {"Domain": f"{prefix}.onmicrosoft.com"},
        "BillingProfile": {
            "Email": "accounts@contosobikes.co.uk",
            "Culture": "en-GB",
            "Language": "en",
            "CompanyName": "Contoso Bikes Ltd",
            "DefaultAddress": {**addresses[country], "FirstName": "Amelia", "LastName": "Hughes"},
        },
    }
    body.update(extra)
    return body


def create_customer(client: httpx.Client, prefix: str = "contosobikes", **extra: Any) -> str:
    response = client.post("/v1/customers", json=customer_body(prefix, **extra))
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["id"]
    return customer_id


def agreement_body(**contact: str) -> dict[str, Any]:
    return {
        "primaryContact": {
            "firstName": "Amelia",
            "lastName": "Hughes",
            "email": "amelia@contosobikes.co.uk",
            **contact,
        },
        "dateAgreed": "2026-10-01T00:00:00Z",
        "templateId": MCA_TEMPLATE,
        "type": "MicrosoftCustomerAgreement",
    }


def accept_mca(client: httpx.Client, customer_id: str) -> None:
    response = client.post(f"/v1/customers/{customer_id}/agreements", json=agreement_body())
    assert response.status_code == 201, response.text


def license_line(quantity: int = 10, **overrides: Any) -> dict[str, Any]:
    line = {
        "catalogItemId": BUSINESS_PREMIUM,
        "quantity": quantity,
        "billingCycle": "monthly",
        "termDuration": "P1Y",
        "friendlyName": "fabrikam-contosobikes-m365bp",
    }
    line.update(overrides)
    return line


def azure_line(**overrides: Any) -> dict[str, Any]:
    line = {
        "catalogItemId": AZURE_PLAN,
        "quantity": 1,
        "billingCycle": "monthly",
        "friendlyName": "fabrikam-contosobikes-azure",
    }
    line.update(overrides)
    return line


def buy(client: httpx.Client, customer_id: str, *lines: dict[str, Any]) -> list[dict[str, Any]]:
    """Cart and checkout; returns the new subscriptions, one per line."""
    cart = client.post(f"/v1/customers/{customer_id}/carts", json={"lineItems": list(lines)})
    assert cart.status_code == 201, cart.text
    result = client.post(f"/v1/customers/{customer_id}/carts/{cart.json()['id']}/checkout")
    assert result.status_code == 201, result.text
    ids = [line["subscriptionId"] for order in result.json()["orders"] for line in order["lineItems"]]
    return [client.get(f"/v1/customers/{customer_id}/subscriptions/{sid}").json() for sid in ids]
