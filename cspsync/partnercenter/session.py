"""One logical Partner Center call over httpx: headers, limits, retries, error mapping, logging, records.

The session sees only an ``httpx`` transport (the real API, the in-process emulator or the emulator on
loopback). Every attempt of one logical call carries the same ``MS-RequestId`` (Partner Center's
idempotency key); every call of one client carries the same ``MS-CorrelationId``.

Logging (``cspsync.partnercenter``, DEBUG): method, path without query, status, request id, duration.
Never headers (the bearer token) and never bodies (a create-customer response holds the admin password).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from cspsync.errors import PartnerCenterError

from .auth import TokenProvider
from .calls import CallRecord, ClientStats, record
from .errormap import NOT_SENT, decode_json, error_for_response, error_for_transport
from .retry import Clock, Failure, Kind, Limits, Retrier, RetryPolicy, Sleep, parse_retry_after
from .throttle import AdaptiveLimiter

log = logging.getLogger("cspsync.partnercenter")

T = TypeVar("T")

APPLICATION = "cspsync"


@dataclass(frozen=True)
class Reply:
    """A successful response, body decoded (``None`` when empty)."""

    status: int
    headers: httpx.Headers
    body: Any
    request_id: str


def expand(template: str, params: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders with URL-quoted values (ids never break out of their segment)."""
    return template.format(**{k: quote(str(v), safe="") for k, v in params.items()})


def describe_validation(exc: ValidationError) -> str:
    """Where a response did not fit the model, without echoing values (they may be secrets)."""
    problems = [
        f"{'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)[:3]
    ]
    return "; ".join(problems)


class Session:
    """Sends logical calls; thread-safe (one limiter, one semaphore, one httpx client)."""

    def __init__(
        self,
        *,
        http: httpx.Client,
        tokens: TokenProvider,
        correlation_id: str,
        locale: str,
        limits: Limits,
        policy: RetryPolicy,
        clock: Clock,
        sleep: Sleep,
        stats: ClientStats,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self.correlation_id = correlation_id
        self._locale = locale
        self._clock = clock
        self._stats = stats
        #: how a caller that polls a long-running operation waits (injected: tests never sleep for real)
        self.sleep = sleep
        self.limiter = AdaptiveLimiter(limits, clock=clock, sleep=sleep)
        #: the service's clock from the last answer's ``Date`` header (audit record windows use it)
        self.server_date: datetime | None = None
        self._slots = threading.BoundedSemaphore(limits.max_concurrency)
        self._retrier = Retrier(
            policy,
            clock=clock,
            sleep=sleep,
            on_throttle=self._throttled,
            on_retry=lambda kind, wait: stats.count_retry(wait),
        )

    def call(
        self,
        method: str,
        template: str,
        parse: Callable[[Reply], T],
        *,
        path_params: Mapping[str, str] | None = None,
        url: str | None = None,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        user: bool = False,
        idempotent: bool = True,
        landed: Callable[[], T | None] | None = None,
        ok: Collection[int] = (200, 201, 202, 204),
        tokens: TokenProvider | None = None,
        service: str = "Partner Center",
    ) -> T:
        """One logical call: ``template`` names the endpoint (stats, errors), ``url`` overrides the path
        (paging links; an absolute URL goes to its own host). ``parse`` turns the reply into the result;
        ``landed`` see :class:`Retrier`. ``tokens`` and ``service`` are for an API of another audience
        (Microsoft Graph) called with the same limiter, retries and request ids."""
        operation = f"{method} {template}"
        customer = (path_params or {}).get("customer_id")
        path = url if url is not None else expand(template, path_params or {})
        request_id = str(uuid.uuid4())
        self._stats.count_call(operation)
        state: dict[str, Any] = {"attempts": 0, "status": None}

        def send() -> T:
            state["attempts"] += 1
            request = self._http.build_request(
                method,
                path,
                params=params,
                json=json,
                headers=self._headers(request_id, user, headers, tokens),
            )
            limiter_wait = self.limiter.acquire(customer)
            self._stats.count_request(limiter_wait)
            started = self._clock()
            try:
                with self._slots:
                    response = self._http.send(request)
            except httpx.RequestError as exc:  # transport failures, undecodable bodies
                state["status"] = None
                log.debug(
                    "%s %s -> %s after %.0f ms (MS-RequestId %s, attempt %d)",
                    method, request.url.path, type(exc).__name__, (self._clock() - started) * 1000,
                    request_id, state["attempts"],
                )  # fmt: skip
                kind = Kind.NOT_SENT if isinstance(exc, NOT_SENT) else Kind.AMBIGUOUS
                error = error_for_transport(exc, request_id=request_id, operation=operation, service=service)
                raise Failure(error, kind) from None
            state["status"] = response.status_code
            log.debug(
                "%s %s -> %d in %.0f ms (MS-RequestId %s, attempt %d)",
                method, request.url.path, response.status_code, (self._clock() - started) * 1000,
                request_id, state["attempts"],
            )  # fmt: skip
            return self._outcome(
                response, request_id, operation, ok, parse, service, customer=customer, sent_at=started
            )

        error_code: str | None = None
        try:
            return self._retrier.call(send, idempotent=idempotent, landed=landed)
        except PartnerCenterError as exc:
            error_code = exc.code
            raise
        finally:
            record(
                CallRecord(
                    operation=operation,
                    path=path.split("?", 1)[0],
                    request_id=request_id,
                    status=state["status"],
                    attempts=state["attempts"],
                    error_code=error_code,
                )
            )

    def stream(
        self,
        method: str,
        template: str,
        *,
        url: str,
        headers: Mapping[str, str] | None = None,
        user: bool = False,
        tokens: TokenProvider | None = None,
    ) -> httpx.Response:
        """One logical call whose body the caller reads as a stream (a price sheet file): the same limiter,
        retries (429, 5xx and transport failures before the body) and error mapping as :meth:`call`. The
        response is a 200 and still open: the caller reads and closes it. ``tokens`` replaces the session's
        provider for an API of another audience."""
        operation = f"{method} {template}"
        request_id = str(uuid.uuid4())
        self._stats.count_call(operation)
        state: dict[str, Any] = {"attempts": 0, "status": None}

        def send() -> httpx.Response:
            state["attempts"] += 1
            sent = self._headers(request_id, user, headers, tokens)
            request = self._http.build_request(method, url, headers=sent)
            self._stats.count_request(self.limiter.acquire())
            sent_at = self._clock()
            try:
                with self._slots:
                    response = self._http.send(request, stream=True)
            except httpx.RequestError as exc:
                kind = Kind.NOT_SENT if isinstance(exc, NOT_SENT) else Kind.AMBIGUOUS
                raise Failure(error_for_transport(exc, request_id=request_id, operation=operation), kind) from None
            state["status"] = response.status_code
            if response.status_code != 429:
                self.limiter.accepted(sent_at)
            if response.status_code == 200:
                return response
            try:
                content = response.read()
            except httpx.RequestError:
                content = b""
            finally:
                response.close()
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            error = error_for_response(
                status=response.status_code, content=content, request_id=request_id, operation=operation,
                retry_after=retry_after,
            )  # fmt: skip
            status = response.status_code
            if status == 429:
                self._stats.count_throttle()
            kind = Kind.THROTTLED if status == 429 else (Kind.AMBIGUOUS if status >= 500 else Kind.FINAL)
            raise Failure(
                error, kind, retry_after=getattr(error, "retry_after", None), sent_at=sent_at, operation=operation
            )

        error_code: str | None = None
        try:
            return self._retrier.call(send, idempotent=True)
        except PartnerCenterError as exc:
            error_code = exc.code
            raise
        finally:
            record(
                CallRecord(
                    operation=operation,
                    path=httpx.URL(url).path,
                    request_id=request_id,
                    status=state["status"],
                    attempts=state["attempts"],
                    error_code=error_code,
                )
            )

    def _throttled(self, failure: Failure, seconds: float) -> None:
        """A 429: the limiter pauses whose limit it is and learns the rate (cspsync/partnercenter/throttle.py)."""
        self.limiter.throttled(seconds, customer=failure.customer, operation=failure.operation, sent_at=failure.sent_at)
        self._stats.set_rate(self.limiter.rate)

    def _headers(
        self, request_id: str, user: bool, extra: Mapping[str, str] | None, tokens: TokenProvider | None = None
    ) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {(tokens or self._tokens).token(user=user)}",
            "Accept": "application/json",
            "MS-RequestId": request_id,
            "MS-CorrelationId": self.correlation_id,
            "X-Locale": self._locale,
            "MS-PartnerCenter-Application": APPLICATION,
            "User-Agent": APPLICATION,
        }
        for key, value in (extra or {}).items():
            if key.lower() not in {"authorization", "ms-requestid", "ms-correlationid"}:
                headers[key] = value
        return headers

    def _outcome(
        self,
        response: httpx.Response,
        request_id: str,
        operation: str,
        ok: Collection[int],
        parse: Callable[[Reply], T],
        service: str = "Partner Center",
        *,
        customer: str | None = None,
        sent_at: float | None = None,
    ) -> T:
        status = response.status_code
        if status != 429 and sent_at is not None:
            self.limiter.accepted(sent_at)
        stated = response.headers.get("Date")
        if stated:
            with contextlib.suppress(TypeError, ValueError):
                self.server_date = parsedate_to_datetime(stated)
        if status in ok:
            try:
                body = decode_json(response.content)
            except (UnicodeDecodeError, ValueError):
                raise PartnerCenterError(
                    f"{service} answered {operation} with HTTP {status} and a body that is not JSON",
                    status=status,
                    request_id=request_id,
                ) from None
            try:
                return parse(Reply(status, response.headers, body, request_id))
            except ValidationError as exc:
                raise PartnerCenterError(
                    f"{service} answered {operation} with an unexpected body: {describe_validation(exc)}",
                    status=status,
                    request_id=request_id,
                ) from None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        error = error_for_response(
            status=status, content=response.content, request_id=request_id, operation=operation,
            retry_after=retry_after, service=service,
        )  # fmt: skip
        if status == 429:
            self._stats.count_throttle()
            kind = Kind.THROTTLED
        elif status >= 500:
            kind = Kind.AMBIGUOUS
        else:
            kind = Kind.FINAL
        raise Failure(
            error,
            kind,
            retry_after=getattr(error, "retry_after", None),
            customer=customer,
            sent_at=sent_at,
            operation=operation,
        )
