from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from cspsync.partnercenter import Limits
from cspsync.partnercenter.retry import RateLimiter

from .fakes import App, FakeClock, customer_item, make_client, reply


def test_token_bucket_spaces_requests_after_the_burst_whatever_the_thread_order() -> None:
    clock = FakeClock(frozen=True)
    limiter = RateLimiter(rate=10, burst=2, clock=clock, sleep=clock.sleep)
    with ThreadPoolExecutor(max_workers=8) as pool:
        waits = list(pool.map(lambda _: limiter.acquire(), range(12)))
    assert sorted(round(w, 6) for w in waits) == [0, 0, *[round(0.1 * k, 6) for k in range(1, 11)]]


def test_token_bucket_refills_with_time() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=10, burst=2, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire() for _ in range(3)] == [0, 0, pytest.approx(0.1)]
    clock.now += 1.0  # refills to the burst, not beyond
    assert [limiter.acquire() for _ in range(3)] == [0, 0, pytest.approx(0.1)]


def test_a_pause_holds_every_caller_then_resumes_one_at_a_time() -> None:
    clock = FakeClock(frozen=True)
    limiter = RateLimiter(rate=10, burst=5, clock=clock, sleep=clock.sleep)
    limiter.pause(30)
    assert [round(limiter.acquire(), 6) for _ in range(3)] == [30, 30.1, 30.2]


def test_one_rate_limiter_is_shared_by_all_threads_of_a_client() -> None:
    clock = FakeClock(frozen=True)
    app = App(lambda request: reply(200, customer_item("t", "t.onmicrosoft.com")))
    limits = Limits(requests_per_second=10, burst=2, max_concurrency=8)
    with make_client(app, clock=clock, limits=limits) as client, ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: client.get_customer(f"t{i}"), range(20)))
    assert len(app.requests) == 20
    assert sorted(round(s, 6) for s in clock.sleeps) == [round(0.1 * k, 6) for k in range(1, 19)]
    assert client.stats.snapshot()["limiter_seconds"] == pytest.approx(sum(0.1 * k for k in range(1, 19)))


def test_one_concurrency_bound_is_shared_by_all_threads_of_a_client() -> None:
    bound = 3
    barrier = threading.Barrier(bound, timeout=10)
    lock = threading.Lock()
    state = {"in_flight": 0, "most": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            state["in_flight"] += 1
            state["most"] = max(state["most"], state["in_flight"])
        barrier.wait()  # proves `bound` calls do run together (a smaller bound would break the barrier)
        with lock:
            state["in_flight"] -= 1
        return reply(200, customer_item("t", "t.onmicrosoft.com"))

    limits = Limits(requests_per_second=1000, burst=1000, max_concurrency=bound)
    with make_client(App(handler), limits=limits) as client, ThreadPoolExecutor(max_workers=9) as pool:
        list(pool.map(lambda i: client.get_customer(f"t{i}"), range(9)))
    assert state["most"] == bound


def test_a_429_pauses_the_other_threads_too_at_a_fixed_rate() -> None:
    clock = FakeClock()
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return reply(429, headers={"Retry-After": "20"})
        return reply(200, customer_item("t", "t.onmicrosoft.com"))

    fixed = Limits(requests_per_second=1000, burst=1000, adaptive=False)
    with make_client(App(handler), clock=clock, limits=fixed) as client:
        client.get_customer("t1")  # throttled once, sleeps 20 s
        assert clock.sleeps == [20]
        clock.now -= 20  # another thread asking "at the same moment" as the 429
        client.get_customer("t2")
    assert clock.sleeps == [20, pytest.approx(20.001)]  # the first token after the pause went to the retry


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limits must be positive"):
        Limits(requests_per_second=0)


def test_a_caller_whose_wait_a_pause_overtook_queues_again_behind_it() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=1, burst=1, clock=clock, sleep=clock.sleep)
    assert limiter.acquire() == 0
    paused = {"done": False}

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if not paused["done"]:  # a 429 arrives while this caller waits for its token
            paused["done"] = True
            limiter.pause(5)

    limiter._sleep = sleep
    assert limiter.acquire() == pytest.approx(6.0)  # its slot at +1 s is gone: it leaves when the pause ends
    assert clock.sleeps == [1.0, pytest.approx(5.0)]
    assert limiter.acquire() == pytest.approx(1.0)  # and the next one a token later, not with it
