"""The emulator's sign-in, driven by msal itself (no mocks): tokens, MFA, rotation, expiry, who may call what."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import msal
import pytest

from cspsync.emulator import EmulatorApp, serve, transport
from cspsync.partnercenter.msalhttp import LoopbackTransport, MsalHttpClient

from .conftest import BASE_URL, FakeClock

TENANT = "4f1c8e2a-0b3d-4c5e-9f60-7a8b9c0d1e2f"
AUTHORITY = f"https://login.microsoftonline.com/{TENANT}"
APP_SCOPE = "https://api.partnercenter.microsoft.com/.default"
USER_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"
PRICING_SCOPE = "https://api.partner.microsoft.com/user_impersonation"
LINK = "/v1/customers/relationshiprequests"
PRICE_SHEET = "/v1.0/sales/pricesheets(Market='GB',PricesheetView='updatedlicensebased')/$value"


@pytest.fixture
def http(app: EmulatorApp) -> Iterator[MsalHttpClient]:
    client = MsalHttpClient(transport(app))
    yield client
    client.close()


def confidential(http: MsalHttpClient) -> Any:
    return msal.ConfidentialClientApplication(
        "partner-app", authority=AUTHORITY, client_credential="not-a-real-secret", http_client=http
    )


def device_sign_in(http: MsalHttpClient, scope: str = USER_SCOPE) -> dict[str, Any]:
    public = msal.PublicClientApplication("partner-app", authority=AUTHORITY, http_client=http)
    flow = public.initiate_device_flow(scopes=[scope])
    assert "user_code" in flow, flow
    result: dict[str, Any] = public.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result.get("error_description")
    return result


def call(app: EmulatorApp, token: str, path: str = LINK) -> httpx.Response:
    with httpx.Client(transport=transport(app), base_url=BASE_URL) as client:
        return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_app_only_token_serves_app_only_operations_and_is_refused_900421_on_app_user_ones(
    app: EmulatorApp, http: MsalHttpClient
) -> None:
    token = confidential(http).acquire_token_for_client([APP_SCOPE])["access_token"]
    assert call(app, token, "/v1/customers").status_code == 200
    refused = call(app, token)
    assert refused.status_code == 401
    assert refused.json()["code"] == "900421"
    assert "app-only" in refused.json()["description"]
    tailspin = "3c9d7a10-2b4e-4f6a-8c1d-5e7f9a0b1c2d"
    for path in (f"/v1/customers/{tailspin}/validationStatus?type=account", f"/v1/customers/{tailspin}/qualifications"):
        assert call(app, token, path).json()["code"] == "900421"  # their pages: App+User credentials only


def test_device_code_sign_in_with_mfa_gives_an_app_user_token_partner_center_accepts(
    app: EmulatorApp, http: MsalHttpClient
) -> None:
    result = device_sign_in(http)
    assert result["id_token_claims"]["preferred_username"].startswith("admin.agent@")
    assert call(app, result["access_token"]).status_code == 200


def test_an_app_user_token_without_the_mfa_claim_is_refused_401_900421(app: EmulatorApp, http: MsalHttpClient) -> None:
    app.signin.mfa = False
    refused = call(app, device_sign_in(http)["access_token"])
    assert (refused.status_code, refused.json()["code"]) == (401, "900421")
    assert "MFA" in refused.json()["description"]
    # a refreshed token keeps the sign-in's authentication methods: still no MFA
    rt = device_sign_in(http)["refresh_token"]
    refreshed = confidential(http).acquire_token_by_refresh_token(rt, [USER_SCOPE])
    assert call(app, refreshed["access_token"]).json()["code"] == "900421"


def test_a_refresh_token_rotates_on_use(app: EmulatorApp, http: MsalHttpClient) -> None:
    first = device_sign_in(http)["refresh_token"]
    second = confidential(http).acquire_token_by_refresh_token(first, [USER_SCOPE])
    assert second["refresh_token"] != first
    assert call(app, second["access_token"]).status_code == 200


def test_a_refresh_token_dies_after_90_days_unused_under_the_emulator_clock(
    app: EmulatorApp, http: MsalHttpClient, clock: FakeClock
) -> None:
    refresh = device_sign_in(http)["refresh_token"]
    clock.advance(days=89)
    kept = confidential(http).acquire_token_by_refresh_token(refresh, [USER_SCOPE])
    assert "access_token" in kept
    clock.advance(days=1)
    dead = confidential(http).acquire_token_by_refresh_token(refresh, [USER_SCOPE])
    assert dead["error"] == "invalid_grant"
    assert 700082 in dead["error_codes"]
    # the rotated one, issued a day ago, still works
    assert "access_token" in confidential(http).acquire_token_by_refresh_token(kept["refresh_token"], [USER_SCOPE])


def test_an_expired_access_token_is_refused(app: EmulatorApp, http: MsalHttpClient, clock: FakeClock) -> None:
    token = device_sign_in(http)["access_token"]
    clock.advance(minutes=61)
    refused = call(app, token)
    assert refused.status_code == 401
    assert "expired" in refused.json()["description"]


def test_price_sheets_want_the_pricing_audience_and_app_user(app: EmulatorApp, http: MsalHttpClient) -> None:
    partner_center = device_sign_in(http)
    wrong = call(app, partner_center["access_token"], PRICE_SHEET)
    assert wrong.status_code == 401
    assert "api.partner.microsoft.com" in wrong.json()["description"]
    pricing = confidential(http).acquire_token_by_refresh_token(partner_center["refresh_token"], [PRICING_SCOPE])
    assert call(app, pricing["access_token"], PRICE_SHEET).status_code != 401


def test_a_token_from_another_authority_is_refused(app: EmulatorApp, http: MsalHttpClient) -> None:
    token = device_sign_in(http)["access_token"]
    other = EmulatorApp()
    assert call(other, token).status_code == 401


def test_a_pending_device_code_is_approved_on_the_sign_in_page(app: EmulatorApp, http: MsalHttpClient) -> None:
    app.signin.auto_approve = False
    public = msal.PublicClientApplication("partner-app", authority=AUTHORITY, http_client=http)
    flow = public.initiate_device_flow(scopes=[USER_SCOPE])
    with httpx.Client(transport=transport(app), base_url=BASE_URL) as control:
        page = control.get("/_emulator/devicelogin", params={"code": flow["user_code"]})
    assert page.json() == {"approved": flow["user_code"], "mfa": True}
    assert "access_token" in public.acquire_token_by_device_flow(flow)


def test_sign_in_on_loopback_through_msal(clock: FakeClock) -> None:
    app = EmulatorApp(clock=clock)
    with serve(app) as server:
        loopback = MsalHttpClient(LoopbackTransport(server.url))
        token = confidential(loopback).acquire_token_for_client([APP_SCOPE])["access_token"]
        with httpx.Client(base_url=server.url) as client:
            assert client.get("/v1/customers", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        loopback.close()
    app.close()


def test_azure_resource_manager_wants_its_own_audience(app: EmulatorApp, http: MsalHttpClient) -> None:
    """The alias and rename operations are Azure Resource Manager's: a Partner Center token is refused."""
    accounts = "/providers/Microsoft.Billing/billingAccounts?api-version=2020-05-01"
    partner_center = confidential(http).acquire_token_for_client([APP_SCOPE])["access_token"]
    wrong = call(app, partner_center, accounts)
    assert wrong.status_code == 401 and "management.azure.com" in wrong.json()["description"]
    arm = confidential(http).acquire_token_for_client(["https://management.azure.com/.default"])["access_token"]
    assert call(app, arm, accounts).status_code == 200
