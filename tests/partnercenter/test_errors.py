from __future__ import annotations

import pytest

from cspsync.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PartnerCenterError,
    RequestRejectedError,
    ThrottledError,
    TransientError,
)
from cspsync.partnercenter import RetryPolicy
from cspsync.partnercenter.errormap import CODE_HINTS, error_for_response

from .fakes import App, make_client, reply

TENANT = "c1"


def test_shape_a_error_becomes_a_rejection_with_code_hint_and_request_id() -> None:
    body = {
        "code": 13605,
        "description": "Customer has not accepted the Microsoft Customer Agreement.",
        "data": [],
        "source": "PartnerFD",
    }
    app = App(lambda request: reply(403, body))
    with make_client(app) as client, pytest.raises(RequestRejectedError) as info:
        client.checkout(TENANT, "cart-1")
    err = info.value
    request_id = app.requests[0].headers["MS-RequestId"]
    assert (err.status, err.code, err.request_id) == (403, "13605", request_id)
    assert err.description == "Customer has not accepted the Microsoft Customer Agreement."
    assert str(err) == (
        "Partner Center refused POST /v1/customers/{customer_id}/carts/{cart_id}/checkout: HTTP 403, error 13605: "
        "Customer has not accepted the Microsoft Customer Agreement.\n"
        "  hint: record the customer's Microsoft Customer Agreement first (spec.agreement), then apply again\n"
        f"  MS-RequestId: {request_id}"
    )


def test_shape_b_error_is_read() -> None:
    body = {
        "code": 600061,
        "message": "PartnerConfirmedAgreementAlreadyExists",
        "description": "An agreement already exists with the same details.",
        "errorName": "PartnerConfirmedAgreementAlreadyExists",
        "isRetryable": False,
        "parameters": {},
        "errorMessageExtended": "",
    }
    err = error_for_response(status=409, content=b"\xef\xbb\xbf" + _json(body), request_id="r1", operation="POST /x")
    assert isinstance(err, ConflictError)
    assert err.code == "600061"
    assert err.description == "An agreement already exists with the same details."
    assert err.hint is not None and "duplicate MCA" in err.hint


def test_shape_c_throttle_carries_its_wait() -> None:
    body = {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}
    err = error_for_response(status=429, content=_json(body), request_id="r1", operation="GET /v1/customers")
    assert isinstance(err, ThrottledError)
    assert err.retry_after == 57.0
    assert (
        err.message
        == "Partner Center refused GET /v1/customers: HTTP 429: Rate limit is exceeded. Try again in 57 seconds."
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, RequestRejectedError),
        (401, AuthenticationError),
        (403, RequestRejectedError),
        (404, NotFoundError),
        (409, ConflictError),
        (412, RequestRejectedError),
        (417, RequestRejectedError),
        (500, TransientError),
        (503, TransientError),
    ],
)
def test_status_picks_the_error_class(status: int, cls: type[PartnerCenterError]) -> None:
    err = error_for_response(status=status, content=b"", request_id="r9", operation="GET /v1/customers/{customer_id}")
    assert type(err) is cls
    assert err.status == status and err.code is None and err.request_id == "r9"


def test_non_json_error_bodies_still_give_a_clear_message() -> None:
    err = error_for_response(status=502, content=b"<html>Bad Gateway</html>", request_id="r1", operation="GET /v1/x")
    assert err.message == "Partner Center refused GET /v1/x: HTTP 502"


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        ("13605", "record the customer's Microsoft Customer Agreement first (spec.agreement)"),
        ("2030", "the country is not one of your authorised markets"),
        ("600061", "duplicate MCA"),
        ("800065", "the cart was already submitted"),
        ("800090", "the quantity can't be decreased now"),
        ("900117", "the cancellation window has passed"),
        ("2054", "the billing cycle can't be changed by PATCH"),
        ("20002", "there is no commerce relationship with this customer"),
        ("800070", "the offer is not available in the customer's country"),
    ],
)
def test_known_codes_tell_the_user_what_to_do(code: str, advice: str) -> None:
    err = error_for_response(
        status=400, content=_json({"code": int(code), "description": "x"}), request_id="r", operation="POST /v1/x"
    )
    assert err.hint is not None and advice in err.hint
    assert CODE_HINTS[code] == err.hint


def test_404_and_401_through_the_client() -> None:
    not_found = App(lambda request: reply(404, {"code": 0, "description": "Customer not found"}))
    with make_client(not_found) as client, pytest.raises(NotFoundError, match="HTTP 404"):
        client.get_customer(TENANT)
    with make_client(App(lambda request: reply(401))) as client, pytest.raises(AuthenticationError) as info:
        client.get_customer(TENANT)
    assert info.value.hint is not None and "CSPSYNC_" in info.value.hint


def test_persistent_5xx_becomes_transient_error_with_the_server_description() -> None:
    body = {"code": "500", "description": "Internal server error", "data": [], "source": "PartnerFD"}
    app = App(lambda request: reply(500, body))
    with make_client(app, retry=RetryPolicy(max_attempts=2, jitter=0)) as client, pytest.raises(TransientError) as info:
        client.list_subscriptions(TENANT)
    assert info.value.message == (
        "Partner Center refused GET /v1/customers/{customer_id}/subscriptions: HTTP 500, error 500: "
        "Internal server error (gave up after 2 attempts in 1 s)"
    )


def test_a_success_body_that_is_not_json_is_reported() -> None:
    app = App(lambda request: reply(200).__class__(200, content=b"<html>", headers={"Content-Type": "text/html"}))
    with make_client(app) as client, pytest.raises(PartnerCenterError, match="a body that is not JSON"):
        client.get_customer(TENANT)


def test_a_body_of_the_wrong_shape_is_reported_without_echoing_values() -> None:
    body = {"id": "s1", "quantity": "many-S3cr3t", "attributes": {}}
    with make_client(App(lambda request: reply(200, body))) as client, pytest.raises(PartnerCenterError) as info:
        client.get_subscription(TENANT, "s1")
    assert "unexpected body: quantity: Input should be a valid integer" in info.value.message
    assert "S3cr3t" not in str(info.value)


def _json(body: object) -> bytes:
    import json

    return json.dumps(body).encode()
