"""New-commerce rules on the emulator's clock: windows, renewals, scheduled changes, delays, validation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from cspsync.emulator import EmulatorApp, Store, transport
from cspsync.emulator.rules import Rules

from .conftest import BASE_URL, TAILSPIN, FakeClock, accept_mca, buy, create_customer, license_line

E5 = "CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS"
SAAS = "DZH318Z0BXWC:0002:DZH318Z0BMRV"
SOFTWARE = "DG7GMGF0DWTL:0001:DG7GMGF0DSFM"
RESERVATION = "DZH318Z0BQ36:004G:DZH318Z08C0S"


@pytest.fixture
def connect(clock: FakeClock) -> Iterator[Any]:
    """A client on an emulator with the given rules (and the test's clock)."""
    opened: list[tuple[EmulatorApp, httpx.Client]] = []

    def make(**rules: Any) -> httpx.Client:
        app = EmulatorApp(Store(), clock=clock, rules=Rules(**rules))
        http = httpx.Client(transport=transport(app), base_url=BASE_URL, headers={"Authorization": "Bearer t"})
        opened.append((app, http))
        return http

    yield make
    for app, http in opened:
        http.close()
        app.close()


def _customer(client: httpx.Client) -> str:
    customer_id = create_customer(client)
    accept_mca(client, customer_id)
    return customer_id


def _patch(client: httpx.Client, customer_id: str, sub: dict[str, Any], **changes: Any) -> httpx.Response:
    current = client.get(f"/v1/customers/{customer_id}/subscriptions/{sub['id']}").json()
    return client.patch(
        f"/v1/customers/{customer_id}/subscriptions/{sub['id']}",
        json={**current, **changes},
        headers={"If-Match": current["attributes"]["etag"]},
    )


def test_cancellation_windows_follow_the_product_type(client: httpx.Client, clock: FakeClock) -> None:
    customer_id = _customer(client)
    context = {"subscriptionId": "1C461A25-F729-4FA5-AADB-280947DD05E8", "scope": "shared"}
    licence, saas, software, reservation = buy(
        client,
        customer_id,
        license_line(catalogItemId=E5, friendlyName="e5"),
        {"catalogItemId": SAAS, "quantity": 1, "billingCycle": "monthly", "termDuration": "P1M"},
        {"catalogItemId": SOFTWARE, "quantity": 2, "billingCycle": "one_time"},
        {"catalogItemId": RESERVATION, "quantity": 1, "billingCycle": "one_time", "termDuration": "P1Y",
         "provisioningContext": context},
    )  # fmt: skip
    assert licence["cancellationAllowedUntilDate"] == "2026-11-09T09:00:00Z"  # 7 days
    assert saas["cancellationAllowedUntilDate"] == "2026-11-05T09:00:00Z"  # 72 hours
    assert software["cancellationAllowedUntilDate"] == "2026-12-02T09:00:00Z"  # 30 days
    assert "cancellationAllowedUntilDate" not in reservation
    clock.advance(days=4)
    assert _patch(client, customer_id, saas, status="deleted").json()["code"] == "900117"
    assert _patch(client, customer_id, reservation, status="deleted").json()["code"] == "800096"
    assert _patch(client, customer_id, software, quantity=1).json()["code"] == "800095"  # no seat reduction
    clock.advance(days=4)
    refused = _patch(client, customer_id, licence, status="deleted")
    assert (refused.status_code, refused.json()["code"]) == (400, "900117")
    assert _patch(client, customer_id, software, status="deleted").json()["status"] == "deleted"


def test_seats_can_only_be_removed_within_seven_days_of_being_added(client: httpx.Client, clock: FakeClock) -> None:
    customer_id = _customer(client)
    (sub,) = buy(client, customer_id, license_line(quantity=10))
    clock.advance(days=5)
    assert _patch(client, customer_id, sub, quantity=15).status_code == 200
    clock.advance(days=3)  # the first ten seats are past their window, the five added are not
    shown = client.get(f"/v1/customers/{customer_id}/subscriptions/{sub['id']}").json()
    assert shown["refundableQuantity"] == {
        "totalQuantity": 5,
        "details": [{"quantity": 5, "allowedUntilDateTime": "2026-11-14T09:00:00Z"}],
    }
    assert _patch(client, customer_id, sub, quantity=9).json()["code"] == "800090"
    assert _patch(client, customer_id, sub, quantity=11).json()["quantity"] == 11
    clock.advance(days=5)
    assert _patch(client, customer_id, sub, quantity=10).json()["code"] == "800090"


def _monthly_term(client: httpx.Client, customer_id: str) -> dict[str, Any]:
    (sub,) = buy(client, customer_id, license_line(quantity=10, termDuration="P1M"))
    return sub


def test_scheduled_next_term_changes_are_applied_at_renewal(client: httpx.Client, clock: FakeClock) -> None:
    customer_id = _customer(client)
    sub = _monthly_term(client, customer_id)
    assert sub["commitmentEndDate"] == "2026-12-01T00:00:00Z"
    product = {"productId": "CFQ7TTC0LCHC", "skuId": "0002", "availabilityId": "CFQ7TTC0J1FX"}
    instructions = {"product": {**product, "billingCycle": "Annual", "termDuration": "P1Y"}, "quantity": 6}
    scheduled = _patch(client, customer_id, sub, scheduledNextTermInstructions=instructions)
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["scheduledNextTermInstructions"]["product"]["billingCycle"] == "annual"
    assert scheduled.json()["quantity"] == 10  # nothing changes before the renewal
    clock.advance(days=30)  # 2 December: the term ended on 1 December
    renewed = client.get(f"/v1/customers/{customer_id}/subscriptions/{sub['id']}").json()
    assert (renewed["quantity"], renewed["termDuration"], renewed["billingCycle"]) == (6, "P1Y", "annual")
    assert renewed["commitmentEndDate"] == "2027-12-01T00:00:00Z"
    assert "scheduledNextTermInstructions" not in renewed
    assert renewed["cancellationAllowedUntilDate"] == "2026-12-09T00:00:00Z"  # a renewal opens a new window
    assert renewed["refundableQuantity"]["totalQuantity"] == 6


def test_a_mid_term_change_wipes_the_scheduled_change(client: httpx.Client) -> None:
    customer_id = _customer(client)
    sub = _monthly_term(client, customer_id)
    instructions = {"product": {"productId": "CFQ7TTC0LCHC", "skuId": "0002", "termDuration": "P1M",
                                "billingCycle": "monthly"}, "quantity": 4}  # fmt: skip
    assert _patch(client, customer_id, sub, scheduledNextTermInstructions=instructions).status_code == 200
    renamed = _patch(client, customer_id, sub, friendlyName="renamed")  # not a mid-term change
    assert renamed.json()["scheduledNextTermInstructions"]["quantity"] == 4
    grown = _patch(client, customer_id, sub, quantity=12)
    assert grown.status_code == 200
    assert "scheduledNextTermInstructions" not in grown.json()
    # Office 365 E3 is none of Business Premium's scheduled transition eligibilities (emulator/upgrades.py)
    other_product = {"product": {"productId": "CFQ7TTC0LF8Q", "skuId": "0001"}, "quantity": 4}
    assert _patch(client, customer_id, sub, scheduledNextTermInstructions=other_product).status_code == 400


def test_without_auto_renew_a_subscription_expires_at_the_end_of_its_term(
    client: httpx.Client, clock: FakeClock
) -> None:
    customer_id = _customer(client)
    sub = _monthly_term(client, customer_id)
    assert _patch(client, customer_id, sub, autoRenewEnabled=False).status_code == 200
    clock.advance(days=31)
    assert client.get(f"/v1/customers/{customer_id}/subscriptions/{sub['id']}").json()["status"] == "expired"


def test_updates_stop_after_the_limit(connect: Any) -> None:
    client = connect(max_updates=2)
    customer_id = _customer(client)
    (sub,) = buy(client, customer_id, license_line())
    assert _patch(client, customer_id, sub, friendlyName="one").status_code == 200
    assert _patch(client, customer_id, sub, friendlyName="two").status_code == 200
    refused = _patch(client, customer_id, sub, friendlyName="three")
    assert (refused.status_code, refused.json()["code"]) == (400, "800098")


def test_an_order_appears_after_the_provisioning_delay(connect: Any, clock: FakeClock) -> None:
    client = connect(order_delay=timedelta(minutes=15))
    customer_id = _customer(client)
    cart = client.post(f"/v1/customers/{customer_id}/carts", json={"lineItems": [license_line()]}).json()
    order = client.post(f"/v1/customers/{customer_id}/carts/{cart['id']}/checkout").json()["orders"][0]
    assert order["status"] == "pending"
    assert "subscriptionId" not in order["lineItems"][0]
    assert client.get(f"/v1/customers/{customer_id}/subscriptions").json()["items"] == []
    assert client.get(f"/v1/customers/{customer_id}/orders").json()["items"] == []
    assert client.get(f"/v1/customers/{customer_id}/orders/{order['id']}").json()["status"] == "pending"
    clock.advance(minutes=15)
    (listed,) = client.get(f"/v1/customers/{customer_id}/subscriptions").json()["items"]
    provisioned = client.get(f"/v1/customers/{customer_id}/orders/{order['id']}").json()
    assert provisioned["status"] == "completed"
    assert provisioned["lineItems"][0]["subscriptionId"] == listed["id"]


def test_a_slow_patch_answers_202_with_the_location_to_poll(connect: Any) -> None:
    client = connect(accept_patches=True)
    customer_id = _customer(client)
    (sub,) = buy(client, customer_id, license_line(quantity=10))
    accepted = _patch(client, customer_id, sub, quantity=12)
    assert (accepted.status_code, accepted.content) == (202, b"")
    assert accepted.headers["Location"] == f"/customers/{customer_id}/subscriptions/{sub['id']}"
    assert client.get(f"/v1/customers/{customer_id}/subscriptions/{sub['id']}").json()["quantity"] == 12


def test_a_new_customer_is_under_review_for_a_while(client: httpx.Client, clock: FakeClock) -> None:
    customer_id = create_customer(client)
    url = f"/v1/customers/{customer_id}/validationStatus"
    assert client.get(url, params={"type": "account"}).json() == {
        "type": "Account",
        "status": "UnderReview",
        "lastUpdateDateTime": "2026-11-02T09:00:00Z",
    }
    clock.advance(hours=1)
    assert client.get(url, params={"type": "account"}).json()["status"] == "Allowed"
    assert client.get(f"/v1/customers/{TAILSPIN}/validationStatus", params={"type": "account"}).json()["status"] == (
        "Allowed"
    )
    assert client.get(url).status_code == 400


def test_qualifications(client: httpx.Client, clock: FakeClock) -> None:
    customer_id = create_customer(client)
    url = f"/v1/customers/{customer_id}/qualifications"
    assert client.get(url).json() == []
    education = client.post(url, json={"Qualification": "Education", "EducationSegment": "k12"})
    assert education.status_code == 201
    assert education.json() == {
        "qualification": "Education",
        "educationSegment": "K12",
        "vettingStatus": "InReview",
        "vettingCreateDate": "2026-11-02T09:00:00Z",
    }
    assert client.post(url, json={"qualification": "GovernmentCommunityCloud"}).status_code == 400  # no code
    assert (
        client.post(url, params={"code": "123456"}, json={"qualification": "GovernmentCommunityCloud"}).status_code
        == 201
    )
    assert client.post(url, json={"qualification": "StateOwnedEntity"}).json() == {"qualification": "StateOwnedEntity"}
    assert client.post(url, json={"qualification": "Nonprofit"}).status_code == 400  # read-only
    assert client.post(url, json={"qualification": "Education"}).status_code == 409
    clock.advance(days=2)
    assert [(q["qualification"], q.get("vettingStatus")) for q in client.get(url).json()] == [
        ("Education", "Approved"),
        ("GovernmentCommunityCloud", "Approved"),
        ("StateOwnedEntity", None),
    ]
