"""msal's HTTP client over an httpx transport, so sign-in goes where the API calls go.

msal talks to the identity platform through an object with ``get`` and ``post`` (msal's
``oauth2cli.http.HttpClient``). Giving it one over httpx lets the same transport serve both: the real
network for Partner Center, the emulator in process, or the served emulator on loopback (every request,
whatever its host, is sent to the loopback URL: sign-in never leaves the machine there).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

TIMEOUT = 30.0


class LoopbackTransport(httpx.BaseTransport):
    """Sends every request to ``base_url`` (a served emulator), keeping its path and query."""

    def __init__(self, base_url: str, inner: httpx.BaseTransport | None = None) -> None:
        parts = urlsplit(base_url)
        self._scheme, self._host, self._port = parts.scheme, parts.hostname or "127.0.0.1", parts.port
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme=self._scheme, host=self._host, port=self._port)
        request.headers["Host"] = request.url.netloc.decode("ascii")
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class MsalHttpClient:
    """The ``get``/``post`` msal calls, over ``transport`` (httpx's default when None)."""

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(transport=transport, timeout=TIMEOUT, follow_redirects=False)

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> httpx.Response:
        return self._client.post(url, params=params, data=data, headers=headers, timeout=_timeout(kwargs))

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> httpx.Response:
        return self._client.get(url, params=params, headers=headers, timeout=_timeout(kwargs))

    def close(self) -> None:
        self._client.close()


def _timeout(kwargs: dict[str, Any]) -> float:
    value = kwargs.get("timeout")
    return float(value) if isinstance(value, int | float) else TIMEOUT
