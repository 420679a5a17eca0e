"""The main job, end to end through the CLI against the in-process emulator."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from cspsync.emulator import Store
from cspsync.observe import offers
from cspsync.workspace import Workspace
from tests.cli import Run

CUSTOMERS = "examples/customers"


def _counts(workdir: Path) -> tuple[list[str], int]:
    """(customer domains, subscriptions) in the emulator's database."""
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        customers = store.list_customers(limit=100_000)
        subscriptions = sum(len(store.subscriptions(c.id)) for c in customers)
        return [c.domain for c in customers], subscriptions
    finally:
        store.close()


def test_first_apply_creates_everything_and_the_second_plan_is_empty(cspsync: Run, workdir: Path) -> None:
    first = cspsync("apply", CUSTOMERS, "--yes")
    assert first.code == 0, first.err
    assert "target: emulator (not Partner Center)" in first.out
    assert "Plan: 2 to adopt, 19 to create, 0 to update, 0 to cancel, 11 waiting." in first.out
    assert "Apply complete: 23 done, 9 waiting or blocked." in first.out

    again = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert "No changes to apply now" in again.out
    # the invitations, and Litware's admin relationship waiting for approval with its two assignments
    assert "Plan: 0 to create, 0 to update, 0 to cancel, 9 waiting." in again.out

    domains, _ = _counts(workdir)
    assert len(domains) == len(set(domains))
    assert {"contosobikes.onmicrosoft.com", "alpineskihouse.onmicrosoft.com", "fourthcoffeefr.onmicrosoft.com"} <= set(
        domains
    )


def test_editing_one_field_plans_exactly_that_update(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    path = workdir / CUSTOMERS / "contoso-bikes.yaml"
    path.write_text(path.read_text().replace("quantity: 12", "quantity: 15"))

    result = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert result.code == 2
    assert "  ~ update subscription fabrikam-contosobikes-m365bp\n      quantity: 12 → 15\n" in result.out
    assert "Plan: 0 to create, 1 to update, 0 to cancel" in result.out

    applied = cspsync("apply", CUSTOMERS, "--yes")
    assert applied.code == 0
    assert "fabrikam-contosobikes-m365bp: quantity → 15" in applied.out
    assert cspsync("plan", CUSTOMERS, "--detailed-exitcode").code == 0


def test_quantity_decrease_is_refused_without_the_config_opt_in(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    path = workdir / CUSTOMERS / "contoso-bikes.yaml"
    path.write_text(path.read_text().replace("quantity: 12", "quantity: 10"))
    result = cspsync("plan", CUSTOMERS)
    assert "quantity: 12 → 10" in result.out
    assert "refused: quantity decrease 12 → 10 needs destructive.allowQuantityDecrease: true in cspsync.yaml" in (
        result.out
    )


def test_invitation_waits_until_accepted_then_agreement_and_orders_apply(cspsync: Run, workdir: Path) -> None:
    first = cspsync("apply", CUSTOMERS, "--yes")
    assert "litware/request-invitation: done" in first.out
    outbox = (workdir / ".cspsync" / "outbox" / "litware.eml").read_text()
    assert "To: it.admin@litware.ie" in outbox
    assert "invType=" in outbox and "partner-invitation" in outbox

    waiting = cspsync("plan", CUSTOMERS)
    assert "invitation sent to it.admin@litware.ie on" in waiting.out
    assert "! wait for a global admin of litware.ie to accept the reseller relationship" in waiting.out
    assert "request a reseller relationship: invitation to it.admin@litware.ie" not in waiting.out

    accepted = cspsync("emulator", "accept-invitation", "litware.ie", "--db", str(workdir / ".cspsync/emulator.db"))
    assert accepted.code == 0, accepted.err
    approved = cspsync("emulator", "approve-gdap", "litware.ie", "--db", str(workdir / ".cspsync/emulator.db"))
    assert approved.code == 0, approved.err

    linked = cspsync("plan", CUSTOMERS)
    assert "litware  (examples/customers/litware.yaml)  invite litware.ie · linked" in linked.out
    assert "+ record Microsoft Customer Agreement accepted by Siobhan Murphy" in linked.out
    assert "+ order fabrikam-litware-azure: Azure plan" in linked.out

    applied = cspsync("apply", CUSTOMERS, "--yes")
    assert "litware/create-agreement: done" in applied.out
    assert "litware/order-subscription/fabrikam-litware-azure: done" in applied.out
    assert "litware/create-access-assignment/fabrikam-litware-support/helpdesk-agents: done" in applied.out
    final = cspsync("plan", CUSTOMERS)
    assert "litware" not in final.out
    assert "woodgrove-bank" in final.out


def test_saved_plan_applies_exactly_and_a_stale_one_is_refused(cspsync: Run, workdir: Path) -> None:
    saved = cspsync("plan", CUSTOMERS, "--out", "plan.json")
    assert saved.code == 0
    assert "Saved the plan to plan.json; apply exactly it with: cspsync apply plan.json" in saved.out
    document = json.loads((workdir / "plan.json").read_text())
    assert document["format_version"] == "1.0"
    assert document["observed_fingerprint"].startswith("sha256:")

    # Something changes in Partner Center after the review: a customer appears behind cspsync's back.
    cspsync("emulator", "accept-invitation", "woodgrovebank.nl", "--db", str(workdir / ".cspsync/emulator.db"))
    stale = cspsync("apply", "plan.json", "--yes")
    assert stale.code == 1
    assert "Partner Center changed since the plan was made" in stale.err
    assert not (workdir / ".cspsync" / "applies").exists()

    fresh = cspsync("plan", CUSTOMERS, "--out", "plan.json")
    assert fresh.code == 0
    applied = cspsync("apply", "plan.json", "--yes")
    assert applied.code == 0, applied.err
    assert "woodgrove-bank/create-agreement: done" in applied.out


def test_saved_plan_is_refused_when_the_declarations_changed(cspsync: Run, workdir: Path) -> None:
    assert cspsync("plan", CUSTOMERS, "--out", "plan.json").code == 0
    path = workdir / CUSTOMERS / "contoso-bikes.yaml"
    path.write_text(path.read_text().replace("quantity: 12", "quantity: 13"))
    result = cspsync("apply", "plan.json", "--yes")
    assert result.code == 1
    assert "the declarations changed since the plan was made" in result.err


def test_apply_without_yes_and_without_a_terminal_refuses(cspsync: Run) -> None:
    result = cspsync("apply", CUSTOMERS)
    assert result.code == 1
    assert "stdin is not a terminal, so apply cannot ask for confirmation" in result.err
    assert "pass --yes" in result.err


def test_usage_errors_exit_1_not_2(cspsync: Run) -> None:
    result = cspsync("plan", "--no-such-flag")
    assert result.code == 1
    assert "Error: No such option '--no-such-flag'." in result.err


def test_rerun_after_partial_apply_never_duplicates(cspsync: Run, workdir: Path) -> None:
    """An apply repeated over the same state adopts what exists instead of creating it again."""
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    before = _counts(workdir)
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    assert _counts(workdir) == before


@pytest.mark.reveals_secrets("credentials show prints the password to the key holder by design")
def test_credentials_are_encrypted_and_readable_only_with_the_key(cspsync: Run, workdir: Path) -> None:
    applied = cspsync("apply", CUSTOMERS, "--yes")
    # credentials.directory (.cspsync/credentials) is relative to the repository: examples/
    files = sorted((workdir / "examples" / ".cspsync" / "credentials").glob("contoso-bikes.*.age"))
    assert len(files) == 1
    assert b"password" not in files[0].read_bytes()
    shown = cspsync(
        "credentials",
        "show",
        "contoso-bikes",
        "--identity",
        "examples/keys/demo-identity.agekey",
        "--config",
        "examples/cspsync.yaml",
    )
    assert shown.code == 0, shown.err
    match = re.search(r"^password:  (\S+)$", shown.out, re.MULTILINE)
    assert match is not None
    password = match.group(1)
    assert "user name: admin@contosobikes.onmicrosoft.com" in shown.out
    assert password not in applied.out + applied.err
    for record in (workdir / ".cspsync" / "applies").glob("*.json"):
        assert password not in record.read_text()


def test_markdown_and_json_formats(cspsync: Run) -> None:
    markdown = cspsync("plan", CUSTOMERS, "--format", "markdown")
    assert markdown.out.startswith("<!-- cspsync-plan -->\n### cspsync plan\n")
    assert "| customer | file | adopt | create | update | cancel | waiting |" in markdown.out
    assert "<details><summary>contoso-bikes · Contoso Bikes Ltd · create contosobikes.onmicrosoft.com (new)" in (
        markdown.out
    )
    as_json = json.loads(cspsync("plan", CUSTOMERS, "--format", "json").out)
    assert {a["kind"] for a in as_json["actions"]} >= {"create-customer", "create-agreement", "order-subscription"}


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_every_rendering_names_the_emulator_target(cspsync: Run, fmt: str) -> None:
    out = cspsync("plan", CUSTOMERS, "--format", fmt).out
    assert "emulator" in out


def test_one_failing_customer_does_not_stop_the_others(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "productId: CFQ7TTC0LH18" in (workdir / CUSTOMERS / "fourth-coffee.yaml").read_text()
    # Partner Center refuses fourth-coffee's cart (8 seats, over the SKU's maximumQuantity) where its catalog
    # answer states no maximum (the field is optional), so only checkout finds it; an offer typo or a stated
    # maximum no longer serves: the plan blocks those before anything is applied
    with Store(Workspace.from_environment().emulator_db) as store:
        catalog = store.catalog()
        fewer = tuple(replace(o, max_quantity=5) if o.product_id == "CFQ7TTC0LH18" else o for o in catalog.offers)
        store.set_catalog(replace(catalog, offers=fewer))
    read = offers._read
    monkeypatch.setattr(offers, "_read", lambda client, offer: replace(read(client, offer), max_quantity=None))

    result = cspsync("apply", CUSTOMERS, "--yes")
    assert result.code == 1
    assert "✗ fourth-coffee/order-subscription/northwind-fourthcoffee-m365bb: failed" in result.out
    assert "Error: 1 action(s) failed: fourth-coffee/order-subscription/northwind-fourthcoffee-m365bb" in result.err
    assert "run apply again (it resumes, never duplicates)" in result.err
    assert "✓ contoso-bikes/order-subscription/fabrikam-contosobikes-m365bp: done" in result.out
    assert "✓ fourth-coffee/create-agreement: done" in result.out

    records = sorted((workdir / ".cspsync" / "applies").glob("*.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    by_id = {a["id"]: a for a in record["actions"]}
    failed = by_id["fourth-coffee/order-subscription/northwind-fourthcoffee-m365bb"]
    assert failed["status"] == "failed"
    created = by_id["contoso-bikes/create-customer"]
    assert created["status"] == "done" and created["request_ids"]
    assert record["correlation_id"] and record["target"] == "emulator"
    assert record["summary"]["failed"] == 1


def test_a_merged_shard_plan_is_for_review_and_cannot_be_applied(cspsync: Run, workdir: Path) -> None:
    assert cspsync("plan", CUSTOMERS, "--shard", "1/2", "--out", "plan-1.json").code == 0
    assert cspsync("plan", CUSTOMERS, "--shard", "2/2", "--out", "plan-2.json").code == 0
    merged = cspsync("merge-plans", "plan-1.json", "plan-2.json", "--format", "json")
    assert merged.code == 0, merged.err
    (workdir / "merged.json").write_text(merged.out)
    result = cspsync("apply", "merged.json", "--yes")
    assert result.code == 1
    assert "merged.json merges shard plans for review; it cannot be applied as one" in result.err


def test_a_saved_plan_without_changes_applies_nothing(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    (workdir / "empty").mkdir()
    assert cspsync("plan", "empty", "--config", "examples/cspsync.yaml", "--out", "plan.json").code in (0, 1)
    result = cspsync("apply", "plan.json", "--yes")
    assert result.code == 0, result.err
    assert "plan.json has no changes to apply." in result.out


def _subscription_id(workdir: Path, domain: str, name: str) -> str:
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        tenant = store.tenant_by_domain(domain)
        assert tenant is not None
        return str(next(s["id"] for s in store.subscriptions(tenant.id) if s["friendlyName"] == name))
    finally:
        store.close()


def test_a_new_friendly_name_with_the_same_id_is_a_rename_never_a_purchase(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    _, before = _counts(workdir)
    path = workdir / CUSTOMERS / "contoso-bikes.yaml"
    old = "fabrikam-contosobikes-m365bp"
    sub_id = _subscription_id(workdir, "contosobikes.onmicrosoft.com", old)

    path.write_text(path.read_text().replace(f"friendlyName: {old}", "friendlyName: fabrikam-contosobikes-office"))
    unsure = cspsync("plan", CUSTOMERS)
    assert "+ order fabrikam-contosobikes-office" in unsure.out
    assert f"add subscriptionId: {sub_id} to rename it" in unsure.out
    assert "0 to create" in unsure.out  # blocked: never bought twice on a guess

    path.write_text(
        path.read_text().replace(
            "friendlyName: fabrikam-contosobikes-office",
            f"friendlyName: fabrikam-contosobikes-office\n      subscriptionId: {sub_id}",
        )
    )
    plan = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert plan.code == 2
    assert f"  ~ rename subscription {old} → fabrikam-contosobikes-office\n" in plan.out
    assert "Plan: 0 to create, 1 to update, 0 to cancel" in plan.out
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    again = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert again.code == 0, again.out
    assert _counts(workdir)[1] == before
    assert _subscription_id(workdir, "contosobikes.onmicrosoft.com", "fabrikam-contosobikes-office") == sub_id


def _age_windows(workdir: Path, domain: str, name: str, days: int) -> dict[str, object]:
    """Move the subscription's purchase ``days`` into the past: its 7-day windows close (the emulator's clock on
    main is the real one; the emulator branch makes it movable)."""
    import datetime as dt

    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        tenant = store.tenant_by_domain(domain)
        assert tenant is not None
        sub = next(s for s in store.subscriptions(tenant.id) if s["friendlyName"] == name)
        closed = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days - 7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        details = [dict(d, allowedUntilDateTime=closed) for d in sub["refundableQuantity"]["details"]]
        return store.set_subscription_fields(
            tenant.id,
            name,
            cancellationAllowedUntilDate=closed,
            refundableQuantity={"totalQuantity": sum(d["quantity"] for d in details), "details": details},
            refundOptions=[],
        )
    finally:
        store.close()


def test_a_seat_decrease_past_its_window_is_scheduled_for_renewal_then_the_plan_is_empty(
    cspsync: Run, workdir: Path
) -> None:
    import datetime as dt

    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    m365 = _age_windows(workdir, "contosobikes.onmicrosoft.com", "fabrikam-contosobikes-m365bp", days=8)
    ends = dt.datetime.fromisoformat(str(m365["commitmentEndDate"]).replace("Z", "+00:00")).date()
    config = workdir / "examples" / "cspsync.yaml"
    config.write_text(config.read_text().replace("allowQuantityDecrease: false", "allowQuantityDecrease: true"))
    path = workdir / CUSTOMERS / "contoso-bikes.yaml"
    path.write_text(path.read_text().replace("quantity: 12", "quantity: 10"))

    plan = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert plan.code == 2, plan.out + plan.err
    renews = (ends + dt.timedelta(days=1)).isoformat()
    assert (
        f"  ~ update subscription fabrikam-contosobikes-m365bp at renewal on {renews} (new commerce removes "
        "seats mid-term only within 7 days of adding them)\n      quantity: 12 → 10\n"
    ) in plan.out
    applied = cspsync("apply", CUSTOMERS, "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert "fabrikam-contosobikes-m365bp: at renewal quantity → 10" in applied.out
    again = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert again.code == 0, again.out
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        tenant = store.tenant_by_domain("contosobikes.onmicrosoft.com")
        assert tenant is not None
        (live,) = (s for s in store.subscriptions(tenant.id) if s["friendlyName"] == "fabrikam-contosobikes-m365bp")
    finally:
        store.close()
    assert live["quantity"] == 12  # until the renewal
    assert live["scheduledNextTermInstructions"]["quantity"] == 10


def test_renewals_lists_what_renews_with_auto_renew_and_the_scheduled_change(cspsync: Run, workdir: Path) -> None:
    import datetime as dt

    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    m365 = _age_windows(workdir, "contosobikes.onmicrosoft.com", "fabrikam-contosobikes-m365bp", days=8)
    renews = dt.datetime.fromisoformat(str(m365["commitmentEndDate"]).replace("Z", "+00:00")).date() + dt.timedelta(1)
    config = workdir / "examples" / "cspsync.yaml"
    config.write_text(config.read_text().replace("allowQuantityDecrease: false", "allowQuantityDecrease: true"))
    path = workdir / CUSTOMERS / "contoso-bikes.yaml"
    path.write_text(path.read_text().replace("quantity: 12", "quantity: 10"))
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0

    soon = cspsync("renewals", CUSTOMERS, "--days", "30")
    assert soon.code == 0, soon.err
    assert "contoso-bikes/fabrikam-contosobikes-m365bp" not in soon.out
    year = cspsync("renewals", CUSTOMERS, "--days", "400")
    assert year.code == 0, year.err
    assert (
        f"  {renews.isoformat()}  contoso-bikes/fabrikam-contosobikes-m365bp: renews; 12 × {m365['offerId']}, P1Y, "
        "billed monthly\n      scheduled at renewal: quantity → 10, billingCycle → monthly, termDuration → P1Y\n"
    ) in year.out
    # the next term's money: the 10 seats scheduled, and the year an annual cycle invoices up front
    assert (
        "      next term: GBP 215.00/month to the customer (retail-gbp), cost GBP 181.00, margin GBP 34.00 (15.8%); "
        "the P1Y term: GBP 2,580.00 to the customer, cost GBP 2,172.00\n"
    ) in year.out
    assert "; invoiced GBP 5,994.00 a year, up front\n" in year.out  # alpine-ski-house, billed annually
