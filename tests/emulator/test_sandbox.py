"""``Rules(profile="sandbox")``: the integration sandbox's limits (test-and-debug, sandbox-scenario)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cspsync.emulator import EmulatorApp, Store, transport
from cspsync.emulator.rules import Rules

from .conftest import AZURE_PLAN, BASE_URL, TAILSPIN, FakeClock, accept_mca, buy, create_customer, license_line

E5 = "CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS"


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[tuple[EmulatorApp, httpx.Client]]:
    app = EmulatorApp(Store(), clock=clock, rules=Rules(profile="sandbox"))
    with httpx.Client(transport=transport(app), base_url=BASE_URL, headers={"Authorization": "Bearer t"}) as http:
        yield app, http
    app.close()


def test_at_most_75_customers(sandbox: tuple[EmulatorApp, httpx.Client]) -> None:
    app, client = sandbox
    app.store.add_customers(
        {"domain": f"c{n}.onmicrosoft.com", "companyName": f"Customer {n}", "country": "GB"}
        for n in range(75 - app.store.customer_count())
    )
    refused = client.post("/v1/customers", json={"CompanyProfile": {"Domain": "one.onmicrosoft.com"}, **_billing()})
    assert (refused.status_code, refused.json()["code"]) == (400, "600013")


def _billing() -> dict[str, object]:
    from .conftest import customer_body

    return {"BillingProfile": customer_body()["BillingProfile"]}


def test_five_subscriptions_of_at_most_25_licences(sandbox: tuple[EmulatorApp, httpx.Client]) -> None:
    _, client = sandbox
    customer_id = create_customer(client)
    accept_mca(client, customer_id)
    buy(client, customer_id, *(license_line(quantity=5, friendlyName=f"s{n}") for n in range(4)))
    cart = client.post(
        f"/v1/customers/{customer_id}/carts",
        json={"lineItems": [license_line(quantity=26), license_line(catalogItemId=E5), license_line(friendlyName="6")]},
    ).json()
    assert [line.get("error", {}).get("errorCode") for line in cart["lineItems"]] == ["10009", None, "10009"]
    (sub,) = buy(client, customer_id, license_line(quantity=25, friendlyName="fifth"))
    more = client.patch(
        f"/v1/customers/{customer_id}/subscriptions/{sub['id']}",
        json={**sub, "quantity": 26},
        headers={"If-Match": sub["attributes"]["etag"]},
    )
    assert (more.status_code, more.json()["code"]) == (400, "600014")


def test_no_invitations_and_customers_can_be_deleted(sandbox: tuple[EmulatorApp, httpx.Client]) -> None:
    app, client = sandbox
    refused = client.get("/v1/customers/relationshiprequests")
    assert (refused.status_code, refused.json()["code"]) == (403, "600015")
    customer_id = create_customer(client)
    accept_mca(client, customer_id)
    (software,) = buy(client, customer_id, {"catalogItemId": "DG7GMGF0DWTL:0001:DG7GMGF0DSFM", "quantity": 1,
                                             "billingCycle": "one_time"})  # fmt: skip
    assert client.delete(f"/v1/customers/{customer_id}").status_code == 409  # cancel software first
    cancelled = client.patch(
        f"/v1/customers/{customer_id}/subscriptions/{software['id']}",
        json={**software, "status": "deleted"},
        headers={"If-Match": software["attributes"]["etag"]},
    )
    assert cancelled.status_code == 200
    assert client.delete(f"/v1/customers/{customer_id}").status_code == 204
    assert client.get(f"/v1/customers/{customer_id}").status_code == 404
    assert client.head("/v1/domains/contosobikes.onmicrosoft.com").status_code == 404  # the tenant is purged
    assert app.store.subscriptions(customer_id) == []


def test_deleting_a_customer_outside_the_sandbox_is_refused(client: httpx.Client) -> None:
    refused = client.delete(f"/v1/customers/{TAILSPIN}")
    assert (refused.status_code, refused.json()["code"]) == (403, "600016")


def test_at_most_ten_azure_plans_across_the_sandbox(sandbox: tuple[EmulatorApp, httpx.Client]) -> None:
    _, client = sandbox
    for n in range(10):
        customer_id = create_customer(client, f"plan{n}")
        accept_mca(client, customer_id)
        buy(client, customer_id, {"catalogItemId": AZURE_PLAN, "quantity": 1, "billingCycle": "monthly"})
    customer_id = create_customer(client, "plan10")
    accept_mca(client, customer_id)
    cart = client.post(
        f"/v1/customers/{customer_id}/carts",
        json={"lineItems": [{"catalogItemId": AZURE_PLAN, "quantity": 1, "billingCycle": "monthly"}]},
    ).json()
    refused = client.post(f"/v1/customers/{customer_id}/carts/{cart['id']}/checkout")
    assert (refused.status_code, refused.json()["code"]) == (400, "900116")
