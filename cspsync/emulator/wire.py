"""Partner Center's wire format as the emulator speaks it: JSON bodies, errors, collections, links.

From Microsoft's pages: the error body ``{code, description, data, source}`` ("Partner Center REST error
codes", learn.microsoft.com/partner-center/developer/error-codes; the .NET SDK's ``ApiFault``), and the
``errorName``/``isRetryable`` shape some newer codes answer with; a collection is ``{totalCount, items,
links, attributes: {objectType: "Collection"}}`` and a link ``{uri, method, headers: [{key, value}]}``
("Partner Center REST headers" and the resource pages' response examples, e.g. "Get a list of customers").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
ERROR_SOURCE = "PartnerFD"


class ApiError(Exception):
    """A refusal in Partner Center's error shape ``{code, description, data, source}``.

    ``error_name`` adds the fields of the newer shape (``errorName``, ``message``, ``isRetryable``,
    ``parameters``) that Partner Center sends for some codes, e.g. 600061.
    """

    def __init__(
        self,
        status: int,
        code: str,
        description: str,
        *,
        error_name: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description
        self.error_name = error_name
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "description": self.description,
            "data": [],
            "source": ERROR_SOURCE,
        }
        if self.error_name:
            body.update(message=self.description, errorName=self.error_name, isRetryable=False, parameters={})
        return body

    def response(self) -> httpx.Response:
        return respond(self.status, self.body(), self.headers)


def respond(status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> httpx.Response:
    """A response with ``body`` as compact JSON (no body when ``body`` is None)."""
    all_headers = dict(headers or {})
    if body is None:
        return httpx.Response(status, headers=all_headers)
    all_headers["content-type"] = JSON_CONTENT_TYPE
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return httpx.Response(status, headers=all_headers, content=content)


def link(uri: str, method: str = "GET", headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "uri": uri,
        "method": method,
        "headers": [{"key": key, "value": value} for key, value in (headers or {}).items()],
    }


def collection(items: list[Any], *, links: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A Partner Center collection; ``totalCount`` is the number of items in this page."""
    body: dict[str, Any] = {"totalCount": len(items), "items": items}
    if links:
        body["links"] = dict(links)
    body["attributes"] = {"objectType": "Collection"}
    return body


def camelize(value: Any) -> Any:
    """Request bodies may be PascalCase or camelCase: lower the first letter of every key."""
    if isinstance(value, dict):
        return {
            (key[:1].lower() + key[1:] if isinstance(key, str) else key): camelize(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [camelize(item) for item in value]
    return value
