"""The GDAP client over the Partner Center session: Graph's host and audience, paging, retries, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cspsync.declarations import load_repository
from cspsync.errors import PartnerCenterError, RequestRejectedError
from cspsync.partnercenter import Limits, PartnerCenterClient, RetryPolicy
from cspsync.partnercenter.auth import GRAPH_AUDIENCE, AppCredentials
from cspsync.partnercenter.gdap import approval_link
from cspsync.target import connect
from cspsync.workspace import Workspace
from tests.cli import examples_workdir

from .fakes import BASE, FakeClock, RecordingTokens

GRAPH = "https://graph.microsoft.com"
ROOT = "/v1.0/tenantRelationships/delegatedAdminRelationships"


def _client(handler: Callable[[httpx.Request], httpx.Response], **options: object) -> PartnerCenterClient:
    clock = FakeClock()
    return PartnerCenterClient(
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        tokens=RecordingTokens("partner-center-token"),
        graph_tokens=RecordingTokens("graph-token"),
        limits=Limits(requests_per_second=1000, burst=1000),
        retry=RetryPolicy(max_attempts=3),
        clock=clock,
        sleep=clock.sleep,
        **options,  # type: ignore[arg-type]
    )


def _relationship(index: int) -> dict[str, object]:
    return {"id": f"rel-{index}", "displayName": f"r{index}", "status": "active", "activatedDateTime": ""}


def test_graph_calls_go_to_graph_with_graphs_token_and_pages_follow_next_link() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "$skipToken" in str(request.url):
            return httpx.Response(200, json={"value": [_relationship(2)]})
        return httpx.Response(
            200, json={"value": [_relationship(1)], "@odata.nextLink": f"{GRAPH}{ROOT}?$top=300&$skipToken=abc"}
        )

    with _client(handler) as client:
        found = client.gdap.relationships()
    assert [r.id for r in found] == ["rel-1", "rel-2"]
    assert found[0].activated_date_time is None  # Graph's "" for "not active yet"
    assert {r.url.host for r in seen} == {"graph.microsoft.com"}
    assert {r.headers["Authorization"] for r in seen} == {"Bearer graph-token"}
    assert seen[0].url.params["$top"] == "300"
    assert len({r.headers["MS-RequestId"] for r in seen}) == 2


def test_a_next_link_to_another_host_is_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"value": [], "@odata.nextLink": "https://evil.example/v1.0/x?$skipToken=1"})

    with _client(handler) as client, pytest.raises(PartnerCenterError, match=r"does not follow: evil\.example"):
        client.gdap.relationships()


def test_a_refusal_names_graph_and_gives_the_permission_hint() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"error": {"code": "Authorization_RequestDenied", "message": "Nope."}})

    with _client(handler) as client, pytest.raises(RequestRejectedError) as caught:
        client.gdap.relationships()
    assert str(caught.value).startswith(
        "Microsoft Graph refused GET /v1.0/tenantRelationships/delegatedAdminRelationships: HTTP 403, error "
        "Authorization_RequestDenied: Nope.\n  hint: the app needs the application permission "
        "DelegatedAdminRelationship.ReadWrite.All"
    )
    assert "2832473f-ec63-45fb-976f-5d45a7d4bb91" in str(caught.value)


def test_a_create_whose_answer_was_lost_is_adopted_by_its_unique_name() -> None:
    posts = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request)
            return httpx.Response(503)
        return httpx.Response(200, json={"value": [{"id": "landed", "displayName": "fabrikam-x", "status": "created"}]})

    with _client(handler) as client:
        created = client.gdap.create_relationship(
            display_name="fabrikam-x",
            duration="P730D",
            roles=("r",),
            auto_extend_duration="PT0S",
            customer_tenant_id="t",
        )
    assert created.id == "landed" and len(posts) == 1


def test_an_unknown_domain_is_no_tenant_and_the_approval_link_is_microsofts() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"code": "itemNotFound", "message": "no"}})

    with _client(handler) as client:
        assert client.gdap.tenant_by_domain("nobody.example") is None
    assert approval_link("a-b") == (
        "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/a-b"
    )


def test_the_emulator_target_keeps_graph_on_its_own_host() -> None:
    client = PartnerCenterClient(base_url="http://127.0.0.1:8080", tokens=RecordingTokens())
    assert client.gdap.base_url == "http://127.0.0.1:8080"
    assert PartnerCenterClient(tokens=RecordingTokens()).gdap.base_url == GRAPH


def test_partner_centers_app_gets_graph_tokens_for_gdap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One app for both APIs: the GDAP client asks the same credentials for Graph's audience (app-only)."""
    root = examples_workdir(tmp_path, monkeypatch) / "examples"
    repo = load_repository([root / "customers"], config_path=root / "cspsync.yaml")
    env = {"CSPSYNC_TENANT_ID": "t", "CSPSYNC_CLIENT_ID": "c", "CSPSYNC_CLIENT_SECRET": "s3cr3t-value"}
    connection = connect(repo, "partner-center", Workspace(root / ".cspsync"), correlation_id="c", env=env)
    try:
        tokens = connection.client.gdap._tokens
        assert isinstance(tokens, AppCredentials) and tokens.audience == GRAPH_AUDIENCE
        assert connection.client.gdap.base_url == GRAPH
    finally:
        connection.close()
