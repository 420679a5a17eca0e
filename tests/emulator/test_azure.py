"""The emulated Azure subscriptions: Partner Center's azureEntitlements and Azure Resource Manager's aliases.

"Programmatically create Azure subscriptions for a Microsoft Partner Agreement with the latest APIs" (alias
PUT, ``provisioningState`` Accepted until a GET says Succeeded), "Subscription - Rename" and "Get a list of
Azure entitlements for a subscription".
"""

from __future__ import annotations

import httpx

from tests.emulator.conftest import FABRIKAM, accept_mca, azure_line, buy, create_customer, license_line

ALIAS = "/providers/Microsoft.Subscription/aliases/{alias}?api-version=2021-10-01"
API = {"api-version": "2021-10-01"}


def _account(client: httpx.Client) -> str:
    accounts = client.get("/providers/Microsoft.Billing/billingAccounts", params={"api-version": "2020-05-01"})
    assert accounts.status_code == 200, accounts.text
    (account,) = accounts.json()["value"]
    assert account["properties"]["agreementType"] == "MicrosoftPartnerAgreement"
    assert account["name"].startswith(FABRIKAM)
    return str(account["name"])


def _body(account: str, customer_id: str, name: str = "fabrikam-contosobikes-prod") -> dict[str, object]:
    scope = f"/providers/Microsoft.Billing/billingAccounts/{account}/customers/{customer_id}"
    return {"properties": {"displayName": name, "workload": "Production", "billingScope": scope}}


def _entitlements(client: httpx.Client, customer_id: str, plan_id: str) -> list[dict[str, object]]:
    listed = client.get(f"/v1/customers/{customer_id}/subscriptions/{plan_id}/azureEntitlements")
    assert listed.status_code == 200, listed.text
    items: list[dict[str, object]] = listed.json()["items"]
    return items


def test_an_alias_is_accepted_polled_until_it_succeeds_and_then_listed_under_the_plan(client: httpx.Client) -> None:
    customer_id = create_customer(client)
    accept_mca(client, customer_id)
    (plan,) = buy(client, customer_id, azure_line())
    account = _account(client)

    created = client.put(ALIAS.format(alias="alias-1"), json=_body(account, customer_id))
    assert created.status_code == 202, created.text
    assert created.headers["Retry-After"] == "1"
    assert created.headers["Location"].endswith(
        "/providers/Microsoft.Subscription/aliases/alias-1?api-version=2021-10-01"
    )
    assert created.json()["properties"]["provisioningState"] == "Accepted"
    assert _entitlements(client, customer_id, plan["id"]) == []  # not provisioned yet

    polled = client.get("/providers/Microsoft.Subscription/aliases/alias-1", params=API)
    assert polled.json()["properties"]["provisioningState"] == "Succeeded"
    subscription_id = polled.json()["properties"]["subscriptionId"]
    assert _entitlements(client, customer_id, plan["id"]) == [
        {
            "id": subscription_id,
            "friendlyName": "fabrikam-contosobikes-prod",
            "status": "active",
            "subscriptionId": plan["id"],
        }
    ]
    # the same alias again: the subscription it made, never a second one
    again = client.put(ALIAS.format(alias="alias-1"), json=_body(account, customer_id, "another name"))
    assert again.status_code == 200 and again.json()["properties"]["subscriptionId"] == subscription_id
    assert len(_entitlements(client, customer_id, plan["id"])) == 1


def test_a_rename_changes_the_listed_name_and_an_unknown_subscription_is_not_found(client: httpx.Client) -> None:
    customer_id = create_customer(client)
    accept_mca(client, customer_id)
    (plan,) = buy(client, customer_id, azure_line())
    client.put(ALIAS.format(alias="alias-2"), json=_body(_account(client), customer_id))
    subscription_id = client.get("/providers/Microsoft.Subscription/aliases/alias-2", params=API).json()["properties"][
        "subscriptionId"
    ]

    renamed = client.post(
        f"/subscriptions/{subscription_id}/providers/Microsoft.Subscription/rename",
        params=API,
        json={"subscriptionName": "fabrikam-contosobikes-production"},
    )
    assert (renamed.status_code, renamed.json()) == (200, {"subscriptionId": subscription_id})
    assert _entitlements(client, customer_id, plan["id"])[0]["friendlyName"] == "fabrikam-contosobikes-production"
    unknown = client.post(
        "/subscriptions/0b6d2f4e-1a3c-4e5f-8a7b-9c0d1e2f3a4b/providers/Microsoft.Subscription/rename",
        params=API,
        json={"subscriptionName": "x"},
    )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "SubscriptionNotFound")


def test_a_customer_without_an_azure_plan_or_another_account_is_refused(client: httpx.Client) -> None:
    customer_id = create_customer(client)
    accept_mca(client, customer_id)
    buy(client, customer_id, license_line())
    account = _account(client)

    no_plan = client.put(ALIAS.format(alias="alias-3"), json=_body(account, customer_id))
    other = client.put(ALIAS.format(alias="alias-4"), json=_body("someone-else", customer_id))
    assert (no_plan.status_code, no_plan.json()["error"]["code"]) == (400, "InvalidBillingScope")
    assert (other.status_code, other.json()["error"]["code"]) == (400, "InvalidBillingScope")
    missing = client.get("/providers/Microsoft.Subscription/aliases/alias-3", params=API)
    assert missing.status_code == 404
