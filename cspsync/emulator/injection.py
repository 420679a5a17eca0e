"""Injected trouble: latency, 5xx answers, dropped connections, timeouts, and throttling.

Every request draws the same number of values from one ``random.Random(seed)``, so a run with the same
seed and the same request order fails in exactly the same places. Throttling is a token bucket on an
injectable clock; latency goes through an injectable ``sleep``, so tests never wait for real.

Failures raise httpx's own exceptions (``RemoteProtocolError`` for a dropped connection, ``ReadTimeout``
for a timeout) because in process that is what a client sees; the loopback server turns them into a
closed socket.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.wire import respond
from cspsync.errors import ConfigError

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class TokenBucket:
    """``rate`` requests per second on average, up to ``burst`` at once."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()

    def take(self) -> float:
        """0 when a token was taken; otherwise the seconds until one is available."""
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate


@dataclass(frozen=True)
class Draw:
    """What happens to one request, decided before it is handled."""

    latency: float  # seconds to sleep first
    failure: str | None  # "drop", "timeout", "500", "503" or None
    lose_response: bool  # a successful write commits, then its response is lost (a timeout)


@dataclass
class Faults:
    """Fault injection settings; the default injects nothing. Rates are probabilities per request."""

    seed: int | None = None
    latency_ms: float | tuple[float, float] = 0.0  # fixed, or a (low, high) range drawn uniformly
    error_rate: float = 0.0  # 500 or 503 with a Partner Center error body
    drop_rate: float = 0.0  # connection dropped before an answer; nothing was done
    timeout_rate: float = 0.0  # no answer in time; nothing was done
    timeout_after_commit_rate: float = 0.0  # writes only: done, but the answer is lost
    throttle_rate: float | None = None  # sustained requests per second; None: no throttling
    throttle_burst: int = 10
    timeout_hold_seconds: float = 0.05  # over HTTP: how long a "timeout" holds the socket before closing
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False)
    _bucket: TokenBucket | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rates = {
            "error rate": self.error_rate,
            "drop rate": self.drop_rate,
            "timeout rate": self.timeout_rate,
            "timeout-after-commit rate": self.timeout_after_commit_rate,
        }
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ConfigError(f"The {name} must be between 0 and 1, not {rate}.")
        if self.error_rate + self.drop_rate + self.timeout_rate > 1.0:
            raise ConfigError("The error, drop and timeout rates together must not exceed 1.")
        low, high = self._latency_range()
        if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or high < low:
            given = f"{low:g}-{high:g}" if isinstance(self.latency_ms, tuple) else f"{low:g}"
            raise ConfigError(f"Latency must be a non-negative number of milliseconds, not {given}.")
        if self.throttle_rate is not None and not (0 < self.throttle_rate < math.inf):
            raise ConfigError(
                f"The throttle rate must be a positive number of requests per second, not {self.throttle_rate}."
            )
        if self.throttle_burst < 1:
            raise ConfigError("The throttle burst must be at least 1.")
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._bucket = TokenBucket(self.throttle_rate, self.throttle_burst, self.clock) if self.throttle_rate else None

    def _latency_range(self) -> tuple[float, float]:
        if isinstance(self.latency_ms, tuple):
            return float(self.latency_ms[0]), float(self.latency_ms[1])
        return float(self.latency_ms), float(self.latency_ms)

    def draw(self) -> Draw:
        """Decide the fate of the next request (always four draws, so sequences stay aligned)."""
        with self._lock:
            latency_draw, failure_draw, kind_draw, loss_draw = (self._random.random() for _ in range(4))
        low, high = self._latency_range()
        latency = (low + (high - low) * latency_draw) / 1000.0
        failure: str | None = None
        if failure_draw < self.drop_rate:
            failure = "drop"
        elif failure_draw < self.drop_rate + self.timeout_rate:
            failure = "timeout"
        elif failure_draw < self.drop_rate + self.timeout_rate + self.error_rate:
            failure = "500" if kind_draw < 0.5 else "503"
        return Draw(latency, failure, loss_draw < self.timeout_after_commit_rate)

    def throttle(self) -> httpx.Response | None:
        """A 429 answer when the token bucket is empty, else None."""
        if self._bucket is None:
            return None
        with self._lock:
            wait = self._bucket.take()
        if wait <= 0:
            return None
        seconds = max(1, math.ceil(wait))
        return respond(
            429,
            {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in {seconds} seconds."},
            {"Retry-After": str(seconds)},
        )

    def before(self, request: httpx.Request, draw: Draw) -> httpx.Response | None:
        """Apply latency, throttling and an injected failure; a response replaces the real one."""
        if draw.latency > 0:
            self.sleep(draw.latency)
        throttled = self.throttle()
        if throttled is not None:
            return throttled
        if draw.failure == "drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        if draw.failure == "timeout":
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        if draw.failure == "500":
            return codes.SERVER_ERROR.error().response()
        if draw.failure == "503":
            return codes.SERVICE_UNAVAILABLE.error().response()
        return None

    def after(self, request: httpx.Request, response: httpx.Response, draw: Draw) -> None:
        """Lose the answer of a successful write that was committed (raises ReadTimeout)."""
        if draw.lose_response and request.method in WRITE_METHODS and response.is_success:
            raise httpx.ReadTimeout("The read operation timed out", request=request)


ENVIRONMENT_VARIABLES = {
    "CSPSYNC_EMULATOR_LATENCY_MS": "latency_ms",
    "CSPSYNC_EMULATOR_ERROR_RATE": "error_rate",
    "CSPSYNC_EMULATOR_DROP_RATE": "drop_rate",
    "CSPSYNC_EMULATOR_TIMEOUT_RATE": "timeout_rate",
    "CSPSYNC_EMULATOR_TIMEOUT_AFTER_COMMIT_RATE": "timeout_after_commit_rate",
    "CSPSYNC_EMULATOR_THROTTLE_RATE": "throttle_rate",
    "CSPSYNC_EMULATOR_THROTTLE_BURST": "throttle_burst",
    "CSPSYNC_EMULATOR_FAULT_SEED": "seed",
}


def parse_latency(text: str) -> float | tuple[float, float]:
    """Milliseconds as written on a command line or in the environment: ``20`` or a range ``10-50``.
    ValueError when it is neither."""
    if "-" in text.lstrip("-"):
        low, high = text.split("-", 1)
        return float(low), float(high)
    return float(text)


def faults_from_environment(env: Mapping[str, str]) -> Faults | None:
    """Faults named by ``CSPSYNC_EMULATOR_*`` variables (see ENVIRONMENT_VARIABLES); None when none is set.

    ``CSPSYNC_EMULATOR_LATENCY_MS`` takes a number or a range ``LOW-HIGH``.
    """
    settings: dict[str, Any] = {}
    for variable, name in ENVIRONMENT_VARIABLES.items():
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        try:
            if name == "latency_ms":
                settings[name] = parse_latency(raw)
            elif name in ("seed", "throttle_burst"):
                settings[name] = int(raw)
            else:
                settings[name] = float(raw)
        except ValueError:
            raise ConfigError(f"{variable}={raw!r} is not a number.") from None
    return Faults(**settings) if settings else None
