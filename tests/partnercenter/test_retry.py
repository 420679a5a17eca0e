from __future__ import annotations

import json
import random

import httpx
import pytest

from cspsync.errors import (
    AuthenticationError,
    ConflictError,
    RequestRejectedError,
    ThrottledError,
    TransientError,
)
from cspsync.partnercenter import (
    Address,
    BillingProfile,
    CartLineItem,
    CompanyProfileCreate,
    Contact,
    CustomerAgreement,
    CustomerCreateRequest,
    RetryPolicy,
    Subscription,
)
from cspsync.partnercenter.retry import parse_retry_after

from .fakes import App, FakeClock, collection, customer_item, make_client, reply, sequence

TENANT = "0a4ce58a-6f96-4273-8035-d9c7d31b9ba4"
DOMAIN = "fourthcoffee.onmicrosoft.com"
CUSTOMER = customer_item(TENANT, DOMAIN, "Fourth Coffee")


def _dropped(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


# ------------------------------------------------------------------------------------------- 429


def test_429_waits_retry_after_seconds(clock: FakeClock) -> None:
    app = App(sequence(reply(429, headers={"Retry-After": "7"}), reply(200, CUSTOMER)))
    with make_client(app, clock=clock) as client:
        assert client.get_customer(TENANT).id == TENANT
    assert clock.sleeps == [7.0]
    assert client.stats.snapshot()["throttles"] == 1
    assert client.stats.snapshot()["retries"] == 1


def test_429_retry_after_is_capped(clock: FakeClock) -> None:
    app = App(sequence(reply(429, headers={"Retry-After": "3600"}), reply(200, CUSTOMER)))
    with make_client(app, clock=clock, retry=RetryPolicy(retry_after_cap=120, max_elapsed=1000)) as client:
        client.get_customer(TENANT)
    assert clock.sleeps == [120.0]


def test_429_without_header_reads_the_gateway_message(clock: FakeClock) -> None:
    shape_c = {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}
    app = App(sequence(reply(429, shape_c), reply(200, CUSTOMER)))
    with make_client(app, clock=clock) as client:
        client.get_customer(TENANT)
    assert clock.sleeps == [57.0]


def test_429_never_waits_less_than_the_backoff(clock: FakeClock) -> None:
    policy = RetryPolicy(backoff_initial=4, jitter=0, rng=random.Random(1))
    app = App(
        sequence(
            reply(429, headers={"Retry-After": "0"}), reply(429, headers={"Retry-After": "1"}), reply(200, CUSTOMER)
        )
    )
    with make_client(app, clock=clock, retry=policy) as client:
        client.get_customer(TENANT)
    assert clock.sleeps == [4.0, 8.0]


def test_retry_after_accepts_an_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412500.0) == 0.0
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_still_throttled_after_the_budget_raises_throttled_error(clock: FakeClock) -> None:
    app = App(lambda request: reply(429, headers={"Retry-After": "5"}))
    with (
        make_client(app, clock=clock, retry=RetryPolicy(max_attempts=3)) as client,
        pytest.raises(ThrottledError) as info,
    ):
        client.get_customer(TENANT)
    assert len(app.requests) == 3
    assert info.value.retry_after == 5.0
    assert info.value.request_id == app.requests[0].headers["MS-RequestId"]
    assert "HTTP 429" in info.value.message and "gave up after 3 attempts in 10 s" in info.value.message


# ------------------------------------------------------------------------------------------- 5xx


def test_5xx_backs_off_exponentially_with_jitter_and_a_cap(clock: FakeClock) -> None:
    policy = RetryPolicy(max_attempts=8, backoff_initial=1, backoff_max=6, jitter=1, rng=random.Random(3))
    app = App(sequence(*[reply(503)] * 7, reply(200, CUSTOMER)))
    with make_client(app, clock=clock, retry=policy) as client:
        client.get_customer(TENANT)
    assert len(clock.sleeps) == 7
    bases = [1, 2, 4, 8, 16, 32, 64]
    for slept, base in zip(clock.sleeps, bases, strict=True):
        assert min(base, 6) <= slept <= min(base + 1, 6)
    assert clock.sleeps[:3] != [1.0, 2.0, 4.0]  # jittered
    assert clock.sleeps[3:] == [6.0] * 4  # capped


def test_the_time_budget_stops_retries_before_attempts_run_out(clock: FakeClock) -> None:
    policy = RetryPolicy(max_attempts=50, max_elapsed=20, backoff_initial=4, jitter=0)
    app = App(lambda request: reply(502, {"code": "500", "description": "Bad gateway"}))
    with make_client(app, clock=clock, retry=policy) as client, pytest.raises(TransientError) as info:
        client.get_customer(TENANT)
    assert clock.sleeps == [4.0, 8.0]  # a third wait (16 s) would pass 20 s
    assert "gave up after 3 attempts" in str(info.value)


def test_a_dropped_connection_is_retried_for_a_get(clock: FakeClock) -> None:
    app = App(sequence(_dropped, httpx.ReadTimeout("timed out"), reply(200, CUSTOMER)))
    with make_client(app, clock=clock) as client:
        assert client.get_customer(TENANT).id == TENANT
    assert len(app.requests) == 3


def test_transport_failures_become_transient_errors_after_the_budget(clock: FakeClock) -> None:
    app = App(_refused)
    with (
        make_client(app, clock=clock, retry=RetryPolicy(max_attempts=2)) as client,
        pytest.raises(TransientError) as info,
    ):
        client.get_customer(TENANT)
    assert info.value.message.startswith(
        "Partner Center call GET /v1/customers/{customer_id} could not connect (ConnectError)"
    )


def test_4xx_and_token_failures_are_not_retried(clock: FakeClock) -> None:
    app = App(
        lambda request: reply(400, {"code": 600002, "description": "Organization registration number not allowed"})
    )
    with make_client(app, clock=clock) as client, pytest.raises(RequestRejectedError):
        client.get_customer(TENANT)
    assert len(app.requests) == 1 and clock.sleeps == []

    class Broken:
        def token(self, user: bool = False) -> str:
            raise AuthenticationError("Could not get a Partner Center app token: invalid_client: bad")

    app = App(lambda request: reply(200, CUSTOMER))
    with make_client(app, clock=clock, tokens=Broken()) as client, pytest.raises(AuthenticationError):
        client.get_customer(TENANT)
    assert app.requests == []


# ------------------------------------------------------------------------------ creates: landed?


def _create_request() -> CustomerCreateRequest:
    return CustomerCreateRequest(
        company_profile=CompanyProfileCreate(domain=DOMAIN),
        billing_profile=BillingProfile(
            email="marshall@fourthcoffee.com",
            culture="en-US",
            language="en",
            company_name="Fourth Coffee",
            default_address=Address(
                country="US", city="Redmond", state="WA", address_line1="One Microsoft Way", postal_code="98052"
            ),
        ),
    )


CREATED = {**CUSTOMER, "userCredentials": {"userName": "admin", "password": "Xy7$-not-logged"}}


def _full(company: str = "Fourth Coffee", email: str = "marshall@fourthcoffee.com") -> dict[str, object]:
    """``GET /v1/customers/{id}``: the customer with the billing profile a landed create is checked against."""
    return {**CUSTOMER, "billingProfile": {"companyName": company, "email": email}}


class CreateWorld:
    """POST /v1/customers that can fail after or before landing; GET filter shows what landed."""

    def __init__(self, *posts: str) -> None:
        self.posts = list(posts)  # "land+drop", "drop", "refuse", "ok", "conflict"
        self.created = False
        self.holder: tuple[str, ...] = ()  # who GET /v1/customers/{id} says holds the domain (default: us)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            outcome = self.posts.pop(0)
            if outcome == "refuse":
                return _refused(request)
            if outcome == "land+drop":
                self.created = True
                return _dropped(request)
            if outcome == "drop":
                return _dropped(request)
            if outcome == "conflict":
                return reply(409, {"code": "600005", "description": "Domain already exists"})
            self.created = True
            return reply(201, CREATED)
        if request.url.path == f"/v1/customers/{TENANT}":
            return reply(200, _full(*self.holder))
        assert request.url.path == "/v1/customers" and "filter" in request.url.params
        return reply(200, collection([CUSTOMER] if self.created else []))


def test_create_customer_that_landed_before_the_connection_dropped_is_adopted(clock: FakeClock) -> None:
    app = App(CreateWorld("land+drop"))
    with make_client(app, clock=clock) as client, client.calls() as log:
        created = client.create_customer(_create_request())
    assert created.customer.id == TENANT
    assert created.credentials is None and created.credentials_lost is True
    assert [r.method for r in app.requests] == ["POST", "GET", "GET"]
    assert [r.operation for r in log.records] == [
        "GET /v1/customers",
        "GET /v1/customers/{customer_id}",
        "POST /v1/customers",
    ]
    assert log.records[2].request_id == app.requests[0].headers["MS-RequestId"]
    assert log.records[2].status is None and log.records[2].attempts == 1


def test_a_customer_of_another_company_at_the_domain_is_never_taken_for_the_lost_create(clock: FakeClock) -> None:
    """The answer was lost, and the domain now belongs to someone else: not adopted; the retry meets the
    refusal Partner Center gives for a taken domain."""
    world = CreateWorld("land+drop", "conflict")
    world.holder = ("Tailspin Toys AS", "faktura@tailspintoys.no")
    app = App(world)
    with make_client(app, clock=clock) as client, pytest.raises(ConflictError):
        client.create_customer(_create_request())
    assert [r.method for r in app.requests] == ["POST", "GET", "GET", "POST", "GET", "GET"]


def test_create_customer_that_did_not_land_is_sent_again_with_the_same_request_id(clock: FakeClock) -> None:
    app = App(CreateWorld("drop", "ok"))
    with make_client(app, clock=clock) as client:
        created = client.create_customer(_create_request())
    assert created.credentials is not None and created.credentials_lost is False
    assert created.credentials.password.get_secret_value() == "Xy7$-not-logged"
    assert [r.method for r in app.requests] == ["POST", "GET", "POST"]
    assert app.requests[0].headers["MS-RequestId"] == app.requests[2].headers["MS-RequestId"]
    assert app.requests[0].content == app.requests[2].content


def test_create_customer_never_sent_is_retried_without_a_lookup(clock: FakeClock) -> None:
    app = App(CreateWorld("refuse", "ok"))
    with make_client(app, clock=clock) as client:
        assert client.create_customer(_create_request()).credentials is not None
    assert [r.method for r in app.requests] == ["POST", "POST"]


def test_a_conflict_on_the_retry_of_a_create_checks_again_and_adopts(clock: FakeClock) -> None:
    """The first POST landed but the customer list lags: the lookup misses it, the retry hits a
    conflict on the domain, and the second lookup finds and adopts it."""
    world = CreateWorld("land+drop", "conflict")
    lookups = {"count": 0}

    def lagging(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == f"/v1/customers/{TENANT}":
            return reply(200, _full())
        if request.method == "GET":
            lookups["count"] += 1
            return reply(200, collection([CUSTOMER] if lookups["count"] > 1 else []))
        return world(request)

    app = App(lagging)
    with make_client(app, clock=clock) as client:
        created = client.create_customer(_create_request())
    assert created.credentials_lost is True and created.customer.id == TENANT
    assert [r.method for r in app.requests] == ["POST", "GET", "POST", "GET", "GET"]


def test_a_create_refused_outright_is_not_retried(clock: FakeClock) -> None:
    app = App(lambda request: reply(403, {"code": 2030, "description": "Partner is not onboarded to sell in country."}))
    with make_client(app, clock=clock) as client, pytest.raises(RequestRejectedError) as info:
        client.create_customer(_create_request())
    assert info.value.code == "2030"
    assert len(app.requests) == 1


def test_checkout_that_landed_is_recovered_from_the_cart_status(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return _dropped(request)
        assert request.url.path == "/v1/customers/c1/carts/cart-1"
        return reply(200, {"id": "cart-1", "status": "Ordered", "lineItems": []})

    app = App(handler)
    with make_client(app, clock=clock) as client:
        result = client.checkout("c1", "cart-1")
    assert result.recovered is True and result.orders == []
    assert [r.method for r in app.requests] == ["POST", "GET"]


def test_checkout_that_did_not_land_is_retried(clock: FakeClock) -> None:
    order = {"id": "o1", "referenceCustomerId": "c1", "billingCycle": "monthly", "lineItems": [], "status": "pending"}
    app = App(
        sequence(
            reply(500),
            reply(200, {"id": "cart-1", "status": "Active", "lineItems": []}),
            reply(201, {"orders": [order], "orderErrors": None}),
        )
    )
    with make_client(app, clock=clock) as client:
        result = client.checkout("c1", "cart-1")
    assert [o.id for o in result.orders] == ["o1"] and result.recovered is False
    assert [r.method for r in app.requests] == ["POST", "GET", "POST"]


def _agreement(email: str) -> CustomerAgreement:
    return CustomerAgreement(
        primary_contact=Contact(first_name="Ada", last_name="Lovelace", email=email, phone_number="+44 20 7946 0000"),
        date_agreed="2026-01-15T00:00:00Z",
        template_id="117a77b0-9360-443b-8795-c6dedc750cf9",
    )


@pytest.mark.parametrize(("listed_email", "posts"), [("ADA@contoso.example", 1), ("someone@else.example", 2)])
def test_create_agreement_after_a_timeout_matches_the_contact(clock: FakeClock, listed_email: str, posts: int) -> None:
    listed = {"items": [{**_agreement(listed_email).model_dump(mode="json", by_alias=True)}]}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            assert request.url.params["agreementType"] == "MicrosoftCustomerAgreement"
            return reply(200, listed)
        if sum(r.method == "POST" for r in app.requests) == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return reply(201, {**json.loads(request.content), "userId": "u1"})

    app = App(handler)
    with make_client(app, clock=clock) as client:
        agreement = client.create_agreement("c1", _agreement("ada@contoso.example"))
    assert sum(r.method == "POST" for r in app.requests) == posts
    assert agreement.primary_contact.first_name == "Ada"


def test_create_cart_is_retried_blindly(clock: FakeClock) -> None:
    cart = {
        "id": "cart-9",
        "status": "Active",
        "lineItems": [
            {"id": 0, "catalogItemId": "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", "quantity": 5, "billingCycle": "monthly"}
        ],
    }
    app = App(sequence(reply(503), reply(201, cart)))
    line = CartLineItem(
        catalog_item_id="CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", quantity=5, billing_cycle="monthly", term_duration="P1Y"
    )
    with make_client(app, clock=clock) as client:
        assert client.create_cart("c1", [line]).id == "cart-9"
    assert [r.method for r in app.requests] == ["POST", "POST"]
    assert app.bodies()[0] == {
        "lineItems": [
            {
                "id": 0,
                "catalogItemId": "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P",
                "quantity": 5,
                "billingCycle": "monthly",
                "termDuration": "P1Y",
            }
        ]
    }


def test_a_patch_that_landed_before_a_timeout_is_recognised_on_412(clock: FakeClock) -> None:
    before = {
        "id": "s1",
        "friendlyName": "old",
        "quantity": 5,
        "status": "active",
        "autoRenewEnabled": True,
        "attributes": {"etag": "e1", "objectType": "Subscription"},
    }
    after = {**before, "friendlyName": "acme-prod-0001", "attributes": {"etag": "e2", "objectType": "Subscription"}}
    app = App(
        sequence(
            httpx.ReadTimeout("timed out"),
            reply(412, {"code": "412", "description": "Precondition failed"}),
            reply(200, after),
        )
    )
    with make_client(app, clock=clock) as client:
        updated = client.rename("c1", Subscription.model_validate(before), "acme-prod-0001")
    assert updated.etag == "e2"
    assert [r.method for r in app.requests] == ["PATCH", "PATCH", "GET"]
    assert app.requests[0].headers["If-Match"] == "e1"


def test_a_conflict_without_an_earlier_failure_is_the_users_error(clock: FakeClock) -> None:
    body = {
        "code": 600061,
        "message": "PartnerConfirmedAgreementAlreadyExists",
        "description": "Agreement already exists",
        "errorName": "PartnerConfirmedAgreementAlreadyExists",
        "isRetryable": False,
    }
    app = App(lambda request: reply(409, body))
    with make_client(app, clock=clock) as client, pytest.raises(ConflictError) as info:
        client.create_agreement("c1", _agreement("ada@contoso.example"))
    assert info.value.code == "600061"
    assert len(app.requests) == 1


def test_a_retry_after_that_is_no_number_of_seconds_is_ignored() -> None:
    """RFC 9110 section 10.2.3: delta-seconds are digits; "inf" or "nan" (which float() reads) is no wait a server
    asked for: "inf" made every throttled call wait the longest pause (120 s) and said so in its error."""
    assert [parse_retry_after(text) for text in ("inf", "nan", "-inf", "Infinity")] == [None, None, None, None]
