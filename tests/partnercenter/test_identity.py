"""One identity per operation, end to end through msal and the emulator's sign-in (no fakes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msal
import msal_extensions
import pytest

from cspsync.emulator import EmulatorApp, transport
from cspsync.errors import AuthenticationError
from cspsync.partnercenter import PartnerCenterClient
from cspsync.partnercenter.auth import PRICING_AUDIENCE, USER_SCOPE, AppCredentials, from_environment
from cspsync.partnercenter.identity import OPERATIONS, Identity
from cspsync.partnercenter.msalhttp import MsalHttpClient

TENANT = "4f1c8e2a-0b3d-4c5e-9f60-7a8b9c0d1e2f"
ENV = {"CSPSYNC_TENANT_ID": TENANT, "CSPSYNC_CLIENT_ID": "partner-app", "CSPSYNC_CLIENT_SECRET": "app-secret-value"}


@pytest.fixture
def app() -> Iterator[EmulatorApp]:
    emulator = EmulatorApp()
    yield emulator
    emulator.close()


@pytest.fixture
def http(app: EmulatorApp) -> MsalHttpClient:
    return MsalHttpClient(transport(app))


def sign_in(http: MsalHttpClient, cache: Any = None) -> dict[str, Any]:
    public = msal.PublicClientApplication(
        "partner-app", authority=f"https://login.microsoftonline.com/{TENANT}", http_client=http, token_cache=cache
    )
    flow = public.initiate_device_flow(scopes=[USER_SCOPE])
    result: dict[str, Any] = public.acquire_token_by_device_flow(flow)
    return result


def client_for(app: EmulatorApp, tokens: AppCredentials) -> PartnerCenterClient:
    return PartnerCenterClient(
        transport=transport(app), tokens=tokens, pricing_tokens=tokens.for_audience(PRICING_AUDIENCE)
    )


def test_app_only_operations_use_app_only_and_app_user_ones_the_refresh_token(
    app: EmulatorApp, http: MsalHttpClient, capsys: pytest.CaptureFixture[str]
) -> None:
    refresh = sign_in(http)["refresh_token"]
    tokens = from_environment({**ENV, "CSPSYNC_REFRESH_TOKEN": refresh}, http_client=http)
    with client_for(app, tokens) as client:
        assert list(client.list_customers())
        assert client.relationship_request_link().startswith("https://admin.microsoft.com/")
        sheet = b"".join(client.price_sheet("GB", compressed=False))
    assert sheet
    counts = app.request_counts()
    assert counts["POST /{tenant}/oauth2/v2.0/token"] == 4  # sign-in, app-only, App+User, App+User for pricing
    # the refresh token rotated: the run goes on, and CI is told to replace its secret, never given it
    assert tokens.refresh is not None and tokens.refresh.rotated
    err = capsys.readouterr().err
    assert "Replace the stored secret" in err
    assert "update the CSPSYNC_REFRESH_TOKEN secret" in err
    assert refresh not in err
    assert tokens.refresh.value is not None
    assert tokens.refresh.value.get_secret_value() not in err


def test_app_user_operation_without_mfa_fails_with_what_to_do(app: EmulatorApp, http: MsalHttpClient) -> None:
    app.signin.mfa = False
    refresh = sign_in(http)["refresh_token"]
    tokens = from_environment({**ENV, "CSPSYNC_REFRESH_TOKEN": refresh}, http_client=http)
    with client_for(app, tokens) as client:
        assert list(client.list_customers())  # app-only is not affected
        with pytest.raises(AuthenticationError) as info:
            client.relationship_request_link()
    assert "900421" in str(info.value)


def test_the_account_from_cspsync_login_comes_from_the_token_cache_and_rotates_into_it(
    app: EmulatorApp, http: MsalHttpClient, tmp_path: Any
) -> None:
    path = tmp_path / "cache.bin"
    cache = msal_extensions.PersistedTokenCache(msal_extensions.FilePersistence(str(path)))
    sign_in(http, cache)
    tokens = from_environment(ENV, http_client=http, token_cache=cache)
    assert tokens.user_source == "token cache"
    with client_for(app, tokens) as client:
        assert client.relationship_request_link()
        assert b"".join(client.price_sheet("GB", compressed=False))  # pricing audience: the cached refresh token
    assert tokens.refresh is None  # nothing from the environment: msal keeps the rotated one in the cache


def test_every_app_user_operation_is_app_user_in_the_emulator_too() -> None:
    from cspsync.emulator.handlers.signin import APP_USER_ONLY

    assert {op.identity for op in OPERATIONS.values()} == {Identity.APP, Identity.APP_USER}
    assert any("pricesheets" in key for key in APP_USER_ONLY)
    assert any("relationshiprequests" in key for key in APP_USER_ONLY)
