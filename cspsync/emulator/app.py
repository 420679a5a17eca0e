"""The emulator as one callable: ``httpx.Request -> httpx.Response``, safe to call from many threads.

In process it sits behind ``httpx.MockTransport``; ``server.serve`` puts the same object on loopback.
Per request: route, count it in the request log, inject faults, check the bearer token, run the
handler, echo Partner Center's tracing headers.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.handlers import partner_center_router
from cspsync.emulator.handlers import signin as sign_in
from cspsync.emulator.handlers.gdap import GdapTiming
from cspsync.emulator.injection import Faults
from cspsync.emulator.routing import Call, Router
from cspsync.emulator.rules import Rules
from cspsync.emulator.store import Store
from cspsync.emulator.wire import ApiError, respond
from cspsync.errors import ConfigError

_BEARER = re.compile(r"bearer\s+\S+", re.IGNORECASE)
CONTROL_PREFIX = "/_emulator/"


def utc_now() -> datetime:
    return datetime.now(UTC)


class EmulatorApp:
    """An emulated Partner Center over ``store`` (in memory when None; an unseeded store gets the
    built-in world). ``clock`` is the emulator's "now" (cart expiry, refund and cancellation windows,
    renewals); ``rules`` its delays and limits (:class:`~cspsync.emulator.rules.Rules`);
    ``page_size`` is the customer page size when a request names none, ``max_page_size`` its cap."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        faults: Faults | None = None,
        page_size: int = 100,
        max_page_size: int = 500,
        clock: Callable[[], datetime] = utc_now,
        rules: Rules | None = None,
        gdap_timing: GdapTiming | None = None,
    ) -> None:
        if not 1 <= page_size <= max_page_size:
            raise ConfigError(f"The page size must be between 1 and {max_page_size}, not {page_size}.")
        self.store = store if store is not None else Store()
        self.faults = faults if faults is not None else Faults()
        self.page_size = page_size
        self.max_page_size = max_page_size
        self.clock = clock
        self.store.clock = clock  # audit records are dated by the emulator's now
        self.rules = rules if rules is not None else Rules()
        #: how long Graph's GDAP status changes take (approval -> active, assignment pending -> active)
        self.gdap_timing = gdap_timing or GdapTiming()
        self._router = partner_center_router()
        self.signin = sign_in.SignIn(clock)
        self._signin_router = Router()
        sign_in.register(self._signin_router, lambda: self.signin)
        self._counts: Counter[str] = Counter()
        self._log_lock = threading.Lock()
        if not self.store.is_seeded():
            self.store.seed()

    # ------------------------------------------------------------------------------- request log

    def request_counts(self) -> dict[str, int]:
        """Requests received per endpoint, keyed "METHOD /route/template" (control calls excluded)."""
        with self._log_lock:
            return dict(sorted(self._counts.items()))

    def reset_log(self) -> None:
        with self._log_lock:
            self._counts.clear()

    def close(self) -> None:
        self.store.close()

    # ---------------------------------------------------------------------------------- requests

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith(CONTROL_PREFIX):
            return self._control(request)
        method = request.method.upper()
        headers = {
            "MS-RequestId": request.headers.get("MS-RequestId") or str(uuid.uuid4()),
            "MS-CorrelationId": request.headers.get("MS-CorrelationId") or str(uuid.uuid4()),
            "MS-CV": secrets.token_urlsafe(12) + ".0",
            "MS-ServerId": "cspsync-emulator",
            "Date": format_datetime(self.clock().astimezone(UTC), usegmt=True),
        }
        if _is_signin(request.url.path):
            return self._sign_in(method, request)
        try:
            route, params = self._router.match(method, request.url.path)
        except ApiError as err:
            self._count(f"{method} {request.url.path}")
            return _finish(err.response(), headers, method)
        self._count(route.key)
        draw = self.faults.draw()
        injected = self.faults.before(request, draw)
        if injected is not None:
            return _finish(injected, headers, method)
        try:
            authorization = request.headers.get("Authorization", "").strip()
            if not _BEARER.fullmatch(authorization):
                raise codes.NOT_AUTHENTICATED.error(headers={"WWW-Authenticate": 'Bearer realm="partnercenter"'})
            refusal = sign_in.authorize(self.signin, route.key, request, authorization.split(None, 1)[1])
            if refusal is not None:
                raise ApiError(refusal.status, refusal.code, refusal.text)
            call = Call(
                request,
                params,
                self.store,
                self.clock(),
                self.page_size,
                self.max_page_size,
                self.rules,
                self.gdap_timing,
            )
            response = route.handler(call)
        except ApiError as err:
            response = err.response()
        self.faults.after(request, response, draw)
        return _finish(response, headers, method)

    def _sign_in(self, method: str, request: httpx.Request) -> httpx.Response:
        """Microsoft's sign-in endpoints (handlers/signin.py): no bearer token, no faults, OAuth errors."""
        try:
            route, params = self._signin_router.match(method, request.url.path)
        except ApiError as err:
            return err.response()
        self._count(route.key)
        return route.handler(Call(request, params, self.store, self.clock(), self.page_size, self.max_page_size))

    def _count(self, key: str) -> None:
        with self._log_lock:
            self._counts[key] += 1

    # ---------------------------------------------------------------------------------- control

    def _control(self, request: httpx.Request) -> httpx.Response:
        """``/_emulator/…``: not Partner Center; lets tests, benchmarks and demos steer the world."""
        action = (request.method.upper(), request.url.path[len(CONTROL_PREFIX) :].strip("/"))
        if action == ("GET", "requests"):
            counts = self.request_counts()
            return respond(200, {"total": sum(counts.values()), "counts": counts})
        if action == ("POST", "reset-log"):
            self.reset_log()
            return respond(204)
        if action == ("POST", "accept-invitation"):
            return self._accept_invitation(request)
        if action in (("POST", "sign-in"), ("GET", "devicelogin")):
            return self._sign_in_control(request)
        return codes.ROUTE_NOT_FOUND.error(f"No emulator control endpoint {action[0]} {request.url.path}.").response()

    def _sign_in_control(self, request: httpx.Request) -> httpx.Response:
        """``POST /_emulator/sign-in`` {"mfa": bool, "auto_approve": bool, "approve": user code,
        "revoke": true}; ``GET /_emulator/devicelogin?code=…`` approves a user code (the sign-in page)."""
        if request.method.upper() == "GET":
            code = request.url.params.get("code") or request.url.params.get("user_code")
            if not code:
                return respond(200, {"message": "Approve a device code: GET this page with ?code=<user code>."})
            if not self.signin.approve(code):
                return codes.INVALID_INPUT.error(f"No device code is waiting for user code {code}.").response()
            return respond(200, {"approved": code, "mfa": self.signin.mfa})
        try:
            body: Any = json.loads(request.content.decode("utf-8-sig") or "{}")
        except (UnicodeDecodeError, ValueError):
            body = None
        if not isinstance(body, dict):
            return codes.INVALID_INPUT.error("The body must be a JSON object.").response()
        if isinstance(body.get("mfa"), bool):
            self.signin.mfa = body["mfa"]
        if isinstance(body.get("auto_approve"), bool):
            self.signin.auto_approve = body["auto_approve"]
        if body.get("revoke") is True:
            self.signin.revoke_all()
        if isinstance(body.get("approve"), str) and not self.signin.approve(body["approve"]):
            return codes.INVALID_INPUT.error(f"No device code is waiting for user code {body['approve']}.").response()
        return respond(200, {"mfa": self.signin.mfa, "auto_approve": self.signin.auto_approve})

    def _accept_invitation(self, request: httpx.Request) -> httpx.Response:
        try:
            body: Any = json.loads(request.content.decode("utf-8-sig") or "null")
        except (UnicodeDecodeError, ValueError):
            body = None
        domain = body.get("domain") if isinstance(body, dict) else None
        if not isinstance(domain, str) or not domain.strip():
            return codes.INVALID_INPUT.error('The body must be {"domain": "..."}.').response()
        try:
            tenant = self.store.accept_invitation(
                domain.strip(),
                reseller_id=body.get("indirectResellerId"),
                company_name=body.get("companyName"),
                country=body.get("country"),
            )
        except ConfigError as err:
            return codes.INVALID_INPUT.error(str(err)).response()
        return respond(200, {"id": tenant.id, "domain": tenant.domain, "companyName": tenant.company_name})


def _is_signin(path: str) -> bool:
    lowered = path.lower()
    return (
        "/oauth2/v2.0/" in lowered
        or lowered.endswith("/.well-known/openid-configuration")
        or (lowered.rstrip("/") == "/common/discovery/instance")
    )


def _finish(response: httpx.Response, headers: dict[str, str], method: str) -> httpx.Response:
    response.headers.update(headers)
    if method == "HEAD" and response.content:
        kept = [(key, value) for key, value in response.headers.items() if key.lower() != "content-length"]
        return httpx.Response(response.status_code, headers=kept)
    return response
