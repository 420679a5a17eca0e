"""The cyclic garbage collector paused while cspsync makes many objects that stay alive.

Importing a command's modules, checking thousands of customer files and building a plan each allocate
hundreds of thousands to millions of small objects and no reference cycles. Every batch of survivors
triggers a collection, and each full one walks every object of the process: six full passes were half of
``make_plan``'s time at 10,000 customers, a third of a 10,000-file check, ~6 ms of a command's imports.
So collection is paused for the span (reference counting still frees everything else at once). When it
ends, what is alive is frozen (``gc.freeze``): re-enabled, the first collection would otherwise walk all of
it once more, and so would the one at interpreter exit. Frozen objects are still freed when their last
reference goes; only cycles among them would stay, and these spans make none.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off for a span (also as a decorator), then as the caller had it, the survivors frozen."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
