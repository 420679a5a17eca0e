"""Calls run on a few threads, their results handed back in order as they arrive: the one way cspsync reads
Partner Center concurrently.

``ThreadPoolExecutor.map`` submits every call before the first result is taken, and each submission is a
Future of ~1.6 KB (its condition and lock) held until its result is taken: at 100,000 customers, some
300,000 reads held ~0.5 GB before the first one was read. Here at most ``ahead`` calls are submitted
beyond the one the caller waits for, so memory stays flat whatever the portfolio's size, and a slow call
(a retry after a 429) still lets the other threads run that far ahead.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import TypeVar

__all__ = ["AHEAD_PER_WORKER", "in_threads"]

T = TypeVar("T")
R = TypeVar("R")

#: calls submitted ahead of the one waited for, per worker thread
AHEAD_PER_WORKER = 32


def in_threads(call: Callable[[T], R], items: Iterable[T], workers: int, *, ahead: int | None = None) -> Iterator[R]:
    """``call(item)`` for each item on up to ``workers`` threads; the results in the order of ``items``.

    ``call`` should catch what it expects (a failed read is a result, not an exception): anything it raises
    is raised here when its result's turn comes, and the calls not yet started are then not started.
    """
    pending = iter(items)
    window = max(1, ahead if ahead is not None else workers * AHEAD_PER_WORKER)
    first = list(islice(pending, window))
    if not first:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(first)))) as pool:
        running: deque[Future[R]] = deque(pool.submit(call, item) for item in first)
        try:
            while running:
                result = running.popleft().result()
                for item in islice(pending, 1):
                    running.append(pool.submit(call, item))
                yield result
        finally:
            for future in running:
                future.cancel()
