"""Azure subscriptions under the Azure plan, end to end against the emulator: created, renamed, never twice.

Partner Center lists them (the plan's azureEntitlements); Azure Resource Manager creates them (Subscription
alias, 202 and a poll) and renames them. Adatum's Azure plan is ordered by the first apply of the examples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cspsync.emulator import Store
from cspsync.emulator.handlers.azure import add_azure_subscription, azure_subscriptions
from tests.cli import Run

CUSTOMERS = "examples/customers"
ADATUM = "examples/customers/adatum.yaml"
TENANT = "7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12"
PLAN = "fabrikam-adatum-azure"
DECLARED_PLAN = f"    - friendlyName: {PLAN}\n      offer: azure-plan\n"


def _declare(workdir: Path, *entries: tuple[str, str | None]) -> None:
    """Adatum's Azure plan with these Azure subscriptions (name, id) under it."""
    path = workdir / ADATUM
    text = path.read_text()
    start = text.index(DECLARED_PLAN) + len(DECLARED_PLAN)
    end = text.index("    - friendlyName: fabrikam-adatum-o365e3")
    lines = "      azureSubscriptions:\n" + "".join(
        f"        - friendlyName: {name}\n" + (f"          subscriptionId: {sid}\n" if sid else "")
        for name, sid in entries
    )
    path.write_text(text[:start] + lines + text[end:])


def _azure(workdir: Path) -> list[dict[str, object]]:
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        return azure_subscriptions(store, TENANT)
    finally:
        store.close()


def _plan_id(workdir: Path) -> str:
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        return next(str(s["id"]) for s in store.subscriptions(TENANT) if str(s["offerId"]).startswith("DZH318Z0BPS6"))
    finally:
        store.close()


def _records(workdir: Path) -> list[dict[str, Any]]:
    folder = workdir / ".cspsync" / "applies"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def test_an_azure_subscription_declared_with_a_new_azure_plan_waits_for_it_and_is_created(
    cspsync: Run, workdir: Path
) -> None:
    _declare(workdir, ("fabrikam-adatum-azure-prod", None))
    plan = cspsync("plan", ADATUM, "--format", "json")
    actions = {a["id"]: a for a in json.loads(plan.out)["actions"]}
    create = actions[f"adatum/create-azure-subscription/{PLAN}/fabrikam-adatum-azure-prod"]
    assert f"adatum/order-subscription/{PLAN}" in create["depends_on"]
    assert create["status"] == "ready" and create["payload"]["azure_plan_id"] is None

    applied = cspsync("apply", ADATUM, "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert [s["friendlyName"] for s in _azure(workdir)] == ["fabrikam-adatum-azure-prod"]
    again = cspsync("plan", ADATUM, "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def test_an_extra_azure_subscription_goes_plan_apply_empty_plan_and_its_id_is_recorded(
    cspsync: Run, workdir: Path
) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _declare(workdir, ("fabrikam-adatum-azure-prod", None))

    plan = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert plan.code == 2, plan.out + plan.err
    assert f"  + create Azure subscription fabrikam-adatum-azure-prod under Azure plan {PLAN}\n" in plan.out
    assert "1 to create, 0 to update" in plan.out

    applied = cspsync("apply", CUSTOMERS, "--yes")
    assert applied.code == 0, applied.out + applied.err
    live = _azure(workdir)
    assert [(s["friendlyName"], s["status"], s["planId"]) for s in live] == [
        ("fabrikam-adatum-azure-prod", "active", _plan_id(workdir))
    ]
    assert f"created Azure subscription fabrikam-adatum-azure-prod ({live[0]['id']}) under {PLAN}" in applied.out
    recorded = [a for r in _records(workdir) for a in r["actions"] if a["kind"] == "create-azure-subscription"]
    assert recorded[-1]["details"]["subscriptionId"] == live[0]["id"]

    again = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert "unmanaged azure-subscription" not in again.out
    # a second apply creates nothing more
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    assert len(_azure(workdir)) == 1


def test_a_new_name_with_the_subscription_id_is_a_rename_then_an_empty_plan(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _declare(workdir, ("fabrikam-adatum-azure-prod", None))
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    created = _azure(workdir)[0]["id"]
    _declare(workdir, ("fabrikam-adatum-azure-production", str(created)))

    plan = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert plan.code == 2, plan.out + plan.err
    assert (
        "  ~ rename Azure subscription fabrikam-adatum-azure-prod → fabrikam-adatum-azure-production (under Azure "
        f'plan {PLAN})\n      friendlyName: "fabrikam-adatum-azure-prod" → "fabrikam-adatum-azure-production"\n'
    ) in plan.out
    assert "0 to create, 1 to update" in plan.out

    applied = cspsync("apply", CUSTOMERS, "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert [(s["id"], s["friendlyName"]) for s in _azure(workdir)] == [(created, "fabrikam-adatum-azure-production")]
    again = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def test_a_new_name_without_an_id_next_to_an_undeclared_azure_subscription_is_blocked_never_created(
    cspsync: Run, workdir: Path
) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        portal = add_azure_subscription(store, TENANT, _plan_id(workdir), "adatum-dev-portal")
    finally:
        store.close()
    _declare(workdir, ("fabrikam-adatum-azure-dev", None))

    plan = cspsync("plan", CUSTOMERS)
    assert plan.code == 1, plan.out + plan.err
    assert (
        f"  ! create Azure subscription fabrikam-adatum-azure-dev under Azure plan {PLAN}\n      blocked: the Azure "
        f"subscription 'adatum-dev-portal' ({portal}) under Azure plan {PLAN} has no declaration: if this is it "
        f"under a new name, add subscriptionId: {portal} to rename it; if it is another one, declare that one too "
        "(by its own name or id) before creating a new one\n"
    ) in plan.out
    assert (
        f"unmanaged azure-subscription: adatum adatum-dev-portal ({portal} under Azure plan {PLAN}, active; "
        "cspsync never cancels it)"
    ) in plan.out
    cspsync("apply", CUSTOMERS, "--yes")
    assert [s["id"] for s in _azure(workdir)] == [portal]

    drift = cspsync("drift", ADATUM)
    assert (
        "not declared (reported, never changed by cspsync):\n  ? adatum: Azure subscription adatum-dev-portal "
        f"({portal} under Azure plan {PLAN}, active; cspsync never cancels it)\n"
    ) in drift.out

    _declare(workdir, ("fabrikam-adatum-azure-dev", portal))  # the hint followed: it is a rename
    renamed = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert (
        renamed.code == 2 and "~ rename Azure subscription adatum-dev-portal → fabrikam-adatum-azure-dev" in renamed.out
    )


def test_a_declared_id_that_is_under_no_azure_plan_is_blocked(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _declare(workdir, ("fabrikam-adatum-azure-prod", "0b6d2f4e-1a3c-4e5f-8a7b-9c0d1e2f3a4b"))
    plan = cspsync("plan", CUSTOMERS)
    assert (
        "      blocked: no Azure subscription 0b6d2f4e-1a3c-4e5f-8a7b-9c0d1e2f3a4b is under Azure plan "
        f"{PLAN}: correct the subscriptionId, or remove it to create a new Azure subscription\n"
    ) in plan.out
    cspsync("apply", CUSTOMERS, "--yes")
    assert _azure(workdir) == []


def test_import_declares_the_azure_subscriptions_with_their_ids_and_the_plan_is_empty(
    cspsync: Run, workdir: Path
) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        portal = add_azure_subscription(store, TENANT, _plan_id(workdir), "adatum-dev-portal")
    finally:
        store.close()
    (workdir / ADATUM).unlink()
    imported = cspsync("import", "--domain", "adatum.de", "--out", CUSTOMERS, "--config", "examples/cspsync.yaml")
    assert imported.code == 0, imported.out + imported.err
    text = (workdir / ADATUM).read_text()
    assert (
        "      offer: azure-plan\n      azureSubscriptions:\n        - friendlyName: adatum-dev-portal\n"
        f"          subscriptionId: {portal}\n"
    ) in text
    again = cspsync("plan", ADATUM, "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
