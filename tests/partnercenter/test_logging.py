from __future__ import annotations

import logging

import httpx
import pytest

from cspsync.partnercenter import Address, BillingProfile, CompanyProfileCreate, CustomerCreateRequest

from .fakes import TOKEN, App, collection, customer_item, make_client, reply, sequence

PASSWORD = "Qz!9-one-time-admin-password"


def _handler(request: httpx.Request) -> httpx.Response:
    if request.method == "POST":
        return reply(
            201,
            {
                **customer_item("t1", "acme.onmicrosoft.com"),
                "userCredentials": {"userName": "admin", "password": PASSWORD},
            },
        )
    if request.url.path == "/v1/customers":
        return reply(200, collection([customer_item("t1", "acme.onmicrosoft.com")]))
    return reply(200, customer_item("t1", "acme.onmicrosoft.com"))


def test_debug_log_names_calls_but_never_tokens_or_passwords(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # everything, httpx's own loggers included
    request = CustomerCreateRequest(
        company_profile=CompanyProfileCreate(domain="acme.onmicrosoft.com"),
        billing_profile=BillingProfile(
            email="it@acme.example",
            culture="en-US",
            language="en",
            company_name="Acme",
            default_address=Address(country="US"),
        ),
    )
    app = App(sequence(reply(503), _handler))
    with make_client(app) as client:
        client.get_customer("t1")
        created = client.create_customer(request)
        list(client.list_customers())
    assert created.credentials is not None
    print(repr(created), created)  # even printed, the password stays hidden

    text = caplog.text
    assert TOKEN not in text
    assert PASSWORD not in text
    assert "Bearer" not in text
    request_ids = [r.headers["MS-RequestId"] for r in app.requests]
    records = [r for r in caplog.records if r.name == "cspsync.partnercenter"]
    assert [r.getMessage().split(" in ")[0].split(" after ")[0] for r in records] == [
        "GET /v1/customers/t1 -> 503",
        "GET /v1/customers/t1 -> 200",
        "POST /v1/customers -> 201",
        "GET /v1/customers -> 200",
    ]
    assert all(r.levelno == logging.DEBUG for r in records)
    assert f"(MS-RequestId {request_ids[0]}, attempt 1)" in records[0].getMessage()
    assert f"(MS-RequestId {request_ids[0]}, attempt 2)" in records[1].getMessage()


def test_password_stays_out_of_captured_output(capsys: pytest.CaptureFixture[str]) -> None:
    with make_client(App(_handler)) as client:
        created = client.create_customer(
            CustomerCreateRequest(
                company_profile=CompanyProfileCreate(domain="acme.onmicrosoft.com"),
                billing_profile=BillingProfile(
                    email="it@acme.example", culture="en-US", language="en", company_name="Acme"
                ),
            )
        )
    print(created, repr(created.credentials), created.model_dump())
    out = capsys.readouterr().out
    assert PASSWORD not in out and "**********" in out


def test_dropped_connections_are_logged_by_exception_type(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cspsync.partnercenter")

    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with make_client(App(sequence(dropped, _handler))) as client:
        client.get_customer("t1")
    assert "GET /v1/customers/t1 -> ReadTimeout after" in caplog.text
