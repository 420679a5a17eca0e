"""Signal handlers for a span of the main thread, put back as they were when it ends.

Python runs a handler in the main thread between two bytecodes, so a handler must take no lock the
interrupted code may hold: one that set a ``threading.Event`` deadlocked when the signal came while the
loop's own ``Event.wait`` held the event's lock. :class:`StopRequest` is therefore a plain attribute.
Only the main thread may set handlers; elsewhere the span runs with the process's own.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import FrameType

Handler = Callable[[int, FrameType | None], None]

#: what a person (Ctrl-C) or the system (a cancelled job, a stopped service) sends to stop a command
STOPS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def handling(numbers: Iterable[signal.Signals], handler: Handler) -> Iterator[None]:
    """``handler`` for the signals ``numbers`` while the block runs (in the main thread; else nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, handler) for number in numbers}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


class StopRequest:
    """Set by the signal handler, read by a waiting loop: a plain attribute, no lock."""

    requested = False


@contextmanager
def stop_requests() -> Iterator[StopRequest]:
    """A flag that Ctrl-C (SIGINT) or SIGTERM sets while the block runs, instead of an exception raised
    wherever the main thread happens to be."""
    stop = StopRequest()

    def requested(number: int, frame: FrameType | None) -> None:
        stop.requested = True

    with handling(STOPS, requested):
        yield stop
