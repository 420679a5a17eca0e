"""The blocks of a plan in Markdown (customer sections, the customers' table, the money) and the limit they
are laid out in; render/fitted.py lays them out for a pull-request comment, a job summary or a file.

User text (company names, friendly names, e-mail addresses) is escaped wherever it lands: table
cells and ``<summary>`` get HTML/Markdown escaping, action lines sit inside a fenced ``diff`` block
whose fence is longer than any backtick run in the content.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from cspsync.currency import format_money
from cspsync.plan.model import Action, CustomerPlan, Plan, Symbol, summarize
from cspsync.render import escape, money
from cspsync.render.words import (
    ADOPT_TAG,
    change_line,
)

#: the hidden marker that finds the sticky comment again
MARKER = "<!-- cspsync-plan -->"
#: GitHub rejects comments and issue bodies over 65,536 characters; keep room for the note and the marker
LIMIT = 65_536
BUDGET = LIMIT - 1_024

#: a value in a cell or paragraph (the escaping of every Markdown channel is render/escape.py's)
escape_inline = escape.markdown_inline
#: the most characters one alert's list of a drift issue body (failed reads) takes, and one of the money
#: section's (over-budget checks, unknown costs); render/fitted.py's ALERT_SHARE is the divisor of the plan
#: layout's own alerts, not a count of characters
ALERT_ROOM = BUDGET // 5
MONEY_ROOM = BUDGET // 10


def bounded(lines: Sequence[str], room: int, more: Callable[[int], str]) -> list[str]:
    """As many of ``lines`` as fit in ``room`` characters (each with its newline), then ``more(K)`` for the K
    left out: a list of thousands (adoptions, failed reads) must not push a comment or an issue body over
    GitHub's 65,536 characters, which GitHub refuses whole."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        if used + len(line) + 1 > room:
            return [*kept, more(len(lines) - index)]
        kept.append(line)
        used += len(line) + 1
    return kept


def more_items(what: str, where: str) -> Callable[[int], str]:
    """The last item of an alert list :func:`bounded` shortened: how many were left out, and where they are."""
    return lambda left: f"> - … and {left:,} more {what}: {where}"


#: where the whole plan is, for a line that leaves some of it out
WHOLE_PLAN = "the whole plan is in `cspsync plan` output and plan.json"


def _diff_line(action: Action) -> list[str]:
    mark = {Symbol.CREATE: "+", Symbol.UPDATE: "!", Symbol.REMOVE: "-", Symbol.HUMAN: "#", Symbol.ADOPT: "!"}[
        action.symbol
    ]
    # diff highlighting: + green, - red, ! orange, # grey; the real symbol follows for readers
    tags = ("  [DESTRUCTIVE]" if action.destructive else "") + (
        f"  {ADOPT_TAG}" if action.symbol is Symbol.ADOPT and action.status == "ready" else ""
    )
    lines = [f"{mark} {action.symbol.value} {action.summary}{tags}"]
    lines += [f"{mark}     {change_line(c)}" for c in action.changes]
    lines += [f"{mark}     {line}" for line in money.action_lines(action)]
    if action.status != "ready" and action.reason:
        lines.append(f"#     {action.status}: {action.reason}")
    lines += [f"#     warning: {w}" for w in action.warnings]
    return lines


#: the count columns of the customers' table, as the summary line names what they count
_COLUMNS = {
    "adopt": "adopt",
    "create": "create",
    "update": "update",
    "remove": "cancel",
    "suspend": "suspend",
    "end_access": "end access",
    "waiting": "waiting",
}
_ALWAYS = ("create", "update", "remove", "waiting")  # the others only when the plan has one


def table_columns(plan: Plan) -> tuple[str, ...]:
    """The summary fields the customers' table shows: the four it always has, and adoptions, suspensions
    and admin relationships to end when the plan has any."""
    summary = plan.summary
    return tuple(field for field in _COLUMNS if field in _ALWAYS or getattr(summary, field))


def table_head(columns: tuple[str, ...]) -> str:
    names = " | ".join(_COLUMNS[field] for field in columns)
    return f"| customer | file | {names} |\n|---|---|" + "---:|" * len(columns) + "\n"


def table_row(plan: Plan, customer: CustomerPlan, columns: tuple[str, ...]) -> str:
    counts = summarize(plan.action(action_id) for action_id in customer.actions)
    cells = [counts.waiting + counts.blocked if field == "waiting" else getattr(counts, field) for field in columns]
    inline = escape_inline
    return f"| {inline(customer.name)} | {inline(customer.file)} | " + " | ".join(map(str, cells)) + " |\n"


def table_more(count: int, columns: tuple[str, ...]) -> str:
    return f"| … and {count:,} more customer(s) | |" + " |" * len(columns) + "\n"


def _section(plan: Plan, customer: CustomerPlan) -> str:
    lines: list[str] = []
    for action_id in customer.actions:
        lines += _diff_line(plan.action(action_id))
    heading = ([f"# {customer.note}"] if customer.note else []) + [f"# ! {line}" for line in customer.attention]
    lines = heading + lines
    total = money.customer_line(customer)
    if total:
        lines.append(f"# {total}")
    body = "\n".join(escape.code_line(line) for line in lines)
    fence = escape.fence(body)
    where = customer.domain or customer.tenant_id or ""
    title = escape.markdown_html(f"{customer.name} · {customer.company} · {customer.mode} {where}")
    return (
        f"<details><summary>{title} ({escape.markdown_html(customer.state)})</summary>\n\n"
        f"{fence}diff\n{body}\n{fence}\n\n</details>\n"
    )


def _cell(value: Decimal | None, currency: str) -> str:
    return format_money(value, currency) if value is not None else "—"


def money_section(plan: Plan) -> list[str]:
    """Totals per currency as a table, then budget and unknown costs as alerts; nothing for an unpriced plan."""
    if plan.money is None:
        return []
    lines: list[str] = []
    if plan.money.over_budget:
        lines += ["> [!CAUTION]", "> **Over budget.**"]
        over = [money.budget_line(check) for check in plan.money.budget if check.over]
        lines += bounded(
            [f"> - {escape_inline(line)}" for line in over], MONEY_ROOM, more_items("over-budget check(s)", WHOLE_PLAN)
        )
        lines += ["> `cspsync apply` refuses this plan unless `--allow-over-budget` is given.", ""]
    if plan.money.unknown:
        lines += ["> [!WARNING]", "> Some costs are unknown (not zero):"]
        lines += bounded(
            [f"> - {escape_inline(reason)}" for reason in plan.money.unknown],
            MONEY_ROOM,
            more_items("unknown cost(s)", WHOLE_PLAN),
        )
        lines.append("")
    if plan.money.totals:
        lines += [
            "**Money** (ready and waiting changes; blocked ones are not counted):",
            "",
            "| currency | to customers / month | cost / month | margin / month | commitments to customers "
            "| commitments at cost | not counted |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for total in plan.money.totals:
            currency = total.currency
            left_out = [
                f"{total.consumption} Azure plan(s) billed by consumption" if total.consumption else "",
                f"{total.unknown} item(s) of unknown cost" if total.unknown else "",
                f"{total.unlisted} item(s) not in the price sheet" if total.unlisted else "",
            ]
            lines.append(
                f"| {currency} | {_cell(total.monthly_price, currency)} | {_cell(total.monthly_cost, currency)} "
                f"| {_cell(total.margin, currency)} | {_cell(total.term_price, currency)} "
                f"| {_cell(total.term_cost, currency)} | {'; '.join(filter(None, left_out))} |"
            )
        lines.append("")
    within = [line for line in money.budget_lines(plan) if line.startswith("within")]
    if within:
        lines += [escape_inline(within[0]), ""]
    return lines
