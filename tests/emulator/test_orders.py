from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest

from cspsync.emulator import EmulatorApp
from cspsync.emulator.catalog import OFFERS, offer, unit_price

from .conftest import (
    AZURE_PLAN,
    BUSINESS_PREMIUM,
    TAILSPIN,
    FakeClock,
    accept_mca,
    azure_line,
    buy,
    create_customer,
    license_line,
)

# ------------------------------------------------------------------------------------------- catalog


def test_products_by_target_view(client: httpx.Client) -> None:
    online = client.get("/v1/products", params={"country": "GB", "targetView": "OnlineServices"}).json()
    assert [p["id"] for p in online["items"]] == [
        "CFQ7TTC0LH18",
        "CFQ7TTC0LDPB",
        "CFQ7TTC0LCHC",
        "CFQ7TTC0LF8Q",
        "CFQ7TTC0LFLX",
        "CFQ7TTC0LFLZ",
        "DZH318Z0BXWC",  # OnlineServices includes commercial-marketplace products (get-a-list-of-products)
    ]
    assert online["items"][6]["productType"] == {"id": "SaaS", "displayName": "SaaS"}
    assert online["items"][0]["productType"] == {"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"}
    azure = client.get("/v1/products", params={"country": "GB", "targetView": "MicrosoftAzure"}).json()
    assert [p["title"] for p in azure["items"]] == ["Azure plan"]
    every_azure = client.get("/v1/products", params={"country": "GB", "targetView": "Azure"}).json()
    assert [p["id"] for p in every_azure["items"]] == ["DZH318Z0BPS6", "DZH318Z0BQ36"]
    software = client.get("/v1/products", params={"country": "CA", "targetView": "Software"}).json()
    assert [p["id"] for p in software["items"]] == ["DG7GMGF0DWTL"]
    assert client.get("/v1/products", params={"country": "GB"}).status_code == 400
    unsupported = client.get("/v1/products", params={"country": "AQ", "targetView": "Azure"})
    assert (unsupported.status_code, unsupported.json()["code"]) == (400, "800070")
    view = client.get("/v1/products", params={"country": "GB", "targetView": "Nonsense"})
    assert (view.status_code, view.json()["code"]) == (403, "400036")
    segment = client.get("/v1/products", params={"country": "GB", "targetView": "Azure", "targetSegment": "government"})
    assert (segment.status_code, segment.json()["code"]) == (403, "400030")


def test_product_sku_and_availabilities(client: httpx.Client) -> None:
    assert client.get("/v1/products/CFQ7TTC0LCHC", params={"country": "NO"}).json()["title"] == (
        "Microsoft 365 Business Premium"
    )
    skus = client.get("/v1/products/CFQ7TTC0LCHC/skus", params={"country": "NO"}).json()
    assert [(s["id"], s["supportedBillingCycles"]) for s in skus["items"]] == [("0002", ["annual", "monthly"])]
    availability = client.get("/v1/products/DZH318Z0BPS6/skus/0001/availabilities", params={"country": "DE"}).json()[
        "items"
    ][0]
    assert availability["catalogItemId"] == AZURE_PLAN
    assert availability["defaultCurrency"] == {"code": "EUR", "symbol": "€"}
    assert availability["terms"] == []
    e3 = client.get("/v1/products/CFQ7TTC0LFLX/skus/0001/availabilities", params={"country": "GB"}).json()["items"][0]
    assert {(t["duration"], t["billingCycle"]) for t in e3["terms"]} == {
        ("P1M", "monthly"),
        ("P1Y", "monthly"),
        ("P1Y", "annual"),
        ("P3Y", "monthly"),
        ("P3Y", "annual"),
        ("P3Y", "triennial"),
    }
    missing = client.get("/v1/products/CFQ7TTC0LCHC/skus/0001/availabilities", params={"country": "GB"})
    assert missing.status_code == 404
    typo = client.get("/v1/products/CFQ7TTC0LH19/skus/0001/availabilities", params={"country": "FR"})
    assert (typo.status_code, str(typo.json()["code"])) == (404, "400013")


def test_customer_scoped_availabilities_use_the_customer_country(client: httpx.Client) -> None:
    body = client.get(f"/v1/customers/{TAILSPIN}/products/CFQ7TTC0LH18/skus/0001/availabilities").json()
    assert [(a["country"], a["defaultCurrency"]["code"]) for a in body["items"]] == [("NO", "NOK")]


def test_prices_per_market() -> None:
    premium = offer("CFQ7TTC0LCHC", "0002")
    assert premium is not None
    assert unit_price(premium, "GB", "P1Y", "monthly").__dict__ == {
        "amount": Decimal("18.10"),
        "currency": "GBP",
        "per": "month",
    }
    assert unit_price(premium, "no", "P1M", "monthly") == unit_price(premium, "NO", "P1M", "monthly")
    monthly_term = unit_price(premium, "NO", "P1M", "monthly")
    annual = unit_price(premium, "FR", "P1Y", "annual")
    assert monthly_term is not None and monthly_term.amount == Decimal("288.00")  # monthly term: +20%
    assert annual is not None and (annual.amount, annual.per) == (Decimal("247.20"), "year")
    assert unit_price(premium, "AQ", "P1Y", "monthly") is None  # no market
    canada = unit_price(premium, "CA", "P1Y", "monthly")  # every market has its currency, CA included
    assert canada is not None and (canada.amount, canada.currency) == (Decimal("29.92"), "CAD")
    for item in OFFERS:
        for country in ("GB", "IE", "NO", "DE", "NL", "FR", "US", "CA", "JP"):
            assert all(unit_price(item, country, t.duration, t.billing_cycle) for t in item.terms)


# --------------------------------------------------------------------------------------------- carts


def test_cart_lines_are_checked_against_the_catalog(client: httpx.Client) -> None:
    customer_id = create_customer(client)
    cart = client.post(
        f"/v1/customers/{customer_id}/carts",
        json={
            "lineItems": [
                license_line(),
                license_line(catalogItemId="CFQ7TTC0LCHC:0002:WRONG"),
                license_line(termDuration="P3Y"),
                license_line(billingCycle="annual", termDuration="P1M"),
                azure_line(termDuration="P1Y"),
                license_line(quantity=0),
                license_line(participants=[{"key": "transaction_reseller", "value": "999"}]),
            ]
        },
    )
    assert cart.status_code == 201
    body = cart.json()
    assert body["status"] == "Active"
    assert body["expirationTimestamp"] == "2026-11-09T09:00:00Z"
    lines = body["lineItems"]
    assert [line["id"] for line in lines] == list(range(7))
    assert "error" not in lines[0]
    assert lines[0]["currencyCode"] == "GBP"
    assert [line["error"]["errorCode"] for line in lines[1:]] == ["10001", "10010", "10010", "10010", "10010", "10004"]
    assert lines[2]["error"]["errorDescription"] == (
        "termDuration must be one of ['P1M', 'P1Y'] for CFQ7TTC0LCHC:0002:CFQ7TTC0J1FX, not 'P3Y'."
    )
    accept_mca(client, customer_id)
    checkout = client.post(f"/v1/customers/{customer_id}/carts/{body['id']}/checkout")
    assert checkout.status_code == 400
    assert checkout.json()["code"] == "800009"
    assert checkout.json()["description"] == "Error in Cart item(s): line(s) 1, 2, 3, 4, 5, 6."


def test_checkout_needs_the_customer_agreement(client: httpx.Client) -> None:
    customer_id = create_customer(client)
    cart = client.post(f"/v1/customers/{customer_id}/carts", json={"lineItems": [azure_line()]}).json()
    refused = client.post(f"/v1/customers/{customer_id}/carts/{cart['id']}/checkout")
    assert refused.status_code == 403
    assert refused.json()["code"] == "13605"
    accept_mca(client, customer_id)
    placed = client.post(f"/v1/customers/{customer_id}/carts/{cart['id']}/checkout")
    assert placed.status_code == 201
    assert placed.json()["orderErrors"] == []
    again = client.post(f"/v1/customers/{customer_id}/carts/{cart['id']}/checkout")
    assert again.status_code == 400
    assert again.json()["description"] == f"Cannot check out an already submitted cart {cart['id']}."
    assert client.get(f"/v1/customers/{customer_id}/carts/{cart['id']}").json()["status"] == "Ordered"
    assert len(client.get(f"/v1/customers/{customer_id}/subscriptions").json()["items"]) == 1


def test_carts_can_be_updated_until_ordered_and_expire(client: httpx.Client, clock: FakeClock) -> None:
    customer_id = create_customer(client)
    cart = client.post(f"/v1/customers/{customer_id}/carts", json={"lineItems": [license_line()]}).json()
    cart["lineItems"] = [license_line(quantity=3)]
    updated = client.put(f"/v1/customers/{customer_id}/carts/{cart['id']}", json=cart)
    assert updated.json()["lineItems"][0]["quantity"] == 3
    clock.advance(days=7, seconds=1)
    expired = client.get(f"/v1/customers/{customer_id}/carts/{cart['id']}")
    assert (expired.status_code, expired.json()["code"]) == (404, "800008")


def test_checkout_creates_one_subscription_per_line(client: httpx.Client) -> None:
    customer_id = create_customer(client)
    accept_mca(client, customer_id)
    reseller_line = license_line(participants=[{"key": "transaction_reseller", "value": "6712890"}])
    azure, premium = buy(client, customer_id, azure_line(), reseller_line)
    assert azure["offerId"] == AZURE_PLAN
    assert azure["friendlyName"] == "fabrikam-contosobikes-azure"
    assert (azure["billingCycle"], azure["status"], "termDuration" in azure) == ("monthly", "active", False)
    assert premium["offerId"] == BUSINESS_PREMIUM
    assert premium["quantity"] == 10
    assert premium["autoRenewEnabled"] is True
    assert premium["partnerId"] == "6712890"
    assert premium["commitmentEndDate"] == "2027-11-01T00:00:00Z"
    assert premium["cancellationAllowedUntilDate"] == "2026-11-09T09:00:00Z"
    assert premium["refundableQuantity"] == {
        "totalQuantity": 10,
        "details": [{"quantity": 10, "allowedUntilDateTime": "2026-11-09T09:00:00Z"}],
    }
    assert premium["attributes"]["etag"]


# ------------------------------------------------------------------------------------- subscriptions


@pytest.fixture
def premium(client: httpx.Client) -> tuple[str, dict[str, Any]]:
    customer_id = create_customer(client)
    accept_mca(client, customer_id)
    return customer_id, buy(client, customer_id, license_line())[0]


def _patch(client: httpx.Client, customer_id: str, subscription: dict[str, Any], **changes: object) -> httpx.Response:
    return client.patch(
        f"/v1/customers/{customer_id}/subscriptions/{subscription['id']}",
        json={**subscription, **changes},
        headers={"If-Match": subscription["attributes"]["etag"]},
    )


def test_rename_and_auto_renew(client: httpx.Client, premium: tuple[str, dict[str, Any]]) -> None:
    customer_id, subscription = premium
    renamed = _patch(client, customer_id, subscription, friendlyName="fabrikam-contosobikes-bp", autoRenewEnabled=False)
    assert renamed.status_code == 200
    assert (renamed.json()["friendlyName"], renamed.json()["autoRenewEnabled"]) == ("fabrikam-contosobikes-bp", False)
    assert renamed.json()["attributes"]["etag"] != subscription["attributes"]["etag"]
    stale = _patch(client, customer_id, subscription, friendlyName="again")
    assert stale.status_code == 412


def test_billing_cycle_cannot_change(client: httpx.Client, premium: tuple[str, dict[str, Any]]) -> None:
    customer_id, subscription = premium
    response = _patch(client, customer_id, subscription, billingCycle="annual")
    assert (response.status_code, response.json()["code"]) == (400, "2054")


def test_seats_can_only_be_removed_inside_the_refund_window(
    client: httpx.Client, premium: tuple[str, dict[str, Any]], clock: FakeClock
) -> None:
    customer_id, subscription = premium
    clock.advance(days=3)
    fewer = _patch(client, customer_id, subscription, quantity=6)
    assert fewer.status_code == 200
    assert fewer.json()["refundableQuantity"]["totalQuantity"] == 6
    clock.advance(days=2)
    more = _patch(client, customer_id, fewer.json(), quantity=8)  # 2 new seats, refundable until day 12
    clock.advance(days=3)  # day 8: the purchase window closed, the added seats' window is open
    shown = client.get(f"/v1/customers/{customer_id}/subscriptions/{subscription['id']}").json()
    assert shown["refundableQuantity"] == {
        "totalQuantity": 2,
        "details": [{"quantity": 2, "allowedUntilDateTime": "2026-11-14T09:00:00Z"}],
    }
    too_many = _patch(client, customer_id, more.json(), quantity=5)
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "800090"
    assert _patch(client, customer_id, more.json(), quantity=6).status_code == 200


def test_cancel_only_inside_the_cancellation_window(
    client: httpx.Client, premium: tuple[str, dict[str, Any]], clock: FakeClock
) -> None:
    customer_id, subscription = premium
    clock.advance(days=7, minutes=1)
    late = _patch(client, customer_id, subscription, status="deleted")
    assert late.status_code == 400
    assert late.json()["code"] == "900117"
    assert late.json()["description"] == (
        "You have passed your 7-day cancellation window. We are unable to cancel your purchase"
    )


def test_cancelled_subscriptions_cannot_change(client: httpx.Client, premium: tuple[str, dict[str, Any]]) -> None:
    customer_id, subscription = premium
    cancelled = _patch(client, customer_id, subscription, status="deleted")
    assert cancelled.json()["status"] == "deleted"
    after = _patch(client, customer_id, cancelled.json(), status="active")
    assert after.json()["code"] == "2011"


def test_suspend_and_reactivate(client: httpx.Client, premium: tuple[str, dict[str, Any]]) -> None:
    customer_id, subscription = premium
    suspended = _patch(client, customer_id, subscription, status="suspended").json()
    assert suspended["status"] == "suspended"
    seats = _patch(client, customer_id, suspended, quantity=11)
    assert seats.json()["code"] == "800091"
    active = _patch(client, customer_id, suspended, status="active")
    assert active.json()["status"] == "active"


def test_azure_plan_suspend_and_fixed_quantity(client: httpx.Client) -> None:
    customer_id = create_customer(client)
    accept_mca(client, customer_id)
    plan = buy(client, customer_id, azure_line())[0]
    suspended = _patch(client, customer_id, plan, status="suspended")
    assert suspended.json()["status"] == "suspended"
    resumed = _patch(client, customer_id, suspended.json(), status="active").json()
    assert _patch(client, customer_id, resumed, quantity=2).json()["code"] == "800095"
    assert _patch(client, customer_id, resumed, friendlyName="reseller-customer-0001").json()["friendlyName"] == (
        "reseller-customer-0001"
    )


def test_unknown_subscription_is_404(client: httpx.Client) -> None:
    response = client.get(f"/v1/customers/{TAILSPIN}/subscriptions/00000000-0000-4000-8000-000000000000")
    assert (response.status_code, response.json()["code"]) == (404, "20003")


def test_changes_behind_cspsyncs_back(
    client: httpx.Client, app: EmulatorApp, premium: tuple[str, dict[str, Any]]
) -> None:
    customer_id, subscription = premium
    changed = app.store.set_subscription_fields(customer_id, "fabrikam-contosobikes-m365bp", quantity=25)
    assert changed["attributes"]["etag"] != subscription["attributes"]["etag"]
    assert client.get(f"/v1/customers/{customer_id}/subscriptions").json()["items"][0]["quantity"] == 25
    with pytest.raises(LookupError):
        app.store.set_subscription_fields(customer_id, "missing", quantity=1)


def test_concurrent_patches_with_one_etag_let_one_win(
    client: httpx.Client, premium: tuple[str, dict[str, Any]]
) -> None:
    customer_id, subscription = premium
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(
            pool.map(lambda n: _patch(client, customer_id, subscription, quantity=11 + n).status_code, range(8))
        )
    assert statuses == [200] + [412] * 7


# ------------------------------------------------------------------------------------ wire (doc pages)


def test_a_cart_accepts_enums_in_any_case_as_microsofts_new_commerce_example(client: httpx.Client) -> None:
    """create-a-cart's new-commerce example sends "BillingCycle": "Monthly" and reads back "monthly"."""
    customer_id = create_customer(client)
    line = {"CatalogItemId": BUSINESS_PREMIUM, "Quantity": 1, "TermDuration": "p1m", "BillingCycle": "Monthly"}
    cart = client.post(f"/v1/customers/{customer_id}/carts", json={"LineItems": [line]})
    assert cart.status_code == 201, cart.text
    body = cart.json()
    assert body["lineItems"][0] | {"catalogItemId": "x"} == {
        "id": 0,
        "catalogItemId": "x",
        "quantity": 1,
        "termDuration": "P1M",
        "billingCycle": "monthly",
        "currencyCode": "GBP",
        "provisioningContext": {},
        "orderGroup": "0",
    }
    assert body["links"]["self"]["uri"] == f"/customers/{customer_id}/carts/{body['id']}"


def test_orders_are_served_with_their_links(client: httpx.Client) -> None:
    customer_id = create_customer(client)
    accept_mca(client, customer_id)
    bought = buy(client, customer_id, license_line(), azure_line())
    orders = client.get(f"/v1/customers/{customer_id}/orders").json()
    assert orders["totalCount"] == 1
    order = orders["items"][0]
    assert order["links"]["self"]["uri"] == f"/customers/{customer_id}/orders/{order['id']}"
    assert order["links"]["provisioningStatus"]["uri"].endswith(f"/orders/{order['id']}/provisioningstatus")
    assert order["currencySymbol"] == "£"
    assert order["lineItems"][0]["links"]["subscription"]["uri"] == (
        f"/customers/{customer_id}/subscriptions/{bought[0]['id']}"
    )
    assert order["lineItems"][0]["links"]["sku"]["uri"] == "/products/CFQ7TTC0LCHC/skus/0002?country=GB"
    assert client.get(f"/v1/customers/{customer_id}/orders/{order['id']}").json() == order
    assert (
        client.get(f"/v1/customers/{customer_id}/orders", params={"billingType": "Monthly"}).json()["totalCount"] == 1
    )
    assert client.get(f"/v1/customers/{customer_id}/orders", params={"billingType": "annual"}).json()["items"] == []
    missing = client.get(f"/v1/customers/{customer_id}/orders/NOSUCHORDER")
    assert missing.status_code == 404


def test_subscriptions_filter_by_order_and_by_reseller(client: httpx.Client) -> None:
    customer_id = create_customer(client)
    accept_mca(client, customer_id)
    direct = buy(client, customer_id, license_line(friendlyName="direct"))[0]
    sold = buy(
        client,
        customer_id,
        license_line(friendlyName="northwind", participants=[{"key": "transaction_reseller", "value": "6712890"}]),
    )[0]
    url = f"/v1/customers/{customer_id}/subscriptions"
    by_order = client.get(url, params={"order_id": direct["orderId"]}).json()
    assert [s["friendlyName"] for s in by_order["items"]] == ["direct"]
    by_reseller = client.get(url, params={"mpn_id": "6712890"}).json()  # get-all-subscriptions-by-partner
    assert [(s["friendlyName"], s["partnerId"]) for s in by_reseller["items"]] == [("northwind", "6712890")]
    assert client.get(url, params={"order_id": "nope"}).json()["items"] == []
    assert sold["links"]["self"]["uri"] == f"/customers/{customer_id}/subscriptions/{sold['id']}"
    status = client.get(f"{url}/{sold['id']}/provisioningstatus").json()
    assert (status["status"], status["quantity"], status["attributes"]) == (
        "success",
        10,
        {"objectType": "SubscriptionProvisioningStatus"},
    )


def test_the_catalog_sells_microsofts_example_items(client: httpx.Client) -> None:
    """create-a-cart's items: E5 (new commerce), a reserved VM instance, perpetual software and SaaS."""
    customer_id = create_customer(client)
    accept_mca(client, customer_id)

    def line(item: str, cycle: str, term: str | None = None, **extra: Any) -> dict[str, Any]:
        return {
            "catalogItemId": item,
            "quantity": 1,
            "billingCycle": cycle,
            **({"termDuration": term} if term else {}),
            **extra,
        }

    context = {"subscriptionId": "1C461A25-F729-4FA5-AADB-280947DD05E8", "scope": "shared"}
    lines = [
        line("CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS", "Monthly", "P1M"),
        line("DZH318Z0BQ36:004G:DZH318Z08C0S", "one_time", "P1Y"),
        line("DZH318Z0BQ36:004G:DZH318Z08C0S", "one_time", "P1Y", provisioningContext=context),
        line("DG7GMGF0DWTL:0001:DG7GMGF0DSFM", "one_time"),
        line("DZH318Z0BXWC:0002:DZH318Z0BMRV", "monthly", "P1M"),
    ]
    cart = client.post(f"/v1/customers/{customer_id}/carts", json={"lineItems": lines}).json()
    errors = [line.get("error", {}).get("errorDescription") for line in cart["lineItems"]]
    assert errors[0] is None and errors[2:] == [None, None, None]
    assert errors[1] == (
        "provisioningContext needs Scope, SubscriptionId for DZH318Z0BQ36:004G:DZH318Z08C0S (the SKU's "
        "provisioningVariables)."
    )
    assert [line["orderGroup"] for line in cart["lineItems"]] == ["0", "1", "1", "1", "0"]
    del lines[1]
    bought = buy(client, customer_id, *lines)
    assert [(s["offerName"], s["billingCycle"], s.get("termDuration")) for s in bought] == [
        ("Microsoft 365 E5", "monthly", "P1M"),
        ("Barracuda WaaS", "monthly", "P1M"),
        ("Reserved VM Instance, Standard_NV12", "one_time", "P1Y"),
        ("Windows Server 2022 Standard - 2 Core License Pack", "one_time", None),
    ]
    assert [s["publisherName"] for s in bought][1] == "Barracuda Networks, Inc."
    assert bought[3]["commitmentEndDate"] == "9999-12-31T00:00:00Z"  # perpetual


def test_every_market_has_the_currency_microsoft_bills_it_in() -> None:
    """The emulator keeps its own copy (it imports nothing of cspsync); the two must agree."""
    from cspsync.currency import MARKET_CURRENCY
    from cspsync.emulator.catalog import CURRENCY_BY_COUNTRY

    assert CURRENCY_BY_COUNTRY == MARKET_CURRENCY
    assert CURRENCY_BY_COUNTRY["CA"] == "CAD"
