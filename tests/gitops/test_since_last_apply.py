"""Apply on merge applies the reviewed change: ``apply --since-last-apply`` plans only the files changed since
the commit of the last successful apply; a change made in the portal to another customer stays drift.
History attributes each action to the commit that declared it; a dirty tree says so in the record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.cli import Run

from .conftest import git


def _record(state: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(sorted((state / "applies").glob("*.json"))[-1].read_text())
    return document


def _state(declarations: Path) -> Path:
    return declarations.parent / "state"


def test_only_the_merged_change_is_applied_and_a_portal_change_elsewhere_stays_drift(
    cspsync: Run, declarations: Path
) -> None:
    first = cspsync("apply", "customers", "--yes")
    assert first.code == 0, first.out + first.err
    baseline = git(declarations, "rev-parse", "HEAD").strip()
    assert _record(_state(declarations))["baseline"] is True

    from cspsync.emulator import Store

    store = Store(_state(declarations) / "emulator.db")
    contoso = store.tenant_by_domain("contosobikes.onmicrosoft.com")
    assert contoso is not None
    store.set_subscription_fields(contoso.id, "fabrikam-contosobikes-m365bp", quantity=10)  # in the portal
    store.close()

    alpine = declarations / "customers/alpine-ski-house.yaml"
    alpine.write_text(alpine.read_text().replace("quantity: 15", "quantity: 16"))
    git(declarations, "commit", "-q", "-am", "Alpine Ski House: 16 seats (#2)", date="2026-11-03T10:00:00Z")
    merged = git(declarations, "rev-parse", "HEAD").strip()

    applied = cspsync("apply", "customers", "--yes", "--since-last-apply")

    assert applied.code == 0, applied.out + applied.err
    assert f"scope: the files changed since the last successful apply (since-last-apply {baseline}" in applied.out
    assert f"scope: 1 of 7 customer file(s), changed since {baseline}" in applied.out
    assert "✓ alpine-ski-house/update-subscription/northwind-alpineski-m365e3/quantity: done" in applied.out
    assert "contoso-bikes" not in applied.out  # the portal's seat reduction is not bought back
    record = _record(_state(declarations))
    assert record["git_commit"] == merged and record["dirty"] is False and record["succeeded"] is True
    assert record["scope"].startswith(f"since-last-apply {baseline}")
    assert {a["declared_in"] for a in record["actions"] if a["status"] != "waiting"} == {merged}
    # the invited customers still wait for their acceptance: kept in scope, as they were reviewed
    assert {a["customer"] for a in record["actions"] if a["status"] == "waiting"} == {"litware", "woodgrove-bank"}

    drift = cspsync("drift", "customers")
    assert drift.code == 2
    assert "drifted  contoso-bikes" in drift.out
    assert "quantity: 10 → 12" in drift.out

    history = cspsync("history", "alpine-ski-house")
    assert f"from commit {merged[:7]}, declared in commit {merged[:7]}" in history.out

    again = cspsync("apply", "customers", "--yes", "--since-last-apply")
    assert again.code == 0, again.out + again.err
    assert f"changed since {merged}" in again.out  # the baseline moved to the apply that succeeded
    assert "0 of 7 customer file(s)" in again.out
    # contoso-bikes still differs: an apply that compared nothing must not say everything matches
    assert "Partner Center matches the declarations" not in again.out


def test_since_last_apply_without_a_successful_apply_refuses(cspsync: Run) -> None:
    result = cspsync("apply", "customers", "--yes", "--since-last-apply")
    assert result.code == 1
    assert "no successful apply against the emulator is recorded in" in result.err
    assert "make the first apply of the whole repository explicitly" in result.err


def test_an_apply_from_a_dirty_tree_says_so_in_the_record_and_is_no_baseline(cspsync: Run, declarations: Path) -> None:
    contoso = declarations / "customers/contoso-bikes.yaml"
    contoso.write_text(contoso.read_text().replace("quantity: 12", "quantity: 14"))

    applied = cspsync("apply", "customers", "--yes")

    assert applied.code == 0, applied.out + applied.err
    assert "! applied from a working tree with uncommitted changes (" in applied.out
    record = _record(_state(declarations))
    assert record["dirty"] is True
    assert record["uncommitted_files"] == [str(contoso.resolve())]
    assert record["baseline"] is False
    declared = {a["customer"]: a["declared_in"] for a in record["actions"]}
    assert declared["contoso-bikes"] is None  # not from any commit
    assert declared["adatum"] == git(declarations, "rev-parse", "HEAD").strip()
    history = cspsync("history", "contoso-bikes")
    assert "with uncommitted changes" in history.out


def test_a_customer_that_was_waiting_for_acceptance_is_applied_by_the_next_merge(
    cspsync: Run, declarations: Path
) -> None:
    """Its subscriptions were reviewed with its file; after the customer accepts, an apply on any later merge
    orders them, although the file did not change again."""
    first = cspsync("apply", "customers", "--yes")
    assert first.code == 0, first.out + first.err
    assert _record(_state(declarations))["succeeded"] is True

    from cspsync.emulator import Store

    store = Store(_state(declarations) / "emulator.db")
    store.accept_invitation("litware.ie")  # the customer's global admin accepts
    store.close()
    alpine = declarations / "customers/alpine-ski-house.yaml"
    alpine.write_text(alpine.read_text().replace("quantity: 15", "quantity: 16"))
    git(declarations, "commit", "-q", "-am", "Alpine Ski House: 16 seats (#2)")

    applied = cspsync("apply", "customers", "--yes", "--since-last-apply")

    assert applied.code == 0, applied.out + applied.err
    assert "scope: also 2 customer file(s) that waited in the apply of " in applied.out
    assert "litware, woodgrove-bank" in applied.out
    assert "✓ litware/order-subscription/" in applied.out
    assert "✓ alpine-ski-house/update-subscription/northwind-alpineski-m365e3/quantity: done" in applied.out
    assert "contoso-bikes" not in applied.out


def test_a_sharded_apply_takes_only_the_waiting_customers_of_its_own_shard(cspsync: Run, declarations: Path) -> None:
    """Every shard of a matrix adding every waiting customer had N applies act on one customer: each waiting
    customer is added by the one shard its file is in, and litware's subscription is ordered once."""
    from cspsync.emulator import Store
    from cspsync.gitops.portfolio import shard_of

    first = cspsync("apply", "customers", "--yes")
    assert first.code == 0, first.out + first.err
    store = Store(_state(declarations) / "emulator.db")
    store.accept_invitation("litware.ie")
    store.close()
    git(declarations, "commit", "-q", "--allow-empty", "-m", "nothing changed (#2)")

    outputs = {}
    for index in (1, 2):
        applied = cspsync("apply", "customers", "--yes", "--since-last-apply", "--shard", f"{index}/2")
        assert applied.code == 0, applied.out + applied.err
        outputs[index] = applied.out

    for name in ("litware", "woodgrove-bank"):
        holder = shard_of(f"customers/{name}.yaml", 2)
        assert f"{name} " in outputs[holder] or f"{name}," in outputs[holder], name
        assert name not in outputs[3 - holder], name
    ordered = [line for out in outputs.values() for line in out.splitlines() if "✓ litware/order-subscription/" in line]
    assert len(ordered) == 1, ordered


def test_since_last_apply_outside_git_says_there_is_no_commit_to_compare_with(
    cspsync: Run, declarations: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside git it said "no successful apply against the emulator is recorded in ...", after several."""
    plain = tmp_path / "no-git"
    shutil.copytree(declarations, plain, ignore=shutil.ignore_patterns(".git"))
    monkeypatch.chdir(plain)
    assert cspsync("apply", "customers", "--yes").code == 0

    result = cspsync("apply", "customers", "--yes", "--since-last-apply")

    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "Error: --since-last-apply plans the files changed since the commit of the last successful apply, and . "
        "is not in a git work tree with a commit, so there is nothing to compare with\n"
        "  hint: run it in the repository's git checkout (as the apply workflow does); outside git, apply PATHS "
        "without it, after reviewing the plan it shows\n"
    )
