"""The adaptive limiter: learns the service's rate from 429s, recovers, and tells partner-wide limits from a
customer's own (Microsoft's API throttling guidance keys limits per partner, or per partner and customer)."""

from __future__ import annotations

import math

import pytest

from cspsync.partnercenter import Limits
from cspsync.partnercenter.throttle import AdaptiveLimiter

from .fakes import App, FakeClock, customer_item, make_client, reply

OP = "GET /v1/customers/{customer_id}/subscriptions"


class ServiceBucket:
    """A service's limit: ``rate`` per second, ``burst`` at once; a refused request costs nothing and
    is told to come back after the whole seconds until the next token (as a 429's Retry-After)."""

    def __init__(self, rate: float, burst: int, clock: FakeClock) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = float(burst), clock()

    def take(self) -> int:
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, math.ceil((1 - self.tokens) / self.rate))


def drive(limiter: AdaptiveLimiter, service: ServiceBucket, clock: FakeClock, accepted: int) -> int:
    """Send until ``accepted`` requests went through, waiting Retry-After after each 429; the 429 count."""
    done = throttled = 0
    while done < accepted:
        limiter.acquire()
        sent = clock()
        retry_after = service.take()
        clock.now += 0.001  # the answer's round trip
        if retry_after:
            throttled += 1
            limiter.throttled(retry_after, customer=None, operation=OP, sent_at=sent)
            clock.sleep(retry_after)
        else:
            done += 1
            limiter.accepted(sent)
    return throttled


@pytest.mark.parametrize("service_rate", [2.0, 5.0, 8.0])
def test_the_limiter_learns_the_services_rate_and_keeps_429s_rare(service_rate: float) -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(Limits(requests_per_second=10, burst=10), clock=clock, sleep=clock.sleep)
    service = ServiceBucket(service_rate, 10, clock)
    start = clock()
    throttled = drive(limiter, service, clock, 2000)
    floor = 2000 / service_rate
    assert clock() - start <= 1.03 * floor  # the calls take what the service allows, not more
    assert throttled <= 0.04 * 2000  # 429s are rare once learnt (every request counts against the limit)
    assert limiter.rate == pytest.approx(service_rate, rel=0.15)


def test_the_rate_recovers_when_the_service_allows_more_again() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(Limits(requests_per_second=10, burst=10), clock=clock, sleep=clock.sleep)
    service = ServiceBucket(4.0, 10, clock)
    drive(limiter, service, clock, 400)
    assert limiter.rate < 5
    service.rate = 20.0  # the service's load went away
    start = clock()
    drive(limiter, service, clock, 300)
    assert limiter.rate >= 9.5  # back at the configured ceiling of 10
    assert clock() - start < 60


def test_429s_of_one_overload_lower_the_rate_once() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(Limits(requests_per_second=10, burst=10), clock=clock, sleep=clock.sleep)
    sent = clock()
    clock.now += 0.05
    for _ in range(8):  # eight requests in flight, all sent before the first 429 came back
        limiter.throttled(1.0, customer=None, operation=OP, sent_at=sent)
    assert limiter.decreases == 1
    assert limiter.rate == pytest.approx(5.0)
    clock.now += 1.5
    limiter.throttled(1.0, customer=None, operation=OP, sent_at=clock())  # a new overload, after the decrease
    assert limiter.decreases == 2


def test_a_customers_own_limit_stops_pausing_the_other_customers() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(Limits(requests_per_second=10, burst=10), clock=clock, sleep=clock.sleep)
    limiter.throttled(2.0, customer="a", operation=OP, sent_at=clock())  # first 429: assumed partner-wide
    assert limiter.partner.paused_until() == pytest.approx(clock() + 2.0)
    clock.now += 3.0
    for _ in range(3):  # other customers' calls go through
        limiter.acquire("b")
        limiter.accepted(clock())
    limiter.throttled(2.0, customer="a", operation=OP, sent_at=clock())  # again "a", nobody else throttled
    assert limiter.customer_keyed("a")
    rate, decreases = limiter.rate, limiter.decreases
    clock.now += 3.0
    limiter.throttled(5.0, customer="a", operation=OP, sent_at=clock())  # "a"'s own limit from now on
    assert (limiter.rate, limiter.decreases) == (rate, decreases)
    assert limiter.partner.paused_until() < clock()
    assert limiter.acquire("b") == 0  # other customers never wait for "a"
    assert limiter.acquire("a") == pytest.approx(5.0)  # "a" waits its Retry-After


def test_two_customers_keyed_so_make_the_operation_keyed_per_customer() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(Limits(requests_per_second=10, burst=10), clock=clock, sleep=clock.sleep)
    for customer in ("a", "b"):
        for _ in range(2):
            limiter.throttled(1.0, customer=customer, operation=OP, sent_at=clock())
            clock.now += 2.0
            limiter.acquire("z")
            limiter.accepted(clock())
    assert limiter.customer_keyed("a") and limiter.customer_keyed("b")
    paused = limiter.partner.paused_until()
    limiter.throttled(4.0, customer="c", operation=OP, sent_at=clock())  # c's first 429 is its own
    assert limiter.customer_keyed("c")
    assert limiter.partner.paused_until() == paused
    other = "GET /v1/customers/{customer_id}/agreements"
    limiter.throttled(4.0, customer="d", operation=other, sent_at=clock())  # another API: partner-wide first
    assert limiter.partner.paused_until() > paused


def test_the_client_learns_from_a_429_and_reports_its_rate() -> None:
    clock = FakeClock()
    answers = iter([reply(429, headers={"Retry-After": "3"})])

    def handler(request: object) -> object:
        return next(answers, reply(200, customer_item("t", "t.onmicrosoft.com")))

    limits = Limits(requests_per_second=10, burst=10)
    with make_client(App(handler), clock=clock, limits=limits) as client:  # type: ignore[arg-type]
        client.get_customer("t1")
        snapshot = client.stats.snapshot()
    assert snapshot["throttles"] == 1
    assert snapshot["rate"] == pytest.approx(5.0)
    assert clock.sleeps[0] == 3.0


def test_a_fixed_rate_never_changes() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(Limits(requests_per_second=10, burst=10, adaptive=False), clock=clock, sleep=clock.sleep)
    limiter.throttled(1.0, customer=None, operation=OP, sent_at=clock())
    assert limiter.rate == 10
    assert limiter.partner.paused_until() == pytest.approx(clock() + 1.0)
