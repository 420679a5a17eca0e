"""Every route of the emulator that changes Partner Center leaves the audit record Microsoft documents for it
("Auditing resources": AuditRecord, operationType), so an observation that trusts the activity log (issue 19,
cspsync/observe/memory.py) never misses a change the emulator applied. A new mutating route fails here until it
records its operation or says why Partner Center records none."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cspsync.emulator import EmulatorApp, Store, transport
from cspsync.emulator.handlers import partner_center_router
from cspsync.emulator.rules import Rules
from cspsync.observe.memory import CHANGES, UNRELATED

from .conftest import (
    BASE_URL,
    FakeClock,
    accept_mca,
    agreement_body,
    buy,
    create_customer,
    customer_body,
    license_line,
)

PASSWORD = "A-long-new-passw0rd"

#: mutating routes with no record, and why (each reason is Microsoft's, not the emulator's)
NOT_RECORDED = {
    "POST /v1/validations/address": "a check: 'Validate an address' changes nothing",
    "POST /v1/customers/{customerId}/carts": "a cart is not a purchase: no operation type names it; its checkout "
    "is create_order",
    "PUT /v1/customers/{customerId}/carts/{cartId}": "likewise: the cart changes, nothing the customer has",
    # Azure Resource Manager, not Partner Center: its calls go to the Azure activity log, not Partner Center's
    "PUT /providers/Microsoft.Subscription/aliases/{aliasName}": "Azure Resource Manager, not Partner Center",
    "POST /subscriptions/{azureSubscriptionId}/providers/Microsoft.Subscription/rename": "Azure Resource "
    "Manager, not Partner Center",
}
#: Microsoft Graph, not Partner Center: its activity log does not cover them (the documented operation types name
#: no mail and no GDAP operation), so cspsync reads GDAP on every observation
GRAPH = "/v1.0/"


@dataclass
class World:
    client: httpx.Client
    clock: FakeClock
    sandbox: httpx.Client

    def records(self, client: httpx.Client | None = None) -> list[dict[str, Any]]:
        response = (client or self.client).get("/v1/auditrecords", params={"startDate": "2026-11-01", "size": 500})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@pytest.fixture
def world(clock: FakeClock) -> Iterator[World]:
    production = EmulatorApp(Store(), clock=clock, page_size=100)
    sandbox = EmulatorApp(Store(), clock=clock, rules=Rules(profile="sandbox"))
    headers = {"Authorization": "Bearer test-token"}
    with (
        httpx.Client(transport=transport(production), base_url=BASE_URL, headers=headers) as client,
        httpx.Client(transport=transport(sandbox), base_url=BASE_URL, headers=headers) as sandboxed,
    ):
        yield World(client, clock, sandboxed)
    production.close()
    sandbox.close()


def _bought(world: World) -> tuple[str, dict[str, Any]]:
    customer_id = create_customer(world.client)
    accept_mca(world.client, customer_id)
    (subscription,) = buy(world.client, customer_id, license_line())
    return customer_id, subscription


def _create_customer(world: World) -> tuple[httpx.Client, str, httpx.Response]:
    response = world.client.post("/v1/customers", json=customer_body("audited"))
    return world.client, response.json().get("id", ""), response


def _billing(world: World) -> tuple[httpx.Client, str, httpx.Response]:
    customer_id = create_customer(world.client)
    profile = world.client.get(f"/v1/customers/{customer_id}/profiles/billing").json()
    profile["email"] = "accounts@contosobikes.co.uk"
    url = f"/v1/customers/{customer_id}/profiles/billing"
    return (
        world.client,
        customer_id,
        world.client.put(url, json=profile, headers={"If-Match": profile["attributes"]["etag"]}),
    )


def _qualification(world: World) -> tuple[httpx.Client, str, httpx.Response]:
    customer_id = create_customer(world.client)
    body = {"Qualification": "Education", "EducationSegment": "k12"}
    return world.client, customer_id, world.client.post(f"/v1/customers/{customer_id}/qualifications", json=body)


def _password(world: World) -> tuple[httpx.Client, str, httpx.Response]:
    customer_id = create_customer(world.client)
    (user,) = world.client.get(f"/v1/customers/{customer_id}/users").json()["items"]
    body = {"passwordProfile": {"password": PASSWORD, "forceChangePassword": True}}
    return world.client, customer_id, world.client.patch(f"/v1/customers/{customer_id}/users/{user['id']}", json=body)


def _agreement(world: World) -> tuple[httpx.Client, str, httpx.Response]:
    customer_id = create_customer(world.client)
    return (
        world.client,
        customer_id,
        world.client.post(f"/v1/customers/{customer_id}/agreements", json=agreement_body()),
    )


def _checkout(world: World) -> tuple[httpx.Client, str, httpx.Response]:
    customer_id = create_customer(world.client)
    accept_mca(world.client, customer_id)
    cart = world.client.post(f"/v1/customers/{customer_id}/carts", json={"lineItems": [license_line()]}).json()
    return world.client, customer_id, world.client.post(f"/v1/customers/{customer_id}/carts/{cart['id']}/checkout")


def _patch_subscription(world: World) -> tuple[httpx.Client, str, httpx.Response]:
    customer_id, subscription = _bought(world)
    url = f"/v1/customers/{customer_id}/subscriptions/{subscription['id']}"
    body = {**subscription, "quantity": 12}
    return (
        world.client,
        customer_id,
        world.client.patch(url, json=body, headers={"If-Match": subscription["attributes"]["etag"]}),
    )


def _transition(world: World) -> tuple[httpx.Client, str, httpx.Response]:
    customer_id, subscription = _bought(world)
    url = f"/v1/customers/{customer_id}/subscriptions/{subscription['id']}"
    eligible = world.client.get(url + "/transitionEligibilities").json()["items"]
    target = next(item for item in eligible if item["eligibilities"][0]["isEligible"])
    body = {"toCatalogItemId": target["catalogItemId"], "quantity": 10, "transitionType": "transition_only"}
    return world.client, customer_id, world.client.post(url + "/transitions", json=body)


def _delete_customer(world: World) -> tuple[httpx.Client, str, httpx.Response]:
    customer_id = create_customer(world.sandbox)  # "Delete a customer account from the integration sandbox"
    return world.sandbox, customer_id, world.sandbox.delete(f"/v1/customers/{customer_id}")


#: one successful call of every recorded mutating route, and the operation type "Auditing resources" names for it
RECORDED: dict[str, tuple[Callable[[World], tuple[httpx.Client, str, httpx.Response]], str]] = {
    "POST /v1/customers": (_create_customer, "add_customer"),
    "DELETE /v1/customers/{customerId}": (_delete_customer, "delete_customer"),
    "PUT /v1/customers/{customerId}/profiles/billing": (_billing, "update_customer_billing_profile"),
    "POST /v1/customers/{customerId}/qualifications": (_qualification, "update_customer_qualification"),
    "PATCH /v1/customers/{customerId}/users/{userId}": (_password, "reset_customer_user_password"),
    "POST /v1/customers/{customerId}/agreements": (_agreement, "create_agreement"),
    "POST /v1/customers/{customerId}/carts/{cartId}/checkout": (_checkout, "create_order"),
    "PATCH /v1/customers/{customerId}/subscriptions/{subscriptionId}": (_patch_subscription, "update_subscription"),
    "POST /v1/customers/{customerId}/subscriptions/{subscriptionId}/transitions": (_transition, "upgrade_subscription"),
}


def test_every_mutating_route_is_either_recorded_or_says_why_not() -> None:
    mutating = {
        route.key
        for route in partner_center_router().routes()
        if route.method not in ("GET", "HEAD") and not route.template.startswith(GRAPH)
    }
    assert mutating == set(RECORDED) | set(NOT_RECORDED)


@pytest.mark.parametrize("route", sorted(RECORDED))
def test_a_change_leaves_its_documented_audit_record(route: str, world: World) -> None:
    make, operation = RECORDED[route]
    assert operation in CHANGES | UNRELATED  # a documented operation type cspsync's observation knows
    before = {r["id"] for r in world.records()} | {r["id"] for r in world.records(world.sandbox)}

    client, customer_id, response = make(world)

    assert response.is_success, response.text
    new = [r for r in world.records(client) if r["id"] not in before]
    assert (operation, customer_id.lower()) in {(r["operationType"], r["customerId"]) for r in new}
    assert PASSWORD not in str(new)  # the activity log never holds a password
