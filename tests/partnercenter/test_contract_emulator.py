"""Contract tests: the client against the emulator, in process (MockTransport) and over loopback HTTP.

Both implement the wire format of partner-center-api.md; these tests catch the two drifting apart.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable, Iterator

import pytest

from cspsync.emulator import EmulatorApp, Faults, Store, serve, transport
from cspsync.errors import ConflictError, RequestRejectedError
from cspsync.partnercenter import (
    Address,
    BillingProfile,
    CartLineItem,
    CompanyProfileCreate,
    Contact,
    CustomerAgreement,
    CustomerCreateRequest,
    Limits,
    PartnerCenterClient,
    RetryPolicy,
    StaticToken,
)

from .fakes import FakeClock

ADATUM = "7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12"
NORTHWIND = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
AZURE_PLAN = ("DZH318Z0BPS6", "0001")
BUSINESS_PREMIUM = "CFQ7TTC0LCHC:0002:CFQ7TTC0J1FX"
ADDRESSES = {
    "GB": Address(address_line1="1 Wheel Street", city="Bristol", postal_code="BS1 4DJ", country="GB"),
    "US": Address(address_line1="1 Microsoft Way", city="Redmond", state="WA", postal_code="98052", country="US"),
}


@pytest.fixture
def emulator() -> Iterator[EmulatorApp]:
    app = EmulatorApp(Store(), page_size=2)
    yield app
    app.close()


Connect = Callable[..., PartnerCenterClient]


@pytest.fixture(params=["in-process", "loopback"])
def connect(request: pytest.FixtureRequest, emulator: EmulatorApp) -> Iterator[Connect]:
    """A factory of clients talking to ``emulator`` one way or the other."""
    server = serve(emulator) if request.param == "loopback" else None
    clients: list[PartnerCenterClient] = []

    def make(clock: FakeClock | None = None, **kwargs: object) -> PartnerCenterClient:
        clock = clock or FakeClock()
        client = PartnerCenterClient(
            base_url=server.url if server else "https://api.partnercenter.microsoft.com",
            transport=None if server else transport(emulator),
            tokens=StaticToken(),
            clock=clock,
            sleep=clock.sleep,
            retry=kwargs.pop("retry", RetryPolicy(rng=random.Random(5))),  # type: ignore[arg-type]
            timeout=10.0,
            **kwargs,  # type: ignore[arg-type]
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    if server is not None:
        server.shutdown()


def _request(prefix: str, country: str = "GB", partner: str | None = None) -> CustomerCreateRequest:
    return CustomerCreateRequest(
        company_profile=CompanyProfileCreate(domain=f"{prefix}.onmicrosoft.com"),
        billing_profile=BillingProfile(
            email=f"accounts@{prefix}.example",
            culture="en-GB",
            language="en",
            company_name=f"{prefix.title()} Ltd",
            default_address=ADDRESSES[country].model_copy(update={"first_name": "Amelia", "last_name": "Hughes"}),
        ),
        associated_partner_id=partner,
    )


def _mca(client: PartnerCenterClient, email: str = "amelia@contosobikes.example") -> CustomerAgreement:
    return CustomerAgreement(
        primary_contact=Contact(first_name="Amelia", last_name="Hughes", email=email),
        date_agreed=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        template_id=client.agreement_template().template_id,
    )


def test_create_a_customer_end_to_end(connect: Connect, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = connect()
    domain = "contosobikes.onmicrosoft.com"
    assert client.domain_available(domain) is True
    validated = client.validate_address(
        Address(address_line1="1 Wheel Street", city="Bristol", postal_code="BS1 4DJ", country="GB")
    )
    assert validated.status is not None

    with client.calls() as log:
        created = client.create_customer(_request("contosobikes"))
    assert created.credentials is not None and created.credentials.user_name.startswith("admin")
    password = created.credentials.password.get_secret_value()
    assert password and password not in caplog.text and "Bearer emulator" not in caplog.text
    assert log.records[0].operation == "POST /v1/customers" and log.records[0].status == 201

    assert client.domain_available(domain) is False
    found = client.find_customer_by_domain(domain.upper())
    assert found is not None and found.id == created.customer.id
    customer = client.get_customer(found.id)
    assert customer.billing_profile is not None and customer.billing_profile.company_name == "Contosobikes Ltd"

    profile = client.get_billing_profile(found.id)
    assert profile.etag
    updated = client.update_billing_profile(
        found.id, profile.model_copy(update={"email": "billing@contosobikes.example"})
    )
    assert updated.email == "billing@contosobikes.example" and updated.etag != profile.etag


def test_paging_lists_every_customer_once(connect: Connect, emulator: EmulatorApp) -> None:
    client = connect()
    for prefix in ("alpha", "bravo", "charlie"):
        client.create_customer(_request(prefix))
    listed = [c.domain for c in client.list_customers(page_size=2)]
    assert len(listed) == len(set(listed)) == 5  # 2 seeded customers + 3 new, over 3 pages
    assert {"alpha.onmicrosoft.com", "bravo.onmicrosoft.com", "charlie.onmicrosoft.com"} <= set(listed)
    assert client.stats.snapshot()["calls"]["GET /v1/customers (next page)"] == 2


def test_relationships_agreements_and_orders(connect: Connect) -> None:
    client = connect()
    link = client.relationship_request_link()
    assert link.startswith("https://admin.microsoft.com/")
    assert f"indirectCSPId={NORTHWIND}" in client.relationship_request_link(NORTHWIND)
    assert [r.name for r in client.customer_relationships(ADATUM)]
    assert [r.id for r in client.indirect_resellers()] == [NORTHWIND]

    customer_id = client.create_customer(_request("contosobikes", partner=NORTHWIND)).customer.id
    line = CartLineItem(
        catalog_item_id=BUSINESS_PREMIUM,
        quantity=10,
        billing_cycle="monthly",
        term_duration="P1Y",
        friendly_name="northwind-contosobikes-m365bp",
    )
    cart = client.create_cart(customer_id, [line])
    with pytest.raises(RequestRejectedError) as info:
        client.checkout(customer_id, cart.id)
    assert info.value.code == "13605" and info.value.hint is not None and "spec.agreement" in info.value.hint

    agreement = client.create_agreement(customer_id, _mca(client))
    assert agreement.template_id == client.agreement_template().template_id
    assert [a.primary_contact.email for a in client.list_agreements(customer_id)] == ["amelia@contosobikes.example"]
    with pytest.raises(ConflictError) as duplicate:
        client.create_agreement(customer_id, _mca(client))
    assert duplicate.value.code == "600061"

    result = client.checkout(customer_id, client.create_cart(customer_id, [line]).id)
    assert result.orders and not result.order_errors
    (subscription,) = client.list_subscriptions(customer_id)
    assert subscription.friendly_name == "northwind-contosobikes-m365bp" and subscription.etag
    renamed = client.rename(customer_id, subscription, "northwind-contosobikes-0001")
    assert renamed.friendly_name == "northwind-contosobikes-0001"
    more = client.set_quantity(customer_id, renamed, 12)
    assert client.get_subscription(customer_id, subscription.id).quantity == more.quantity == 12

    availabilities = client.availabilities(*AZURE_PLAN, "GB")
    assert availabilities and availabilities[0].catalog_item_id


def test_errors_carry_codes_and_request_ids(connect: Connect) -> None:
    client = connect()
    with pytest.raises(RequestRejectedError) as info, client.calls() as log:
        client.create_customer(_request("usbikes", country="US"))  # not one of the partner's markets
    assert info.value.code == "2030"
    assert info.value.request_id == log.records[0].request_id
    assert "authorised markets" in str(info.value)


def test_a_create_whose_answer_is_lost_is_adopted_not_repeated(connect: Connect, emulator: EmulatorApp) -> None:
    client = connect()
    emulator.faults = Faults(seed=1, timeout_after_commit_rate=1.0, timeout_hold_seconds=0.01)
    created = client.create_customer(_request("lostanswer"))
    assert created.credentials is None and created.credentials_lost is True
    assert created.customer.domain == "lostanswer.onmicrosoft.com"
    assert emulator.request_counts()["POST /v1/customers"] == 1


def test_throttling_is_honoured(connect: Connect, emulator: EmulatorApp) -> None:
    clock = FakeClock()
    emulator.faults = Faults(throttle_rate=1.0, throttle_burst=2, clock=clock)
    client = connect(clock, limits=Limits(requests_per_second=1000, burst=1000))
    ids = [client.get_customer(ADATUM).id for _ in range(5)]
    assert ids == [ADATUM] * 5
    stats = client.stats.snapshot()
    assert stats["throttles"] >= 1 and stats["retries"] == stats["throttles"]
    assert len([s for s in clock.sleeps if s >= 1]) == stats["throttles"]  # each 429 waited its Retry-After


def test_random_faults_on_reads_are_ridden_out(connect: Connect, emulator: EmulatorApp) -> None:
    client = connect(retry=RetryPolicy(max_attempts=10, rng=random.Random(2)))
    emulator.faults = Faults(seed=42, error_rate=0.2, drop_rate=0.1, timeout_rate=0.1, timeout_hold_seconds=0.01)
    listed = [c.id for c in client.list_customers(page_size=1)]
    assert ADATUM in listed and len(listed) == len(set(listed)) == 2
