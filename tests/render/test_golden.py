"""Every rendering users read, compared exactly with its golden file in golden/ (see tests/golden.py).

Each scenario runs the real CLI against the in-process emulator on the examples, with fixed inputs only:
the clock is frozen, ``uuid.uuid4`` is :class:`tests.golden.FixedIds`, applies run with ``--workers 1``,
and cspsync's state folder is relative (``.cspsync``), so no rendering names a temporary folder.

Rewrite the goldens after an intended change with ``python -m pytest tests/render --update-golden`` and
review the diff.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory

from cspsync.emulator.handlers.azure import add_azure_subscription, azure_subscriptions
from cspsync.target import open_emulator
from cspsync.workspace import Workspace
from tests.cli import Run, examples_workdir, runner
from tests.declarations.support import CONFIG, CUSTOMER, edit
from tests.gitops.conftest import ADATUM, git
from tests.golden import Golden

# Imported before any clock freezes (a module imported under freezegun keeps its fake date class).
for _command in ("apply", "drift", "emulator", "history", "plan", "renewals", "validate"):
    importlib.import_module(f"cspsync.commands.{_command}")

pytestmark = pytest.mark.usefixtures("fixed_ids")

NOW = "2026-11-25T10:00:00Z"
CUSTOMERS = "examples/customers"
PLAN_FORMATS = (("text", "txt"), ("markdown", "md"), ("json", "json"))


@pytest.fixture
def clock() -> Iterator[FrozenDateTimeFactory]:
    with freeze_time(NOW) as frozen:
        assert isinstance(frozen, FrozenDateTimeFactory)
        yield frozen


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """``cspsync ...`` in a copy of the examples, state in the relative folder .cspsync."""
    examples_workdir(tmp_path, monkeypatch)
    monkeypatch.setenv("CSPSYNC_STATE_DIR", ".cspsync")
    return runner(capsys)


def apply_examples(run: Run) -> None:
    applied = run("apply", CUSTOMERS, "--yes", "--workers", "1")
    assert applied.code == 0, applied.out + applied.err


def change(path: str, old: str, new: str) -> None:
    file = Path(path)
    file.write_text(edit(file.read_text(encoding="utf-8"), old, new), encoding="utf-8")


def check_formats(golden: Golden, run: Run, name: str, *args: str, code: int = 0) -> None:
    for fmt, extension in PLAN_FORMATS:
        result = run(*args, "--format", fmt)
        assert result.code == code, result.out + result.err
        golden.check(f"{name}.{extension}", result.out)


# ------------------------------------------------------------------------------------------------- plan


def test_plan_of_the_examples(golden: Golden, run: Run, clock: FrozenDateTimeFactory) -> None:
    """The README's first plan: three tenants to create, two invitations, two existing customers adopted."""
    check_formats(golden, run, "plan-examples", "plan", CUSTOMERS)


def test_plan_after_changes(golden: Golden, run: Run, clock: FrozenDateTimeFactory) -> None:
    """After an apply: one invitation accepted, and edits that update, refuse, block and leave unmanaged."""
    apply_examples(run)
    clock.tick(3600)
    accepted = run("emulator", "accept-invitation", "litware.ie")
    assert accepted.code == 0, accepted.err
    change(f"{CUSTOMERS}/contoso-bikes.yaml", "quantity: 12", "quantity: 15")
    change(f"{CUSTOMERS}/adatum.yaml", "quantity: 40", "quantity: 30")
    change(f"{CUSTOMERS}/alpine-ski-house.yaml", "billingCycle: annual", "billingCycle: monthly")
    change(f"{CUSTOMERS}/tailspin-toys.yaml", "billingEmail: ", "billingEmail: new.")
    change(
        f"{CUSTOMERS}/alpine-ski-house.yaml",
        "    - friendlyName: northwind-alpineski-azure\n",
        "    - friendlyName: northwind-alpineski-azure2\n",
    )
    check_formats(golden, run, "plan-changed", "plan", CUSTOMERS, code=1)  # refused and blocked steps: exit 1


def _azure_subscriptions(entries: str) -> None:
    """Adatum's Azure plan with these ``azureSubscriptions`` lines under it."""
    change(
        f"{CUSTOMERS}/adatum.yaml",
        "    - friendlyName: fabrikam-adatum-azure\n      offer: azure-plan\n",
        "    - friendlyName: fabrikam-adatum-azure\n      offer: azure-plan\n      azureSubscriptions:\n" + entries,
    )


def test_plans_of_azure_subscriptions(golden: Golden, run: Run, clock: FrozenDateTimeFactory) -> None:
    """An Azure subscription to create under Adatum's Azure plan; after it exists and one is made in the
    portal: a rename by id, a create blocked next to the undeclared one, and that one reported (plan, drift)."""
    apply_examples(run)
    _azure_subscriptions("        - friendlyName: fabrikam-adatum-azure-prod\n")
    check_formats(golden, run, "plan-azure-create", "plan", f"{CUSTOMERS}/adatum.yaml")
    assert run("apply", f"{CUSTOMERS}/adatum.yaml", "--yes", "--workers", "1").code == 0
    emulator = open_emulator(Workspace.from_environment(), None)
    try:
        (created,) = azure_subscriptions(emulator.store, ADATUM)
        plan_id = next(s["id"] for s in emulator.store.subscriptions(ADATUM) if s["offerId"].startswith("DZH318Z0BPS6"))
        add_azure_subscription(emulator.store, ADATUM, plan_id, "adatum-dev-portal")
    finally:
        emulator.close()
    change(
        f"{CUSTOMERS}/adatum.yaml",
        "        - friendlyName: fabrikam-adatum-azure-prod\n",
        f"        - friendlyName: fabrikam-adatum-azure-production\n          subscriptionId: {created['id']}\n"
        "        - friendlyName: fabrikam-adatum-azure-dev\n",
    )
    check_formats(golden, run, "plan-azure", "plan", f"{CUSTOMERS}/adatum.yaml", code=1)  # a blocked step: exit 1
    drift = run("drift", f"{CUSTOMERS}/adatum.yaml")
    golden.check("drift-azure.txt", drift.out)


# ------------------------------------------------------------------------------------------------ drift


def test_drift_after_changes_behind_cspsyncs_back(golden: Golden, run: Run, clock: FrozenDateTimeFactory) -> None:
    apply_examples(run)
    clock.tick(86_400)
    emulator = open_emulator(Workspace.from_environment(), None)
    try:
        contoso = emulator.store.tenant_by_domain("contosobikes.onmicrosoft.com")
        assert contoso is not None
        emulator.store.set_subscription_fields(contoso.id, "fabrikam-contosobikes-m365bp", quantity=15)
        emulator.store.set_subscription_fields(ADATUM, "fabrikam-adatum-o365e3", autoRenewEnabled=False)
    finally:
        emulator.close()
    check_formats(golden, run, "drift", "drift", CUSTOMERS, code=2)


# --------------------------------------------------------------------------------------------- renewals


def test_renewals_of_the_examples(golden: Golden, run: Run, clock: FrozenDateTimeFactory) -> None:
    """What renews in the coming year after the main job, as text and as JSON (the same renewals, in order)."""
    apply_examples(run)
    for fmt, extension in (("text", "txt"), ("json", "json")):
        result = run("renewals", CUSTOMERS, "--days", "400", "--format", fmt)
        assert result.code == 0, result.out + result.err
        golden.check(f"renewals.{extension}", result.out)


# ---------------------------------------------------------------------------------------------- history


def test_history_of_a_customer(
    golden: Golden,
    declarations: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The credentials path in an apply record's message is absolute: the one input that cannot be fixed,
    so it is replaced (exactly, not by pattern) with ``$TMP``.

    Commit (#1) on 2 November; on the 26th: apply 09:10, PR #2 merged 10:05, apply 10:30, rename (#3) 11:00."""
    monkeypatch.setenv("CSPSYNC_STATE_DIR", "../state")
    run = runner(capsys)
    with freeze_time("2026-11-26T09:10:00Z") as clock:
        assert run("apply", "customers", "--yes", "--workers", "1").code == 0
        git(declarations, "checkout", "-q", "-b", "more-seats")
        change("customers/contoso-bikes.yaml", "quantity: 12", "quantity: 15")
        git(declarations, "commit", "-q", "-am", "Contoso Bikes: 15 seats", date="2026-11-26T10:00:00Z")
        git(declarations, "checkout", "-q", "main")
        merge = ["merge", "-q", "--no-ff", "more-seats", "-m", "Merge pull request #2 from fabrikam/more-seats"]
        git(declarations, *merge, date="2026-11-26T10:05:00Z")
        clock.move_to("2026-11-26T10:30:00Z")
        assert run("apply", "customers", "--yes", "--workers", "1").code == 0
        git(declarations, "mv", "customers/contoso-bikes.yaml", "customers/contoso.yaml")
        git(declarations, "commit", "-q", "-m", "Shorter file name for Contoso Bikes (#3)", date="2026-11-26T11:00:00Z")
        for fmt, extension in (("text", "txt"), ("json", "json")):
            result = run("history", "contoso-bikes", "--format", fmt)
            assert result.code == 0, result.err
            golden.check(f"history.{extension}", result.out.replace(str(tmp_path), "$TMP"))


# --------------------------------------------------------------------------------------------- validate


def broken_repository(root: Path) -> None:
    """Problems of most kinds: schema, YAML syntax, unknown field, cross-file rule, config-based rule."""

    def write(name: str, text: str) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")

    write("cspsync.yaml", CONFIG)
    write("customers/a.yaml", edit(CUSTOMER, "quantity: 12", "quantity: 0"))
    b = edit(CUSTOMER, "name: contoso-bikes", "name: contoso-b")
    b = edit(b, "name: Contoso Bikes Ltd", "name: Contoso B Ltd")
    b = edit(b, "domainPrefix: contosobikes", "domainPrefix: contoso-b")
    write("customers/b.yaml", edit(b, 'skuId: "0002"', "skuId: 0002"))
    c = edit(CUSTOMER, "name: contoso-bikes", "name: contoso-c")
    c = edit(c, "    name: Contoso Bikes Ltd", "    nmae: Contoso C Ltd")
    write("customers/c.yaml", edit(c, "country: GB", "country: UK"))
    write("customers/d.yaml", edit(CUSTOMER, "name: contoso-bikes", "name: contoso-d"))  # same domain as a.yaml
    write("customers/e.yaml", "apiVersion: cspsync.io/v1\nkind: Customer\nmetadata: {name: [unclosed\n")
    write("customers/f.yaml", CUSTOMER.replace("contoso-bikes", "contoso-f").replace("contosobikes", "contosof"))


def test_validation_problems(
    golden: Golden, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a terminal, then under GitHub Actions: the same lines plus annotations (on stderr with JSON)."""
    broken_repository(tmp_path)
    monkeypatch.chdir(tmp_path)
    run = runner(capsys)
    with freeze_time("2026-11-26"):
        monkeypatch.setenv("GITHUB_ACTIONS", "")
        text, as_json = (run("validate", "customers", "--format", fmt) for fmt in ("text", "json"))
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        github_text, github_json = (run("validate", "customers", "--format", fmt) for fmt in ("text", "json"))
    assert {r.code for r in (text, as_json, github_text, github_json)} == {1}
    assert text.err == as_json.err == github_text.err == ""
    golden.check("validate.txt", text.out)
    golden.check("validate.json", as_json.out)
    golden.check("validate-github.txt", github_text.out)  # the annotations follow the lines
    assert github_json.out == as_json.out  # stdout stays JSON; the annotations go to stderr
    golden.check("validate-github.json.stderr", github_json.err)
