"""Concurrent reads: results in order, and only a bounded number of calls submitted ahead of the caller, so a
portfolio of any size observes in flat memory (pool.map held a Future per read, ~0.5 GB at 100,000)."""

from __future__ import annotations

import threading
import time

import pytest

from cspsync.threads import in_threads


def test_results_come_back_in_the_order_of_the_items() -> None:
    def slow_for_small(n: int) -> int:
        time.sleep(0.001 * (20 - n % 20))
        return n * n

    assert list(in_threads(slow_for_small, range(200), workers=8)) == [n * n for n in range(200)]


def test_no_more_calls_start_than_the_window_while_the_first_is_waited_for() -> None:
    release = threading.Event()
    started: list[int] = []
    lock = threading.Lock()

    def call(n: int) -> int:
        with lock:
            started.append(n)
        if n == 0:
            release.wait(5)
        return n

    results = in_threads(call, range(10_000), workers=4, ahead=16)
    taker = threading.Thread(target=lambda: started.append(-1 - sum(results)))
    taker.start()
    time.sleep(0.3)  # the first call blocks: only the window may have been submitted meanwhile
    with lock:
        before = len(started)
    release.set()
    taker.join(10)
    assert before <= 16
    assert started[-1] == -1 - sum(range(10_000))


def test_an_exception_of_a_call_is_raised_at_its_turn_and_later_calls_are_not_started() -> None:
    started: list[int] = []

    def call(n: int) -> int:
        started.append(n)
        if n == 3:
            raise ValueError("boom")
        return n

    got: list[int] = []
    with pytest.raises(ValueError, match="boom"):
        for value in in_threads(call, range(1000), workers=2, ahead=4):
            got.append(value)
    assert got == [0, 1, 2]
    assert len(started) < 20


def test_no_items_make_no_threads() -> None:
    assert list(in_threads(lambda n: n, [], workers=8)) == []
