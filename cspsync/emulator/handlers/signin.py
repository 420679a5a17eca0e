"""Microsoft's sign-in (the Entra ID v2.0 endpoints msal calls), played by the emulator.

Enough of the identity platform for msal to run unmodified against it, in process or on loopback:

* instance discovery ``GET /common/discovery/instance`` and the OpenID configuration
  ``GET /{tenant}/v2.0/.well-known/openid-configuration``;
* ``POST /{tenant}/oauth2/v2.0/devicecode`` and ``POST /{tenant}/oauth2/v2.0/token`` with the grants
  ``client_credentials`` (app-only), ``urn:ietf:params:oauth:grant-type:device_code`` and
  ``refresh_token`` (App+User).

Access tokens are JWTs signed with a key only this emulator knows. They say what Partner Center reads:
``idtyp`` ``app`` or ``user``, ``amr`` (``mfa`` in it only when the sign-in passed MFA), ``aud`` (Partner
Center, the pricing API or Graph), ``exp``. Refresh tokens rotate on every use and die after 90 days
unused (both under the emulator's clock); Microsoft does not revoke the previous refresh token when a new
one is issued, so neither does the emulator: each token simply ages on its own.

Facts: https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens (90 days, replaced on
use); https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code (device flow,
``authorization_pending``, ``expired_token``); https://learn.microsoft.com/en-us/entra/identity-platform/
access-token-claims-reference (``idtyp``, ``amr``, ``scp``, ``roles``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx

from cspsync.emulator.handlers import azure, gdap
from cspsync.emulator.routing import Router
from cspsync.emulator.wire import respond

PARTNER_CENTER_AUDIENCE = "https://api.partnercenter.microsoft.com"
PRICING_AUDIENCE = "https://api.partner.microsoft.com"
GRAPH_AUDIENCE = "https://graph.microsoft.com"
ARM_AUDIENCE = "https://management.azure.com"
AUDIENCES = (PARTNER_CENTER_AUDIENCE, PRICING_AUDIENCE, GRAPH_AUDIENCE, ARM_AUDIENCE)
AUTHORITY_HOST = "https://login.microsoftonline.com"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_TOKEN_LIFETIME = timedelta(days=90)
ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
DEVICE_CODE_LIFETIME = timedelta(minutes=15)
#: The partner user a device-code sign-in signs in as.
DEFAULT_USER = "admin.agent@contoso-partner.onmicrosoft.com"


@dataclass
class Grant:
    """What a refresh token stands for: one partner user's sign-in to one app."""

    tenant: str
    client_id: str
    user: str
    mfa: bool
    issued: datetime


@dataclass
class DeviceCode:
    tenant: str
    client_id: str
    scope: str
    issued: datetime
    approved: bool | None = None  # None: not yet; True/False: the user signed in (with MFA or without)


@dataclass
class SignIn:
    """The identity platform's state: device codes in flight and live refresh tokens.

    ``mfa`` says whether the next device-code sign-in passes MFA; ``auto_approve`` signs the user in on
    the first poll (the default, so ``cspsync login`` completes without a browser); otherwise a test or
    the control endpoint ``POST /_emulator/sign-in/approve`` approves a user code.
    """

    clock: Callable[[], datetime]
    mfa: bool = True
    auto_approve: bool = True
    user: str = DEFAULT_USER
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _devices: dict[str, DeviceCode] = field(default_factory=dict)
    _user_codes: dict[str, str] = field(default_factory=dict)
    _refresh: dict[str, Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------------------ control

    def approve(self, user_code: str, *, mfa: bool | None = None) -> bool:
        with self._lock:
            device = self._user_codes.get(user_code.strip().upper())
            if device is None or device not in self._devices:
                return False
            self._devices[device].approved = self.mfa if mfa is None else mfa
            return True

    def revoke_all(self) -> None:
        with self._lock:
            self._refresh.clear()

    # ------------------------------------------------------------------------------ tokens

    def sign(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "cspsync-emulator"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self.key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this emulator signed, else None (expiry is the caller's to check)."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(self.key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_b64(expected), parts[2]):
            return None
        try:
            claims: dict[str, Any] = json.loads(_unb64(parts[1]))
        except ValueError:
            return None
        return claims

    def _access_token(self, tenant: str, client_id: str, audience: str, grant: Grant | None) -> dict[str, Any]:
        now = self.clock()
        claims: dict[str, Any] = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{tenant}/",
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + ACCESS_TOKEN_LIFETIME).timestamp()),
            "tid": tenant,
            "appid": client_id,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, grant.user if grant else client_id)),
        }
        if grant is None:
            claims.update(idtyp="app", roles=[])
        else:
            claims.update(
                idtyp="user", upn=grant.user, scp="user_impersonation", amr=["pwd", "mfa"] if grant.mfa else ["pwd"]
            )
        return {
            "token_type": "Bearer",
            "access_token": self.sign(claims),
            "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
            "ext_expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        }

    def _user_tokens(self, grant: Grant, audience: str, base: str) -> dict[str, Any]:
        body = self._access_token(grant.tenant, grant.client_id, audience, grant)
        refresh = "0.emu." + secrets.token_urlsafe(48)
        self._refresh[refresh] = Grant(grant.tenant, grant.client_id, grant.user, grant.mfa, self.clock())
        now = self.clock()
        id_claims = {
            "aud": grant.client_id,
            "iss": f"{base}/{grant.tenant}/v2.0",
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + ACCESS_TOKEN_LIFETIME).timestamp()),
            "tid": grant.tenant,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, grant.user)),
            "sub": hashlib.sha256(grant.user.encode()).hexdigest()[:43],
            "preferred_username": grant.user,
            "name": "Admin Agent",
            "ver": "2.0",
        }
        body.update(
            refresh_token=refresh,
            id_token=self.sign(id_claims),
            scope=f"{audience}/user_impersonation openid profile offline_access",
            client_info=_b64(json.dumps({"uid": id_claims["oid"], "utid": grant.tenant}).encode()),
        )
        return body

    # ------------------------------------------------------------------------------ endpoints

    def instance_discovery(self, request: httpx.Request) -> httpx.Response:
        base = _base(request)
        return respond(
            200,
            {
                "tenant_discovery_endpoint": f"{base}/common/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [
                    {
                        "preferred_network": request.url.host,
                        "preferred_cache": request.url.host,
                        "aliases": [request.url.host],
                    }
                ],
            },
        )

    def openid_configuration(self, request: httpx.Request, tenant: str) -> httpx.Response:
        base = f"{_base(request)}/{tenant}"
        return respond(
            200,
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "jwks_uri": f"{_base(request)}/{tenant}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            },
        )

    def device_code(self, request: httpx.Request, tenant: str) -> httpx.Response:
        form = _form(request)
        client_id = form.get("client_id", "")
        if not client_id:
            return _oauth_error(400, "invalid_request", 900144, "The request body must contain 'client_id'.")
        device = secrets.token_urlsafe(32)
        user_code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9))
        with self._lock:
            self._devices[device] = DeviceCode(tenant, client_id, form.get("scope", ""), self.clock())
            self._user_codes[user_code] = device
        verification = f"{_where(request)}/_emulator/devicelogin"
        return respond(
            200,
            {
                "device_code": device,
                "user_code": user_code,
                "verification_uri": verification,
                "expires_in": int(DEVICE_CODE_LIFETIME.total_seconds()),
                "interval": 1,
                "message": f"To sign in, use a web browser to open the page {verification} and enter the code "
                f"{user_code} to authenticate.",
            },
        )

    def token(self, request: httpx.Request, tenant: str) -> httpx.Response:
        form = _form(request)
        grant_type = form.get("grant_type", "")
        client_id = form.get("client_id", "")
        if not client_id:
            return _oauth_error(400, "invalid_request", 900144, "The request body must contain 'client_id'.")
        with self._lock:
            device = self._devices.get(form.get("device_code", ""))
        scope = device.scope if grant_type == DEVICE_CODE_GRANT and device else form.get("scope", "")
        audience = _audience(scope) if scope or grant_type != DEVICE_CODE_GRANT else PARTNER_CENTER_AUDIENCE
        if audience is None:
            return _oauth_error(
                400, "invalid_scope", 70011, f"The provided value for scope {form.get('scope', '')!r} is not valid."
            )
        if grant_type == "client_credentials":
            if not (form.get("client_secret") or form.get("client_assertion")):
                return _oauth_error(
                    401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret is correct."
                )
            return respond(200, self._access_token(tenant, client_id, audience, None))
        with self._lock:
            if grant_type == DEVICE_CODE_GRANT:
                return self._redeem_device_code(form, audience, _base(request))
            if grant_type == "refresh_token":
                return self._redeem_refresh_token(form, client_id, audience, _base(request))
        return _oauth_error(400, "unsupported_grant_type", 70003, f"The grant type {grant_type!r} is not supported.")

    def _redeem_device_code(self, form: dict[str, str], audience: str, base: str) -> httpx.Response:
        device = self._devices.get(form.get("device_code", ""))
        if device is None or self.clock() > device.issued + DEVICE_CODE_LIFETIME:
            return _oauth_error(400, "expired_token", 70020, "The provided device code has expired.")
        if device.approved is None and self.auto_approve:
            device.approved = self.mfa
        if device.approved is None:
            return _oauth_error(
                400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending."
            )
        del self._devices[form["device_code"]]
        grant = Grant(device.tenant, device.client_id, self.user, device.approved, self.clock())
        return respond(200, self._user_tokens(grant, audience, base))

    def _redeem_refresh_token(self, form: dict[str, str], client_id: str, audience: str, base: str) -> httpx.Response:
        token = form.get("refresh_token", "")
        grant = self._refresh.get(token)
        if grant is None or grant.client_id != client_id:
            return _oauth_error(
                400, "invalid_grant", 9002313, "Invalid request. The refresh token is malformed or not valid."
            )
        if self.clock() - grant.issued >= REFRESH_TOKEN_LIFETIME:
            del self._refresh[token]
            return _oauth_error(
                400,
                "invalid_grant",
                700082,
                f"The refresh token has expired due to inactivity. The token was issued on "
                f"{grant.issued.isoformat()} and was inactive for 90.00:00:00.",
            )
        return respond(200, self._user_tokens(grant, audience, base))


def register(router: Router, signin: Callable[[], SignIn]) -> None:
    """Add the sign-in routes to ``router`` (they answer without a bearer token)."""
    router.add("GET", "/common/discovery/instance", lambda call: signin().instance_discovery(call.request))
    router.add(
        "GET",
        "/{tenant}/v2.0/.well-known/openid-configuration",
        lambda call: signin().openid_configuration(call.request, call.params["tenant"]),
    )
    router.add(
        "POST",
        "/{tenant}/oauth2/v2.0/devicecode",
        lambda call: signin().device_code(call.request, call.params["tenant"]),
    )
    router.add("POST", "/{tenant}/oauth2/v2.0/token", lambda call: signin().token(call.request, call.params["tenant"]))


def _audience(scope: str) -> str | None:
    """The resource a scope names: ``https://api.partnercenter.microsoft.com/.default`` -> its audience."""
    for item in scope.split():
        for audience in AUDIENCES:
            if item.lower().startswith(audience + "/"):
                return audience
    return None


def _base(request: httpx.Request) -> str:
    """The authority the emulator speaks as. On loopback it still names Microsoft's host (msal wants https;
    the client's transport sends every request to loopback); only the sign-in page names where it is."""
    if request.url.scheme == "http":
        return AUTHORITY_HOST
    return _where(request)


def _where(request: httpx.Request) -> str:
    port = request.url.port
    default = {"http": 80, "https": 443}.get(request.url.scheme)
    netloc = request.url.host if port in (None, default) else f"{request.url.host}:{port}"
    return f"{request.url.scheme}://{netloc}"


def _form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode("utf-8", errors="replace")))


def _oauth_error(status: int, error: str, code: int, text: str) -> httpx.Response:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    return respond(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {correlation}",
            "error_codes": [code],
            "trace_id": trace,
            "correlation_id": correlation,
        },
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ------------------------------------------------------------------------------ who may call what

#: Operations Partner Center serves to App+User tokens only (each operation's Learn page, "Prerequisites";
#: /work/shared/partner-center-api.md sections 1 and 12), keyed like the request log.
APP_USER_ONLY = frozenset(
    {
        "GET /v1/customers/relationshiprequests",
        "GET /v1/customers/{customerId}/relationships",
        "GET /v1/relationships",
        "GET /v1/agreements",
        "GET /v1/customers/{customerId}/agreements",
        "POST /v1/customers/{customerId}/agreements",
        # retrieve-validation-status, get/update-customer-qualification: App+User credentials only
        "GET /v1/customers/{customerId}/validationStatus",
        "GET /v1/customers/{customerId}/qualifications",
        "POST /v1/customers/{customerId}/qualifications",
        "GET /v1.0/sales/pricesheets(Market='{market}',PricesheetView='{view}')/$value",
    }
)
#: Routes served by another resource than Partner Center: the token must be issued for it.
ROUTE_AUDIENCE = {
    "POST /v1.0/users/{mailbox}/sendMail": GRAPH_AUDIENCE,
    **{f"{method} {template}": GRAPH_AUDIENCE for method, template, _ in gdap.routes()},
    "GET /v1.0/sales/pricesheets(Market='{market}',PricesheetView='{view}')/$value": PRICING_AUDIENCE,
    **dict.fromkeys(azure.ARM_ROUTES, ARM_AUDIENCE),
}


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    text: str


def needs_user(route_key: str, request: httpx.Request) -> bool:
    """Whether the operation needs an App+User token; creating a customer for an indirect reseller does."""
    if route_key in APP_USER_ONLY:
        return True
    if route_key == "POST /v1/customers":
        return b"associatedpartnerid" in request.content.lower()
    return False


def authorize(signin: SignIn, route_key: str, request: httpx.Request, token: str) -> Refusal | None:
    """Why ``token`` may not call ``route_key``, or None. Opaque tokens (not JWTs: the emulator's static
    ``emulator`` token) stand for a partner user with MFA, so the embedded default keeps working."""
    if token.count(".") != 2:
        return None
    claims = signin.verify(token)
    if claims is None:
        return Refusal(401, "800001", "The access token is not valid: it was not issued by this authority.")
    if signin.clock().timestamp() >= float(claims.get("exp", 0)):
        return Refusal(401, "800001", "The access token has expired.")
    wanted = ROUTE_AUDIENCE.get(route_key, PARTNER_CENTER_AUDIENCE)
    if claims.get("aud") != wanted:
        return Refusal(401, "800001", f"The access token was issued for {claims.get('aud')}, not {wanted}.")
    if needs_user(route_key, request):
        if claims.get("idtyp") != "user":
            return Refusal(
                401, "900421", "This operation requires App+User authentication with MFA; an app-only token was sent."
            )
        if "mfa" not in claims.get("amr", []):
            return Refusal(
                401,
                "900421",
                "Multifactor authentication is required: the App+User access token carries no MFA claim.",
            )
    return None
