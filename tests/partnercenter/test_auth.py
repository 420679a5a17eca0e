from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from cspsync.errors import AuthenticationError, ConfigError
from cspsync.partnercenter import AppCredentials, DeviceCodeLogin, StaticToken, from_environment
from cspsync.partnercenter.auth import APP_SCOPE, USER_SCOPE, Certificate, confidential_app, open_token_cache

SECRET = "cl13nt~s3cret-value"
REFRESH = "0.AAAA-refresh-token-value"


class FakeConfidentialApp:
    """Same method names as msal.ConfidentialClientApplication; answers from queues."""

    def __init__(self, *, app: list[dict[str, Any]] | None = None, user: list[dict[str, Any]] | None = None) -> None:
        self.app_results = app or [{"access_token": "app-token", "expires_in": 3599}]
        self.user_results = user or []
        self.client_calls: list[list[str]] = []
        self.refresh_calls: list[tuple[str, list[str]]] = []

    def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
        self.client_calls.append(scopes)
        return self.app_results.pop(0) if len(self.app_results) > 1 else self.app_results[0]

    def acquire_token_by_refresh_token(self, refresh_token: str, scopes: list[str]) -> dict[str, Any]:
        self.refresh_calls.append((refresh_token, scopes))
        return self.user_results.pop(0)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _credentials(
    app: FakeConfidentialApp, *, refresh: str | None = REFRESH, clock: Clock | None = None
) -> AppCredentials:
    return AppCredentials(
        tenant_id="partner-tenant",
        client_id="app-id",
        client_secret=SecretStr(SECRET),
        refresh_token=SecretStr(refresh) if refresh else None,
        app=app,
        clock=clock or Clock(),
    )


def test_app_only_token_uses_client_credentials_with_the_default_scope() -> None:
    app = FakeConfidentialApp()
    assert _credentials(app).token() == "app-token"
    assert app.client_calls == [[APP_SCOPE]]
    assert APP_SCOPE == "https://api.partnercenter.microsoft.com/.default"


def test_user_token_comes_from_the_refresh_token_and_is_cached_until_near_expiry() -> None:
    app = FakeConfidentialApp(
        user=[
            {"access_token": "user-1", "expires_in": 3600, "refresh_token": "rotated-refresh"},
            {"access_token": "user-2", "expires_in": 3600},
        ]
    )
    clock = Clock()
    credentials = _credentials(app, clock=clock)
    assert credentials.token(user=True) == "user-1"
    clock.now += 3000
    assert credentials.token(user=True) == "user-1"  # still 600 s left
    clock.now += 400
    assert credentials.token(user=True) == "user-2"  # within 5 minutes of expiry
    assert app.refresh_calls == [(REFRESH, [USER_SCOPE]), ("rotated-refresh", [USER_SCOPE])]
    assert USER_SCOPE == "https://api.partnercenter.microsoft.com/user_impersonation"


def test_a_user_call_without_a_refresh_token_says_what_to_set() -> None:
    with pytest.raises(AuthenticationError) as info:
        _credentials(FakeConfidentialApp(), refresh=None).token(user=True)
    assert str(info.value) == (
        "This Partner Center call needs a partner user's delegated (App+User) token\n"
        "  hint: run `cspsync login` (device code with MFA), or set CSPSYNC_REFRESH_TOKEN in CI "
        "(Secure Application Model)"
    )


def test_msal_error_results_become_authentication_errors_without_secrets() -> None:
    app = FakeConfidentialApp(
        app=[
            {
                "error": "invalid_client",
                "error_description": f"AADSTS7000215: Invalid client secret provided: {SECRET}.\r\nTrace ID: 1",
                "correlation_id": "7a1c-corr",
            }
        ]
    )
    with pytest.raises(AuthenticationError) as info:
        _credentials(app).token()
    text = str(info.value)
    assert SECRET not in text
    assert text.startswith(
        "Could not get a Partner Center app token: invalid_client: AADSTS7000215: Invalid client secret "
        "provided: ***. (correlation id 7a1c-corr)"
    )
    assert "CSPSYNC_CLIENT_ID" in text


def test_an_expired_refresh_token_tells_the_user_to_sign_in_again() -> None:
    app = FakeConfidentialApp(
        user=[{"error": "invalid_grant", "error_description": "AADSTS700082: The refresh token has expired."}]
    )
    with pytest.raises(AuthenticationError, match="invalid_grant") as info:
        _credentials(app).token(user=True)
    assert info.value.hint is not None and "sign in again" in info.value.hint
    assert REFRESH not in str(info.value)


def test_msal_exceptions_are_translated() -> None:
    class Exploding(FakeConfidentialApp):
        def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
            raise ValueError(f"Unable to load PEM for {SECRET}")

    with pytest.raises(AuthenticationError) as info:
        _credentials(Exploding()).token()
    assert str(info.value).startswith(
        "Could not get a Partner Center app token: ValueError: Unable to load PEM for ***"
    )


def test_credentials_do_not_show_secrets_in_repr() -> None:
    credentials = _credentials(FakeConfidentialApp())
    assert repr(credentials) == "AppCredentials(tenant_id='partner-tenant', client_id='app-id')"
    assert SECRET not in repr(vars(credentials))
    assert repr(StaticToken()) == "StaticToken()" and StaticToken().token(user=True) == "emulator"


# ----------------------------------------------------------------------------------- environment


def test_from_environment_lists_everything_missing() -> None:
    with pytest.raises(ConfigError) as info:
        from_environment({})
    assert info.value.message == (
        "Partner Center credentials are incomplete: missing CSPSYNC_TENANT_ID, CSPSYNC_CLIENT_ID, "
        "CSPSYNC_CLIENT_SECRET, CSPSYNC_CLIENT_CERTIFICATE(_PATH) or CSPSYNC_CLIENT_ASSERTION_FILE"
    )
    with pytest.raises(ConfigError) as info:
        from_environment({"CSPSYNC_TENANT_ID": "t", "CSPSYNC_CLIENT_SECRET": SECRET})
    assert info.value.message.endswith("missing CSPSYNC_CLIENT_ID")
    assert (
        info.value.hint
        == "set them in the environment (in CI, from the repository's secrets); see docs/partner-center.md"
    )


def test_from_environment_with_a_secret_and_refresh_token() -> None:
    provider = from_environment(
        {
            "CSPSYNC_TENANT_ID": "t",
            "CSPSYNC_CLIENT_ID": "c",
            "CSPSYNC_CLIENT_SECRET": SECRET,
            "CSPSYNC_REFRESH_TOKEN": REFRESH,
        }
    )
    assert isinstance(provider, AppCredentials)
    assert provider.has_user and (provider.tenant_id, provider.client_id) == ("t", "c")
    assert SECRET not in repr(provider)


def _pem(der: bytes) -> str:
    body = base64.b64encode(der).decode()
    return (
        "-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEA\n-----END PRIVATE KEY-----\n"
        f"-----BEGIN CERTIFICATE-----\n{body[:64]}\n{body[64:]}\n-----END CERTIFICATE-----\n"
    )


def test_from_environment_with_a_certificate_file_computes_the_thumbprint(tmp_path: Path) -> None:
    der = bytes(range(200))
    path = tmp_path / "app.pem"
    path.write_text(_pem(der), encoding="utf-8")
    provider = from_environment(
        {"CSPSYNC_TENANT_ID": "t", "CSPSYNC_CLIENT_ID": "c", "CSPSYNC_CLIENT_CERTIFICATE_PATH": str(path)}
    )
    assert isinstance(provider, AppCredentials)
    certificate = provider._certificate
    assert certificate is not None
    assert certificate.thumbprint == hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()
    assert "PRIVATE KEY" not in repr(certificate)


def test_certificate_problems_are_config_errors(tmp_path: Path) -> None:
    env = {"CSPSYNC_TENANT_ID": "t", "CSPSYNC_CLIENT_ID": "c"}
    with pytest.raises(ConfigError, match="not both"):
        from_environment({**env, "CSPSYNC_CLIENT_SECRET": SECRET, "CSPSYNC_CLIENT_CERTIFICATE": _pem(b"x")})
    with pytest.raises(ConfigError, match="cannot read CSPSYNC_CLIENT_CERTIFICATE_PATH"):
        from_environment({**env, "CSPSYNC_CLIENT_CERTIFICATE_PATH": str(tmp_path / "missing.pem")})
    with pytest.raises(ConfigError, match="no private key"):
        Certificate.from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    key_only = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ConfigError, match="no CERTIFICATE block"):
        Certificate.from_pem(key_only)
    assert Certificate.from_pem(key_only, "ab:cd:ef").thumbprint == "ABCDEF"


def test_a_binary_certificate_or_assertion_file_is_a_config_error(tmp_path: Path) -> None:
    """A .pfx given where a PEM file is asked for, or a token file that is not text: a ConfigError saying what to
    do, with nothing of the file in it (it was a UnicodeDecodeError traceback)."""
    pfx = tmp_path / "app.pfx"
    pfx.write_bytes(b"0\x82\x0a\xb1\x02\x01\x030\x82\x0a\x77\xff\xfe" + bytes(range(128, 256)))
    env = {"CSPSYNC_TENANT_ID": "t", "CSPSYNC_CLIENT_ID": "c"}
    with pytest.raises(ConfigError, match="is not a PEM text file") as caught:
        from_environment({**env, "CSPSYNC_CLIENT_CERTIFICATE_PATH": str(pfx)})
    assert caught.value.hint is not None and "openssl pkcs12" in caught.value.hint
    with pytest.raises(ConfigError, match="is not text"):
        from_environment({**env, "CSPSYNC_CLIENT_ASSERTION_FILE": str(pfx)})


# ------------------------------------------------------------------------------------ device code


class FakePublicApp:
    def __init__(self, accounts: list[dict[str, Any]] | None = None) -> None:
        self.accounts = accounts or []
        self.flows: list[list[str]] = []

    def get_accounts(self) -> list[dict[str, Any]]:
        return self.accounts

    def acquire_token_silent(self, scopes: list[str], account: dict[str, Any] | None) -> dict[str, Any] | None:
        return {"access_token": "cached-user-token"} if account else None

    def initiate_device_flow(self, scopes: list[str]) -> dict[str, Any]:
        self.flows.append(scopes)
        return {
            "user_code": "ABCD1234",
            "message": "To sign in, open https://microsoft.com/devicelogin and enter ABCD1234",
        }

    def acquire_token_by_device_flow(self, flow: dict[str, Any]) -> dict[str, Any]:
        self.accounts = [{"username": "admin@partner.example"}]
        return {"access_token": "device-user-token"}


def test_device_code_login_prompts_once_then_uses_the_cache(tmp_path: Path) -> None:
    prompts: list[str] = []
    app = FakePublicApp()
    login = DeviceCodeLogin(
        tenant_id="t", client_id="c", cache_path=tmp_path / "cache.bin", prompt=prompts.append, app=app
    )
    assert login.token() == "device-user-token"
    assert login.token(user=True) == "cached-user-token"
    assert prompts == ["To sign in, open https://microsoft.com/devicelogin and enter ABCD1234"]
    assert app.flows == [[USER_SCOPE]]


def test_token_cache_refuses_plaintext_without_the_opt_in(tmp_path: Path) -> None:
    def no_keyring(location: str) -> Any:
        raise ImportError("Unable to import module 'gi'")

    with pytest.raises(ConfigError) as info:
        open_token_cache(tmp_path / "msal.cache", allow_plaintext=False, build_encrypted=no_keyring)
    assert str(info.value) == (
        "No encrypted token store is available on this machine (ImportError)\n"
        f"  hint: set CSPSYNC_ALLOW_PLAINTEXT_TOKEN_CACHE=1 to keep the sign-in cache in a plain file at "
        f"{tmp_path / 'msal.cache'} (readable by you only), or use app credentials (CSPSYNC_CLIENT_SECRET)"
    )
    assert not (tmp_path / "msal.cache").exists()


def test_token_cache_falls_back_to_a_private_plain_file_when_opted_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def no_keyring(location: str) -> Any:
        raise ImportError("Unable to import module 'gi'")

    cache = open_token_cache(tmp_path / "msal.cache", allow_plaintext=True, build_encrypted=no_keyring)
    assert cache is not None
    mode = stat.S_IMODE(os.stat(tmp_path / "msal.cache").st_mode)
    assert mode == 0o600
    assert "is NOT encrypted" in caplog.text


def test_oidc_federation_reads_a_fresh_client_assertion_for_every_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import msal

    token_file = tmp_path / "oidc-token"
    token_file.write_text("jwt-one\n")
    made: dict[str, Any] = {}

    class Recording:
        def __init__(self, client_id: str, *, authority: str, client_credential: Any, **_: Any) -> None:
            made.update(client_id=client_id, authority=authority, credential=client_credential)

    monkeypatch.setattr(msal, "ConfidentialClientApplication", Recording)
    env = {"CSPSYNC_TENANT_ID": "t", "CSPSYNC_CLIENT_ID": "c", "CSPSYNC_CLIENT_ASSERTION_FILE": str(token_file)}
    provider = from_environment(env)
    confidential_app("t", "c", None, None, token_file)
    assertion = made["credential"]["client_assertion"]
    assert assertion() == "jwt-one"
    token_file.write_text("jwt-two")  # the CI refreshed it
    assert assertion() == "jwt-two"
    assert "jwt" not in repr(provider)

    with pytest.raises(ConfigError, match="not both"):
        from_environment({**env, "CSPSYNC_CLIENT_SECRET": "s3cr3t-value"})
    token_file.write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        from_environment(env)
