from __future__ import annotations

import httpx

from cspsync.emulator import EmulatorApp

from .conftest import TAILSPIN


def test_request_log_counts_per_route_template(client: httpx.Client, app: EmulatorApp) -> None:
    client.get("/v1/customers")
    client.get(f"/v1/customers/{TAILSPIN}")
    client.get("/v1/customers/7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12")
    client.head("/v1/domains/x.onmicrosoft.com")
    client.get("/v1/nowhere")
    assert client.get("/_emulator/requests").json() == {
        "total": 5,
        "counts": {
            "GET /v1/customers": 1,
            "GET /v1/customers/{customerId}": 2,
            "GET /v1/nowhere": 1,
            "HEAD /v1/domains/{domain}": 1,
        },
    }
    assert client.post("/_emulator/reset-log").status_code == 204
    assert app.request_counts() == {}
    assert client.get("/_emulator/unknown").status_code == 404
