"""Seeded random faults: every apply converges within its retry budget, or fails clearly and resumably.

The example portfolio is applied through the real CLI entry point (in process) against an emulator
served on loopback that injects, per request, 500/503 answers, dropped connections, timeouts, writes
that commit and then lose their answer, and 429s with Retry-After from a token bucket the client's own
limiter outpaces. Time is fake on both sides (the emulator's bucket and latency, the client's back-off
and limiter), so nothing sleeps for real. Each run must end in one of two ways:

- exit 0, and a fresh plan has nothing left to do;
- exit 1 with ``Error:`` naming exactly the actions that failed (or saying which customers' state could
  not be read and were not applied), and a re-run without faults then converges.

Either way nothing is created twice, and every tenant created has its password stored and decryptable,
unless the run said that its create answer was lost.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from cspsync.emulator import EmulatorApp, Faults, serve
from cspsync.partnercenter import client as client_module

from .conftest import (
    CREATED_DOMAINS,
    FakeClock,
    InProcessCli,
    Result,
    World,
    duplicates,
    is_write,
    ready_actions,
    stored_passwords,
)

FAILED = re.compile(r"^Error: (\d+) action\(s\) failed: (.+)$", re.MULTILINE)
UNREADABLE = "Error: not applied, its state is unknown: "
#: a price sheet read that failed leaves costs unknown, and apply refuses a plan it cannot show is in budget
UNPRICED = re.compile(r"costs unknown: price sheet for [A-Z]{2}: .*\n(.*\n)*?.*OVER BUDGET: .* unknown cost")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """One fake clock for the client (back-off, limiter) and the emulator (throttle bucket)."""
    fake = FakeClock()
    monkeypatch.setattr(client_module, "monotonic_clock", fake)
    monkeypatch.setattr(client_module, "real_sleep", fake.sleep)
    return fake


def mixed_faults(rate: float, seed: int, clock: FakeClock) -> Faults:
    return Faults(
        seed=seed,
        error_rate=rate / 2,
        drop_rate=rate / 4,
        timeout_rate=rate / 4,
        timeout_after_commit_rate=rate,
        throttle_rate=5.0,  # the client is unpaced (tests/faults/conftest.py): 429s will come
        throttle_burst=20,
        timeout_hold_seconds=0.0,
        sleep=clock.sleep,
        clock=clock,
    )


def latest_record(world: World) -> dict[str, Any]:
    records = sorted((world.root / ".cspsync" / "applies").glob("*.json"))
    assert records, "no apply record was written"
    document: dict[str, Any] = json.loads(records[-1].read_text(encoding="utf-8"))
    return document


def check_outcome(world: World, result: Result) -> set[str]:
    """The run ended cleanly (exit 0) or with a clear error; returns the customers it said lost a password."""
    assert "Traceback" not in result.output
    assert result.code in (0, 1), result.output
    lost = {
        name
        for name in CREATED_DOMAINS
        if re.search(
            rf"✗ {name}/create-customer: failed — created tenant .*: the admin password of .* is lost", result.out
        )
        or re.search(rf"✓ {name}/adopt-customer: done — .*the admin password of .* is lost", result.out)
    }
    if result.code == 0:
        assert ready_actions(world.plan()) == [], result.out
        return lost
    if UNREADABLE in result.err:
        return lost
    if "Error: the plan is over budget" in result.err and UNPRICED.search(result.out):
        assert "nothing was applied" in result.err
        return lost
    match = FAILED.search(result.err)
    assert match, f"exit 1 without naming what failed:\n{result.output}"
    named = match.group(2).split(", ")
    record = latest_record(world)
    failed = [a["id"] for a in record["actions"] if a["status"] == "failed"]
    assert sorted(named) == sorted(failed) and len(named) == len(failed) == int(match.group(1))  # in plan order
    for action in record["actions"]:
        if action["status"] == "failed":
            assert action["message"], f"{action['id']} failed without a message"
            assert f"✗ {action['id']}: failed — " in result.out
    assert "run apply again (it resumes, never duplicates)" in result.err
    return lost


def check_world(world: World, issued: list[str], lost: set[str]) -> None:
    assert duplicates(world.store) == []
    assert all(world.store.tenant_by_domain(d) for d in CREATED_DOMAINS.values())
    passwords = stored_passwords(world)
    assert set(passwords.values()) <= set(issued)
    assert set(CREATED_DOMAINS) - set(passwords) == lost


@pytest.mark.parametrize("rate", [0.05, 0.20])
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_faults_converge_or_fail_resumably(
    world: World, cli: InProcessCli, clock: FakeClock, rate: float, seed: int, secret_registry: Any
) -> None:
    app = world.app(mixed_faults(rate, seed, clock))
    with serve(app) as server:  # one worker: the same seed fails the same writes (reads still run concurrently)
        first = cli("apply", "customers", "--yes", "--workers", "1", url=server.url)
    lost = check_outcome(world, first)
    with serve(world.app()) as server:
        second = cli("apply", "customers", "--yes", url=server.url)
    assert second.code == 0, second.output
    lost |= check_outcome(world, second)
    assert ready_actions(world.plan()) == []
    check_world(world, secret_registry.passwords, lost)


class LoseWriteAnswers:
    """The emulator, but every write (address validation aside) commits and its answer is lost."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.faults = app.faults

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self.app(request)
        if is_write(request) and response.is_success:
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def test_every_write_answer_lost_adopts_what_landed_and_says_the_passwords_are_lost(
    world: World, cli: InProcessCli, clock: FakeClock, secret_registry: Any
) -> None:
    faults = Faults(timeout_hold_seconds=0.0, sleep=clock.sleep, clock=clock)
    with serve(LoseWriteAnswers(world.app(faults))) as server:  # type: ignore[arg-type]
        first = cli("apply", "customers", "--yes", "--workers", "1", url=server.url)
    assert first.code == 1
    for name, domain in CREATED_DOMAINS.items():
        assert re.search(
            rf"^✗ {name}/create-customer: failed — created tenant {re.escape(domain)} \([0-9a-f-]+\), but the create "
            rf"response was lost in transit: the admin password of {re.escape(domain)} is lost \(Partner Center "
            rf"shows it only once\): reset it and store the new one encrypted with `cspsync credentials reset "
            rf"{name}`",
            first.out,
            re.MULTILINE,
        ), first.out
        assert f"{name}: the admin password of {domain} is lost" in first.err
    assert "✓ adatum/create-agreement: done" in first.out  # adopted after its answer was lost
    assert re.search(r"✗ adatum/order-subscription/fabrikam-adatum-azure: failed — ", first.out)
    lost = check_outcome(world, first)
    assert lost == set(CREATED_DOMAINS)
    with serve(world.app()) as server:
        second = cli("apply", "customers", "--yes", url=server.url)
    assert second.code == 0, second.output
    check_world(world, secret_registry.passwords, lost)


def test_a_run_whose_reads_fail_applies_nothing_and_says_so(world: World, cli: InProcessCli, clock: FakeClock) -> None:
    faults = Faults(seed=2, error_rate=1.0, sleep=clock.sleep, clock=clock)
    with serve(world.app(faults)) as server:
        result = cli("apply", "customers", "--yes", url=server.url)
    assert result.code == 1
    assert UNREADABLE in result.err
    assert not list((world.root / ".cspsync").glob("applies/*.json"))
    assert world.store.customer_count() == 2  # the seed's two customers, nothing more


def test_the_retry_budget_is_fake_time(world: World, clock: FakeClock) -> None:
    """Guard for this module: back-off went through the fake clock, never through time.sleep."""
    assert Path(client_module.__file__).name == "client.py"
    assert getattr(client_module, "real_sleep") == clock.sleep  # noqa: B009 - not re-exported


class FailFirstPriceSheet:
    """The emulator, but the first price-sheet download answers 503 (a transient failure)."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.faults = app.faults
        self.failed = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if "pricesheets" in request.url.path and not self.failed:
            self.failed = True
            return httpx.Response(503, json={"code": 503, "description": "The service is temporarily unavailable."})
        return self.app(request)


def test_a_transient_failure_of_a_price_sheet_download_is_retried(world: World, cli: InProcessCli) -> None:
    gate = FailFirstPriceSheet(world.app())
    with serve(gate) as server:  # type: ignore[arg-type]
        result = cli("plan", "customers", url=server.url)
    assert gate.failed
    assert "costs unknown" not in result.out
    assert result.code == 0, result.output
