"""Routes of the emulator: path templates such as ``/v1/customers/{customerId}`` mapped to handlers.

The template doubles as the key of the request log ("GET /v1/customers/{customerId}"), so benchmarks
count calls per endpoint rather than per URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.rules import Rules
from cspsync.emulator.wire import camelize

if TYPE_CHECKING:
    from cspsync.emulator.store import Store


@dataclass
class Call:
    """One request as a handler sees it: path parameters, query, the store and the emulator's now."""

    request: httpx.Request
    params: dict[str, str]
    store: Store
    now: datetime
    page_size: int
    max_page_size: int
    rules: Rules = field(default_factory=Rules)
    #: Graph's GDAP delays (``handlers.gdap.GdapTiming``); None: everything happens at once
    gdap: Any = None

    def query(self, name: str) -> str | None:
        """A query parameter, its name matched case-insensitively as Partner Center does."""
        params = self.request.url.params
        value: str | None = params.get(name)
        if value is not None:
            return value
        wanted = name.lower()
        for key, item in params.multi_items():
            if key.lower() == wanted:
                return str(item)
        return None

    def header(self, name: str) -> str | None:
        value: str | None = self.request.headers.get(name)
        return value

    def json(self) -> dict[str, Any]:
        """The body as a camelCase JSON object (a UTF-8 BOM is allowed); 400 when it is not one."""
        raw = self.request.content
        try:
            value = json.loads(raw.decode("utf-8-sig")) if raw else None
        except (UnicodeDecodeError, ValueError) as err:
            raise codes.INVALID_INPUT.error(f"The request body is not valid JSON: {err}") from None
        if not isinstance(value, dict):
            raise codes.INVALID_INPUT.error("The request body must be a JSON object.")
        result: dict[str, Any] = camelize(value)
        return result


Handler = Callable[[Call], httpx.Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str]

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


_PARAM = re.compile(r"\{(\w+)\}")


def _compile(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for match in _PARAM.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        parts.append(f"(?P<{match.group(1)}>[^/]+)")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts) + "/?", re.IGNORECASE)


class Router:
    """First matching template wins, so literal paths go before templated siblings."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        self._routes.append(Route(method.upper(), template, handler, _compile(template)))

    def routes(self) -> tuple[Route, ...]:
        """Every route in match order (a test walks the mutating ones: each must leave an audit record)."""
        return tuple(self._routes)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route and path parameters; ApiError 404 for an unknown path, 405 for a wrong method."""
        path_matched = False
        for route in self._routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route, found.groupdict()
            path_matched = True
        if path_matched:
            raise codes.METHOD_NOT_ALLOWED.error(method=method)
        raise codes.ROUTE_NOT_FOUND.error(f"No HTTP resource was found that matches the request URI {path}.")
