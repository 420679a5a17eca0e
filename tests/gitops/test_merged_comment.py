"""The merged plan of a CI matrix as ONE pull-request comment within GitHub's limits (render/fitted.py).

GitHub refuses a comment over 65,536 characters and a step summary over 1 MiB, and a merged plan of 100,000
customers is tens of megabytes of Markdown. A reviewer must still see every count, the blocked actions,
adoptions and cancellations first, and be told what was left out and where the whole plan is; nothing may
be cut in half (a line, an alert item, a ``<details>`` section) and hostile text stays escaped. The limits
here are small so that small plans show the shortening; the goldens are checked by GitHub's cmark-gfm."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import cmarkgfm
import pytest

from cspsync.gitops.shards import merge_plans
from cspsync.plan import payloads
from cspsync.plan.model import (
    Action,
    BudgetCheck,
    Change,
    CustomerPlan,
    Kind,
    Money,
    Plan,
    PlanMoney,
    ShardClaims,
    ShardOf,
    make_action,
)
from cspsync.render.fitted import (
    COMMENT,
    MIN_LIMIT,
    SUMMARY_LIMIT,
    WHOLE,
    Budget,
    Elsewhere,
    render_fitted,
    summary_budget,
)
from tests.golden import Golden, check_github_markdown

HOSTILE = "<img src=x onerror=alert(1)> </details> **bold** [x](http://evil.example) ``` @team #12"
CI = Elsewhere(artifact="cspsync-plan-merged", run_url="https://github.com/fabrikam/declarations/actions/runs/101")
_BILLING = payloads.BillingDetails(
    company_name="Contoso", email="billing@contoso.example", culture="en-GB", language="en",
    first_name="Amelia", last_name="Hughes", default_address=payloads.AddressDetails(country="GB"),
)  # fmt: skip


#: two seats more at EUR 10.00 a month each, sold at EUR 12.50
SEATS = Money(
    currency="EUR", seats=2, billing_cycle="monthly", unit_cost=Decimal("10.00"), unit_price=Decimal("12.50"),
    monthly_cost=Decimal("20.00"), monthly_price=Decimal("25.00"), term_cost=Decimal("240.00"),
    term_price=Decimal("300.00"), margin=Decimal("5.00"),
)  # fmt: skip


def _action(customer: str, kind: Kind, payload: payloads.Payload, summary: str, **fields: Any) -> Action:
    return make_action(kind, payload, id=f"{customer}/{kind.value}/{summary[-10:]}", customer=customer,
                       summary=summary, **fields)  # fmt: skip


def _customer(i: int, company: str) -> tuple[CustomerPlan, list[Action]]:
    """Customer i: every third is blocked, every fourth adopted, every fifth has a cancellation."""
    name = f"customer-{i:03d}"
    sub = payloads.UpdateSubscription(subscription_id=f"s{i}", friendly_name=f"m365-{i}")
    actions = [
        _action(name, Kind.UPDATE_SUBSCRIPTION, sub, f"update subscription m365-{i}",
                changes=(Change(field="quantity", before=10, after=12),), money=SEATS),
    ]  # fmt: skip
    if i % 4 == 0:
        adopt = payloads.AdoptCustomer(
            tenant_id=f"00000000-0000-4000-8000-{i:012d}", company_name=company, domains=(f"c{i}.example",),
            found_by="domain", evidence="declared-tenant-id",
        )  # fmt: skip
        actions.insert(0, _action(name, Kind.ADOPT_CUSTOMER, adopt, f"adopt customer {company}"))
    if i % 3 == 0:
        create = payloads.CreateCustomer(domain=f"c{i}.onmicrosoft.com", billing_profile=_BILLING)
        actions.append(
            _action(name, Kind.CREATE_CUSTOMER, create, f"create customer {company}", status="blocked",
                    reason=f"c{i}.onmicrosoft.com already belongs to {company}")
        )  # fmt: skip
    if i % 5 == 0:
        cancel = payloads.CancelSubscription(subscription_id=f"t{i}", friendly_name=f"old-{i}")
        actions.append(_action(name, Kind.CANCEL_SUBSCRIPTION, cancel, f"cancel subscription old-{i}",
                               destructive=True))  # fmt: skip
    customer = CustomerPlan(
        name=name, file=f"customers/{name}.yaml", company=company, mode="existing", domain=f"c{i}.example",
        state="linked", actions=tuple(a.id for a in actions),
    )  # fmt: skip
    return customer, actions


def _shard(index: int, count: int, customers: range, company: str, **money: Any) -> Plan:
    planned = [_customer(i, company) for i in customers]
    # the natural keys a shard plan lists for every file it read (merge-plans checks them across shards)
    claims = tuple(ShardClaims(file=c.file, keys=(("name", c.name), ("domain", c.domain or ""))) for c, _ in planned)
    return Plan(
        cspsync_version="0.1.0",
        created_at=dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
        target="emulator",
        partner_tenant_id="6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
        correlation_id=f"c0ffee-{index}",
        scope=("customers",),
        observed_fingerprint=f"sha256:observed-{index}",
        declarations_fingerprint=f"sha256:declared-{index}",
        customers=tuple(c for c, _ in planned),
        actions=tuple(a for _, acts in planned for a in acts),
        shard=ShardOf(index=index, count=count, portfolio="sha256:portfolio", commit="a" * 40, claims=claims),
        **money,
    )


def merged(customers: int = 24, company: str = "Contoso Bikes Ltd") -> Plan:
    """Three shard plans of ``customers`` customers, merged: priced, and over the plan budget of EUR 100 a month
    once merged (every shard was within it) and customer-003's of EUR 10."""
    ceiling = BudgetCheck(scope="plan", currency="EUR", ceiling=Decimal(100), added=Decimal(0), over=False)
    over = BudgetCheck(scope="customer", customer="customer-003", currency="EUR", ceiling=Decimal(10),
                       added=Decimal(20), over=True)  # fmt: skip
    third = customers // 3
    bounds = [range(0, third), range(third, 2 * third), range(2 * third, customers)]
    shards = [
        _shard(i + 1, 3, r, company, money=PlanMoney(budget=(ceiling, over) if i == 0 else (ceiling,)))
        for i, r in enumerate(bounds)
    ]
    return merge_plans([(f"plan-{i + 1}.json", plan) for i, plan in enumerate(shards)])


def _comment(limit: int) -> Budget:
    return Budget(limit, "characters", "comment")


def test_a_merged_plan_that_fits_is_the_whole_plan(golden: Golden) -> None:
    plan = merged(6)
    whole = render_fitted(plan, WHOLE)

    assert render_fitted(plan, COMMENT, CI) == whole  # nothing left out, so no line says so
    assert "Not in this" not in whole
    golden.check("merged-whole.md", whole)


def test_a_merged_comment_over_the_limit_keeps_the_summary_and_says_what_is_where(golden: Golden) -> None:
    plan = merged()
    text = render_fitted(plan, _comment(9_000), CI)

    assert len(text) <= 9_000
    golden.check("merged-comment-9000.md", text)
    assert "**Plan: 6 to adopt, 0 to create, 24 to update, 5 to cancel, 0 waiting, 8 blocked.**" in text
    assert "> **8 action(s) are blocked or refused**: apply cannot do them as declared." in text
    assert "> **Adopts 6 customer(s) that cspsync did not create.**" in text
    assert "> **Over budget.**" in text  # money is never what is left out first
    last = text.rstrip("\n").splitlines()[-1]
    assert last.startswith("_Not in this comment (GitHub's 9,000-character limit): ")
    assert (
        "The whole plan is in the artifact `cspsync-plan-merged` of "
        "[run 101](https://github.com/fabrikam/declarations/actions/runs/101) (plan.md and plan.json)._"
    ) in last


def test_when_not_even_the_blocked_lines_fit_their_count_and_the_rest_are_named(golden: Golden) -> None:
    plan = merged(90)
    text = render_fitted(plan, _comment(MIN_LIMIT), CI)

    assert len(text) <= MIN_LIMIT
    golden.check("merged-comment-4096.md", text)
    shown = text.count("> - `!` ")
    assert 0 < shown < 30
    assert f"> - … and {30 - shown:,} more blocked or refused action(s): in the whole plan" in text
    assert f"{30 - shown:,} of 30 blocked or refused action(s)" in text.splitlines()[-1]
    assert "<details>" not in text  # no section fits: the last line says so, none is half there
    assert "90 of 90 customer section(s)" in text


@pytest.mark.parametrize("limit", [MIN_LIMIT, 5_000, 7_777, 12_345, 20_000, 40_000])
def test_at_any_limit_nothing_is_cut_in_half_and_nothing_is_dropped_silently(limit: int) -> None:
    plan = merged(60, company=HOSTILE)
    whole = render_fitted(plan, WHOLE)
    text = render_fitted(plan, _comment(limit), CI)

    assert len(text) <= limit < len(whole)
    check_github_markdown(text, where=f"comment of {limit} characters")
    whole_lines = set(whole.splitlines())
    ours = re.compile(r"^(> - … and [\d,]+ more |\| … and [\d,]+ more customer|_Not in this comment|_… and more)")
    for line in text.splitlines():
        assert line in whole_lines or ours.match(line), line
    lines = text.splitlines()
    assert sum(line.startswith("<details><summary>") for line in lines) == lines.count("</details>")
    for what, total in (("blocked or refused action(s)", 20), ("adoption(s)", 15), ("destructive action(s)", 12)):
        more = re.search(rf"> - … and ([\d,]+) more {re.escape(what)}", text)
        left = re.search(rf"([\d,]+) of {total} {re.escape(what)}", text.splitlines()[-1])
        assert (more is None) == (left is None), what
        if more and left:
            assert more.group(1) == left.group(1)


def test_hostile_text_stays_escaped_in_a_shortened_comment() -> None:
    text = render_fitted(merged(30, company=HOSTILE), _comment(6_000), CI)

    html = cmarkgfm.github_flavored_markdown_to_html(text)
    assert "<img" not in html and 'href="http://evil.example"' not in html
    assert "<strong>bold</strong>" not in html
    assert "@\u2060team" in text and "#\u206012" in text  # no mention, no reference
    check_github_markdown(text)


def test_the_job_summary_counts_bytes_and_what_the_step_wrote_before() -> None:
    plan = merged(60, company="Société Générale 🚲 Vélos")
    budget = summary_budget(used=SUMMARY_LIMIT - 6_000)
    text = render_fitted(plan, budget, Elsewhere(artifact="cspsync-plan-merged"))

    assert budget.limit == 6_000 and budget.unit == "bytes"
    assert len(text.encode("utf-8")) <= 6_000 < len(text.encode("utf-8")) + 2_000
    assert "_Not in this job summary (GitHub's 6,000-byte limit): " in text
    assert "The whole plan is in the artifact `cspsync-plan-merged` of this run (plan.md and plan.json)._" in text
