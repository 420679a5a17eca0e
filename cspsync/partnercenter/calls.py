"""Bookkeeping of Partner Center calls: per-action request ids for the apply record, counters for benchmarks.

Request ids are handed back through :func:`recording` rather than on the returned objects, because many
calls return a ``bool``, a ``str`` or a list, and one action can make several calls (a create that is
checked by domain after a dropped connection makes three). A recording is bound to the current thread's
context (``contextvars``), so actions running in a thread pool each see only their own calls::

    with client.calls() as log:
        created = client.create_customer(request)
    record.request_ids = log.request_ids
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypedDict


@dataclass(frozen=True)
class CallRecord:
    """One logical call (its retries share one ``MS-RequestId``)."""

    operation: str  # "POST /v1/customers"
    path: str  # the path actually called, without the query
    request_id: str
    status: int | None  # the last HTTP status, None when no response came back
    attempts: int
    error_code: str | None = None


@dataclass
class CallLog:
    records: list[CallRecord] = field(default_factory=list)

    @property
    def request_ids(self) -> list[str]:
        return [r.request_id for r in self.records]


_active: ContextVar[tuple[CallLog, ...]] = ContextVar("cspsync_partnercenter_calls", default=())


@contextmanager
def recording() -> Iterator[CallLog]:
    """Collect the calls made in this context (this thread) until the block ends; recordings nest."""
    log = CallLog()
    token = _active.set((*_active.get(), log))
    try:
        yield log
    finally:
        _active.reset(token)


def record(entry: CallRecord) -> None:
    for log in _active.get():
        log.records.append(entry)


class StatsSnapshot(TypedDict):
    calls: dict[str, int]  # logical calls per "METHOD /endpoint/{template}"
    total_calls: int
    requests: int  # HTTP requests sent (attempts, retries included)
    retries: int
    throttles: int  # 429 answers received
    backoff_seconds: float  # waited between attempts
    limiter_seconds: float  # waited for the client's own rate limiter
    rate: float | None  # the partner rate the limiter learnt at the last 429 (None: never throttled)


class ClientStats:
    """Thread-safe counters of one client: logical calls per endpoint template, HTTP requests, retries,
    throttles and seconds spent waiting (back-off and rate limiter)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.requests = 0
        self.retries = 0
        self.throttles = 0
        self.backoff_seconds = 0.0
        self.limiter_seconds = 0.0
        self.rate: float | None = None

    def count_call(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1

    def count_request(self, limiter_wait: float) -> None:
        with self._lock:
            self.requests += 1
            self.limiter_seconds += limiter_wait

    def count_retry(self, wait: float) -> None:
        with self._lock:
            self.retries += 1
            self.backoff_seconds += wait

    def set_rate(self, rate: float) -> None:
        with self._lock:
            self.rate = rate

    def count_throttle(self) -> None:
        with self._lock:
            self.throttles += 1

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "total_calls": sum(self.calls.values()),
                "requests": self.requests,
                "retries": self.retries,
                "throttles": self.throttles,
                "backoff_seconds": round(self.backoff_seconds, 3),
                "limiter_seconds": round(self.limiter_seconds, 3),
                "rate": None if self.rate is None else round(self.rate, 3),
            }
