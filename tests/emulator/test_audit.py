"""``GET /v1/auditrecords``: every change the emulator applies for the partner is recorded ("Get a record of
Partner Center activity", "Auditing resources")."""

from __future__ import annotations

from typing import Any

import httpx

from cspsync.emulator import EmulatorApp, Store, transport

from .conftest import BASE_URL, TAILSPIN, FakeClock, agreement_body, create_customer


def _records(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/auditrecords", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_every_partner_operation_leaves_a_record_newest_first(client: httpx.Client, clock: FakeClock) -> None:
    customer_id = create_customer(client)
    clock.advance(minutes=1)
    assert client.post(f"/v1/customers/{TAILSPIN}/agreements", json=agreement_body()).status_code == 201

    records = _records(client, startDate="2026-11-02")

    assert [(r["operationType"], r["customerId"]) for r in records] == [
        ("create_agreement", TAILSPIN),
        ("add_customer", customer_id),
    ]
    added = records[1]
    assert added["operationDate"] == "2026-11-02T09:00:00.0000000Z"
    assert added["resourceType"] == "customer" and added["operationStatus"] == "succeeded"
    assert {"key": "PrimaryDomainName", "value": "contosobikes.onmicrosoft.com"} in added["customizedData"]
    assert added["attributes"] == {"objectType": "AuditRecord"}
    assert "password" not in str(records)  # the one-time password is never in the activity log


def test_the_window_selects_records_and_a_date_only_end_includes_that_day(
    client: httpx.Client, clock: FakeClock
) -> None:
    create_customer(client, "first")
    clock.advance(days=2)
    create_customer(client, "second")

    assert len(_records(client, startDate="2026-11-02", endDate="2026-11-02")) == 1
    assert len(_records(client, startDate="2026-11-03T00:00:00Z")) == 1
    assert len(_records(client)) == 2  # no start date: the previous 30 days


def test_a_start_more_than_90_days_ago_is_refused(client: httpx.Client) -> None:
    response = client.get("/v1/auditrecords", params={"startDate": "2026-07-01"})
    assert response.status_code == 400
    assert "90 days" in response.json()["description"]


def test_pages_follow_the_continuation_token(clock: FakeClock) -> None:
    app = EmulatorApp(Store(), clock=clock, page_size=2, max_page_size=2)
    with httpx.Client(
        transport=transport(app), base_url=BASE_URL, headers={"Authorization": "Bearer test-token"}
    ) as client:
        for index in range(5):
            create_customer(client, f"tenant{index}")
        first = client.get("/v1/auditrecords", params={"startDate": "2026-11-01"}).json()
        seen = [r["id"] for r in first["items"]]
        page = first
        while "next" in page["links"]:
            link = page["links"]["next"]
            headers = {h["key"]: h["value"] for h in link["headers"]}
            page = client.get("/v1" + link["uri"], headers=headers).json()
            seen += [r["id"] for r in page["items"]]
    assert len(seen) == len(set(seen)) == 5


def test_a_customer_accepting_an_invitation_is_not_a_partner_operation(app: EmulatorApp, client: httpx.Client) -> None:
    """The acceptance shows as the customer appearing in the customer list, not in the activity log."""
    listed = {c["id"] for c in client.get("/v1/customers").json()["items"]}
    response = client.post("/_emulator/accept-invitation", json={"domain": "litware.ie"})
    assert response.status_code == 200, response.text
    assert response.json()["id"] in {c["id"] for c in client.get("/v1/customers").json()["items"]} - listed
    assert _records(client, startDate="2026-11-01") == []
