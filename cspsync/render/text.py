"""Terminal rendering: symbols ``+ ~ - !``, colour (with rich) only when the caller asks (a TTY)."""

from __future__ import annotations

import io
import re

from cspsync.plan.model import Action, Plan, Symbol
from cspsync.render import money
from cspsync.render.escape import terminal as t
from cspsync.render.words import (
    ADOPT_TAG,
    NOTHING_IN_SCOPE,
    adoption_line,
    change_line,
    headline,
    read_line,
    summary_line,
)

STYLES: dict[Symbol, str] = {
    Symbol.CREATE: "green",
    Symbol.UPDATE: "yellow",
    Symbol.REMOVE: "red",
    Symbol.HUMAN: "magenta",
    Symbol.ADOPT: "bold magenta",
}


#: the control characters rich removes from text (``rich.control.strip_control_codes``); the plain form
#: removes them too, so output with and without colour says the same
_RICH_STRIPS = re.compile("[\x07\x08\x0b-\x0d]")
#: one line of output: its pieces, each with its rich style ("" for none)
Line = list[tuple[str, str]]


def _line(text: str = "", style: str = "") -> Line:
    return [(text, style)]


def _action_lines(action: Action) -> list[Line]:
    style = STYLES[action.symbol]
    first: Line = [("  ", ""), (action.symbol.value, f"bold {style}"), (" ", ""), (t(action.summary), "")]
    if action.destructive:
        first.append(("  [DESTRUCTIVE]", "bold red"))
    if action.symbol is Symbol.ADOPT and action.status == "ready":
        first.append((f"  {ADOPT_TAG}", "bold magenta"))
    lines = [first]
    for change in action.changes:
        lines.append(_line(f"      {t(change_line(change))}", style))
    lines += [_line(f"      {t(line)}", "cyan") for line in money.action_lines(action)]
    if action.status != "ready" and action.reason:
        style = "dim" if action.status == "waiting" else "red"
        lines.append(_line(f"      {action.status}: {t(action.reason)}", style))
    for warning in action.warnings:
        lines.append(_line(f"      warning: {t(warning)}", "yellow"))
    return lines


def _flush(lines: list[Line], color: bool) -> str:
    """The whole plan at once. Without colour the pieces are joined as they are (rich adds nothing to
    soft-wrapped text without styles, and building its Text objects was most of the rendering time); with
    colour one rich print styles them (a print per line made 30,000 lines take seconds)."""
    if not color:
        plain = "".join("".join(text for text, _ in line) + "\n" for line in lines)
        return _RICH_STRIPS.sub("", plain)
    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=True,
        color_system="standard",
        width=120,
        soft_wrap=True,
        highlight=False,
        emoji=False,
        markup=False,
    )
    console.print(Text("\n").join(Text.assemble(*line) for line in lines))
    return buffer.getvalue()


def render_text(plan: Plan, *, color: bool = False) -> str:
    out: list[Line] = [_line(headline(plan), "dim")]
    if plan.read is not None:
        out.append(_line(t(read_line(plan.read)), "dim"))
    if plan.adoptions:
        out.append(_line())
        out.append(
            _line(
                f"ADOPT: this plan brings {len(plan.adoptions)} customer(s) that cspsync did not create under "
                "management; check each is the declared customer:",
                "bold magenta",
            )
        )
        out += [_line(f"  @ {t(adoption_line(a))}", "magenta") for a in plan.adoptions]
    for customer in plan.customers:
        if not customer.actions and customer.note is None and not customer.attention:
            continue
        out.append(_line())
        where = customer.domain or customer.tenant_id or ""
        out.append(
            [
                (t(customer.name), "bold"),
                (f"  ({t(customer.file)})", "dim"),
                (t(f"  {customer.mode} {where} · {customer.state}"), ""),
            ]
        )
        if customer.note:
            out.append(_line(f"    {t(customer.note)}", "dim"))
        for attention in customer.attention:
            out.append(_line(f"    ! {t(attention)}", "bold yellow"))
        for action_id in customer.actions:
            out += _action_lines(plan.action(action_id))
        total = money.customer_line(customer)
        if total:
            out.append(_line(f"    {t(total)}", "bold cyan"))
    for item in plan.unmanaged:
        out.append(
            _line(
                "\n" + t(f"unmanaged {item.kind}: {item.customer} {item.name} ({item.detail or 'not declared'})"),
                "dim",
            )
        )
    for problem in plan.unknown:
        out.append(_line("\nunknown: " + t(problem), "bold red"))
    out.append(_line())
    if not plan.customers and not plan.unknown:
        # a scope of no file (nothing changed since REF or since the last apply) compared nothing
        out.append(_line(NOTHING_IN_SCOPE, "bold green"))
        return _flush(out, color)
    if not plan.actions and not plan.unknown:
        out.append(_line("No changes. Partner Center matches the declarations.", "bold green"))
        return _flush(out, color)
    if not plan.has_changes and not plan.unknown:
        out.append(_line("No changes to apply now; the steps above wait for a person or are blocked.", "bold green"))
    for words in money.plan_lines(plan):
        over = words.startswith(("OVER BUDGET", "apply refuses"))
        out.append(_line(t(words), "bold red" if over else "cyan"))
    out.append(_line(summary_line(plan.summary), "bold"))
    return _flush(out, color)
