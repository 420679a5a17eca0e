"""Several changes to one subscription in one apply: each lands, in a defined order, on the current state.

Partner Center's PATCH of a subscription takes the etag of its current state (412 otherwise), and a
suspended subscription's seats cannot change (error 800091): seats and auto-renew change first, the
suspension last, one PATCH at a time.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

import cspsync.emulator
from cspsync.apply.record import ApplyRecord
from cspsync.apply.run import Applier
from cspsync.declarations import load_repository
from cspsync.emulator import EmulatorApp, Store
from cspsync.partnercenter import PartnerCenterClient, StaticToken
from cspsync.plan.model import Plan
from cspsync.workspace import Workspace
from tests.cli import Run

CUSTOMERS = "examples/customers"
CONFIG = "examples/cspsync.yaml"
DOMAIN = "fourthcoffeefr.onmicrosoft.com"
NAME = "northwind-fourthcoffee-m365bb"
SUB = "fourth-coffee/update-subscription/" + NAME
SUSPEND = "fourth-coffee/suspend-subscription/" + NAME


_ONE_SUBSCRIPTION = re.compile(r"/v1/customers/[^/]+/subscriptions/[^/]+")


class OverlappingReads:
    """The emulator, but the answer to the first read of a subscription waits a moment for a second read of
    it, the way two reads sent together over a network are both answered before either's PATCH: two actions
    that start at once on one subscription then always read the same etag."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.reads: dict[str, int] = {}
        self.lock = threading.Condition()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self.app(request)
        path = request.url.path
        if request.method == "GET" and _ONE_SUBSCRIPTION.fullmatch(path):
            with self.lock:  # the first answer is held back until a second read has been answered too
                self.reads[path] = self.reads.get(path, 0) + 1
                self.lock.notify_all()
                if self.reads[path] == 1:
                    self.lock.wait_for(lambda: self.reads[path] > 1, timeout=3.0)
        return response


def overlapping_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cspsync.emulator, "transport", lambda app: httpx.MockTransport(OverlappingReads(app)))


def _live(workdir: Path) -> dict[str, Any]:
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        tenant = store.tenant_by_domain(DOMAIN)
        assert tenant is not None
        return next(s for s in store.subscriptions(tenant.id) if s["friendlyName"] == NAME)
    finally:
        store.close()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _allow_suspend_and_decrease(workdir: Path) -> None:
    config = workdir / CONFIG
    _edit(config, "allowSuspend: false", "allowSuspend: true")
    _edit(config, "allowQuantityDecrease: false", "allowQuantityDecrease: true")


def _declare(workdir: Path, *, quantity: int, status: str | None, auto_renew: bool) -> None:
    path = workdir / CUSTOMERS / "fourth-coffee.yaml"
    extra = f"\n      status: {status}\n      protected: false" if status else ""
    _edit(path, "      quantity: 8", f"      quantity: {quantity}{extra}")
    _edit(path, "autoRenew: true", f"autoRenew: {'true' if auto_renew else 'false'}")


def test_seats_auto_renew_and_a_suspension_of_one_subscription_all_land_in_one_apply(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _allow_suspend_and_decrease(workdir)
    _declare(workdir, quantity=7, status="suspended", auto_renew=False)

    overlapping_reads(monkeypatch)
    applied = cspsync("apply", CUSTOMERS, "--yes", "--workers", "4")
    assert applied.code == 0, applied.out + applied.err
    lines = [line for line in applied.out.splitlines() if NAME in line and line[:1] in "✓✗"]
    assert lines == [
        f"✓ {SUB}/quantity: done — {NAME}: quantity → 7",
        f"✓ {SUB}/autoRenewEnabled: done — {NAME}: autoRenewEnabled → false",
        f"✓ {SUSPEND}: done — {NAME}: status → suspended",
    ], applied.out
    live = _live(workdir)
    assert (live["quantity"], live["status"], live["autoRenewEnabled"]) == (7, "suspended", False)

    again = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def _apply_saved(workdir: Path, plan: Plan) -> ApplyRecord:
    """Apply a saved plan as it is, past the CLI's stale-plan check: what an apply meets when Partner Center
    changes between its last read and its PATCH."""
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        repo = load_repository([workdir / CUSTOMERS / "fourth-coffee.yaml"], config_path=workdir / CONFIG)
        client = PartnerCenterClient(
            base_url="https://api.partnercenter.microsoft.com",
            transport=cspsync.emulator.transport(EmulatorApp(store)),
            tokens=StaticToken(),
        )
        try:
            return Applier(plan, repo, client, Workspace(workdir / ".cspsync"), workers=4).run()
        finally:
            client.close()
    finally:
        store.close()


def _saved_plan(cspsync: Run, workdir: Path) -> Plan:
    saved = cspsync("plan", CUSTOMERS + "/fourth-coffee.yaml", "--out", "plan.json")
    assert saved.code == 0, saved.out + saved.err
    return Plan.from_json((workdir / "plan.json").read_text())


def test_a_plan_without_an_order_of_its_steps_still_changes_a_subscription_one_step_at_a_time(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan saved by an earlier cspsync has no dependencies between a subscription's steps: apply still
    never runs two of them at once."""
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _allow_suspend_and_decrease(workdir)
    _declare(workdir, quantity=9, status=None, auto_renew=False)
    plan = _saved_plan(cspsync, workdir)
    unordered = plan.model_copy(
        update={"actions": tuple(a.model_copy(update={"depends_on": ()}) for a in plan.actions)}
    )

    overlapping_reads(monkeypatch)
    record = _apply_saved(workdir, unordered)
    assert {r.id: r.status for r in record.results.values() if NAME in r.id} == {
        f"{SUB}/quantity": "done",
        f"{SUB}/autoRenewEnabled": "done",
    }
    live = _live(workdir)
    assert (live["quantity"], live["autoRenewEnabled"]) == (9, False)


def _change_behind_the_back(workdir: Path, **fields: Any) -> None:
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        tenant = store.tenant_by_domain(DOMAIN)
        assert tenant is not None
        store.set_subscription_fields(tenant.id, NAME, **fields)
    finally:
        store.close()


def test_a_step_whose_field_changed_since_the_plan_writes_nothing_and_the_later_steps_wait(
    cspsync: Run, workdir: Path
) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _allow_suspend_and_decrease(workdir)
    _declare(workdir, quantity=9, status=None, auto_renew=False)
    plan = _saved_plan(cspsync, workdir)
    _change_behind_the_back(workdir, quantity=12)

    record = _apply_saved(workdir, plan)
    quantity = record.results[f"{SUB}/quantity"]
    assert (quantity.status, quantity.message) == (
        "failed",
        f"{NAME} changed since the plan: quantity is now 12, the plan saw 8; nothing was written to it   "
        "hint: run plan again and review the change against what Partner Center has now",
    )
    renew = record.results[f"{SUB}/autoRenewEnabled"]
    assert (renew.status, renew.message) == ("skipped", f"not run: {SUB}/quantity is failed")
    live = _live(workdir)
    assert (live["quantity"], live["autoRenewEnabled"]) == (12, True)


def test_a_step_already_made_since_the_plan_is_done_without_a_write(cspsync: Run, workdir: Path) -> None:
    """An apply that resumes one killed after a PATCH landed: that step is done, the next one runs."""
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _allow_suspend_and_decrease(workdir)
    _declare(workdir, quantity=9, status=None, auto_renew=False)
    plan = _saved_plan(cspsync, workdir)
    _change_behind_the_back(workdir, quantity=9)

    record = _apply_saved(workdir, plan)
    quantity = record.results[f"{SUB}/quantity"]
    assert (quantity.status, quantity.message) == ("already-done", f"{NAME}: already quantity 9")
    assert record.results[f"{SUB}/autoRenewEnabled"].status == "done"
    live = _live(workdir)
    assert (live["quantity"], live["autoRenewEnabled"]) == (9, False)


def test_a_suspended_subscription_is_reactivated_before_its_seats_change(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _change_behind_the_back(workdir, status="suspended")
    _declare(workdir, quantity=9, status=None, auto_renew=True)

    applied = cspsync("apply", CUSTOMERS, "--yes", "--workers", "4")
    assert applied.code == 0, applied.out + applied.err
    lines = [line for line in applied.out.splitlines() if NAME in line and line[:1] in "✓✗"]
    assert lines == [
        f"✓ {SUB}/status: done — {NAME}: status → active",
        f"✓ {SUB}/quantity: done — {NAME}: quantity → 9",
    ], applied.out
    live = _live(workdir)
    assert (live["quantity"], live["status"]) == (9, "active")


def test_seats_of_a_subscription_that_stays_suspended_are_blocked_in_the_plan_with_what_to_change(
    cspsync: Run, workdir: Path
) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _change_behind_the_back(workdir, status="suspended")
    _allow_suspend_and_decrease(workdir)
    _declare(workdir, quantity=7, status="suspended", auto_renew=True)

    plan = cspsync("plan", CUSTOMERS)
    assert plan.code == 1, plan.out + plan.err
    assert (
        f"{NAME} is suspended and stays suspended: Partner Center changes no seats of a suspended subscription "
        "(error 800091); declare status: active to reactivate it first, or keep quantity: 8"
    ) in plan.out


def test_a_change_at_renewal_of_a_subscription_declared_cancelled_is_blocked_in_the_plan(
    cspsync: Run, workdir: Path
) -> None:
    """The cancellation comes before it and Partner Center changes nothing of a cancelled subscription."""
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _edit(workdir / CONFIG, "allowCancel: false", "allowCancel: true")
    _declare(workdir, quantity=8, status="cancelled", auto_renew=True)
    _edit(workdir / CUSTOMERS / "fourth-coffee.yaml", "term: P1M", "term: P1Y")

    plan = cspsync("plan", CUSTOMERS)
    assert plan.code == 1, plan.out + plan.err
    assert (
        f"{NAME} is declared cancelled: a cancelled subscription has no renewal to change; remove this change "
        "from the declaration, or the status: cancelled"
    ) in plan.out


def test_the_plan_line_counts_a_suspension_as_a_suspension_not_a_cancellation(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _allow_suspend_and_decrease(workdir)
    _declare(workdir, quantity=8, status="suspended", auto_renew=True)

    planned = cspsync("plan", CUSTOMERS)
    assert planned.code == 0, planned.err
    assert "Plan: 0 to create, 0 to update, 0 to cancel, 1 to suspend, 9 waiting." in planned.out
    markdown = cspsync("plan", CUSTOMERS, "--format", "markdown")
    assert "**Plan: 0 to create, 0 to update, 0 to cancel, 1 to suspend, 9 waiting.**" in markdown.out
    assert (
        "| customer | file | create | update | cancel | suspend | waiting |\n|---|---|---:|---:|---:|---:|---:|\n"
        in (markdown.out)
    )
    assert "| fourth\\-coffee | examples/customers/fourth\\-coffee\\.yaml | 0 | 0 | 0 | 1 | 0 |\n" in markdown.out
