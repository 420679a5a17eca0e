"""A second drift re-reads only what Partner Center's audit records name since the first (issue 19), falls back
to a full read when it cannot trust them, never takes a failed read for a remembered one, and says which
customers a read confirmed and when."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cspsync.apply.run import ApplyRecord
from cspsync.declarations import load_repository
from cspsync.emulator import EmulatorApp, Store
from cspsync.gitops.drift import DriftReport, detect
from cspsync.observe.memory import memory_path
from cspsync.partnercenter.auth import StaticToken
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.retry import UNPACED
from cspsync.target import EMULATOR_BASE_URL
from cspsync.workspace import Workspace
from tests.cli import Run

from .conftest import ADATUM, observed_long_ago, per_customer_reads

Handler = Callable[[httpx.Request], httpx.Response]
PER_CUSTOMER = ("/profiles/billing", "/agreements", "/subscriptions", "/relationships")


def _drift(
    app: EmulatorApp,
    handler: Callable[[httpx.Request, Handler], httpx.Response] | None = None,
    full_read_every: dt.timedelta = dt.timedelta(hours=24),
) -> tuple[DriftReport, dict[str, int]]:
    """Drift of customers/ and the emulator's request counts of that run."""

    def route(request: httpx.Request) -> httpx.Response:
        return handler(request, app) if handler is not None else app(request)

    app.reset_log()
    repo = load_repository([Path("customers")])
    with PartnerCenterClient(
        base_url=EMULATOR_BASE_URL, transport=httpx.MockTransport(route), tokens=StaticToken(), limits=UNPACED
    ) as client:
        report = detect(
            repo,
            repo.customers,
            client,
            target="emulator",
            workspace=Workspace.from_environment(),
            full_read_every=full_read_every,
        )
    return report, app.request_counts()


@pytest.fixture
def later(applied: ApplyRecord, emulator: EmulatorApp) -> EmulatorApp:
    """The emulator a few seconds after the apply: its ``Date`` header has whole seconds, so a drift in the
    same second as the apply's last change re-reads that customer to be sure."""
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    emulator.clock = lambda: after
    emulator.store.clock = emulator.clock
    return emulator


def _states(report: DriftReport) -> dict[str, str]:
    return {c.name: c.state for c in report.customers}


def test_a_second_drift_with_nothing_changed_reads_only_the_list_and_the_audit_records(
    later: EmulatorApp,
) -> None:
    emulator = later
    first, first_counts = _drift(emulator)
    second, counts = _drift(emulator)

    assert first.read_note is not None and first.read_note.mode == "full"
    assert per_customer_reads(first_counts) > 10
    assert second.read_note is not None and second.read_note.mode == "incremental"
    assert per_customer_reads(counts) == 0
    partner_center = {key: n for key, n in counts.items() if key.split(" ")[1].startswith("/v1/")}
    assert partner_center == {"GET /v1/auditrecords": 1, "GET /v1/customers": 1, "GET /v1/relationships": 1}
    # admin access (GDAP) lives in Microsoft Graph, which Partner Center's activity log does not cover:
    # it is read on every drift, as before
    assert _states(second) == _states(first)
    assert second.exit_code == first.exit_code
    # every linked customer is confirmed by the first run's read, and says so
    linked = {c.name for c in first.customers if c.confirmed_at}
    assert linked and {c.name for c in second.customers if c.confirmed_at} == linked
    assert {second.confirmed_at[n] for n in linked} == {first.read_note.started_at}
    assert second.read_note.remembered == len(linked) and second.read_note.read_now == 0


def test_a_change_the_audit_records_name_is_read_again_and_is_drift(later: EmulatorApp, store: Store) -> None:
    emulator = later
    _drift(emulator)
    store.set_subscription_fields(ADATUM, "fabrikam-adatum-o365e3", quantity=41)  # a partner's change

    report, counts = _drift(emulator)

    assert report.read_note is not None and report.read_note.mode == "incremental"
    assert _states(report)["adatum"] == "drifted"
    assert report.read_note.read_now == 1
    assert counts["GET /v1/customers/{customerId}/subscriptions"] == 1
    assert report.confirmed_at["adatum"] == report.read_note.started_at


def test_the_report_says_a_remembered_customer_was_confirmed_earlier_and_a_full_read_sees_more(
    later: EmulatorApp, store: Store, cspsync: Run
) -> None:
    emulator = later
    first, _ = _drift(emulator)
    # a change no partner operation made (Microsoft's own): no audit record names it
    subscription = next(s for s in store.subscriptions(ADATUM) if s["friendlyName"] == "fabrikam-adatum-o365e3")
    store.put_subscription(ADATUM, {**subscription, "quantity": 99})

    text = cspsync("drift", "customers").out
    assert first.read_note is not None
    assert re.search(
        rf"\nRead: 0 customer\(s\) read now \([^)]+\); 5 confirmed by an earlier read \(oldest "
        rf"{re.escape(first.read_note.started_at)}\) and unchanged since per \d+ audit records since ",
        text,
    ), text  # "in sync" is what the read at that time saw, and the report says when that was
    as_json = json.loads(cspsync("drift", "customers", "--full-read", "--format", "json").out)
    assert as_json["read"]["mode"] == "full" and as_json["read"]["reason"] == "a full read was asked for"
    assert {c["name"]: c["state"] for c in as_json["customers"]}["adatum"] == "drifted"
    again = json.loads(cspsync("drift", "customers", "--full-read-every", "0", "--format", "json").out)
    assert again["read"]["mode"] == "full"
    assert again["read"]["reason"].startswith("the last full read was at ")


def test_an_audit_record_of_an_unknown_operation_type_makes_a_full_read(later: EmulatorApp, store: Store) -> None:
    emulator = later
    _drift(emulator)
    store.record_audit(ADATUM, "transmogrify_customer", "customer")

    report, counts = _drift(emulator)

    assert report.read_note is not None and report.read_note.mode == "full"
    assert (
        report.read_note.reason
        == "an audit record has an operation type cspsync does not know: 'transmogrify_customer'"
    )
    assert per_customer_reads(counts) > 10


def test_records_that_change_nothing_read_are_skipped_and_partner_level_ones_too(
    later: EmulatorApp, store: Store
) -> None:
    emulator = later
    _drift(emulator)
    store.record_audit(ADATUM, "reset_customer_user_password", "customer_user")
    store.record_audit(None, "create_partner_relationship", "partner_relationship")

    report, counts = _drift(emulator)

    assert report.read_note is not None and report.read_note.mode == "incremental"
    assert report.read_note.records >= 2
    assert per_customer_reads(counts) == 0


def test_a_gap_in_the_audit_trail_makes_a_full_read(later: EmulatorApp) -> None:
    emulator = later
    _drift(emulator)
    observed_long_ago("drift")

    report, counts = _drift(emulator, full_read_every=dt.timedelta(days=365))

    assert report.read_note is not None and report.read_note.mode == "full"
    assert report.read_note.reason.startswith("the activity log keeps 90 days")
    assert "GET /v1/auditrecords" not in counts
    assert per_customer_reads(counts) > 10


def test_unreadable_audit_records_make_a_full_read(later: EmulatorApp) -> None:
    emulator = later
    _drift(emulator)

    def refuse_audit(request: httpx.Request, app: Handler) -> httpx.Response:
        if request.url.path == "/v1/auditrecords":
            return httpx.Response(403, json={"code": 900403, "description": "Access to this resource is forbidden."})
        return app(request)

    report, counts = _drift(emulator, refuse_audit)

    assert report.read_note is not None and report.read_note.mode == "full"
    assert report.read_note.reason.startswith("the audit records could not be read")
    assert per_customer_reads(counts) > 10


def test_a_read_that_fails_leaves_the_customer_unknown_not_remembered(later: EmulatorApp, store: Store) -> None:
    emulator = later
    _drift(emulator)
    store.set_subscription_fields(ADATUM, "fabrikam-adatum-o365e3", quantity=41)

    def refuse_adatum(request: httpx.Request, app: Handler) -> httpx.Response:
        if request.url.path == f"/v1/customers/{ADATUM}/subscriptions":
            return httpx.Response(403, json={"code": 900403, "description": "Access to this resource is forbidden."})
        return app(request)

    failed, _ = _drift(emulator, refuse_adatum)
    assert _states(failed)["adatum"] == "unknown"  # never the remembered "in sync"
    assert "adatum" not in failed.confirmed_at
    assert failed.exit_code == 1

    report, counts = _drift(emulator)  # the failed customer is read again, though no new record names it
    assert _states(report)["adatum"] == "drifted"
    assert report.confirmed_at["adatum"] == report.read_note.started_at if report.read_note else False
    assert counts["GET /v1/customers/{customerId}/subscriptions"] == 1


def test_a_drift_in_a_new_ci_job_is_incremental_from_the_memory_alone(
    later: EmulatorApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cspsync-drift.yml keeps only observed-<target>.json between runs (beside the apply records it restores):
    a fresh state folder holding just those is enough for the next drift to read incrementally."""
    emulator = later
    first, _ = _drift(emulator)
    kept = memory_path(Workspace.from_environment(), "emulator", "drift")
    next_job = tmp_path / "next-job-state"
    (next_job / "applies").mkdir(parents=True)
    (next_job / kept.name).write_bytes(kept.read_bytes())
    for record in (kept.parent / "applies").glob("*.json"):
        (next_job / "applies" / record.name).write_bytes(record.read_bytes())
    monkeypatch.setenv("CSPSYNC_STATE_DIR", str(next_job))

    second, counts = _drift(emulator)

    assert second.read_note is not None and second.read_note.mode == "incremental"
    assert per_customer_reads(counts) == 0
    assert _states(second) == _states(first)
