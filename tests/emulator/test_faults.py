from __future__ import annotations

import httpx
import pytest

from cspsync.emulator import EmulatorApp, Faults, Store, faults_from_environment, transport
from cspsync.errors import ConfigError

from .conftest import BASE_URL, customer_body


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(faults: Faults) -> tuple[httpx.Client, EmulatorApp]:
    app = EmulatorApp(Store(), faults=faults)
    http = httpx.Client(transport=transport(app), base_url=BASE_URL, headers={"Authorization": "Bearer t"})
    return http, app


def test_throttling_answers_429_with_retry_after_and_recovers() -> None:
    clock = FakeMonotonic()
    http, _ = _client(Faults(throttle_rate=0.5, throttle_burst=2, clock=clock))
    assert [http.get("/v1/customers").status_code for _ in range(2)] == [200, 200]
    throttled = http.get("/v1/customers")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "2"
    assert throttled.json() == {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 2 seconds."}
    clock.now += 1.0
    assert http.get("/v1/customers").headers["Retry-After"] == "1"
    clock.now += 1.0
    assert http.get("/v1/customers").status_code == 200


def test_retry_after_is_at_least_one_second() -> None:
    clock = FakeMonotonic()
    http, _ = _client(Faults(throttle_rate=100, throttle_burst=1, clock=clock))
    assert http.get("/v1/customers").status_code == 200
    assert http.get("/v1/customers").headers["Retry-After"] == "1"


def _outcomes(seed: int) -> list[str]:
    http, _ = _client(Faults(seed=seed, error_rate=0.2, drop_rate=0.1, timeout_rate=0.1))
    outcomes = []
    for _ in range(60):
        try:
            outcomes.append(str(http.get("/v1/customers").status_code))
        except httpx.RemoteProtocolError:
            outcomes.append("drop")
        except httpx.ReadTimeout:
            outcomes.append("timeout")
    return outcomes


def test_seeded_faults_repeat_exactly() -> None:
    first = _outcomes(seed=7)
    assert first == _outcomes(seed=7)
    assert first != _outcomes(seed=8)
    assert {"200", "500", "503", "drop", "timeout"} <= set(first)


def test_injected_5xx_has_a_partner_center_body() -> None:
    http, _ = _client(Faults(seed=1, error_rate=1.0))
    response = http.get("/v1/customers")
    assert response.status_code in (500, 503)
    assert set(response.json()) == {"code", "description", "data", "source"}


def test_timeout_after_commit_loses_the_answer_but_keeps_the_write() -> None:
    http, app = _client(Faults(seed=3, timeout_after_commit_rate=1.0))
    with pytest.raises(httpx.ReadTimeout):
        http.post("/v1/customers", json=customer_body())
    assert app.store.domain_taken("contosobikes.onmicrosoft.com")
    retry = http.post("/v1/customers", json=customer_body())  # the client must look the customer up instead
    assert retry.status_code == 409
    assert http.get("/v1/customers").status_code == 200  # reads are never lost


def test_latency_uses_the_injected_sleep() -> None:
    slept: list[float] = []
    http, _ = _client(Faults(seed=5, latency_ms=(10, 30), sleep=slept.append))
    for _ in range(5):
        http.get("/v1/customers")
    assert len(slept) == 5
    assert all(0.010 <= s <= 0.030 for s in slept)
    assert len(set(slept)) > 1


def test_fault_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="The error rate must be between 0 and 1, not 2"):
        Faults(error_rate=2)
    with pytest.raises(ConfigError, match="must not exceed 1"):
        Faults(error_rate=0.6, drop_rate=0.6)
    with pytest.raises(ConfigError, match="throttle rate must be a positive"):
        Faults(throttle_rate=0)


def test_faults_from_environment() -> None:
    assert faults_from_environment({}) is None
    faults = faults_from_environment(
        {
            "CSPSYNC_EMULATOR_LATENCY_MS": "5-15",
            "CSPSYNC_EMULATOR_THROTTLE_RATE": "20",
            "CSPSYNC_EMULATOR_FAULT_SEED": "42",
            "CSPSYNC_EMULATOR_TIMEOUT_AFTER_COMMIT_RATE": "0.1",
        }
    )
    assert faults is not None
    assert (faults.latency_ms, faults.throttle_rate, faults.seed, faults.timeout_after_commit_rate) == (
        (5.0, 15.0),
        20.0,
        42,
        0.1,
    )
    with pytest.raises(ConfigError, match=r"CSPSYNC_EMULATOR_ERROR_RATE='lots' is not a number\."):
        faults_from_environment({"CSPSYNC_EMULATOR_ERROR_RATE": "lots"})


def test_control_endpoints_are_not_throttled_nor_counted() -> None:
    clock = FakeMonotonic()
    http, app = _client(Faults(throttle_rate=1, throttle_burst=1, clock=clock))
    http.get("/v1/customers")
    assert http.get("/v1/customers").status_code == 429
    log = http.get("/_emulator/requests")
    assert log.status_code == 200
    assert log.json() == {"total": 2, "counts": {"GET /v1/customers": 2}}
    assert app.request_counts() == {"GET /v1/customers": 2}
