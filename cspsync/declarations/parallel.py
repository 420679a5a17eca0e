"""One function over many items on two cores: the caller and a forked child share them chunk by chunk.

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

import contextlib
import fcntl
import marshal
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, TypeVar

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
    """``[function(item) for item in items]``, shared with a forked child chunk by chunk.

    Results must pickle, or ``sent`` turns each of the child's into what does (plain data: tuples, lists
    and dicts go by marshal, many times faster than pickled objects) and ``restored(item, data)`` makes the
    result again in the caller. The child runs ``in_child`` when given: what it needs to compute for ``sent``
    may be less than ``function`` does. ``what`` names the work in the error raised when the child fails.

    The two take chunks from one pipe of chunk numbers until it is empty (a read of a few bytes from a pipe
    is atomic: each chunk goes to one of them), so whichever is faster takes more. The child sends each
    chunk's results as it finishes it, and the caller restores them between chunks of its own: restoring
    is work only the caller can do, and with halves fixed in advance it came after both halves (0.11 s of a
    0.72 s load of 10,000 files). The caller takes the first chunk and the child the last without asking,
    so each has work whatever the other's speed.
    """
    if len(items) < 2:
        return [function(item) for item in items]
    bounds = _chunks(len(items))
    tokens_read, tokens_write = os.pipe()
    for number in range(1, len(bounds) - 1):  # at most 32 KiB: the pipe holds them without a reader
        os.write(tokens_write, number.to_bytes(_TOKEN, "little"))
    os.close(tokens_write)  # when every number is taken, a read says so (end of file)
    read_end, write_end = os.pipe()
    _widen(write_end)
    pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without any of the parent's clean-up
        status = _FAILED
        try:
            os.close(read_end)
            work = in_child or function
            with os.fdopen(tokens_read, "rb", buffering=0) as tokens:
                for number in _taken(tokens, first=len(bounds) - 1):
                    start, stop = bounds[number]
                    chunk = [work(item) if sent is None else sent(work(item)) for item in items[start:stop]]
                    _send(write_end, (number, chunk))
            status = 0
        except BaseException as err:  # whatever happens, the child must not return into the caller
            _send(write_end, _Failure(f"{type(err).__name__}: {err}"), quiet=True)
        finally:
            os._exit(status)
    os.close(write_end)
    done: list[list[R] | None] = [None] * len(bounds)
    frames = _Frames(read_end, bounds, items, restored)
    reaped = False
    try:
        with os.fdopen(tokens_read, "rb", buffering=0) as tokens:
            for number in _taken(tokens, first=0):
                start, stop = bounds[number]
                done[number] = [function(item) for item in items[start:stop]]
                frames.take(done, wait=False)  # what the child has sent meanwhile
        frames.take(done, wait=True)
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        frames.close()
        if not reaped:  # the caller failed or was interrupted: the child's work is of no use
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    _check_child(status, frames, done, what)
    return [result for chunk in done if chunk is not None for result in chunk]


#: the bytes of a chunk's number in the pipe both processes take chunks from
_TOKEN = 4
#: a chunk holds at most _CHUNK_ITEMS items (a few ms of checking files), and there are about _CHUNKS of them;
#: never more than _MOST_CHUNKS, whose numbers fill half of a pipe's 64 KiB
_CHUNK_ITEMS, _CHUNKS, _MOST_CHUNKS = 64, 128, 8192
#: what the caller reads of the child's pipe at a time (a buffer this size is made for each read)
_READ = 16 * 1024


def _chunks(count: int) -> list[tuple[int, int]]:
    """The items' chunks as (start, stop), at least two of them (the caller's first and the child's last):
    small enough that the two finish close together, few enough that sending each costs nothing."""
    size = max(1, min(_CHUNK_ITEMS, count // _CHUNKS), -(-count // _MOST_CHUNKS))
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _taken(tokens: BinaryIO, *, first: int) -> Iterator[int]:
    """``first``, then the chunk numbers this process takes from the shared pipe until it is empty."""
    yield first
    while token := tokens.read(_TOKEN):
        yield int.from_bytes(token, "little")


def _widen(descriptor: int) -> None:
    """A pipe of 1 MiB where Linux allows it: the child then rarely waits for the caller to read a chunk."""
    with contextlib.suppress(AttributeError, OSError):  # else the default 64 KiB: the child waits a little more
        fcntl.fcntl(descriptor, fcntl.F_SETPIPE_SZ, 1 << 20)


class _Frames:
    """What the child sends: frames of (its length, 4 bytes) then the encoded value, each a chunk's results
    ``(number, results)`` or a failure; read as they come, without waiting unless asked to."""

    def __init__(
        self,
        descriptor: int,
        bounds: list[tuple[int, int]],
        items: Sequence[Any],
        restored: Callable[[Any, Any], Any] | None,
    ) -> None:
        self.descriptor = descriptor
        self.bounds, self.items, self.restored = bounds, items, restored
        self.buffer = bytearray()
        self.ended = False
        self.failure: str | None = None
        self.garbled = False
        os.set_blocking(descriptor, False)

    def take(self, done: list[Any], *, wait: bool) -> None:
        """Restore every whole frame that has come; with ``wait``, until the child closes its end."""
        if wait:
            os.set_blocking(self.descriptor, True)
        while not self.ended:
            try:
                data = os.read(self.descriptor, _READ)
            except BlockingIOError:
                return
            if not data:
                self.ended = True
            self.buffer += data
            if not self.garbled:
                self._restore(done)

    def _restore(self, done: list[Any]) -> None:
        for value in self._whole_frames():
            if isinstance(value, _Failure):
                self.failure = value.reason
                continue
            chunk = _chunk_results(value, done, self.bounds)
            if chunk is None:
                self.garbled = True
                return
            number, results = chunk
            if self.restored is not None:
                start, stop = self.bounds[number]
                results = [self.restored(i, sent) for i, sent in zip(self.items[start:stop], results, strict=True)]
            done[number] = results

    def _whole_frames(self) -> list[object]:
        """The values of the frames the buffer holds whole, taken out of it (the rest waits for more bytes)."""
        values: list[object] = []
        at = 0
        with memoryview(self.buffer) as view:
            while len(view) - at >= 4 and len(view) - at - 4 >= (length := int.from_bytes(view[at : at + 4], "little")):
                values.append(_value(view[at + 4 : at + 4 + length]))
                at += 4 + length
        del self.buffer[:at]
        return values

    def close(self) -> None:
        os.close(self.descriptor)


def _value(data: memoryview) -> object:
    try:
        return _decoded(data)
    except Exception:
        return None


def _chunk_results(value: object, done: list[Any], bounds: list[tuple[int, int]]) -> tuple[int, list[Any]] | None:
    """``(number, results)`` of a chunk not yet done with as many results as it has items; None: not that."""
    if not (isinstance(value, tuple) and len(value) == 2):
        return None
    number, results = value
    if not (isinstance(number, int) and 0 <= number < len(bounds) and done[number] is None):
        return None
    start, stop = bounds[number]
    return (number, results) if isinstance(results, list) and len(results) == stop - start else None


def _check_child(status: int, frames: _Frames, done: list[Any], what: str) -> None:
    """WorkerError saying why, when the child did not bring back every chunk it took."""
    hint = "this is a bug in cspsync; please report it (the files were not all checked, so nothing is valid)"
    if os.WIFSIGNALED(status):
        reason = f"was killed by signal {os.WTERMSIG(status)}"
    elif frames.failure is not None:
        reason = f"failed: {frames.failure}"
    elif os.waitstatus_to_exitcode(status) != 0:
        reason = f"exited with status {os.waitstatus_to_exitcode(status)}"
    elif frames.garbled or frames.buffer or any(chunk is None for chunk in done):
        reason = "sent back something other than its results"
    else:
        return
    raise WorkerError(f"the second process {what} {reason}", hint=hint)


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


def _decoded(data: bytes | memoryview) -> object:
    view = memoryview(data)  # a slice of bytes would copy them
    if view[:1] == _MARSHAL:
        return marshal.loads(view[1:])  # noqa: S302 - from the child this process forked
    return pickle.loads(view[1:])  # noqa: S301 - from the child this process forked


def _send(descriptor: int, value: object, *, quiet: bool = False) -> None:
    """One frame to the caller: the encoded value's length (4 bytes), then the value."""
    data = _encoded(value)
    try:
        frame = memoryview(len(data).to_bytes(4, "little") + data)
        while frame:
            frame = frame[os.write(descriptor, frame) :]
    except Exception:
        if not quiet:
            raise
