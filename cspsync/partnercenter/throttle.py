"""The client's rate: learnt from Partner Center's 429 answers, per partner and per partner+customer.

Microsoft's "API throttling guidance for partners calling Partner Center APIs"
(learn.microsoft.com/partner-center/developer/api-throttling-guidance) says: limits are keyed by the
partner tenant for some APIs and by the partner tenant *and* customer tenant for others (calls for other
customers then still succeed); a throttled call gets HTTP 429 with a ``Retry-After`` header; reduce the
degree of parallelism and the frequency of calls, and never retry at once, because every request counts
against the limit. No numbers are published, so the limit is learnt:

* A 429 pauses the partner's calls for the wait the retry takes (``Retry-After``, at least the back-off),
  and lowers the partner rate to what the service actually let through in the seconds before (measured),
  or halves it when too little was measured. 429s of requests sent before that pause ended answer the
  same overload and do not lower the rate again.
* Without 429s the rate climbs back towards the configured ceiling: slowly within 10 % of the rate at
  which the last 429 came (the service's limit is probably there), quickly elsewhere.
* A customer throttled again while calls for other customers went through, and no other customer was
  throttled meanwhile, has a limit of its own: from then on its 429s pause and slow only that customer,
  and an operation found keyed so for two customers is taken to be keyed so for every customer.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from .retry import Clock, Limits, RateLimiter, Sleep

#: Seconds of accepted requests the rate is measured over when a 429 comes.
WINDOW = 10.0
#: Fewer seconds than this since the last pause measure nothing useful (the service's burst dominates).
MIN_WINDOW = 3.0
#: The rate after a 429 is this share of the measured accepted rate (just under what was let through).
MEASURED_SHARE = 0.97
#: Growth of the rate per second without 429s: far below the last 429's rate, and near it.
FAST_GROWTH = 0.10
SLOW_GROWTH = 0.005
NEAR = 0.9
#: A customer's repeated 429s count as its own limit when this close in time.
CUSTOMER_MEMORY = 120.0


@dataclass
class _Customer:
    """What is known of one customer's own limit."""

    last_throttle: float
    accepted_mark: int  # partner-wide accepted count at its last 429
    throttled_mark: int  # partner-wide 429 count at its last 429
    keyed: bool = False  # proved to have a limit of its own
    limiter: RateLimiter | None = None


class AdaptiveLimiter:
    """One per client: the partner's token bucket whose rate follows the service, and buckets for the
    customers that proved to have limits of their own. Thread-safe; time only through ``clock``/``sleep``."""

    def __init__(self, limits: Limits, *, clock: Clock, sleep: Sleep) -> None:
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.partner = RateLimiter(limits.requests_per_second, limits.burst, clock=clock, sleep=sleep)
        self._ceiling = limits.requests_per_second  # the rate at the last partner-wide 429
        self._calm_from = float("-inf")  # 429s of requests sent before this answer an overload already met
        self._measure_from = clock()
        self._sent: deque[float] = deque()  # send times of accepted requests within WINDOW
        self._grown_at = clock()
        self._accepted = 0
        self._throttled = 0
        self._customers: dict[str, _Customer] = {}
        self._keyed_operations: dict[str, set[str]] = {}
        self.decreases = 0

    @property
    def rate(self) -> float:
        return self.partner.rate

    def customer_keyed(self, customer: str) -> bool:
        with self._lock:
            state = self._customers.get(customer)
            return state is not None and state.keyed

    # --------------------------------------------------------------------------------------- sending

    def acquire(self, customer: str | None = None) -> float:
        """Wait for the customer's own bucket (if it has one), then the partner's; the seconds waited."""
        waited = 0.0
        own = self._own_limiter(customer)
        if own is not None:
            waited += own.acquire()
        return waited + self.partner.acquire()

    def _own_limiter(self, customer: str | None) -> RateLimiter | None:
        if customer is None:
            return None
        with self._lock:
            state = self._customers.get(customer)
            return state.limiter if state is not None else None

    # -------------------------------------------------------------------------------------- learning

    def accepted(self, sent_at: float) -> None:
        """A request sent at ``sent_at`` was not throttled: count it and let the rate grow."""
        if not self._limits.adaptive:
            return
        now = self._clock()
        with self._lock:
            self._accepted += 1
            self._sent.append(sent_at)
            while self._sent and self._sent[0] < now - WINDOW:
                self._sent.popleft()
            elapsed = now - self._grown_at
            if elapsed <= 0:
                return
            self._grown_at = now
            rate = self.partner.rate
            near = NEAR * self._ceiling <= rate <= self._ceiling / NEAR  # the last limit is about here
            growth = SLOW_GROWTH if near else FAST_GROWTH
            grown = min(self._limits.requests_per_second, rate * (1.0 + growth * min(elapsed, 1.0)))
        if grown > rate:
            self.partner.set_rate(grown)

    def throttled(self, seconds: float, *, customer: str | None, operation: str, sent_at: float | None) -> None:
        """A 429 came for a request sent at ``sent_at``; its retry waits ``seconds``. Decide whose limit
        it is, pause that key and, once per overload, lower its rate."""
        if not self._limits.adaptive:
            if self._limits.pause_all_on_throttle:
                self.partner.pause(seconds)
            return
        now = self._clock()
        sent = now if sent_at is None else sent_at
        own: RateLimiter | None = None
        with self._lock:
            if customer is not None and self._is_customer_keyed(customer, operation, now):
                own = self._customer_limiter(customer, now)
                new_rate: float | None = max(self._limits.min_requests_per_second, own.rate / 2.0)
            else:
                new_rate = self._partner_decrease(now, sent)
            self._throttled += 1
        if own is not None:  # the customer's own limit: only its calls wait and slow down
            own.set_rate(new_rate or own.rate)
            own.pause(seconds)
            return
        if new_rate is not None:
            self.partner.set_rate(new_rate)
        if self._limits.pause_all_on_throttle:
            self.partner.pause(seconds)
        with self._lock:
            self._measure_from = max(self._measure_from, now + seconds)
            if new_rate is not None:
                self._calm_from = max(self._calm_from, now + seconds)
            self._sent.clear()

    def _customer_limiter(self, customer: str, now: float) -> RateLimiter:
        """Under the lock: the customer's own bucket, made at the partner's rate on its first own 429."""
        state = self._customers[customer]
        state.last_throttle = now
        if state.limiter is None:
            state.limiter = RateLimiter(self.partner.rate, 1, clock=self._clock, sleep=self._sleep)
        return state.limiter

    def _is_customer_keyed(self, customer: str, operation: str, now: float) -> bool:
        """Under the lock: is this 429 the customer's own limit? Records the evidence either way."""
        state = self._customers.get(customer)
        if state is not None and now - state.last_throttle > CUSTOMER_MEMORY and not state.keyed:
            state = None
        if state is None:
            state = _Customer(now, self._accepted, self._throttled + 1)
            self._customers[customer] = state
            known = self._keyed_operations.get(operation, set())
            state.keyed = len(known) >= 2
        elif not state.keyed:
            others_went_through = self._accepted > state.accepted_mark
            nobody_else_throttled = self._throttled == state.throttled_mark
            state.keyed = others_went_through and nobody_else_throttled
            state.accepted_mark, state.throttled_mark = self._accepted, self._throttled + 1
            if state.keyed:
                self._keyed_operations.setdefault(operation, set()).add(customer)
                return False  # this 429 was already answered partner-wide; the next ones are the customer's
        return state.keyed

    def _partner_decrease(self, now: float, sent: float) -> float | None:
        """Under the lock: the partner's new rate, or None when this 429 answers an overload already met."""
        if sent < self._calm_from:  # sent before the last decrease's pause ended: the same overload
            return None
        rate = self.partner.rate
        span = min(WINDOW, now - self._measure_from)
        if span >= MIN_WINDOW:  # just under what the service let through
            measured = sum(1 for t in self._sent if t >= now - span) / span
            new_rate = min(rate, measured * MEASURED_SHARE)
            self._ceiling = measured
        else:  # too little seen: halve, and grow back quickly towards the rate that met the 429
            new_rate = rate / 2.0
            self._ceiling = rate
        new_rate = max(self._limits.min_requests_per_second, new_rate)
        self._grown_at = now
        self.decreases += 1
        return new_rate
