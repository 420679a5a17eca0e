from __future__ import annotations

import uuid

import httpx

from cspsync.partnercenter import (
    Address,
    BillingProfile,
    CompanyProfileCreate,
    CustomerCreateRequest,
)

from .fakes import TOKEN, App, RecordingTokens, customer_item, make_client, reply, sequence

TENANT = "dfd8cc0a-c592-468c-8461-869a38d24738"


def test_every_call_carries_the_partner_center_headers() -> None:
    app = App(lambda request: reply(200, customer_item(TENANT, "contoso.onmicrosoft.com")))
    with make_client(app) as client:
        client.get_customer(TENANT)
        client.get_customer(TENANT)

    first, second = app.requests
    for request in app.requests:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Accept"] == "application/json"
        assert request.headers["X-Locale"] == "en-US"
        assert request.headers["MS-PartnerCenter-Application"] == "cspsync"
        assert request.headers["MS-CorrelationId"] == client.correlation_id
        uuid.UUID(request.headers["MS-RequestId"])
    assert first.url == f"https://api.partnercenter.microsoft.com/v1/customers/{TENANT}"
    assert first.headers["MS-RequestId"] != second.headers["MS-RequestId"]


def test_correlation_id_and_locale_can_be_chosen() -> None:
    app = App(lambda request: reply(200, customer_item(TENANT, "x.onmicrosoft.com")))
    with make_client(app, correlation_id="ab993325-1605-4cf4-bac4-fb584142a31b", locale="de-DE") as client:
        client.get_customer(TENANT)
    assert client.correlation_id == "ab993325-1605-4cf4-bac4-fb584142a31b"
    assert app.requests[0].headers["MS-CorrelationId"] == "ab993325-1605-4cf4-bac4-fb584142a31b"
    assert app.requests[0].headers["X-Locale"] == "de-DE"


def test_request_id_is_the_same_across_the_retries_of_one_call() -> None:
    app = App(sequence(reply(503), reply(500), reply(200, customer_item(TENANT, "x.onmicrosoft.com"))))
    with make_client(app) as client:
        client.get_customer(TENANT)
        client.get_customer(TENANT)
    ids = [r.headers["MS-RequestId"] for r in app.requests]
    assert len(ids) == 4
    assert ids[0] == ids[1] == ids[2]
    assert ids[3] != ids[0]


def test_path_ids_are_quoted_into_their_segment() -> None:
    app = App(lambda request: reply(404))
    with make_client(app) as client:
        assert client.domain_available("a/../b.onmicrosoft.com") is True
    assert app.requests[0].url.raw_path == b"/v1/domains/a%2F..%2Fb.onmicrosoft.com"


def test_bodies_with_a_byte_order_mark_are_read() -> None:
    app = App(lambda request: reply(200, customer_item(TENANT, "bom.onmicrosoft.com"), bom=True))
    with make_client(app) as client:
        assert client.get_customer(TENANT).domain == "bom.onmicrosoft.com"


def _request(partner: str | None) -> CustomerCreateRequest:
    return CustomerCreateRequest(
        company_profile=CompanyProfileCreate(domain="fourthcoffee.onmicrosoft.com"),
        billing_profile=BillingProfile(
            email="marshall@fourthcoffee.com",
            culture="en-US",
            language="en",
            company_name="Fourth Coffee",
            default_address=Address(country="US", city="Redmond", state="WA", address_line1="One Microsoft Way"),
        ),
        associated_partner_id=partner,
    )


def test_app_plus_user_calls_ask_for_a_user_token() -> None:
    created = {
        **customer_item(TENANT, "fourthcoffee.onmicrosoft.com"),
        "userCredentials": {"userName": "admin", "password": "x"},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/customers/relationshiprequests":
            return reply(200, {"url": "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship"})
        if path == "/v1/customers" and request.method == "POST":
            return reply(201, created)
        if path.endswith("/agreements") or path == "/v1/agreements":
            return reply(200, {"totalCount": 0, "items": [], "attributes": {"objectType": "Collection"}})
        if path.endswith("/relationships") or path == "/v1/relationships":
            return reply(200, {"totalCount": 0, "items": None})
        return reply(200, customer_item(TENANT, "fourthcoffee.onmicrosoft.com"))

    tokens = RecordingTokens()
    with make_client(App(handler), tokens=tokens) as client:
        client.get_customer(TENANT)
        client.create_customer(_request(None))
        assert tokens.asked == [False, False]
        tokens.asked.clear()
        client.relationship_request_link()
        client.customer_relationships(TENANT)
        client.indirect_resellers()
        client.list_agreements(TENANT)
        client.create_customer(_request("4b6c1a4e-7d7e-4c43-8b5e-1c2d3e4f5a6b"))
    assert tokens.asked == [True, True, True, True, True]
