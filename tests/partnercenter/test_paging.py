from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from cspsync.errors import PartnerCenterError
from cspsync.partnercenter.client import next_page_path

from .fakes import BASE, App, collection, customer_item, make_client, reply


def _pages_handler(second_uri: str, third_uri: str) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("MS-ContinuationToken")
        if token is None:
            assert request.url.params["size"] == "2"
            items = [customer_item("t1", "a.onmicrosoft.com"), customer_item("t2", "b.onmicrosoft.com")]
            return reply(200, collection(items, next_uri=second_uri, token="tok-1"))
        if token == "tok-1":
            items = [customer_item("t3", "c.onmicrosoft.com"), customer_item("t4", "d.onmicrosoft.com")]
            return reply(200, collection(items, next_uri=third_uri, token="tok-2"))
        assert token == "tok-2"
        return reply(200, collection([customer_item("t5", "e.onmicrosoft.com")]))

    return handler


def test_list_customers_follows_next_links_with_and_without_v1_prefix() -> None:
    app = App(
        _pages_handler(
            "/customers?size=2&seekOperation=Next",  # no /v1 (as the SDK's links read)
            "/v1/customers?size=2&seekOperation=Next",  # with /v1
        )
    )
    with make_client(app) as client:
        ids = [c.id for c in client.list_customers(page_size=2)]

    assert ids == ["t1", "t2", "t3", "t4", "t5"]
    assert [str(r.url) for r in app.requests] == [
        f"{BASE}/v1/customers?size=2",
        f"{BASE}/v1/customers?size=2&seekOperation=Next",
        f"{BASE}/v1/customers?size=2&seekOperation=Next",
    ]
    assert [r.headers.get("MS-ContinuationToken") for r in app.requests] == [None, "tok-1", "tok-2"]
    assert len({r.headers["MS-RequestId"] for r in app.requests}) == 3  # each page is its own call
    assert client.stats.snapshot()["calls"] == {"GET /v1/customers": 1, "GET /v1/customers (next page)": 2}


def test_list_customers_is_lazy() -> None:
    app = App(_pages_handler("/customers?size=2&seekOperation=Next", "/customers?size=2&seekOperation=Next"))
    with make_client(app) as client:
        pages = client.list_customers(page_size=2)
        assert app.requests == []
        assert next(pages).id == "t1"
        assert len(app.requests) == 1


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/customers?size=500&seekOperation=Next", "/v1/customers?size=500&seekOperation=Next"),
        ("/v1/customers?size=500&seekOperation=Next", "/v1/customers?size=500&seekOperation=Next"),
        ("customers?size=500", "/v1/customers?size=500"),
        ("v1/customers?size=500", "/v1/customers?size=500"),
        (
            "/products/DZH318Z0BQ3Q/skus/0001/availabilities?country=US",
            "/v1/products/DZH318Z0BQ3Q/skus/0001/availabilities?country=US",
        ),
        (f"{BASE}/v1/customers?size=5&seekOperation=Next", "/v1/customers?size=5&seekOperation=Next"),
    ],
)
def test_next_page_path_never_doubles_the_v1_prefix(uri: str, expected: str) -> None:
    assert next_page_path(uri, BASE) == expected


def test_a_next_link_to_another_host_is_refused() -> None:
    with pytest.raises(PartnerCenterError, match=r"another host: evil\.example"):
        next_page_path("https://evil.example/v1/customers?size=5", BASE)


def test_body_continuation_token_is_sent_when_the_link_has_no_headers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "seekOperation" not in str(request.url):
            body = collection([customer_item("t1", "a.onmicrosoft.com")], next_uri="/customers?seekOperation=Next")
            return reply(200, {**body, "continuationToken": "body-token"})
        assert request.headers["MS-ContinuationToken"] == "body-token"
        return reply(200, collection([customer_item("t2", "b.onmicrosoft.com")]))

    with make_client(App(handler)) as client:
        assert [c.id for c in client.list_customers()] == ["t1", "t2"]


def test_a_repeated_next_link_stops_with_an_error_instead_of_looping() -> None:
    page = collection(
        [customer_item("t1", "a.onmicrosoft.com")], next_uri="/customers?seekOperation=Next", token="same"
    )
    with (
        make_client(App(lambda request: reply(200, page))) as client,
        pytest.raises(PartnerCenterError, match="repeated a next-page link of GET /v1/customers"),
    ):
        list(client.list_customers())


def test_find_customer_by_domain_filters_then_matches_exactly_ignoring_case() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        flt = json.loads(request.url.params["filter"])
        assert flt == {"Field": "Domain", "Value": "Contoso.onmicrosoft.com", "Operator": "starts_with"}
        items = [
            customer_item("t-bikes", "contoso.onmicrosoft.com.evil"),
            customer_item("t-contoso", "contoso.onmicrosoft.com"),
        ]
        return reply(200, collection(items))

    with make_client(App(handler)) as client:
        found = client.find_customer_by_domain("Contoso.onmicrosoft.com")
    assert found is not None and found.id == "t-contoso"


def test_find_customer_by_domain_returns_none_when_only_prefixes_match() -> None:
    items = [customer_item("t-bikes", "contosobikes.onmicrosoft.com")]
    with make_client(App(lambda request: reply(200, collection(items)))) as client:
        assert client.find_customer_by_domain("contoso.onmicrosoft.com") is None


def test_empty_or_null_collections_are_empty_lists() -> None:
    with make_client(App(lambda request: reply(200, {"totalCount": 0, "items": None}))) as client:
        assert client.customer_relationships("t1") == []
    with make_client(App(lambda request: reply(200, None))) as client:
        assert client.list_subscriptions("t1") == []
