"""Which Partner Center requests did this action make? A transport wrapper that remembers.

The apply record lists, per action, the ``MS-RequestId`` of every call it made, so support can trace
any change. Calls are synchronous on the thread that runs the action, so a thread-local list is enough,
and it works whatever the client does inside (retries included: each retry keeps its request id).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import httpx


class RecordingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self._local = threading.local()

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[str]]:
        """Collect the request ids of the calls made on this thread inside the ``with`` block."""
        ids: list[str] = []
        previous = getattr(self._local, "ids", None)
        self._local.ids = ids
        try:
            yield ids
        finally:
            self._local.ids = previous

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        ids = getattr(self._local, "ids", None)
        request_id = request.headers.get("MS-RequestId")
        if ids is not None and request_id and request_id not in ids:
            ids.append(request_id)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
