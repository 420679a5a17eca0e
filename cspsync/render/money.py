"""Money in words, shared by the text and Markdown renderings: per action, per customer, per plan.

Amounts carry their ISO currency code (``GBP 1,234.50``); a change to a running subscription carries a
sign (``+GBP 54.30``). A figure that is not known is never written as zero: the line says why it is
missing. Plans made without the money pass (``plan.money`` is None) render exactly as before.
"""

from __future__ import annotations

from decimal import Decimal

from cspsync.currency import format_money
from cspsync.plan.model import Action, BudgetCheck, CustomerPlan, Kind, Money, Plan, Totals
from cspsync.plan.windows import show_instant

BILLED = {"monthly": "billed monthly", "annual": "billed annually", "triennial": "billed every 3 years"}


def _percent(margin: Decimal, price: Decimal) -> str:
    return f" ({(margin / price * 100).quantize(Decimal('0.1'))}%)" if price else ""


def _months(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return f"{text} month" + ("" if value == 1 else "s")


def action_lines(action: Action) -> list[str]:
    """``money: …`` and, for what creates a commitment, ``commits: …``; none when there is no money."""
    money = action.money
    if money is None:
        return []
    if money.consumption:
        return [f"money: {money.note}"]
    if money.monthly_cost is None and money.monthly_price is None:
        return [f"money: unknown ({money.note})" if money.note else "money: unknown"]
    signed = action.kind is not Kind.ORDER_SUBSCRIPTION
    lines = [f"money: {_monthly(money, signed)}"]
    if money.replaces is not None:  # an offer change: the old side and what it nets to
        lines.append(f"replaces: {_monthly(money.replaces, True)}")
        net = _net(money, money.replaces)
        if net is not None:
            lines.append(f"net: {_monthly(net, True)}")
    if money.commitment is not None:
        lines.append(f"commits: {_commitment(money)}")
    return lines


def _plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return a + b if a is not None and b is not None else None


def _net(new: Money, old: Money) -> Money | None:
    """The two sides of an offer change added up (per month); None when neither side's cost is known."""
    cost = _plus(new.monthly_cost, old.monthly_cost)
    if cost is None:
        return None
    price = _plus(new.monthly_price, old.monthly_price)
    margin = price - cost if price is not None else None
    return Money(currency=new.currency, monthly_cost=cost, monthly_price=price, margin=margin)


def _amount(value: Decimal, money: Money, signed: bool) -> str:
    return format_money(value, money.currency, sign=signed)


def _monthly(money: Money, signed: bool) -> str:
    parts = []
    if money.monthly_price is not None:
        book = f" ({money.pricebook})" if money.pricebook else ""
        parts.append(f"{_amount(money.monthly_price, money, signed)}/month to the customer{book}")
        if money.monthly_cost is not None:
            parts.append(f"cost {_amount(money.monthly_cost, money, signed)}")
        if money.margin is not None:
            parts.append(f"margin {_amount(money.margin, money, signed)}{_percent(money.margin, money.monthly_price)}")
    elif money.monthly_cost is not None:
        parts.append(f"cost {_amount(money.monthly_cost, money, signed)}/month")
    text = ", ".join(parts)
    return f"{text} ({money.note})" if money.note else text


def _commitment(money: Money) -> str:
    promise = money.commitment
    assert promise is not None
    billed = BILLED.get(money.billing_cycle or "", money.billing_cycle or "")
    what = f"{_months(promise.months)} ({promise.term}, {billed})" if promise.term else _months(promise.months)
    if money.seats and promise.ends_on is not None:
        what += f" until {promise.ends_on.isoformat()}"
    figures = []
    if money.term_price is not None:
        figures.append(f"{format_money(money.term_price, money.currency)} to the customer")
    if money.term_cost is not None:
        figures.append(f"cost {format_money(money.term_cost, money.currency)}")
    text = what + (": " + ", ".join(figures) if figures else "")
    if promise.cancellable_until is not None:
        text += f"; can be cancelled or reduced until {show_instant(promise.cancellable_until)} (168 hours)"
    return text


_INVOICE = {"annual": ("a year", Decimal(12)), "triennial": ("every three years", Decimal(36))}


def renewal_text(money: Money) -> str:
    """A renewal's next term: per month, over the term, and the invoice paid up front for annual and
    triennial billing (``cspsync renewals``)."""
    if money.monthly_cost is None and money.monthly_price is None:
        return f"unknown ({money.note})" if money.note else "unknown"
    text = f"{_monthly(money, False)}"
    promise = money.commitment
    if promise is not None and promise.term and money.term_cost is not None:
        term = [f"{format_money(money.term_price, money.currency)} to the customer"] if money.term_price else []
        term.append(f"cost {format_money(money.term_cost, money.currency)}")
        text += f"; the {promise.term} term: " + ", ".join(term)
    invoice = _INVOICE.get(money.billing_cycle or "")
    if invoice is not None:
        per, months = invoice
        amount = money.monthly_price if money.monthly_price is not None else money.monthly_cost
        assert amount is not None
        paid = format_money(amount * min(months, promise.months if promise else months), money.currency)
        text += f"; invoiced {paid} {per}, up front"
    return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def totals_text(total: Totals, *, who: str = "the customer") -> str:
    """``GBP 258.00/month to the customer, cost GBP 217.20, margin GBP 40.80 (15.8%); commitments …``."""
    currency = total.currency
    extras = []
    if total.consumption:
        extras.append(f"{_count(total.consumption, 'Azure plan')} billed by consumption, not estimated")
    if total.unknown:
        extras.append(f"{_count(total.unknown, 'item')} of unknown cost, not included")
    if total.unlisted:
        extras.append(f"{_count(total.unlisted, 'item')} not in the price sheet, not included")
    nothing_figured = total.monthly_cost == 0 and total.term_cost == 0 and not total.monthly_price
    if nothing_figured and extras:
        return "; ".join(extras)
    if total.monthly_price is not None:
        monthly = (
            f"{format_money(total.monthly_price, currency)}/month to {who}, "
            f"cost {format_money(total.monthly_cost, currency)}"
        )
        if total.margin is not None:
            monthly += f", margin {format_money(total.margin, currency)}{_percent(total.margin, total.monthly_price)}"
    else:
        monthly = f"cost {format_money(total.monthly_cost, currency)}/month (no customer price for some items)"
    terms = "commitments "
    if total.term_price is not None:
        terms += f"{format_money(total.term_price, currency)} to {who}, "
    text = f"{monthly}; {terms}cost {format_money(total.term_cost, currency)}"
    if total.upfront_cost:
        text += f"; {upfront_text(total, who=who)}"
    return "; ".join([text, *extras])


def upfront_text(total: Totals, *, who: str = "the customer") -> str:
    """``invoiced up front (annual and triennial billing): GBP 3,096.00 to the customer, cost GBP 2,606.40``."""
    figures = []
    if total.upfront_price is not None:
        figures.append(f"{format_money(total.upfront_price, total.currency)} to {who}")
    figures.append(f"cost {format_money(total.upfront_cost, total.currency)}")
    return "invoiced up front (annual and triennial billing): " + ", ".join(figures)


def customer_line(customer: CustomerPlan) -> str | None:
    return f"total: {totals_text(customer.money)}" if customer.money is not None else None


def budget_line(check: BudgetCheck) -> str:
    """The line of a check that failed: who, how much, and which ceiling of cspsync.yaml."""
    who = "the plan" if check.scope == "plan" else check.customer
    field = "budget.perPlan" if check.scope == "plan" else "budget.perCustomer"
    ceiling = format_money(check.ceiling, check.currency)
    if check.added is None:
        head = f"OVER BUDGET: {who} cannot be shown to stay under {ceiling}/month ({field} in cspsync.yaml): "
        if not check.unknown:  # a plan saved before the checks named them
            return head + f"it has items of unknown cost in {check.currency}"
        return head + "; ".join(f"the cost of {u.action} is unknown ({u.reason})" for u in check.unknown)
    added = format_money(check.added, check.currency)
    return (
        f"OVER BUDGET: {who} adds {added}/month at cost, above its ceiling of {ceiling}/month ({field} in cspsync.yaml)"
    )


def budget_lines(plan: Plan) -> list[str]:
    """One line for the ceilings the plan keeps, one per ceiling it breaks."""
    if plan.money is None or not plan.money.budget:
        return []
    checks = plan.money.budget
    kept = [
        f"{format_money(c.added, c.currency)} of {format_money(c.ceiling, c.currency)}"
        for c in checks
        if c.scope == "plan" and not c.over and c.added is not None
    ]
    customers = [c for c in checks if c.scope == "customer"]
    upfront = [
        format_money(c.upfront, c.currency) for c in checks if c.scope == "plan" and c.upfront is not None and c.upfront
    ]
    parts = [f"the plan adds {', '.join(kept)} a month at cost"] if kept else []
    if upfront:
        parts.append(f"plus {', '.join(upfront)} invoiced up front for annual and triennial billing")
    if customers and not any(c.over for c in customers):
        parts.append("every customer is under its ceiling")
    lines = [f"within budget (cspsync.yaml): {'; '.join(parts)}"] if parts else []
    return lines + [budget_line(c) for c in checks if c.over]


def plan_lines(plan: Plan) -> list[str]:
    """The plan's money: totals per currency, budget checks, and why costs are unknown."""
    money = plan.money
    if money is None:
        return []
    lines = ["Money (ready and waiting changes; blocked ones are not counted):"] if money.totals else []
    lines += [f"  {total.currency}: {totals_text(total, who='customers')}" for total in money.totals]
    lines += [f"costs unknown: {reason}" for reason in money.unknown]
    lines += budget_lines(plan)
    if money.over_budget:
        lines.append("apply refuses a plan over budget unless --allow-over-budget is given")
    return lines
