"""Retries, one shared rate limiter and one concurrency bound for all calls of a client.

What is retried (partner-center-api.md sections 3 and 10):

* 429: always (the request was refused, nothing happened), after ``Retry-After`` (seconds or HTTP date,
  capped) and never sooner than the exponential back-off; other threads pause too.
* Connection refused, connect timeouts: always (the request never left).
* 5xx, read timeouts, dropped connections: blindly only for idempotent calls (GET/HEAD/PUT/PATCH of
  absolute state, or a POST whose repetition is harmless). For creates the outcome is unknown, so the
  next attempt first asks ``landed()`` (a lookup by natural key); if the first attempt landed, its
  result is adopted instead of creating twice.
* After an ambiguous failure, a 409/412 (or a "done already" code) on a later attempt means the first
  attempt probably landed: ``landed()`` decides.

Everything that waits goes through the injected ``clock``/``sleep``, so tests never sleep for real. The
loop is tenacity's; the policy (what to retry, how long to wait, when to stop) is here.
"""

from __future__ import annotations

import enum
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar

import tenacity

from cspsync.errors import PartnerCenterError

from .errormap import exhausted

T = TypeVar("T")

Clock = Callable[[], float]
Sleep = Callable[[float], None]

#: Codes that, on a retry after an ambiguous failure, mean "the first attempt did it".
DONE_ALREADY_CODES = frozenset({"600061", "800065"})


@dataclass(frozen=True)
class Limits:
    """Client-wide limits: one token bucket and one concurrency bound shared by every thread.

    Partner Center publishes no numbers (partner-center-api.md section 3); 10 requests per second with
    8 in flight stays well clear of throttling for reads.
    """

    requests_per_second: float = 10.0
    burst: int = 10
    max_concurrency: int = 8
    pause_all_on_throttle: bool = True
    #: Learn the service's rate from its 429s (cspsync/partnercenter/throttle.py); False: a fixed rate.
    adaptive: bool = True
    #: The learnt rate never drops below this (requests per second).
    min_requests_per_second: float = 0.2

    def __post_init__(self) -> None:
        if self.requests_per_second <= 0 or self.burst < 1 or self.max_concurrency < 1:
            raise ValueError("limits must be positive (requests_per_second > 0, burst >= 1, max_concurrency >= 1)")


#: No pacing to speak of (a million requests a second), the same concurrency bound: for a client of the
#: emulator when pacing is not what is being tested (``CSPSYNC_EMULATOR_UNPACED``, cspsync/target.py).
UNPACED = Limits(requests_per_second=1_000_000.0, burst=1_000_000)


@dataclass(frozen=True)
class RetryPolicy:
    """The retry budget of one logical call: attempts and elapsed time, whichever runs out first."""

    max_attempts: int = 6
    max_elapsed: float = 300.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    jitter: float = 1.0
    retry_after_cap: float = 120.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, failures: int) -> float:
        """Exponential back-off with additive jitter, capped at ``backoff_max``."""
        base = self.backoff_initial * float(2 ** max(0, failures - 1))
        return min(self.backoff_max, base + self.rng.uniform(0, self.jitter))

    def throttle_wait(self, failures: int, retry_after: float | None) -> float:
        """Wait after a 429: Retry-After (capped), and at least the back-off."""
        wait = self.backoff(failures)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(self.retry_after_cap, wait)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date (``now`` is epoch seconds)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # float() reads "inf" and "nan", which are no delta-seconds (RFC 9110: digits)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    reference = time.time() if now is None else now
    return max(0.0, when.timestamp() - reference)


class RateLimiter:
    """A thread-safe token bucket. Callers reserve a token under the lock and sleep outside it, so
    waiting threads are spaced ``1 / rate`` apart whatever the interleaving. :meth:`pause` (after a 429)
    holds every caller, including those already waiting, until the pause ends."""

    def __init__(self, rate: float, burst: int, *, clock: Clock, sleep: Sleep) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._stamp = clock()  # the time ``_tokens`` refers to; in the future during a pause
        self._paused_until = self._stamp

    @property
    def rate(self) -> float:
        """Requests per second the bucket refills at now."""
        with self._lock:
            return self._rate

    def set_rate(self, rate: float) -> None:
        """Change the refill rate from now on (tokens earned so far are kept)."""
        with self._lock:
            self._refill(self._clock())
            self._rate = rate

    def paused_until(self) -> float:
        with self._lock:
            return self._paused_until

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now

    def acquire(self) -> float:
        """Take one token, sleeping until it is available; returns the seconds waited.

        A caller whose wait a pause overtook (a 429 came while it slept) queues again behind the pause,
        so the callers held by a pause leave it one token apart, not all at once."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._refill(now)
                self._tokens -= 1
                ready_at = self._stamp + max(0.0, -self._tokens) / self._rate
                wait = max(0.0, ready_at - now)
            if wait > 0:
                self._sleep(wait)
                waited += wait
            with self._lock:  # a pause that began while this caller slept holds it too
                hold = self._paused_until - max(self._clock(), now + wait)
            if hold <= 0:
                return waited

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds``, then resume one request at a time at the normal rate."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            until = now + seconds
            if until > self._paused_until:
                self._paused_until = until
            if until > self._stamp:
                self._stamp = until
                self._tokens = 1.0


class Kind(enum.Enum):
    THROTTLED = "throttled"  # 429: refused, nothing happened
    NOT_SENT = "not_sent"  # the request never reached the server
    AMBIGUOUS = "ambiguous"  # 5xx, read timeout, dropped connection: it may have happened
    FINAL = "final"  # any other refusal; retrying cannot help


class Failure(Exception):
    """One attempt failed; ``error`` is what the user sees if the retries run out."""

    def __init__(
        self,
        error: PartnerCenterError,
        kind: Kind,
        retry_after: float | None = None,
        *,
        customer: str | None = None,
        sent_at: float | None = None,
        operation: str = "",
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.kind = kind
        self.retry_after = retry_after
        self.customer = customer  # the customer tenant a 429 may be keyed by (partner+customer limits)
        self.sent_at = sent_at  # when the refused request was sent (the limiter ignores stale 429s)
        self.operation = operation  # "GET /v1/customers/{customer_id}": limits are keyed per API


def _looks_done_already(error: PartnerCenterError) -> bool:
    return error.status in (409, 412) or (error.code or "") in DONE_ALREADY_CODES


class Retrier:
    """Runs one logical call with retries under a :class:`RetryPolicy`."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        clock: Clock,
        sleep: Sleep,
        on_throttle: Callable[[Failure, float], None] | None = None,
        on_retry: Callable[[Kind, float], None] | None = None,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._sleep = sleep
        self._on_throttle = on_throttle
        self._on_retry = on_retry

    def call(
        self,
        send: Callable[[], T],
        *,
        idempotent: bool,
        landed: Callable[[], T | None] | None = None,
    ) -> T:
        """Run ``send`` until it succeeds or the budget runs out.

        ``send`` raises :class:`Failure`. ``landed`` looks the effect up by natural key and returns the
        result to adopt, or ``None`` if the earlier attempt did not land.
        """
        policy = self.policy
        start = self._clock()
        state = {"ambiguous": False}

        def may_retry(exc: BaseException) -> bool:
            if not isinstance(exc, Failure) or exc.kind is Kind.FINAL:
                return False
            if exc.kind is Kind.AMBIGUOUS:
                state["ambiguous"] = True
                return idempotent or landed is not None
            return True

        def wait(rcs: tenacity.RetryCallState) -> float:
            exc = rcs.outcome.exception() if rcs.outcome else None
            failures = rcs.attempt_number
            if isinstance(exc, Failure) and exc.kind is Kind.THROTTLED:
                seconds = policy.throttle_wait(failures, exc.retry_after)
                if self._on_throttle is not None:
                    self._on_throttle(exc, seconds)
                return seconds
            return policy.backoff(failures)

        def stop(rcs: tenacity.RetryCallState) -> bool:
            if rcs.attempt_number >= policy.max_attempts:
                return True
            return self._clock() - start + rcs.upcoming_sleep > policy.max_elapsed

        def before_sleep(rcs: tenacity.RetryCallState) -> None:
            exc = rcs.outcome.exception() if rcs.outcome else None
            if self._on_retry is not None and isinstance(exc, Failure):
                self._on_retry(exc.kind, rcs.upcoming_sleep)

        def give_up(rcs: tenacity.RetryCallState) -> T:
            exc = rcs.outcome.exception() if rcs.outcome else None
            assert isinstance(exc, Failure)
            raise exhausted(exc.error, attempts=rcs.attempt_number, elapsed=self._clock() - start) from None

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(may_retry),
            wait=wait,
            stop=stop,
            sleep=self._sleep,
            before_sleep=before_sleep,
            retry_error_callback=give_up,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    if state["ambiguous"] and landed is not None and not idempotent:
                        found = landed()
                        if found is not None:
                            return found
                    try:
                        return send()
                    except Failure as failure:
                        if (
                            failure.kind is Kind.FINAL
                            and state["ambiguous"]
                            and landed is not None
                            and _looks_done_already(failure.error)
                        ):
                            found = landed()
                            if found is not None:
                                return found
                        raise
        except Failure as failure:  # a final refusal on the first try, or an unretryable ambiguity
            raise failure.error from None
        raise AssertionError("unreachable: tenacity ends by returning or raising")  # pragma: no cover


def monotonic_clock() -> float:
    return time.monotonic()


def real_sleep(seconds: float) -> None:
    if seconds > 0 and math.isfinite(seconds):
        time.sleep(seconds)
