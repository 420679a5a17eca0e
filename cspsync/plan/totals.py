"""Totals per customer and per plan, and the budget ceilings of cspsync.yaml checked against them.

Only actions that will happen count: ready ones, and waiting ones (they run once a person acts); blocked
and refused ones do not. Amounts are added per currency, never converted. A ceiling compares the monthly
cost a plan *adds* (orders and seat increases; a decrease elsewhere makes no room). One rule for every
unknown cost (:func:`unknown_cost`): an order or seat increase whose cost is not known, whatever the
reason (the offer is not in the price sheet, the sheet could not be read, it is in another currency),
makes each ceiling it falls under exceeded, naming it: the plan cannot show it stays under. The Azure
plan is billed by consumption: it is not an unknown cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from cspsync.currency import round_money
from cspsync.declarations.models import Budget
from cspsync.errors import ApplyError
from cspsync.plan.model import Action, BudgetCheck, Money, Plan, Totals, UnknownCost

COUNTED = ("ready", "waiting")


def counted(action: Action) -> bool:
    return action.money is not None and action.status in COUNTED


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    total = Decimal(0)
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _net_monthly_cost(money: Money) -> Decimal | None:
    """What one action adds to the monthly cost: an upgrade's new seats less the old ones it replaces."""
    if money.consumption or money.monthly_cost is None:
        return None
    old = money.replaces.monthly_cost if money.replaces is not None else None
    return money.monthly_cost + (old or Decimal(0))


#: months one invoice covers, per billing cycle paid up front
UPFRONT_MONTHS = {"annual": Decimal(12), "triennial": Decimal(36)}


def _upfront(money: Money, monthly: Decimal | None) -> Decimal | None:
    """The first up-front invoice of ``monthly`` for added seats billed annually or triennially: the months
    one invoice covers, at most the months the seats commit to (seats added mid-term are prorated)."""
    period = UPFRONT_MONTHS.get(money.billing_cycle or "")
    if period is None or money.seats <= 0 or monthly is None:
        return Decimal(0)
    months = min(period, money.commitment.months) if money.commitment is not None else period
    return monthly * months


def totals(currency: str, monies: Sequence[Money]) -> Totals:
    """The sums of ``monies`` (all in ``currency``), each a whole number of the currency's minor unit."""
    sides = [side for m in monies for side in (m, m.replaces) if side is not None]  # an upgrade counts both
    figured = [m for m in sides if not m.consumption and m.monthly_cost is not None]

    def money(value: Decimal) -> Decimal:
        return round_money(value, currency)

    def maybe(value: Decimal | None) -> Decimal | None:
        return money(value) if value is not None else None

    monthly_cost = money(sum((m.monthly_cost for m in figured if m.monthly_cost is not None), Decimal(0)))
    monthly_price = maybe(_sum(m.monthly_price for m in figured))
    added = sum((n for m in monies if (n := _net_monthly_cost(m)) is not None and n > 0), Decimal(0))
    return Totals(
        currency=currency,
        monthly_cost=monthly_cost,
        monthly_price=monthly_price,
        term_cost=money(sum((m.term_cost or Decimal(0) for m in figured), Decimal(0))),
        term_price=maybe(_sum(m.term_price for m in figured)),
        margin=monthly_price - monthly_cost if monthly_price is not None else None,
        added_monthly_cost=money(added),
        upfront_cost=money(sum((_upfront(m, m.monthly_cost) or Decimal(0) for m in figured), Decimal(0))),
        upfront_price=maybe(_sum(_upfront(m, m.monthly_price) for m in figured)),
        consumption=sum(1 for m in monies if m.consumption),
        unknown=sum(1 for m in sides if not m.consumption and not m.unlisted and m.monthly_cost is None),
        unlisted=sum(1 for m in sides if m.unlisted),
    )


def by_currency(monies: Iterable[Money]) -> tuple[Totals, ...]:
    groups: dict[str, list[Money]] = {}
    for money in monies:
        groups.setdefault(money.currency, []).append(money)
    return tuple(totals(currency, items) for currency, items in sorted(groups.items()))


def unknown_cost(action: Action) -> UnknownCost | None:
    """The action, when it adds seats (an order, a seat increase, the new side of an offer change) at a monthly
    cost nobody knows: a ceiling cannot be shown kept with it in. A decrease of unknown cost only makes the
    known sum an upper bound, so it is not one."""
    money = action.money
    if money is None or money.consumption or money.seats <= 0 or money.monthly_cost is not None:
        return None
    return UnknownCost(action=action.id, reason=money.note or "the cost is unknown")


def priced_in(actions: Iterable[Action], currency: str, customer: str | None = None) -> list[Action]:
    """The actions priced in ``currency`` (of ``customer`` only, when given): what one ceiling is checked on."""
    return [
        a for a in actions if a.money is not None and a.money.currency == currency and customer in (None, a.customer)
    ]


def budget_check(
    scope: str, customer: str | None, ceiling: Decimal, total: Totals, actions: Iterable[Action]
) -> BudgetCheck:
    """``total`` (of ``actions``, the counted ones in its currency and scope) against ``ceiling``."""
    unknown = tuple(u for a in actions if a.money is not None and (u := unknown_cost(a)) is not None)
    added = total.added_monthly_cost if not unknown else None
    return BudgetCheck(
        scope="plan" if scope == "plan" else "customer",
        customer=customer,
        currency=total.currency,
        ceiling=ceiling,
        added=added,
        unknown=unknown,
        over=added is None or added > ceiling,
        upfront=total.upfront_cost if added is not None else None,
    )


def budget_checks(
    budget: Budget,
    plan_totals: Sequence[Totals],
    customer_totals: Mapping[str, Totals],
    actions: Sequence[Action],
) -> tuple[BudgetCheck, ...]:
    """Every ceiling that applies: per plan for each currency the plan spends, per customer likewise;
    ``actions``: the counted ones the totals were made of."""
    checks = [
        budget_check("plan", None, budget.perPlan[total.currency], total, priced_in(actions, total.currency))
        for total in plan_totals
        if total.currency in budget.perPlan
    ]
    checks += [
        budget_check(
            "customer", name, budget.perCustomer[total.currency], total, priced_in(actions, total.currency, name)
        )
        for name, total in sorted(customer_totals.items())
        if total.currency in budget.perCustomer
    ]
    return tuple(checks)


def refuse_over_budget(plan: Plan, *, allowed: bool) -> None:
    """ApplyError when ``plan`` is over a ceiling of cspsync.yaml's budget and that was not allowed."""
    if allowed or not plan.over_budget or plan.money is None:
        return
    over = [check for check in plan.money.budget if check.over]
    scopes = ", ".join("the plan" if check.scope == "plan" else str(check.customer) for check in over)
    raise ApplyError(
        f"the plan is over budget ({scopes}); nothing was applied",
        hint="review the costs above; pass --allow-over-budget to apply it anyway, or raise budget in cspsync.yaml",
    )
