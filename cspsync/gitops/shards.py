"""Shard plans of one portfolio (``plan --shard I/N`` in a CI matrix) merged into one plan for one review."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from cspsync.errors import PlanError
from cspsync.plan.model import FORMAT_VERSION, Action, BudgetCheck, Plan, PlanMoney, Unmanaged
from cspsync.plan.totals import by_currency, counted


def merge_plans(plans: Sequence[tuple[str, Plan]]) -> Plan:
    """One plan from the shard plans ``(source name, plan)``: for one review, not for ``apply``.

    The shards must be of the same target and partner and cover disjoint customers. Fingerprints of a
    merged plan start with ``merged:``: the observed state was read in parts, so apply the shard plans
    themselves (or plan afresh), never the merged one.
    """
    if not plans:
        raise PlanError("merge-plans needs at least one plan")
    first_source, first = plans[0]
    owner: dict[str, str] = {}
    for source, plan in plans:
        if plan.format_version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
            raise PlanError(f"{source} has plan format {plan.format_version}; this cspsync reads {FORMAT_VERSION}")
        if plan.target != first.target:
            raise PlanError(f"{source} is a plan for the {plan.target}, {first_source} for the {first.target}")
        if plan.partner_tenant_id != first.partner_tenant_id:
            raise PlanError(
                f"{source} is for partner tenant {plan.partner_tenant_id}, {first_source} for {first.partner_tenant_id}"
            )
        for customer in plan.customers:
            if customer.name in owner:
                raise PlanError(
                    f"customer {customer.name} is in both {owner[customer.name]} and {source}: the shards overlap",
                    hint="make every shard with the same N (--shard I/N) from the same commit",
                )
            owner[customer.name] = source
    customers = sorted((c for _, p in plans for c in p.customers), key=lambda c: c.file)
    by_customer: dict[str, list[Action]] = {}
    for _, plan in plans:
        for action in plan.actions:
            by_customer.setdefault(action.customer, []).append(action)
    actions = [a for c in customers for a in by_customer.get(c.name, [])]
    unmanaged: list[Unmanaged] = []
    for _, plan in plans:
        unmanaged += [u for u in plan.unmanaged if u not in unmanaged]

    def joined(values: Sequence[str]) -> str:
        return "merged:sha256:" + hashlib.sha256("\n".join(sorted(values)).encode()).hexdigest()

    correlation_ids = list(dict.fromkeys(p.correlation_id for _, p in plans))
    money = _merged_money([p for _, p in plans], actions)
    return Plan(
        cspsync_version=first.cspsync_version,
        created_at=max(p.created_at for _, p in plans),
        target=first.target,
        partner_tenant_id=first.partner_tenant_id,
        correlation_id=", ".join(correlation_ids),
        scope=tuple(sorted({s for _, p in plans for s in p.scope})),
        observed_fingerprint=joined([p.observed_fingerprint for _, p in plans]),
        declarations_fingerprint=joined([p.declarations_fingerprint for _, p in plans]),
        customers=tuple(customers),
        actions=tuple(actions),
        unmanaged=tuple(unmanaged),
        unknown=tuple(u for _, p in plans for u in p.unknown),
        money=money,
    )


def _merged_money(plans: Sequence[Plan], actions: Sequence[Action]) -> PlanMoney | None:
    """Totals of the merged actions; per-plan ceilings checked against them, per-customer checks kept."""
    priced = [p.money for p in plans if p.money is not None]
    if not priced:
        return None
    plan_totals = by_currency(a.money for a in actions if counted(a) and a.money is not None)
    ceilings = {c.currency: c.ceiling for m in priced for c in m.budget if c.scope == "plan"}
    checks: list[BudgetCheck] = []
    for total in plan_totals:
        if total.currency in ceilings:
            added = total.added_monthly_cost if total.unknown == 0 else None
            ceiling = ceilings[total.currency]
            checks.append(
                BudgetCheck(
                    scope="plan",
                    currency=total.currency,
                    ceiling=ceiling,
                    added=added,
                    over=added is None or added > ceiling,
                )
            )
    checks += sorted(
        (c for m in priced for c in m.budget if c.scope == "customer"), key=lambda c: (c.customer or "", c.currency)
    )
    unknown = tuple(dict.fromkeys(u for m in priced for u in m.unknown))
    return PlanMoney(totals=plan_totals, budget=tuple(checks), unknown=unknown)
