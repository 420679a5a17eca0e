"""One function over many items on two cores: a forked child takes the second half, the caller the first.

``cspsync validate`` of thousands of files is CPU-bound Python (parsing, schema, models, rules), so on a
machine with a second core the work halves. A fork after the imports and the shared set-up (config,
pricebooks, compiled schemas) costs a few milliseconds and copies nothing; threads would not help (the
GIL) and a process pool would import everything again. The child sends its results back (marshal, or pickle)
over a pipe and leaves with ``os._exit``: it never runs atexit handlers, click's teardown or buffered output of
the parent. A child that dies, fails or sends anything but its results is an error, never a silent pass.

Only where ``os.fork`` is safe: Linux, at least two usable CPUs, and no other thread alive in this process
(a lock held by another thread would stay held in the child). Elsewhere the caller works alone.
"""

from __future__ import annotations

import marshal
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from cspsync.errors import CspsyncError

T = TypeVar("T")
R = TypeVar("R")

_FAILED = 70  # the child's exit status when its function raised (EX_SOFTWARE)
_MARSHAL, _PICKLE = b"M", b"P"  # the first byte of what the child sends: how the rest is written


class WorkerError(CspsyncError):
    """The second process did not bring back its results."""


def can_fork() -> bool:
    """True where a fork now is safe and buys a second core: Linux (macOS's system libraries are not safe to
    use in a forked child that does not exec), two CPUs this process may run on, no other thread."""
    if not sys.platform.startswith("linux"):
        return False
    return len(os.sched_getaffinity(0)) > 1 and threading.active_count() == 1


def map_in_two(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    what: str,
    sent: Callable[[R], object] | None = None,
    restored: Callable[[T, Any], R] | None = None,
    in_child: Callable[[T], R] | None = None,
) -> list[R]:
    """``[function(item) for item in items]``, the second half computed in a forked child.

    Results must pickle, or ``sent`` turns each of the child's into what does (plain data: tuples, lists
    and dicts go by marshal, many times faster than pickled objects) and ``restored(item, data)`` makes the
    result again in the caller. The child runs ``in_child`` when given: what it needs to compute for ``sent``
    may be less than ``function`` does. ``what`` names the work in the error raised when the child fails.
    """
    split = len(items) // 2  # the child takes the odd item: the caller has the results to read afterwards
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without any of the parent's clean-up
        status = _FAILED
        try:
            os.close(read_end)
            work = in_child or function
            results: object = [work(item) if sent is None else sent(work(item)) for item in items[split:]]
            _send(write_end, results)
            status = 0
        except BaseException as err:  # whatever happens, the child must not return into the caller
            _send(write_end, _Failure(f"{type(err).__name__}: {err}"), quiet=True)
        finally:
            os._exit(status)
    os.close(write_end)
    reaped = False
    try:
        mine = [function(item) for item in items[:split]]
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        if not reaped:  # the caller failed or was interrupted: the child's work is of no use
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    theirs: list[Any] = _received(data, status, len(items) - split, what)
    del data  # the child's bytes (tens of MB at 100,000 files) are not held while their results are restored
    if restored is None:
        return [*mine, *theirs]
    # each sent value is let go as soon as its result is made: the child's whole half is never held twice
    theirs.reverse()
    for item in items[split:]:
        mine.append(restored(item, theirs.pop()))
    return mine


class _Failure:
    """What a child whose function raised sends instead of results."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _encoded(value: Any) -> bytes:
    """Plain data (tuples, lists, dicts, text, numbers) as marshal writes it, anything else pickled.

    marshal writes the parsed files of 5,000 customers in 8 ms where pickle takes 80 ms (and reads them
    back in 39 ms against 49 ms): the child sends while the caller waits for it."""
    try:
        return _MARSHAL + marshal.dumps(value)
    except ValueError:  # an object marshal does not know (a failure, a caller's own results)
        return _PICKLE + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _decoded(data: bytes) -> object:
    if data.startswith(_MARSHAL):
        return marshal.loads(memoryview(data)[1:])  # noqa: S302 - from the child; a slice would copy the bytes
    return pickle.loads(memoryview(data)[1:])  # noqa: S301 - from the child this process forked


def _send(descriptor: int, value: object, *, quiet: bool = False) -> None:
    try:
        with os.fdopen(descriptor, "wb") as pipe:
            pipe.write(_encoded(value))
    except Exception:
        if not quiet:
            raise


def _received(data: bytes, status: int, expected: int, what: str) -> list[Any]:
    """The child's results, or WorkerError saying why there are none."""
    hint = "this is a bug in cspsync; please report it (the files were not all checked, so nothing is valid)"
    if os.WIFSIGNALED(status):
        reason = f"was killed by signal {os.WTERMSIG(status)}"
    elif os.waitstatus_to_exitcode(status) != 0:
        reason = f"exited with status {os.waitstatus_to_exitcode(status)}"
    else:
        reason = ""
    try:
        value = _decoded(data) if data else None
    except Exception:
        value = None
    if isinstance(value, _Failure):
        reason = f"failed: {value.reason}"
    elif not reason and not (isinstance(value, list) and len(value) == expected):
        reason = "sent back something other than its results"
    if reason:
        raise WorkerError(f"the second process {what} {reason}", hint=hint)
    assert isinstance(value, list)
    return value
