from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from cspsync.errors import NotFoundError, PartnerCenterError
from cspsync.partnercenter import Address, Contact, CustomerAgreement, PartnerCenterClient, Subscription

from .fakes import App, collection, customer_item, make_client, reply

C = "c1"


def test_domain_available_reads_head_status() -> None:
    app = App(lambda request: reply(404 if "free" in request.url.path else 200))
    with make_client(app) as client:
        assert client.domain_available("free.onmicrosoft.com") is True
        assert client.domain_available("taken.onmicrosoft.com") is False
    assert [(r.method, r.url.path) for r in app.requests] == [
        ("HEAD", "/v1/domains/free.onmicrosoft.com"),
        ("HEAD", "/v1/domains/taken.onmicrosoft.com"),
    ]


def test_validate_address_sends_only_address_fields() -> None:
    result = {
        "originalAddress": {
            "addressLine1": "1 Microsoft Way",
            "city": "Redmond",
            "state": "WA",
            "postalCode": "98052",
            "country": "US",
        },
        "suggestedAddresses": [
            {
                "addressLine1": "1 Microsoft Way",
                "city": "Redmond",
                "state": "WA",
                "postalCode": "98052-6399",
                "country": "US",
            }
        ],
        "status": "StreetPartial",
        "validationMessage": "Address field invalid for property: 'Region'",
    }
    app = App(lambda request: reply(200, result))
    address = Address(
        address_line1="1 Microsoft Way",
        city="Redmond",
        state="WA",
        postal_code="98052",
        country="US",
        first_name="Ada",
        phone_number="1",
    )
    with make_client(app) as client:
        validated = client.validate_address(address)
    assert validated.status == "StreetPartial" and validated.suggested_addresses[0].postal_code == "98052-6399"
    assert json.loads(app.requests[0].content) == {
        "addressLine1": "1 Microsoft Way",
        "city": "Redmond",
        "state": "WA",
        "postalCode": "98052",
        "country": "US",
    }
    assert app.requests[0].url.path == "/v1/validations/address"


def test_billing_profile_is_put_whole_with_its_etag() -> None:
    profile = {
        "id": "bp1",
        "email": "a@b.example",
        "culture": "en-US",
        "language": "en",
        "companyName": "Acme",
        "defaultAddress": {"country": "US"},
        "attributes": {"etag": "-1234", "objectType": "CustomerBillingProfile"},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            return reply(200, {**json.loads(request.content), "attributes": {"etag": "-5678"}})
        return reply(200, profile)

    app = App(handler)
    with make_client(app) as client:
        read = client.get_billing_profile(C)
        updated = client.update_billing_profile(C, read.model_copy(update={"company_name": "Acme Ltd"}))
    assert updated.etag == "-5678" and updated.company_name == "Acme Ltd"
    put = app.requests[1]
    assert (put.method, put.url.path, put.headers["If-Match"]) == (
        "PUT",
        f"/v1/customers/{C}/profiles/billing",
        "-1234",
    )
    assert json.loads(put.content)["companyName"] == "Acme Ltd"


def test_relationship_request_link_for_direct_and_indirect() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        reseller = request.url.params.get("indirectResellerId")
        inv = "IndirectResellerRelationship" if reseller else "ResellerRelationship"
        return reply(
            200,
            {
                "url": f"https://admin.microsoft.com/Adminportal/Home?invType={inv}&partnerId=p1#/BillingAccounts/partner-invitation"
            },
        )

    app = App(handler)
    with make_client(app) as client:
        assert "invType=ResellerRelationship" in client.relationship_request_link()
        assert "invType=IndirectResellerRelationship" in client.relationship_request_link("r-tenant")
    assert str(app.requests[1].url).endswith("/v1/customers/relationshiprequests?indirectResellerId=r-tenant")

    with (
        make_client(App(lambda request: reply(200, {}))) as client,
        pytest.raises(PartnerCenterError, match="no relationship request URL"),
    ):
        client.relationship_request_link()


def test_relationships_and_indirect_resellers() -> None:
    item = {
        "id": "r-tenant",
        "name": "Reseller Ltd",
        "relationshipType": "is_indirect_cloud_solution_provider_of",
        "mpnId": "1234567",
        "state": "Active",
        "location": "GB",
    }
    app = App(
        lambda request: reply(200, {"totalCount": 1, "items": [item], "attributes": {"objectType": "Collection"}})
    )
    with make_client(app) as client:
        assert [r.mpn_id for r in client.customer_relationships(C)] == ["1234567"]
        assert [r.state for r in client.indirect_resellers()] == ["Active"]
    assert app.requests[0].url.path == f"/v1/customers/{C}/relationships"
    assert str(app.requests[1].url).endswith("/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf")


def test_agreement_template_and_creation() -> None:
    template = {
        "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9",
        "agreementType": "MicrosoftCustomerAgreement",
        "agreementLink": "https://aka.ms/customeragreement",
        "versionRank": 0,
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/agreements":
            return reply(200, {"totalCount": 1, "items": [template]})
        return reply(201, {**json.loads(request.content), "userId": "u-1"})

    app = App(handler)
    with make_client(app) as client:
        found = client.agreement_template()
        agreement = CustomerAgreement(
            primary_contact=Contact(first_name="Ada", last_name="Lovelace", email="ada@acme.example"),
            date_agreed="2026-01-15T09:30:00Z",
            template_id=found.template_id,
        )
        created = client.create_agreement(C, agreement)
    assert created.user_id == "u-1"
    assert str(app.requests[0].url).endswith("/v1/agreements?agreementType=MicrosoftCustomerAgreement")
    assert json.loads(app.requests[1].content) == {
        "primaryContact": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@acme.example"},
        "dateAgreed": "2026-01-15T09:30:00Z",
        "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9",
        "type": "MicrosoftCustomerAgreement",
    }

    with (
        make_client(App(lambda request: reply(200, {"totalCount": 0, "items": []}))) as client,
        pytest.raises(NotFoundError, match="no agreement template"),
    ):
        client.agreement_template()


def test_availabilities_are_cached_per_product_sku_and_country() -> None:
    item = {
        "id": "DZH318Z0BML6",
        "productId": "DZH318Z0BPS6",
        "skuId": "0001",
        "catalogItemId": "DZH318Z0BPS6:0001:DZH318Z0BML6",
        "country": "US",
    }
    app = App(lambda request: reply(200, {"totalCount": 1, "items": [item]}))
    with make_client(app) as client, ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: client.availabilities("DZH318Z0BPS6", "0001", "us"), range(4)))
        client.availabilities("DZH318Z0BPS6", "0001", "GB")
        results.append(client.availabilities("DZH318Z0BPS6", "0001", "US"))
    assert all(r[0].catalog_item_id == "DZH318Z0BPS6:0001:DZH318Z0BML6" for r in results)
    paths = {str(r.url) for r in app.requests}
    assert paths == {
        "https://api.partnercenter.microsoft.com/v1/products/DZH318Z0BPS6/skus/0001/availabilities?country=US",
        "https://api.partnercenter.microsoft.com/v1/products/DZH318Z0BPS6/skus/0001/availabilities?country=GB",
    }
    assert len(app.requests) <= 5  # concurrent first reads may race; later reads never call


def test_subscription_helpers_patch_the_whole_subscription() -> None:
    base = {
        "id": "s1",
        "offerId": "DZH318Z0BPS6:0001:DZH318Z0BML6",
        "friendlyName": "Azure plan",
        "quantity": 1,
        "status": "active",
        "autoRenewEnabled": True,
        "attributes": {"etag": "e1"},
    }
    app = App(
        lambda request: reply(
            200, json.loads(request.content) if request.method == "PATCH" else {"totalCount": 1, "items": [base]}
        )
    )
    with make_client(app) as client:
        (sub,) = client.list_subscriptions(C)
        client.set_status(C, sub, "suspended")
        client.set_auto_renew(C, sub, False)
        client.rename(C, sub, "reseller-customer-0001")
    patches = [json.loads(r.content) for r in app.requests if r.method == "PATCH"]
    assert [(p["status"], p["autoRenewEnabled"], p["friendlyName"]) for p in patches] == [
        ("suspended", True, "Azure plan"),
        ("active", False, "Azure plan"),
        ("active", True, "reseller-customer-0001"),
    ]
    assert all(r.url.path == f"/v1/customers/{C}/subscriptions/s1" for r in app.requests[1:])


def test_a_202_patch_is_answered_by_reading_the_subscription() -> None:
    sub = Subscription.model_validate({"id": "s1", "quantity": 5, "attributes": {"etag": "e1"}})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            return httpx.Response(202, headers={"Location": "/v1/customers/c1/subscriptions/s1/provisioningstatus"})
        return reply(200, {"id": "s1", "quantity": 7, "attributes": {"etag": "e2"}})

    app = App(handler)
    with make_client(app) as client:
        updated = client.set_quantity(C, sub, 7)
    assert (updated.quantity, updated.etag) == (7, "e2")
    assert [r.method for r in app.requests] == ["PATCH", "GET"]


def test_calls_are_recorded_per_thread_for_the_apply_record() -> None:
    app = App(lambda request: reply(200, customer_item(request.url.path.rsplit("/", 1)[1], "x.onmicrosoft.com")))

    def action(client: PartnerCenterClient, customer_id: str) -> list[str]:
        with client.calls() as log:
            client.get_customer(customer_id)
            client.get_customer(customer_id)
        assert [r.path for r in log.records] == [f"/v1/customers/{customer_id}"] * 2
        assert [r.status for r in log.records] == [200, 200]
        return log.request_ids

    with make_client(app) as client, ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(lambda i: action(client, f"c{i}"), range(8)))
    assert sorted(i for pair in ids for i in pair) == sorted(r.headers["MS-RequestId"] for r in app.requests)
    assert client.stats.snapshot()["calls"] == {"GET /v1/customers/{customer_id}": 16}


def test_failed_calls_are_recorded_with_their_code() -> None:
    app = App(lambda request: reply(403, {"code": 20002, "description": "No commerce relationship"}))
    with make_client(app) as client, client.calls() as log, pytest.raises(PartnerCenterError):
        client.list_subscriptions(C)
    (entry,) = log.records
    assert (entry.operation, entry.status, entry.error_code, entry.attempts) == (
        "GET /v1/customers/{customer_id}/subscriptions",
        403,
        "20002",
        1,
    )
    assert entry.request_id == app.requests[0].headers["MS-RequestId"]


def test_find_customer_then_get_customer_for_the_full_record() -> None:
    full = {
        **customer_item("t9", "acme.onmicrosoft.com"),
        "billingProfile": {"email": "it@acme.example", "attributes": {"etag": "b1"}},
        "commerceId": "k9",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/customers":
            return reply(200, collection([customer_item("t9", "ACME.onmicrosoft.com")]))
        return reply(200, full)

    with make_client(App(handler)) as client:
        found = client.find_customer_by_domain("acme.onmicrosoft.com")
        assert found is not None and found.billing_profile is None
        customer = client.get_customer(found.id)
    assert customer.billing_profile is not None and customer.billing_profile.etag == "b1"
    assert customer.commerce_id == "k9"
