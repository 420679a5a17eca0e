"""A saved plan is a contract: every hand-edited plan is refused (exit 1, never 3) and nothing is written.

Each edit is tried twice: as a person would make it (the plan's ``actions_digest`` left as it was), and as
someone who recomputes the digest, so the re-planning check itself is what refuses it. The emulator's
state is compared before and after: a refused plan writes nothing.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

import cspsync.commands.apply
import cspsync.commands.plan  # noqa: F401  (imported before a clock freezes: see tests/render/test_golden.py)
from cspsync.emulator import Store, load_seed
from cspsync.plan.digest import actions_digest
from cspsync.plan.model import Plan
from tests.cli import Run

CONTOSO = "examples/customers/contoso-bikes.yaml"
ALPINE = "examples/customers/alpine-ski-house.yaml"
CONFIG = "examples/cspsync.yaml"


def emulator_state(workdir: Path) -> dict[str, Any]:
    """Everything a write could change: customers, their agreements, subscriptions and orders."""
    db = workdir / ".cspsync" / "emulator.db"
    new = not db.exists()
    store = Store(db)
    try:
        if new:  # what the first command would find: the example world
            store.seed(load_seed(workdir / "examples" / "emulator-seed.yaml"))
        return {
            c.domain: {
                "billing": store.tenant_by_id(c.id).billing,  # type: ignore[union-attr]
                "agreements": store.agreements(c.id),
                "subscriptions": store.subscriptions(c.id),
                "orders": store.orders(c.id),
            }
            for c in store.list_customers(limit=100_000)
        }
    finally:
        store.close()


def edit_plan(path: Path, change: Callable[[dict[str, Any]], None], *, recompute_digest: bool) -> None:
    document = json.loads(path.read_text())
    change(document)
    if recompute_digest:
        document["actions_digest"] = actions_digest(Plan.model_validate(document).actions)
    path.write_text(json.dumps(document, indent=2))


def action(document: dict[str, Any], action_id: str) -> dict[str, Any]:
    return next(a for a in document["actions"] if a["id"] == action_id)


def _quantity_300(document: dict[str, Any]) -> None:
    action(document, "contoso-bikes/order-subscription/fabrikam-contosobikes-m365bp")["payload"]["quantity"] = 300


def _other_product(document: dict[str, Any]) -> None:
    payload = action(document, "contoso-bikes/order-subscription/fabrikam-contosobikes-m365bp")["payload"]
    payload["product_id"] = "CFQ7TTC0LFLX"  # Microsoft 365 E3 instead of Business Premium
    payload["sku_id"] = "0001"


def _billing_email(document: dict[str, Any]) -> None:
    payload = action(document, "contoso-bikes/create-customer")["payload"]
    payload["billing_profile"]["email"] = "attacker@example.com"


EDITS = {
    "quantity-12-to-300": _quantity_300,
    "product": _other_product,
    "billing-email": _billing_email,
}


@pytest.mark.parametrize("recompute_digest", [False, True], ids=["digest-as-saved", "digest-recomputed"])
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_payload_is_refused_and_nothing_is_written(
    cspsync: Run, workdir: Path, edit: str, recompute_digest: bool
) -> None:
    assert cspsync("plan", CONTOSO, "--out", "plan.json").code == 0
    before = emulator_state(workdir)
    edit_plan(workdir / "plan.json", EDITS[edit], recompute_digest=recompute_digest)

    result = cspsync("apply", "plan.json", "--yes")

    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err
    if recompute_digest:
        assert "the saved plan's actions are not what a plan made now would do, so it is not applied" in result.err
        assert "differs" in result.err
    else:
        assert "plan.json was edited after it was made: its actions do not match the digest it carries" in result.err
    assert "run `cspsync plan --out FILE` again and review the new plan" in result.err
    assert emulator_state(workdir) == before
    assert not (workdir / ".cspsync" / "applies").exists()


@pytest.mark.parametrize("recompute_digest", [False, True], ids=["digest-as-saved", "digest-recomputed"])
def test_an_added_suspend_of_another_customers_subscription_is_refused(
    cspsync: Run, workdir: Path, recompute_digest: bool
) -> None:
    """cspsync.yaml says allowSuspend: false; the edit adds a suspend of Contoso's seats to Alpine's plan."""
    assert cspsync("apply", CONTOSO, ALPINE, "--yes").code == 0
    path = workdir / ALPINE
    path.write_text(path.read_text().replace("quantity: 15", "quantity: 16"))
    assert cspsync("plan", ALPINE, "--out", "plan.json").code == 0
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        contoso = store.tenant_by_domain("contosobikes.onmicrosoft.com")
        assert contoso is not None
        seats = next(s for s in store.subscriptions(contoso.id) if s["friendlyName"] == "fabrikam-contosobikes-m365bp")
    finally:
        store.close()
    before = emulator_state(workdir)

    def add_suspend(document: dict[str, Any]) -> None:
        document["actions"].append(
            {
                "id": "alpine-ski-house/suspend-subscription/fabrikam-contosobikes-m365bp",
                "customer": "alpine-ski-house",
                "kind": "suspend-subscription",
                "symbol": "-",
                "summary": "suspend subscription fabrikam-contosobikes-m365bp",
                "status": "ready",
                "destructive": True,
                "payload": {"subscription_id": seats["id"], "friendly_name": "fabrikam-contosobikes-m365bp"},
            }
        )
        alpine = next(c for c in document["customers"] if c["name"] == "alpine-ski-house")
        alpine["actions"].append("alpine-ski-house/suspend-subscription/fabrikam-contosobikes-m365bp")

    edit_plan(workdir / "plan.json", add_suspend, recompute_digest=recompute_digest)
    result = cspsync("apply", "plan.json", "--yes")

    assert result.code == 1, result.out + result.err
    if recompute_digest:
        assert (
            "alpine-ski-house/suspend-subscription/fabrikam-contosobikes-m365bp: in the saved plan, "
            "not in a plan made now" in result.err
        )
    else:
        assert "its actions do not match the digest it carries" in result.err
    after = emulator_state(workdir)
    assert after == before
    suspended = [s for s in after["contosobikes.onmicrosoft.com"]["subscriptions"] if s["status"] != "active"]
    assert suspended == []


def test_a_payload_with_a_key_removed_is_a_clear_refusal_not_a_crash(cspsync: Run, workdir: Path) -> None:
    assert cspsync("plan", CONTOSO, "--out", "plan.json").code == 0
    before = emulator_state(workdir)

    def drop_quantity(document: dict[str, Any]) -> None:
        del action(document, "contoso-bikes/order-subscription/fabrikam-contosobikes-m365bp")["payload"]["quantity"]

    edit_plan(workdir / "plan.json", drop_quantity, recompute_digest=False)
    result = cspsync("apply", "plan.json", "--yes")

    assert result.code == 1, result.err
    assert "Internal error" not in result.err and "Traceback" not in result.err
    assert "plan.json is not a cspsync plan" in result.err
    assert "make one with `cspsync plan --out FILE`" in result.err
    assert emulator_state(workdir) == before


def test_the_confirmation_shows_the_fresh_plan_equal_to_the_saved_one(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    # the money lines name the cancellation window's end to the minute: the two runs in one minute (the test
    # failed when the real clock's minute turned between them)
    with freeze_time("2026-12-01T10:00:00Z", tick=True):
        planned = cspsync("plan", CONTOSO, "--out", "plan.json")
        assert planned.code == 0
        monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
        before = emulator_state(workdir)
        result = cspsync("apply", "plan.json")

    assert result.code == 1  # the person said no: nothing applied, as a failed apply (130 is for Ctrl-C)
    assert result.err.strip().endswith("Apply cancelled: nothing was applied.")
    assert emulator_state(workdir) == before
    assert "Apply these changes to the emulator?" in result.out
    shown = result.out.split("Apply these changes")[0]
    body = planned.out.split("Saved the plan to")[0]
    # the same plan (but for its correlation id line): what is applied is what was reviewed
    assert shown.splitlines()[1:] == body.splitlines()[1:]
    assert "+ order fabrikam-contosobikes-m365bp: 12 × CFQ7TTC0LCHC:0002" in shown


def test_input_ending_at_the_confirmation_stops_as_ctrl_c_does(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-D (or Ctrl-C) at the question is an interrupt, not an answer: 130, and nothing applied."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(""))
    before = emulator_state(workdir)
    result = cspsync("apply", CONTOSO)

    assert result.code == 130
    assert "Aborted." in result.err and "Apply cancelled" not in result.err
    assert emulator_state(workdir) == before


def test_destructive_opt_ins_are_checked_again_at_apply(cspsync: Run, workdir: Path) -> None:
    """A suspend reviewed while allowSuspend was true is refused once cspsync.yaml takes the opt-in back."""
    assert cspsync("apply", CONTOSO, "--yes").code == 0
    config = workdir / CONFIG
    config.write_text(config.read_text().replace("allowSuspend: false", "allowSuspend: true"))
    customer = workdir / CONTOSO
    customer.write_text(
        customer.read_text().replace("      autoRenew: true\n", "      autoRenew: true\n      status: suspended\n")
    )
    customer.write_text(
        customer.read_text().replace("      status: suspended\n", "      status: suspended\n      protected: false\n")
    )
    saved = cspsync("plan", CONTOSO, "--out", "plan.json")
    assert "- suspend subscription fabrikam-contosobikes-m365bp" in saved.out
    assert "refused" not in saved.out
    before = emulator_state(workdir)

    config.write_text(config.read_text().replace("allowSuspend: true", "allowSuspend: false"))
    result = cspsync("apply", "plan.json", "--yes")

    assert result.code == 1, result.out + result.err
    assert "contoso-bikes/suspend-subscription/fabrikam-contosobikes-m365bp: status differs" in result.err
    assert emulator_state(workdir) == before


@pytest.mark.parametrize("first", [True, False], ids=["plan-first", "plan-after-paths"])
def test_a_saved_plan_given_with_other_paths_is_refused_whole(cspsync: Run, workdir: Path, first: bool) -> None:
    """`apply plan.json examples/customers` read the plan as a customer file: one finding per key of the plan,
    or "no cspsync.yaml" for the plan's folder. It is refused with what to type, and nothing is applied."""
    assert cspsync("plan", CONTOSO, "--out", "plan.json").code == 0
    before = emulator_state(workdir)
    paths = ("plan.json", "examples/customers") if first else ("examples/customers", "plan.json")
    for command in ("apply", "plan", "validate"):
        result = cspsync(command, *paths, *(("--yes",) if command == "apply" else ()))
        assert result.code == 1, result.err
        assert result.err == (
            "Error: plan.json is JSON, not a customer file (customer files are YAML, *.yaml or *.yml)\n"
            "  hint: a saved plan is applied alone, with no other paths: cspsync apply plan.json\n"
        )
    assert emulator_state(workdir) == before


def test_a_saved_plan_applies_from_a_folder_below_the_one_it_was_made_in(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From examples/customers, ``apply ../../plan.json`` said "examples/customers/contoso-bikes.yaml does not
    exist": the plan names its files from the folder it was made in, and they were looked for from the working
    folder only."""
    assert cspsync("plan", CONTOSO, "--out", "plan.json").code == 0
    monkeypatch.chdir(workdir / "examples" / "customers")

    result = cspsync("apply", "../../plan.json", "--yes")

    assert result.code == 0, result.err
    assert "does not exist" not in result.err
    assert "✓ contoso-bikes/create-customer: done" in result.out


def test_a_saved_plan_kept_in_its_folder_applies_from_any_working_folder(
    cspsync: Run, workdir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cspsync("plan", CONTOSO, "--out", "plan.json").code == 0
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)

    result = cspsync("apply", str(workdir / "plan.json"), "--yes")

    assert result.code == 0, result.err
    assert "✓ contoso-bikes/create-customer: done" in result.out


def test_a_saved_plan_whose_files_cannot_be_found_says_where_to_apply_it(
    cspsync: Run, workdir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = emulator_state(workdir)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    assert cspsync("plan", CONTOSO, "--out", str(elsewhere / "plan.json")).code == 0
    monkeypatch.chdir(elsewhere)

    result = cspsync("apply", "plan.json", "--yes")

    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "Error: the saved plan names its customer files from the folder it was made in (such as "
        f"{CONTOSO}), and no folder holds them all: not the working folder, {elsewhere}, nor any folder above "
        "either\n"
        "  hint: apply it from the folder the plan was made in (or a folder below it)\n"
    )
    assert emulator_state(workdir) == before


def test_a_saved_plan_found_from_another_folder_still_applies_only_to_its_declarations(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files found by name from below are held to the plan's fingerprint like any others."""
    assert cspsync("plan", CONTOSO, "--out", "plan.json").code == 0
    contoso = workdir / CONTOSO
    contoso.write_text(contoso.read_text().replace("quantity: 12", "quantity: 13"))
    before = emulator_state(workdir)
    monkeypatch.chdir(workdir / "examples")

    result = cspsync("apply", "../plan.json", "--yes")

    assert result.code == 1
    assert "the declarations changed since the plan was made" in result.err
    assert emulator_state(workdir) == before
