"""Microsoft's published request and response examples, replayed against the emulator.

Each file under ``contract/`` names one page of the Partner Center developer docs and holds its example
exchanges, re-typed as facts (field names, values, statuses). The world below holds the tenants those
pages use (ids and names as the pages give them). For each exchange the emulator must answer with the
page's status and a body with every field the page shows, of the same JSON type, at every depth; values
listed under ``same`` must be equal. Placeholders such as ``{subscription}`` come from setup steps that
buy or create what the page's request points at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cspsync.emulator import EmulatorApp, Store, transport

from .conftest import BASE_URL, FakeClock

CONTRACT = Path(__file__).parent / "contract"
FILES = sorted(CONTRACT.glob("*.json"))

PROVIDER = "3b33e682-00c3-41ee-9dd2-a548adf56438"  # request-reseller-relationship's partnerId
FIRST_UP = "484e548c-f5f3-4528-93a9-c16c6373cb59"  # the reseller of several pages (MPN 4847383)
CUSTOMER = "c501c3c4-d776-40ef-9ecf-9cefb59442c1"  # get-indirect-resellers-of-a-customer's customer

DOCS_WORLD: dict[str, Any] = {
    "partner": {"name": "Contoso CSP", "tenantId": PROVIDER, "mpnId": "1234567", "location": "US",
                "markets": ["US", "GB", "CA"]},
    "resellers": [{"name": "First Up Consultants", "tenantId": FIRST_UP, "mpnId": "4847383", "location": "US"}],
    "tenants": [
        {"tenantId": CUSTOMER, "domain": "wingtiptoys.onmicrosoft.com", "companyName": "Wingtip Toys",
         "country": "US", "customer": True, "associatedPartnerId": FIRST_UP},
        {"tenantId": "53eb21cb-6b2d-4ee5-9e92-27dfc927e93c", "domain": "fourthcoffee137.onmicrosoft.com",
         "companyName": "FourthCoffee137", "country": "US", "customer": True, "associatedPartnerId": FIRST_UP},
        {"tenantId": "eebd1b55-5360-4438-a11d-5c06918c3014", "domain": "abcdefgh1234.onmicrosoft.com",
         "companyName": "1kl as kjk", "country": "US", "customer": True,
         "customDomains": ["abcdefgh1234.ccsctp.net"]},
    ],
}  # fmt: skip


def _buy(client: httpx.Client, customer: str, line: dict[str, Any]) -> dict[str, str]:
    cart = client.post(f"/v1/customers/{customer}/carts", json={"lineItems": [line]})
    assert cart.status_code == 201, cart.text
    checkout = client.post(f"/v1/customers/{customer}/carts/{cart.json()['id']}/checkout")
    assert checkout.status_code == 201, checkout.text
    order = checkout.json()["orders"][0]
    return {"order": order["id"], "subscription": order["lineItems"][0]["subscriptionId"], "cart": cart.json()["id"]}


def _agreement(client: httpx.Client, context: dict[str, str]) -> None:
    agreement = {
        "primaryContact": {"firstName": "Tania", "lastName": "Carr", "email": "someone@example.com"},
        "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9",
        "dateAgreed": "2026-10-01T00:00:00Z",
        "type": "MicrosoftCustomerAgreement",
    }
    assert client.post(f"/v1/customers/{CUSTOMER}/agreements", json=agreement).status_code == 201


def _licence(client: httpx.Client, context: dict[str, str]) -> None:
    _agreement(client, context)
    line = {"catalogItemId": "CFQ7TTC0LH18:0001:CFQ7TTC0K971", "quantity": 10, "billingCycle": "monthly",
            "termDuration": "P1Y", "friendlyName": "Microsoft 365 Business Basic"}  # fmt: skip
    context.update(_buy(client, CUSTOMER, line))


def _saas(client: httpx.Client, context: dict[str, str]) -> None:
    _agreement(client, context)
    line = {"catalogItemId": "DZH318Z0BXWC:0002:DZH318Z0BMRV", "quantity": 1, "billingCycle": "monthly",
            "termDuration": "P1M", "friendlyName": "friendly Name"}  # fmt: skip
    context.update(_buy(client, CUSTOMER, line))


def _reseller_licence(client: httpx.Client, context: dict[str, str]) -> None:
    _agreement(client, context)
    line = {"catalogItemId": "CFQ7TTC0LH18:0001:CFQ7TTC0K971", "quantity": 5, "billingCycle": "monthly",
            "termDuration": "P1Y", "participants": [{"key": "transaction_reseller", "value": "4847383"}]}  # fmt: skip
    context.update(_buy(client, CUSTOMER, line))


def _cart(client: httpx.Client, context: dict[str, str]) -> None:
    line = {"catalogItemId": "CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS", "quantity": 1, "billingCycle": "monthly",
            "termDuration": "P1M"}  # fmt: skip
    cart = client.post(f"/v1/customers/{CUSTOMER}/carts", json={"lineItems": [line]})
    context["cart"] = cart.json()["id"]


def _billing(client: httpx.Client, context: dict[str, str]) -> None:
    profile = client.get(f"/v1/customers/{CUSTOMER}/profiles/billing").json()
    context.update(etag=profile["attributes"]["etag"], billing=profile["id"])


SETUPS: dict[str, Callable[[httpx.Client, dict[str, str]], None]] = {
    "agreement": _agreement,
    "licence": _licence,
    "saas": _saas,
    "reseller-licence": _reseller_licence,
    "cart": _cart,
    "billing": _billing,
}


@pytest.fixture
def docs_client(clock: FakeClock) -> Iterator[httpx.Client]:
    store = Store()
    store.seed(DOCS_WORLD)
    app = EmulatorApp(store, clock=clock)
    with httpx.Client(transport=transport(app), base_url=BASE_URL, headers={"Authorization": "Bearer t"}) as http:
        yield http
    app.close()


def _fill(value: Any, context: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: context.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {key: _fill(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, context) for item in value]
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


def shape_problems(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where ``actual`` lacks a field ``expected`` shows, or has it with another JSON type."""
    if expected is None:
        return []
    if _kind(expected) != _kind(actual):
        return [f"{path or '(body)'}: {_kind(actual)} where the page shows {_kind(expected)}"]
    if isinstance(expected, dict):
        problems: list[str] = []
        for key, item in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing" if path else f"{key}: missing")
            else:
                problems += shape_problems(item, actual[key], f"{path}.{key}" if path else key)
        return problems
    if isinstance(expected, list) and expected:
        if not actual:
            return [f"{path}: empty where the page shows {len(expected)} item(s)"]
        return [
            p
            for i, item in enumerate(actual)
            for p in shape_problems(expected[min(i, len(expected) - 1)], item, f"{path}[{i}]")
        ]
    return []


def _at(value: Any, path: str) -> Any:
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def test_every_served_doc_page_has_a_contract_file() -> None:
    names = {path.stem for path in FILES}
    assert len(names) >= 30
    for path in FILES:
        page = json.loads(path.read_text(encoding="utf-8"))["page"]
        assert path.stem in page, f"{path.name} must name its doc page"


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_the_emulator_answers_microsofts_example(path: Path, docs_client: httpx.Client) -> None:
    contract = json.loads(path.read_text(encoding="utf-8"))
    context: dict[str, str] = {"customer": CUSTOMER, "reseller": FIRST_UP}
    for step in contract.get("setup", []):
        SETUPS[step](docs_client, context)
    for exchange in contract["exchanges"]:
        request = _fill(exchange["request"], context)
        response = docs_client.request(
            request["method"],
            request["path"],
            params=request.get("query"),
            json=request.get("body"),
            headers=request.get("headers"),
        )
        expected = _fill(exchange["response"], context)
        where = f"{path.stem}: {request['method']} {request['path']}"
        assert response.status_code == expected["status"], f"{where}: {response.text}"
        if "body" in expected:
            body = response.json()
            assert shape_problems(expected["body"], body) == [], where
            for field in exchange.get("same", []):
                assert _at(body, field) == _at(expected["body"], field), f"{where}: {field}"
        elif response.request.method != "HEAD":
            assert response.content in (b"", b"null") or response.status_code >= 400 or expected.get("any_body")
