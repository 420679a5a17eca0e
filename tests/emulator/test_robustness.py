"""Whatever a client sends, the emulator answers with a Partner Center error, never a crash."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cspsync.emulator import EmulatorApp, Store, transport

from .conftest import BASE_URL, TAILSPIN, accept_mca, azure_line, buy, customer_body, license_line

_scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8)
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
_keys = st.sampled_from(
    [
        "companyProfile",
        "billingProfile",
        "domain",
        "defaultAddress",
        "country",
        "city",
        "addressLine1",
        "email",
        "lineItems",
        "catalogItemId",
        "quantity",
        "billingCycle",
        "termDuration",
        "participants",
        "key",
        "value",
        "status",
        "friendlyName",
        "autoRenewEnabled",
        "primaryContact",
        "templateId",
        "dateAgreed",
        "type",
    ]
)


def _mutated(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` with some fields (top level or one below) replaced by arbitrary JSON."""

    def mutate(changes: list[tuple[str, str | None, Any]]) -> dict[str, Any]:
        body = {key: (dict(value) if isinstance(value, dict) else value) for key, value in base.items()}
        for key, inner, value in changes:
            target = body.get(key)
            if inner is not None and isinstance(target, dict):
                target[inner] = value
            else:
                body[key] = value
        return body

    return st.lists(st.tuples(_keys, st.none() | _keys, _json), max_size=3).map(mutate)


_APP = EmulatorApp(Store())
_HTTP = httpx.Client(transport=transport(_APP), base_url=BASE_URL, headers={"Authorization": "Bearer t"})
accept_mca(_HTTP, TAILSPIN)
_SUBSCRIPTION = buy(_HTTP, TAILSPIN, license_line(), azure_line())[0]
_PATHS = {
    "customer": ("POST", "/v1/customers", {k[:1].lower() + k[1:]: v for k, v in customer_body().items()}),
    "cart": ("POST", f"/v1/customers/{TAILSPIN}/carts", {"lineItems": [license_line(), azure_line()]}),
    "billing": (
        "PUT",
        f"/v1/customers/{TAILSPIN}/profiles/billing",
        _HTTP.get(f"/v1/customers/{TAILSPIN}/profiles/billing").json(),
    ),
    "address": ("POST", "/v1/validations/address", {"addressLine1": "1 Street", "city": "Oslo", "country": "NO"}),
    "subscription": ("PATCH", f"/v1/customers/{TAILSPIN}/subscriptions/{_SUBSCRIPTION['id']}", _SUBSCRIPTION),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(_PATHS)), st.data())
def test_any_body_gets_an_answer_not_a_crash(endpoint: str, data: st.DataObject) -> None:
    method, path, base = _PATHS[endpoint]
    body = data.draw(_mutated(base))
    body.pop("attributes", None)  # no etag: the PATCH rules run instead of 412
    response = _HTTP.request(method, path, json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()) >= {"code", "description", "data", "source"}


@given(_json)
@settings(max_examples=50, deadline=None)
def test_any_json_filter_gets_an_answer(value: Any) -> None:
    import json

    response = _HTTP.get("/v1/customers", params={"filter": json.dumps(value)})
    assert response.status_code in (200, 400)
