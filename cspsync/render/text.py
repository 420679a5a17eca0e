"""Terminal rendering with rich: symbols ``+ ~ - !``, colour only when the caller asks (a TTY)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from cspsync.plan.model import Action, Plan, Symbol
from cspsync.render import money
from cspsync.render.escape import terminal as t
from cspsync.render.words import (
    ADOPT_TAG,
    NOTHING_IN_SCOPE,
    adoption_line,
    change_line,
    headline,
    summary_line,
)

STYLES: dict[Symbol, str] = {
    Symbol.CREATE: "green",
    Symbol.UPDATE: "yellow",
    Symbol.REMOVE: "red",
    Symbol.HUMAN: "magenta",
    Symbol.ADOPT: "bold magenta",
}


def _action_lines(action: Action) -> list[Text]:
    style = STYLES[action.symbol]
    first = Text("  ")
    first.append(action.symbol.value, style=f"bold {style}")
    first.append(" ")
    first.append(t(action.summary))
    if action.destructive:
        first.append("  [DESTRUCTIVE]", style="bold red")
    if action.symbol is Symbol.ADOPT and action.status == "ready":
        first.append(f"  {ADOPT_TAG}", style="bold magenta")
    lines = [first]
    for change in action.changes:
        lines.append(Text(f"      {t(change_line(change))}", style=style))
    lines += [Text(f"      {t(line)}", style="cyan") for line in money.action_lines(action)]
    if action.status != "ready" and action.reason:
        style = "dim" if action.status == "waiting" else "red"
        lines.append(Text(f"      {action.status}: {t(action.reason)}", style=style))
    for warning in action.warnings:
        lines.append(Text(f"      warning: {t(warning)}", style="yellow"))
    return lines


def _flush(console: Console, buffer: io.StringIO, lines: list[Text]) -> str:
    """One print for the whole plan (rich's per-call overhead made 30,000 lines take seconds); without
    colour rich adds nothing to soft-wrapped text, so its plain form is the output."""
    if console.no_color:
        return "".join(f"{line.plain}\n" for line in lines)
    console.print(Text("\n").join(lines))
    return buffer.getvalue()


def render_text(plan: Plan, *, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=120,
        soft_wrap=True,
        highlight=False,
        emoji=False,
        markup=False,
    )
    out: list[Text] = [Text(headline(plan), style="dim")]
    if plan.adoptions:
        out.append(Text())
        out.append(
            Text(
                f"ADOPT: this plan brings {len(plan.adoptions)} customer(s) that cspsync did not create under "
                "management; check each is the declared customer:",
                style="bold magenta",
            )
        )
        out += [Text(f"  @ {t(adoption_line(a))}", style="magenta") for a in plan.adoptions]
    by_id = {a.id: a for a in plan.actions}
    for customer in plan.customers:
        if not customer.actions and customer.note is None and not customer.attention:
            continue
        out.append(Text())
        head = Text(t(customer.name), style="bold")
        head.append(f"  ({t(customer.file)})", style="dim")
        where = customer.domain or customer.tenant_id or ""
        head.append(t(f"  {customer.mode} {where} · {customer.state}"))
        out.append(head)
        if customer.note:
            out.append(Text(f"    {t(customer.note)}", style="dim"))
        for attention in customer.attention:
            out.append(Text(f"    ! {t(attention)}", style="bold yellow"))
        for action_id in customer.actions:
            for line in _action_lines(by_id[action_id]):
                out.append(line)
        total = money.customer_line(customer)
        if total:
            out.append(Text(f"    {t(total)}", style="bold cyan"))
    for item in plan.unmanaged:
        out.append(
            Text(
                "\n" + t(f"unmanaged {item.kind}: {item.customer} {item.name} ({item.detail or 'not declared'})"),
                style="dim",
            )
        )
    for problem in plan.unknown:
        out.append(Text("\nunknown: " + t(problem), style="bold red"))
    out.append(Text())
    if not plan.customers and not plan.unknown:
        # a scope of no file (nothing changed since REF or since the last apply) compared nothing
        out.append(Text(NOTHING_IN_SCOPE, style="bold green"))
        return _flush(console, buffer, out)
    if not plan.actions and not plan.unknown:
        out.append(Text("No changes. Partner Center matches the declarations.", style="bold green"))
        return _flush(console, buffer, out)
    if not plan.has_changes and not plan.unknown:
        out.append(
            Text("No changes to apply now; the steps above wait for a person or are blocked.", style="bold green")
        )
    for words in money.plan_lines(plan):
        over = words.startswith(("OVER BUDGET", "apply refuses"))
        out.append(Text(t(words), style="bold red" if over else "cyan"))
    out.append(Text(summary_line(plan.summary), style="bold"))
    return _flush(console, buffer, out)
