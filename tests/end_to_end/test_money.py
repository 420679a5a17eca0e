"""Money through the CLI on the examples: the README's main job, seat changes, budget ceilings, saved plans."""

from __future__ import annotations

import json
from pathlib import Path

from cspsync.plan.model import Plan
from cspsync.render import render
from cspsync.render.markdown import escape_inline
from tests.cli import Run

from .conftest import CUSTOMERS

CONTOSO_ORDER = (
    "  + order fabrikam-contosobikes-m365bp: 12 × CFQ7TTC0LCHC:0002 (P1Y, billed monthly, auto-renew on)\n"
    "      money: GBP 258.00/month to the customer (retail-gbp), cost GBP 217.20, margin GBP 40.80 (15.8%)\n"
    "      commits: 12 months (P1Y, billed monthly) until "
)


def _lower_budget(workdir: Path) -> None:
    path = workdir / "examples" / "cspsync.yaml"
    text = path.read_text()
    assert "perCustomer: {GBP: 750," in text
    path.write_text(text.replace("perCustomer: {GBP: 750,", "perCustomer: {GBP: 300,"))


def test_the_main_job_shows_money_per_change_per_customer_and_for_the_plan(cspsync: Run) -> None:
    result = cspsync("apply", CUSTOMERS, "--yes")
    assert result.code == 0, result.err
    assert CONTOSO_ORDER in result.out
    assert (
        "    total: GBP 258.00/month to the customer, cost GBP 217.20, margin GBP 40.80 (15.8%); commitments "
        "GBP 3,096.00 to the customer, cost GBP 2,606.40; 1 Azure plan billed by consumption, not estimated\n"
    ) in result.out
    assert (
        "  + order fabrikam-litware-azure: Azure plan\n      money: billed by consumption (Azure usage)" in result.out
    )
    assert (
        "  GBP: GBP 757.50/month to customers, cost GBP 661.20, margin GBP 96.30 (12.7%); commitments "
        "GBP 9,090.00 to customers, cost GBP 7,934.40; invoiced up front (annual and triennial billing): GBP 5,994.00 "
        "to customers, cost GBP 5,328.00; 2 Azure plans billed by consumption, not estimated\n"
    ) in result.out
    assert "within budget (cspsync.yaml): the plan adds EUR 917.76 of EUR 2,500.00, GBP 661.20 of GBP 2,000.00" in (
        result.out
    )
    # alpine-ski-house pays its year up front (billingCycle: annual): the budget shows that invoice too
    assert "plus EUR 10,368.00, GBP 5,328.00 invoiced up front for annual and triennial billing" in result.out
    assert "Apply complete: 23 done, 9 waiting or blocked." in result.out


CONTOSO = f"{CUSTOMERS}/contoso-bikes.yaml"


def test_added_seats_show_their_monthly_change_with_a_sign(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CONTOSO, "--yes").code == 0
    path = workdir / CONTOSO
    path.write_text(path.read_text().replace("quantity: 12", "quantity: 15"))
    result = cspsync("plan", CONTOSO)
    assert (
        "  ~ update subscription fabrikam-contosobikes-m365bp\n"
        "      quantity: 12 → 15\n"
        "      money: +GBP 64.50/month to the customer (retail-gbp), cost +GBP 54.30, margin +GBP 10.20 (15.8%)\n"
        "      commits: "
    ) in result.out
    as_json = json.loads(cspsync("plan", CONTOSO, "--format", "json").out)
    [update] = [a for a in as_json["actions"] if a["kind"] == "update-subscription"]
    assert {k: update["money"][k] for k in ("seats", "unit_cost", "unit_price", "monthly_cost", "monthly_price")} == {
        "seats": 3, "unit_cost": "18.10", "unit_price": "21.50", "monthly_cost": "54.30", "monthly_price": "64.50",
    }  # fmt: skip
    assert update["money"]["commitment"]["ends_on"] > as_json["created_at"][:10]


def test_a_decrease_inside_its_window_shows_until_when(cspsync: Run, workdir: Path) -> None:
    config = workdir / "examples" / "cspsync.yaml"
    config.write_text(config.read_text().replace("allowQuantityDecrease: false", "allowQuantityDecrease: true"))
    assert cspsync("apply", CONTOSO, "--yes").code == 0
    path = workdir / CONTOSO
    path.write_text(path.read_text().replace("quantity: 12", "quantity: 10"))
    result = cspsync("plan", CONTOSO)
    assert (
        "      money: -GBP 43.00/month to the customer (retail-gbp), cost -GBP 36.20, margin -GBP 6.80 (15.8%) "
        "(can still be reduced until "
    ) in result.out


def test_apply_refuses_a_plan_over_budget_without_the_flag(cspsync: Run, workdir: Path) -> None:
    _lower_budget(workdir)
    refused = cspsync("apply", CUSTOMERS, "--yes")
    assert refused.code == 1
    assert (
        "OVER BUDGET: alpine-ski-house adds GBP 444.00/month at cost, above its ceiling of GBP 300.00/month "
        "(budget.perCustomer in cspsync.yaml)\n"
    ) in refused.out
    assert "apply refuses a plan over budget unless --allow-over-budget is given\n" in refused.out
    assert refused.err == (
        "Error: the plan is over budget (alpine-ski-house); nothing was applied\n"
        "  hint: review the costs above; pass --allow-over-budget to apply it anyway, or raise budget in "
        "cspsync.yaml\n"
    )
    assert not (workdir / ".cspsync" / "applies").exists()

    allowed = cspsync("apply", CUSTOMERS, "--yes", "--allow-over-budget")
    assert allowed.code == 0, allowed.err
    assert "Apply complete: 23 done, 9 waiting or blocked." in allowed.out


def test_every_rendering_marks_a_plan_over_budget(cspsync: Run, workdir: Path) -> None:
    _lower_budget(workdir)
    markdown = cspsync("plan", CUSTOMERS, "--format", "markdown").out
    over = escape_inline(
        "OVER BUDGET: alpine-ski-house adds GBP 444.00/month at cost, above its ceiling of GBP 300.00/month "
        "(budget.perCustomer in cspsync.yaml)"
    )
    assert (
        f"> [!CAUTION]\n> **Over budget.**\n> - {over}\n"
        "> `cspsync apply` refuses this plan unless `--allow-over-budget` is given.\n"
    ) in markdown
    assert "| GBP | GBP 757.50 | GBP 661.20 | GBP 96.30 | GBP 9,090.00 | GBP 7,934.40 | 2 Azure plan(s)" in markdown
    assert (
        "+     money: GBP 258.00/month to the customer (retail-gbp), cost GBP 217.20, margin GBP 40.80 (15.8%)\n"
    ) in markdown
    plan = json.loads(cspsync("plan", CUSTOMERS, "--format", "json").out)
    exceeded = [check for check in plan["money"]["budget"] if check["over"]]
    assert exceeded == [
        {"scope": "customer", "customer": "alpine-ski-house", "currency": "GBP", "ceiling": "300", "added": "444.00",
         "unknown": [], "over": True, "upfront": "5328.00"},
    ]  # fmt: skip


def test_a_saved_plan_over_budget_is_refused_as_it_was_reviewed(cspsync: Run, workdir: Path) -> None:
    _lower_budget(workdir)
    assert cspsync("plan", CUSTOMERS, "--out", "plan.json").code == 0
    refused = cspsync("apply", "plan.json", "--yes")
    assert refused.code == 1
    assert "Error: the plan is over budget (alpine-ski-house); nothing was applied" in refused.err
    assert not (workdir / ".cspsync" / "applies").exists()


def test_a_plan_saved_before_money_existed_still_loads_and_renders(cspsync: Run, workdir: Path) -> None:
    assert cspsync("plan", CUSTOMERS, "--out", "plan.json").code == 0
    document = json.loads((workdir / "plan.json").read_text())
    document.pop("money")
    for item in document["actions"] + document["customers"]:
        item.pop("money")
    old = Plan.from_json(json.dumps(document))
    assert old.money is None and not old.over_budget
    text = render(old, "text")
    assert "money:" not in text and "Money" not in text
    assert "+ order fabrikam-contosobikes-m365bp: 12 × CFQ7TTC0LCHC:0002" in text
