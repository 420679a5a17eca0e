from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cspsync.emulator import EmulatorApp, EmulatorServer, Faults, Store, serve
from cspsync.errors import ConfigError

from .conftest import customer_body


@pytest.fixture
def served() -> Iterator[tuple[EmulatorServer, EmulatorApp]]:
    app = EmulatorApp(Store())
    with serve(app) as server:
        yield server, app


def test_served_over_loopback_http(served: tuple[EmulatorServer, EmulatorApp]) -> None:
    server, app = served
    assert server.url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=server.url, headers={"Authorization": "Bearer t"}) as http:
        created = http.post("/v1/customers", json=customer_body())
        assert created.status_code == 201
        assert created.headers["content-type"] == "application/json; charset=utf-8"
        assert http.head("/v1/domains/contosobikes.onmicrosoft.com").status_code == 200
        assert http.head("/v1/domains/free.onmicrosoft.com").status_code == 404
        first = http.get("/v1/customers", params={"size": 1})
        link = first.json()["links"]["next"]
        second = http.get(link["uri"], headers={h["key"]: h["value"] for h in link["headers"]})
        assert second.json()["items"][0]["companyProfile"]["domain"] == "adatum.de"
        assert http.get("/v1/customers", headers={"Authorization": ""}).status_code == 401
        assert http.get("/_emulator/requests").json()["counts"]["GET /v1/customers"] == 3
        accepted = http.post("/_emulator/accept-invitation", json={"domain": "litware.ie"})
        assert accepted.status_code == 200
    assert app.store.customer_count() == 4


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])  # noqa: S104
def test_refuses_anything_but_loopback(host: str) -> None:
    with pytest.raises(ConfigError) as caught:
        serve(EmulatorApp(Store()), host=host)
    assert str(caught.value) == (
        f"The emulator only listens on loopback (127.0.0.1, ::1 or localhost); refusing to bind {host!r}.\n"
        "  hint: it has no real authentication, so it must not be reachable from other machines"
    )


def test_localhost_binds_loopback() -> None:
    with serve(EmulatorApp(Store()), host="localhost") as server:
        assert server.url.startswith("http://127.0.0.1:")


def test_dropped_connections_and_timeouts_close_the_socket() -> None:
    held: list[float] = []
    faults = Faults(seed=1, drop_rate=0.5, timeout_rate=0.5, timeout_hold_seconds=0.01, sleep=held.append)
    with (
        serve(EmulatorApp(Store(), faults=faults)) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": "Bearer t"}, timeout=5) as http,
    ):
        for _ in range(6):
            with pytest.raises(httpx.RemoteProtocolError):
                http.get("/v1/customers")
    assert held and all(seconds == 0.01 for seconds in held)  # timeouts held the socket, then closed it


def test_ipv6_loopback() -> None:
    try:
        server = serve(EmulatorApp(Store()), host="::1")
    except ConfigError as err:  # a machine without IPv6
        pytest.skip(str(err))
    with server, httpx.Client(base_url=server.url, headers={"Authorization": "Bearer t"}) as http:
        assert server.url.startswith("http://[::1]:")
        assert http.get("/v1/customers").status_code == 200
