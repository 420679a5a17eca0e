"""``cspsync login`` and ``cspsync auth status`` without click: the device-code sign-in and reading tokens.

The sign-in is the Secure Application Model's one interactive step: a partner user (an Admin agent) signs
in to the partner's own app with MFA, by device code; msal keeps the refresh token in the encrypted token
cache, from which later runs on this machine take it (and keep the rotated one). For CI, the refresh token
can be written to a private file, never to the screen, to be stored as the CSPSYNC_REFRESH_TOKEN secret.
https://learn.microsoft.com/en-us/partner-center/developer/enable-secure-app-model ;
https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code .
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from cspsync.errors import AuthenticationError

from .auth import AUTHORITY_HOST, PARTNER_USER_TOKEN, USER_SCOPE, _guard, _msal_call, _token_from

#: Where the date of each sign-in is kept, next to the token cache (no secret in it): auth status reads it.
SIGN_INS_SUFFIX = ".sign-ins.json"
REFRESH_TOKEN_LIFETIME_DAYS = 90


@dataclass(frozen=True)
class SignedIn:
    user: str
    tenant_id: str
    mfa: bool
    refresh_token: SecretStr | None


def token_claims(access_token: str) -> dict[str, Any]:
    """The claims of a JWT access token, unverified (for diagnostics: idtyp, amr, aud, upn, exp)."""
    parts = access_token.split(".")
    if len(parts) != 3:
        return {}
    try:
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return {}
    return claims


def has_mfa(claims: dict[str, Any]) -> bool:
    """Partner Center's check: the ``amr`` claim names ``mfa``."""
    amr = claims.get("amr", [])
    return isinstance(amr, list) and "mfa" in amr


def device_code_sign_in(
    *,
    tenant_id: str,
    client_id: str,
    token_cache: Any,
    prompt: Callable[[str], None],
    http_client: Any = None,
    authority_host: str = AUTHORITY_HOST,
) -> SignedIn:
    """Sign a partner user in by device code; msal writes the tokens to ``token_cache``."""
    import msal

    app = _msal_call(
        lambda: msal.PublicClientApplication(
            client_id, authority=f"{authority_host}/{tenant_id}", token_cache=token_cache, http_client=http_client
        ),
        PARTNER_USER_TOKEN,
        [],
    )
    flow = _msal_call(lambda: app.initiate_device_flow(scopes=[USER_SCOPE]), PARTNER_USER_TOKEN, [])
    if "user_code" not in flow:
        _token_from(flow, PARTNER_USER_TOKEN, [])
    prompt(str(flow.get("message", "")))
    result = _guard(lambda: app.acquire_token_by_device_flow(flow), PARTNER_USER_TOKEN, [])
    claims = token_claims(str(result["access_token"]))
    id_claims = result.get("id_token_claims") or {}
    user = str(id_claims.get("preferred_username") or claims.get("upn") or "(unknown user)")
    refresh = result.get("refresh_token")
    mfa = has_mfa(claims)
    if not mfa:  # keep no MFA-less account in the cache: later runs would get 900421 from it
        for account in _msal_call(app.get_accounts, PARTNER_USER_TOKEN, []):
            if account.get("username") == user:
                app.remove_account(account)
    return SignedIn(user, tenant_id, mfa, SecretStr(str(refresh)) if refresh else None)


def no_mfa_error(user: str) -> AuthenticationError:
    return AuthenticationError(
        f"{user} signed in without multifactor authentication: Partner Center refuses App+User calls whose "
        "token has no MFA claim (401, error 900421)",
        hint="require MFA for this user in Microsoft Entra ID (security defaults or a Conditional Access "
        "policy), then run `cspsync login` again",
    )


def record_sign_in(cache_path: Path, tenant_id: str, client_id: str, user: str, when: dt.datetime) -> None:
    path = Path(str(cache_path) + SIGN_INS_SUFFIX)
    entries = read_sign_ins(cache_path)
    entries[f"{tenant_id.lower()}/{client_id.lower()}"] = {"user": user, "signed_in": when.isoformat()}
    path.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)


def read_sign_ins(cache_path: Path) -> dict[str, dict[str, str]]:
    path = Path(str(cache_path) + SIGN_INS_SUFFIX)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_private(path: Path, secret: SecretStr) -> None:
    """Write ``secret`` to a new file only the user can read (refuses to overwrite)."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret.get_secret_value())
