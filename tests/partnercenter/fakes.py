"""Test doubles: a fake clock, a recording MockTransport app, and a client factory."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from typing import Any

import httpx

from cspsync.partnercenter import Limits, PartnerCenterClient, RetryPolicy, StaticToken

BASE = "https://api.partnercenter.microsoft.com"
TOKEN = "test-token-5f1c2e"


class FakeClock:
    """A clock that moves only when slept on (or never, when ``frozen``); records every sleep."""

    def __init__(self, start: float = 1000.0, *, frozen: bool = False) -> None:
        self.now = start
        self.frozen = frozen
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if not self.frozen:
                self.now += seconds


class RecordingTokens:
    """A token provider that remembers which kind of token each call asked for."""

    def __init__(self, value: str = TOKEN) -> None:
        self.value = value
        self.asked: list[bool] = []

    def token(self, user: bool = False) -> str:
        self.asked.append(user)
        return self.value


class App:
    """A MockTransport handler: ``responses`` are callables or responses used in order per request."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
        return self.handler(request)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def sequence(
    *steps: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response],
) -> Callable[[httpx.Request], httpx.Response]:
    """A handler answering each request with the next step (an exception is raised as a transport error)."""
    remaining = list(steps)
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            step = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    return handler


def reply(
    status: int = 200, body: Any = None, *, headers: dict[str, str] | None = None, bom: bool = False
) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    if bom and content:
        content = b"\xef\xbb\xbf" + content
    return httpx.Response(status, content=content, headers={"Content-Type": "application/json", **(headers or {})})


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    clock: FakeClock | None = None,
    tokens: Any = None,
    limits: Limits | None = None,
    retry: RetryPolicy | None = None,
    **kwargs: Any,
) -> PartnerCenterClient:
    clock = clock or FakeClock()
    return PartnerCenterClient(
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        tokens=tokens or StaticToken(TOKEN),
        limits=limits or Limits(requests_per_second=1000, burst=1000),
        retry=retry or RetryPolicy(rng=random.Random(7)),
        clock=clock,
        sleep=clock.sleep,
        **kwargs,
    )


def customer_item(tenant_id: str, domain: str, name: str = "Contoso") -> dict[str, Any]:
    return {
        "id": tenant_id,
        "companyProfile": {
            "tenantId": tenant_id,
            "domain": domain,
            "companyName": name,
            "attributes": {"objectType": "CustomerCompanyProfile"},
        },
        "relationshipToPartner": "reseller",
        "attributes": {"objectType": "Customer"},
    }


def collection(items: list[Any], *, next_uri: str | None = None, token: str | None = None) -> dict[str, Any]:
    links: dict[str, Any] = {"self": {"uri": "/customers?size=2", "method": "GET", "headers": []}}
    if next_uri is not None:
        headers = [{"key": "MS-ContinuationToken", "value": token}] if token else []
        links["next"] = {"uri": next_uri, "method": "GET", "headers": headers}
    return {"totalCount": len(items), "items": items, "links": links, "attributes": {"objectType": "Collection"}}
