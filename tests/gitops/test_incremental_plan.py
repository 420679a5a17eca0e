"""A second full plan re-reads only what Partner Center's audit records name since the first (issue 19), with the
drift's fallbacks (a gap, an operation type it does not know, a failed read stays unknown), says which customers
a read confirmed and when, and apply never acts on a remembered customer it did not read again."""

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
from cspsync.observe.memory import FORMAT, memory_path, recall
from cspsync.partnercenter.auth import StaticToken
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.retry import UNPACED
from cspsync.pipeline import observe_and_plan
from cspsync.plan.model import Kind, Plan
from cspsync.target import EMULATOR_BASE_URL
from cspsync.workspace import Workspace
from tests.cli import Run

from .conftest import ADATUM, observed_long_ago, per_customer_reads

Handler = Callable[[httpx.Request], httpx.Response]
O365 = "fabrikam-adatum-o365e3"


def _plan(
    app: EmulatorApp,
    handler: Callable[[httpx.Request, Handler], httpx.Response] | None = None,
    *,
    acting: bool = False,
    full_read_every: dt.timedelta = dt.timedelta(hours=24),
) -> tuple[Plan, dict[str, int]]:
    """A full plan of customers/ as `cspsync plan` (or, ``acting``, `cspsync apply`) makes it, and the
    emulator's request counts of that run."""

    def route(request: httpx.Request) -> httpx.Response:
        return handler(request, app) if handler is not None else app(request)

    app.clock = _later(app.clock(), dt.timedelta(minutes=1))  # each plan a minute after the one before
    app.store.clock = app.clock
    app.reset_log()
    repo = load_repository([Path("customers")])
    workspace = Workspace.from_environment()
    with PartnerCenterClient(
        base_url=EMULATOR_BASE_URL, transport=httpx.MockTransport(route), tokens=StaticToken(), limits=UNPACED
    ) as client:
        plan = observe_and_plan(
            repo,
            repo.customers,
            client,
            target="emulator",
            workspace=workspace,
            full_scope=True,
            memory=recall(workspace, "emulator", "plan", full_read=False),
            full_read_every=full_read_every,
            acting=acting,
        )
    return plan, app.request_counts()


def _later(moment: dt.datetime, by: dt.timedelta) -> Callable[[], dt.datetime]:
    after = moment + by
    return lambda: after


@pytest.fixture
def later(applied: ApplyRecord, emulator: EmulatorApp) -> EmulatorApp:
    """The emulator a few seconds after the apply (its ``Date`` header has whole seconds)."""
    emulator.clock = _later(dt.datetime.now(dt.UTC), dt.timedelta(seconds=5))
    emulator.store.clock = emulator.clock
    return emulator


def _ready(plan: Plan, customer: str) -> list[str]:
    return [a.id for a in plan.actions if a.customer == customer and a.status == "ready"]


def _confirmed(plan: Plan) -> dict[str, str | None]:
    return {c.name: c.confirmed_at for c in plan.customers}


def _declare_quantity(quantity: int) -> None:
    path = Path("customers/adatum.yaml")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("      quantity: 40\n", f"      quantity: {quantity}\n", 1), encoding="utf-8")


def test_a_second_plan_with_nothing_changed_reads_only_the_list_and_the_audit_records(later: EmulatorApp) -> None:
    first, first_counts = _plan(later)
    second, counts = _plan(later)

    assert first.read is not None and first.read.mode == "full"
    assert per_customer_reads(first_counts) > 10
    assert second.read is not None and second.read.mode == "incremental"
    assert per_customer_reads(counts) == 0
    assert counts["GET /v1/auditrecords"] == 1 and counts["GET /v1/customers"] == 1
    assert sum(counts.values()) < sum(first_counts.values()) / 2
    # the same plan, from the same state
    assert second.observed_fingerprint == first.observed_fingerprint
    assert second.digest == first.digest
    linked = {name for name, at in _confirmed(first).items() if at}
    assert linked and {name for name, at in _confirmed(second).items() if at} == linked
    assert {_confirmed(second)[name] for name in linked} == {first.read.started_at}
    assert second.read.remembered == len(linked) and second.read.read_now == 0


def test_a_change_the_audit_records_name_is_read_again_and_planned(later: EmulatorApp, store: Store) -> None:
    _plan(later)
    store.set_subscription_fields(ADATUM, O365, quantity=41)  # a partner's change, in the activity log

    plan, counts = _plan(later)

    assert plan.read is not None and plan.read.mode == "incremental" and plan.read.read_now == 1
    assert counts["GET /v1/customers/{customerId}/subscriptions"] == 1
    assert _ready(plan, "adatum") == [] and [a.id for a in plan.stuck if a.customer == "adatum"] == [
        f"adatum/update-subscription/{O365}/quantity"  # 41 → 40 is a decrease: refused without the setting
    ]
    assert _confirmed(plan)["adatum"] == plan.read.started_at


def test_an_audit_record_of_an_unknown_operation_type_makes_a_full_read(later: EmulatorApp, store: Store) -> None:
    _plan(later)
    store.record_audit(ADATUM, "transmogrify_customer", "customer")

    plan, counts = _plan(later)

    assert plan.read is not None and plan.read.mode == "full"
    assert plan.read.reason == "an audit record has an operation type cspsync does not know: 'transmogrify_customer'"
    assert per_customer_reads(counts) > 10


def test_a_gap_in_the_audit_trail_makes_a_full_read(later: EmulatorApp) -> None:
    _plan(later)
    observed_long_ago("plan")

    plan, counts = _plan(later, full_read_every=dt.timedelta(days=365))

    assert plan.read is not None and plan.read.mode == "full"
    assert plan.read.reason.startswith("the activity log keeps 90 days")
    assert "GET /v1/auditrecords" not in counts
    assert per_customer_reads(counts) > 10


@pytest.mark.parametrize(
    "kept",
    [
        "[]",
        '"a text"',
        '{"format": 1, "customers": ',
        "",
        json.dumps({"format": FORMAT, "target": "emulator", "customers": []}),
        json.dumps({"format": FORMAT, "target": "emulator", "customers": {"x": {"read_at": "", "customer": []}}}),
    ],
)
def test_a_memory_file_that_is_not_a_memory_makes_a_full_read(later: EmulatorApp, kept: str) -> None:
    """A damaged or foreign memory file (cut short, or JSON that is not an object) is no memory: the plan reads
    in full and writes a new one; it is never a traceback."""
    _plan(later)
    path = memory_path(Workspace.from_environment(), "emulator", "plan")
    path.write_text(kept, encoding="utf-8")

    plan, counts = _plan(later)

    assert plan.read is not None and plan.read.mode == "full"
    assert per_customer_reads(counts) > 10
    again, _ = _plan(later)
    assert again.read is not None and again.read.mode == "incremental"


def test_a_read_that_fails_stays_unknown_and_is_never_planned_from_the_memory(later: EmulatorApp, store: Store) -> None:
    _plan(later)
    _declare_quantity(45)  # would be planned from the remembered 40 if the failed read fell back to it
    store.set_subscription_fields(ADATUM, O365, quantity=41)

    def refuse_adatum(request: httpx.Request, app: Handler) -> httpx.Response:
        if request.url.path == f"/v1/customers/{ADATUM}/subscriptions":
            return httpx.Response(403, json={"code": 900403, "description": "Access to this resource is forbidden."})
        return app(request)

    failed, _ = _plan(later, refuse_adatum, acting=True)
    adatum = next(c for c in failed.customers if c.name == "adatum")
    assert adatum.state == "unknown" and adatum.confirmed_at is None and adatum.actions == ()
    assert any(u.startswith("adatum: subscriptions could not be read") for u in failed.unknown)

    plan, counts = _plan(later)  # read again, though no new record names it
    assert counts["GET /v1/customers/{customerId}/subscriptions"] == 1
    assert plan.read is not None and _confirmed(plan)["adatum"] == plan.read.started_at
    assert _ready(plan, "adatum") == [f"adatum/update-subscription/{O365}/quantity"]


def test_apply_reads_again_a_remembered_customer_it_would_change(later: EmulatorApp, store: Store) -> None:
    _plan(later)
    # a change no partner operation made (none is in the activity log): the memory says 40, Partner Center 42
    subscription = next(s for s in store.subscriptions(ADATUM) if s["friendlyName"] == O365)
    store.put_subscription(ADATUM, {**subscription, "quantity": 42})
    _declare_quantity(45)

    planned, _ = _plan(later)  # `cspsync plan`: from the memory, and it says so
    change = planned.action(f"adatum/update-subscription/{O365}/quantity").changes[0]
    assert (change.before, change.after) == (40, 45)
    assert planned.read is not None and _confirmed(planned)["adatum"] != planned.read.started_at

    acting, counts = _plan(later, acting=True)  # `cspsync apply`: what it acts on, it has read itself
    change = acting.action(f"adatum/update-subscription/{O365}/quantity").changes[0]
    assert (change.before, change.after) == (42, 45)
    assert acting.read is not None and _confirmed(acting)["adatum"] == acting.read.started_at
    assert counts["GET /v1/customers/{customerId}/subscriptions"] == 1  # only that customer read again
    every_ready = {a.customer for a in acting.actions if a.status == "ready"}
    assert all(_confirmed(acting)[name] in (acting.read.started_at, None) for name in every_ready)


def test_a_plan_whose_memory_cannot_be_saved_still_plans(later: EmulatorApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pull request's plan job may have a read-only state folder."""
    first, _ = _plan(later)
    path = memory_path(Workspace.from_environment(), "emulator", "plan")
    kept = path.read_text(encoding="utf-8")

    def read_only(*_: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("cspsync.observe.memory.save_memory", read_only)
    second, _ = _plan(later)

    assert second.read is not None and second.read.mode == "incremental"
    assert second.digest == first.digest
    assert path.read_text(encoding="utf-8") == kept


def test_the_plan_reports_say_how_partner_center_was_read(later: EmulatorApp, cspsync: Run) -> None:
    first, _ = _plan(later)
    assert first.read is not None and first.read.mode == "full"
    text = cspsync("plan", "customers").out
    assert re.search(
        rf"\nRead: 0 customer\(s\) read now \([^)]+\); 5 confirmed by an earlier read \(oldest "
        rf"{re.escape(first.read.started_at)}\) and unchanged since per \d+ audit records since ",
        text,
    ), text
    markdown = cspsync("plan", "customers", "--format", "markdown").out
    assert "5 confirmed by an earlier read" in markdown
    again = json.loads(cspsync("plan", "customers", "--format", "json").out)
    assert again["read"]["mode"] == "incremental"
    assert {c["name"]: c["confirmed_at"] for c in again["customers"]}["adatum"] == first.read.started_at
    forced = json.loads(cspsync("plan", "customers", "--full-read", "--format", "json").out)
    assert forced["read"] == {**forced["read"], "mode": "full", "reason": "a full read was asked for"}
    scheduled = json.loads(cspsync("plan", "customers", "--full-read-every", "0", "--format", "json").out)
    assert scheduled["read"]["reason"].startswith("the last full read was at ")
    scoped = json.loads(cspsync("plan", "customers/adatum.yaml", "--format", "json").out)
    assert scoped["read"] is None  # a plan of some files looks each one up: nothing remembered, nothing claimed


def test_an_address_the_plan_would_not_change_is_not_validated_again(later: EmulatorApp) -> None:
    """A file that writes the postcode in another case asks for no billing update (the diff folds it), so a
    second plan of a remembered customer costs no address validation either: one rule for "the address moved"."""
    path = Path("customers/alpine-ski-house.yaml")
    path.write_text(path.read_text(encoding="utf-8").replace("postalCode: EH1 1DF", "postalCode: eh1 1df"))
    _plan(later)

    plan, counts = _plan(later)

    assert "POST /v1/validations/address" not in counts
    assert not [
        a for a in plan.actions if a.customer == "alpine-ski-house" and a.kind.value == "update-billing-profile"
    ]


def test_a_full_plan_without_new_orders_reads_no_availabilities(later: EmulatorApp) -> None:
    """Availabilities are read for the offers of new orders only: a portfolio in sync costs no catalog call."""
    plan, counts = _plan(later)
    assert not any(a.kind is Kind.ORDER_SUBSCRIPTION and a.status == "ready" for a in plan.actions)
    assert "GET /v1/products/{productId}/skus/{skuId}/availabilities" not in counts
    assert counts["GET /v1/customers"] == 1


def test_the_memory_file_holds_each_customer_with_when_and_what_was_read(later: EmulatorApp) -> None:
    """Each remembered customer is written as the next plan reads it back: its read time, the kinds read (in
    order) and its state, keyed by tenant id in order."""
    first, _ = _plan(later)
    path = memory_path(Workspace.from_environment(), "emulator", "plan")
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    customers = document["customers"]
    assert customers and list(customers) == sorted(customers)
    for entry in customers.values():
        assert set(entry) == {"read_at", "kinds", "customer", "relationships"}
        assert entry["kinds"] == sorted(entry["kinds"]) and entry["read_at"] == document["observed_at"]
    assert text.rstrip("\n") == json.dumps(document, sort_keys=True, separators=(",", ":"))  # canonical
    assert first.read is not None and first.read.mode == "full"
