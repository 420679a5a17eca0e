"""The emulated Graph GDAP endpoints: every documented state and transition, the refusals, and the timing
under the test's clock (Graph v1.0 resources/delegatedadminrelationship.md, delegatedadminaccessassignment.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from cspsync.declarations.roles import DEFAULT_GDAP_ROLES
from cspsync.emulator import EmulatorApp, Store, transport
from cspsync.emulator.handlers import gdap
from cspsync.emulator.handlers.gdap import GdapTiming

from .conftest import BASE_URL, FakeClock, create_customer

ROOT = "/v1.0/tenantRelationships/delegatedAdminRelationships"
HELPDESK = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
EXCHANGE = "29232cdf-9323-42fd-ade2-1d097af3e4de"
GROUP = "0c6f3e2a-8b1d-4c5e-9f7a-2b3c4d5e6f70"  # a security group of the built-in world
LITWARE = "2b7c9d1e-3f4a-4b5c-8d6e-7f8a9b0c1d2e"


@pytest.fixture
def slow(clock: FakeClock) -> EmulatorApp:
    """Graph that takes 60 seconds for every asynchronous step."""
    return EmulatorApp(Store(), clock=clock, gdap_timing=GdapTiming.seconds(60))


@pytest.fixture
def graph(slow: EmulatorApp) -> Iterator[httpx.Client]:
    with httpx.Client(transport=transport(slow), base_url=BASE_URL, headers={"Authorization": "Bearer t"}) as http:
        yield http


def relationship_body(name: str = "fabrikam-litware-support", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "displayName": name,
        "duration": "P730D",
        "customer": {"tenantId": LITWARE, "displayName": "Litware Ireland Ltd"},
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": HELPDESK}, {"roleDefinitionId": USER_ADMIN}]},
        "autoExtendDuration": "P180D",
    }
    body.update(extra)
    return body


def status(graph: httpx.Client, relationship_id: str) -> str:
    answer = graph.get(f"{ROOT}/{relationship_id}")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


def created(graph: httpx.Client, **extra: Any) -> dict[str, Any]:
    answer = graph.post(ROOT, json=relationship_body(**extra))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def active(graph: httpx.Client, slow: EmulatorApp, clock: FakeClock) -> str:
    relationship = created(graph)
    assert graph.post(f"{ROOT}/{relationship['id']}/requests", json={"action": "lockForApproval"}).status_code == 201
    gdap.approve(slow.store, "litware.ie", clock.now)
    clock.advance(seconds=61)
    assert status(graph, relationship["id"]) == "active"
    return str(relationship["id"])


def error_code(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


def test_created_then_locked_approved_activating_active(
    graph: httpx.Client, slow: EmulatorApp, clock: FakeClock
) -> None:
    answer = graph.post(ROOT, json=relationship_body())
    assert answer.status_code == 201
    body = answer.json()
    assert answer.headers["Location"].endswith(f"{ROOT}/{body['id']}")
    assert body["status"] == "created" and body["@odata.etag"].startswith('W/"')
    assert body["endDateTime"] == "2028-11-01T09:00:00Z"  # created + P730D until it is active
    lock = graph.post(f"{ROOT}/{body['id']}/requests", json={"action": "lockForApproval"})
    assert lock.status_code == 201 and lock.json()["status"] == "created"
    assert graph.get(f"{ROOT}/{body['id']}/requests").json()["value"][0]["status"] == "succeeded"
    assert status(graph, body["id"]) == "approvalPending"
    (approved,) = gdap.approve(slow.store, "litware.ie", clock.now)
    assert approved["id"] == body["id"]
    assert status(graph, body["id"]) == "approved"
    clock.advance(seconds=30)
    assert status(graph, body["id"]) == "activating"
    clock.advance(seconds=30)
    view = graph.get(f"{ROOT}/{body['id']}").json()
    assert (view["status"], view["activatedDateTime"]) == ("active", "2026-11-02T09:01:00Z")
    assert view["endDateTime"] == "2028-11-01T09:01:00Z"
    assert view["customer"] == {"tenantId": LITWARE, "displayName": "Litware Ireland Ltd"}


def test_an_active_relationship_expires_unless_auto_extended(
    graph: httpx.Client, slow: EmulatorApp, clock: FakeClock
) -> None:
    extended = active(graph, slow, clock)
    plain = created(graph, name="plain", autoExtendDuration="PT0S")["id"]
    graph.post(f"{ROOT}/{plain}/requests", json={"action": "lockForApproval"})
    gdap.approve(slow.store, plain, clock.now)
    clock.advance(seconds=61)
    clock.advance(days=730)
    assert status(graph, plain) == "expiring"
    assert status(graph, extended) == "active"
    assert graph.get(f"{ROOT}/{extended}").json()["endDateTime"].startswith("2029-04-30")  # + 180 days
    clock.advance(seconds=60)
    assert status(graph, plain) == "expired"


def test_terminate_goes_through_termination_requested_and_terminating(
    graph: httpx.Client, slow: EmulatorApp, clock: FakeClock
) -> None:
    relationship = active(graph, slow, clock)
    answer = graph.post(f"{ROOT}/{relationship}/requests", json={"action": "terminate"})
    assert answer.status_code == 201 and answer.json()["action"] == "terminate"
    assert status(graph, relationship) == "terminationRequested"
    clock.advance(seconds=60)
    assert status(graph, relationship) == "terminating"
    clock.advance(seconds=60)
    assert status(graph, relationship) == "terminated"


def test_an_unapproved_request_expires_after_90_days(graph: httpx.Client, slow: EmulatorApp, clock: FakeClock) -> None:
    relationship = created(graph)["id"]
    graph.post(f"{ROOT}/{relationship}/requests", json={"action": "lockForApproval"})
    clock.advance(days=89, hours=23)
    assert status(graph, relationship) == "approvalPending"
    clock.advance(hours=1)
    assert status(graph, relationship) == "expired"
    with pytest.raises(Exception, match="is expired, not waiting for approval"):
        gdap.approve(slow.store, relationship, clock.now)


def test_create_refuses_what_graph_refuses(graph: httpx.Client) -> None:
    assert error_code(graph.post(ROOT, json=relationship_body(name="x" * 51))) == (400, "invalidRequest")
    assert error_code(graph.post(ROOT, json=relationship_body(duration="P731D"))) == (400, "invalidRequest")
    assert error_code(graph.post(ROOT, json=relationship_body(duration="P0D"))) == (400, "invalidRequest")
    assert error_code(graph.post(ROOT, json=relationship_body(autoExtendDuration="P90D"))) == (400, "invalidRequest")
    with_global_admin = relationship_body(accessDetails={"unifiedRoles": [{"roleDefinitionId": GLOBAL_ADMIN}]})
    refused = graph.post(ROOT, json=with_global_admin)
    assert error_code(refused) == (400, "invalidRequest")
    assert "Global Administrator role cannot be auto-extended" in refused.json()["error"]["message"]
    created(graph)
    assert error_code(graph.post(ROOT, json=relationship_body(name="FABRIKAM-litware-support"))) == (
        409,
        "nameAlreadyExists",
    )


def test_updates_and_deletes_only_while_created_and_with_if_match(graph: httpx.Client) -> None:
    body = created(graph)
    path = f"{ROOT}/{body['id']}"
    assert error_code(graph.patch(path, json={"duration": "P30D"})) == (400, "invalidRequest")
    stale = graph.patch(path, json={"duration": "P30D"}, headers={"If-Match": 'W/"old"'})
    assert error_code(stale) == (412, "resourceModified")
    updated = graph.patch(path, json={"duration": "P30D"}, headers={"If-Match": body["@odata.etag"]})
    assert updated.status_code == 200 and updated.json()["duration"] == "P30D"
    graph.post(f"{path}/requests", json={"action": "lockForApproval"})
    again = graph.patch(path, json={"duration": "P60D"}, headers={"If-Match": "*"})
    assert error_code(again) == (400, "invalidRequest")
    assert error_code(graph.delete(path, headers={"If-Match": "*"})) == (400, "invalidRequest")
    assert error_code(graph.post(f"{path}/requests", json={"action": "lockForApproval"})) == (400, "invalidRequest")
    assert error_code(graph.post(f"{path}/requests", json={"action": "terminate"})) == (400, "invalidRequest")
    other = created(graph, name="other")
    assert graph.delete(f"{ROOT}/{other['id']}", headers={"If-Match": other["@odata.etag"]}).status_code == 204
    assert error_code(graph.get(f"{ROOT}/{other['id']}")) == (404, "itemNotFound")


def test_an_active_relationship_changes_only_its_auto_extension(
    graph: httpx.Client, slow: EmulatorApp, clock: FakeClock
) -> None:
    """-update.md: autoExtendDuration can be updated while created or active; nothing else once approved."""
    relationship_id = active(graph, slow, clock)
    path = f"{ROOT}/{relationship_id}"
    etag = graph.get(path).json()["@odata.etag"]
    assert error_code(graph.patch(path, json={"duration": "P30D"}, headers={"If-Match": etag})) == (
        400,
        "invalidRequest",
    )
    off = graph.patch(path, json={"autoExtendDuration": "PT0S"}, headers={"If-Match": etag})
    assert off.status_code == 200, off.text
    assert off.json()["autoExtendDuration"] == "PT0S" and off.json()["status"] == "active"
    assert error_code(graph.patch(path, json={"autoExtendDuration": "P180D"}, headers={"If-Match": etag})) == (
        412,
        "resourceModified",
    )  # the etag changed with the update
    on = graph.patch(path, json={"autoExtendDuration": "P180D"}, headers={"If-Match": off.json()["@odata.etag"]})
    assert on.status_code == 200 and on.json()["autoExtendDuration"] == "P180D"


def test_a_relationship_with_global_administrator_is_never_set_to_auto_extend(
    graph: httpx.Client, slow: EmulatorApp, clock: FakeClock
) -> None:
    body = relationship_body(
        autoExtendDuration="PT0S", accessDetails={"unifiedRoles": [{"roleDefinitionId": GLOBAL_ADMIN}]}
    )
    made = graph.post(ROOT, json=body)
    assert made.status_code == 201, made.text
    path = f"{ROOT}/{made.json()['id']}"
    refused = graph.patch(path, json={"autoExtendDuration": "P180D"}, headers={"If-Match": "*"})
    assert error_code(refused) == (400, "invalidRequest")


def test_access_assignments_pending_then_active_or_error(
    graph: httpx.Client, slow: EmulatorApp, clock: FakeClock
) -> None:
    relationship = active(graph, slow, clock)
    path = f"{ROOT}/{relationship}/accessAssignments"

    def assign(group: str, *roles: str) -> httpx.Response:
        container = {"accessContainerId": group, "accessContainerType": "securityGroup"}
        return graph.post(path, json={"accessContainer": container, "accessDetails": {"unifiedRoles": [
            {"roleDefinitionId": role} for role in roles]}})  # fmt: skip

    good = assign(GROUP, HELPDESK)
    assert good.status_code == 201 and good.json()["status"] == "pending"
    unknown_group = assign("11111111-2222-4333-8444-555555555555", HELPDESK).json()["id"]
    assert error_code(assign(GROUP, HELPDESK)) == (409, "nameAlreadyExists")
    not_granted = assign("5e1a7b3c-2d4f-4a6b-8c9d-0e1f2a3b4c5d", EXCHANGE)
    assert error_code(not_granted) == (400, "invalidRequest")
    assert "not part of the delegated admin relationship" in not_granted.json()["error"]["message"]
    clock.advance(seconds=59)
    assert graph.get(f"{path}/{good.json()['id']}").json()["status"] == "pending"
    clock.advance(seconds=1)
    assert graph.get(f"{path}/{good.json()['id']}").json()["status"] == "active"
    assert graph.get(f"{path}/{unknown_group}").json()["status"] == "error"
    current = graph.get(f"{path}/{good.json()['id']}").json()
    changed = graph.patch(
        f"{path}/{current['id']}",
        json={"accessDetails": {"unifiedRoles": [{"roleDefinitionId": HELPDESK}, {"roleDefinitionId": USER_ADMIN}]}},
        headers={"If-Match": current["@odata.etag"]},
    )
    assert changed.status_code == 202 and "/operations/" in changed.headers["Location"]
    assert changed.headers["Retry-After"] == "60"
    assert graph.get(f"{path}/{current['id']}").json()["status"] == "pending"
    latest = graph.get(f"{path}/{current['id']}").json()
    assert graph.delete(f"{path}/{current['id']}", headers={"If-Match": latest["@odata.etag"]}).status_code == 204
    assert graph.get(f"{path}/{current['id']}").json()["status"] == "deleting"
    clock.advance(seconds=60)
    assert graph.get(f"{path}/{current['id']}").json()["status"] == "deleted"


def test_assignments_need_an_active_relationship(graph: httpx.Client) -> None:
    relationship = created(graph)["id"]
    container = {"accessContainerId": GROUP, "accessContainerType": "securityGroup"}
    answer = graph.post(
        f"{ROOT}/{relationship}/accessAssignments",
        json={"accessContainer": container, "accessDetails": {"unifiedRoles": [{"roleDefinitionId": HELPDESK}]}},
    )
    assert error_code(answer) == (400, "invalidRequest")
    assert "need an active relationship; this one is created" in answer.json()["error"]["message"]


def test_listing_filters_and_pages_with_skip_token(graph: httpx.Client) -> None:
    for index in range(5):
        created(graph, name=f"rel-{index}", customer={"tenantId": LITWARE if index % 2 else None})
    first = graph.get(ROOT, params={"$top": 2}).json()
    assert [r["displayName"] for r in first["value"]] == ["rel-0", "rel-1"]
    second = graph.get(first["@odata.nextLink"]).json()
    assert [r["displayName"] for r in second["value"]] == ["rel-2", "rel-3"]
    mine = graph.get(ROOT, params={"$filter": f"customer/tenantId eq '{LITWARE}'"}).json()["value"]
    assert [r["displayName"] for r in mine] == ["rel-1", "rel-3"]
    named = graph.get(ROOT, params={"$filter": "displayName eq 'REL-4' and status eq 'created'"}).json()["value"]
    assert [r["displayName"] for r in named] == ["rel-4"]
    assert error_code(graph.get(ROOT, params={"$top": 301})) == (400, "invalidRequest")
    assert error_code(graph.get(ROOT, params={"$filter": "startswith(displayName,'rel')"})) == (400, "invalidRequest")


def test_a_new_customer_gets_the_default_gdap_unless_the_body_says_false(
    app: EmulatorApp, client: httpx.Client
) -> None:
    with_default = create_customer(client)
    create_customer(client, prefix="nodefault", enableGDAPByDefault=False)
    listed = client.get(ROOT).json()["value"]
    assert len(listed) == 1
    (default,) = listed
    assert default["displayName"].startswith("Default_ContosoBikesLtd_") and len(default["displayName"]) <= 50
    assert default["customer"]["tenantId"] == with_default and default["status"] == "active"
    assert tuple(r["roleDefinitionId"] for r in default["accessDetails"]["unifiedRoles"]) == gdap.DEFAULT_ROLES
    assert set(gdap.DEFAULT_ROLES) == set(DEFAULT_GDAP_ROLES)  # the emulator grants what cspsync expects


def test_tenant_information_by_domain(client: httpx.Client) -> None:
    found = client.get("/v1.0/tenantRelationships/findTenantInformationByDomainName(domainName='litware.ie')")
    assert found.json()["tenantId"] == LITWARE and found.json()["displayName"] == "Litware Ireland Ltd"
    missing = client.get("/v1.0/tenantRelationships/findTenantInformationByDomainName(domainName='nobody.example')")
    assert error_code(missing) == (404, "itemNotFound")


def test_approve_refuses_when_nothing_waits(slow: EmulatorApp, clock: FakeClock) -> None:
    with pytest.raises(Exception, match=r"No admin relationship request waits for approval by litware.ie"):
        gdap.approve(slow.store, "litware.ie", clock.now)
    assert timedelta(0) == GdapTiming().activation
