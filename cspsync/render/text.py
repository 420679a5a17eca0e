"""Terminal rendering: symbols ``+ ~ - !``, colour (with rich) only when the caller asks (a TTY)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator

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
        return "".join(_plain(lines))
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


#: lines joined into one piece of the streamed plain text (a write per line would be slow, the whole plan
#: at once was most of a 100,000-customer plan's memory while it printed)
_LINES_PER_PIECE = 2000


def _plain(lines: Iterable[Line]) -> Iterator[str]:
    """The plain text of ``lines`` in pieces of whole lines; the control characters rich strips are never a
    newline, so stripping them piece by piece is stripping the whole text."""
    batch: list[str] = []
    for line in lines:
        batch.append(line[0][0] if len(line) == 1 else "".join([text for text, _ in line]))
        if len(batch) == _LINES_PER_PIECE:
            batch.append("")  # each line ends with its line break
            yield _RICH_STRIPS.sub("", "\n".join(batch))
            batch = []
    if batch:
        batch.append("")
        yield _RICH_STRIPS.sub("", "\n".join(batch))


def render_text(plan: Plan, *, color: bool = False) -> str:
    if color:
        return _flush(list(_lines(plan)), color)
    return "".join(_plain(_lines(plan)))


def text_pieces(plan: Plan, *, color: bool = False) -> Iterator[str]:
    """:func:`render_text` in pieces, made as they are written: the same text without holding all of it."""
    if color:
        yield render_text(plan, color=True)
        return
    yield from _plain(_lines(plan))


def _lines(plan: Plan) -> Iterator[Line]:
    """The plan's lines, one at a time."""
    yield _line(headline(plan), "dim")
    if plan.read is not None:
        yield _line(t(read_line(plan.read)), "dim")
    if plan.adoptions:
        yield _line()
        yield (
            _line(
                f"ADOPT: this plan brings {len(plan.adoptions)} customer(s) that cspsync did not create under "
                "management; check each is the declared customer:",
                "bold magenta",
            )
        )
        yield from (_line(f"  @ {t(adoption_line(a))}", "magenta") for a in plan.adoptions)
    for customer in plan.customers:
        if not customer.actions and customer.note is None and not customer.attention:
            continue
        yield _line()
        where = customer.domain or customer.tenant_id or ""
        yield (
            [
                (t(customer.name), "bold"),
                (f"  ({t(customer.file)})", "dim"),
                (t(f"  {customer.mode} {where} · {customer.state}"), ""),
            ]
        )
        if customer.note:
            yield _line(f"    {t(customer.note)}", "dim")
        for attention in customer.attention:
            yield _line(f"    ! {t(attention)}", "bold yellow")
        for action_id in customer.actions:
            yield from _action_lines(plan.action(action_id))
        total = money.customer_line(customer)
        if total:
            yield _line(f"    {t(total)}", "bold cyan")
    for item in plan.unmanaged:
        yield (
            _line(
                "\n" + t(f"unmanaged {item.kind}: {item.customer} {item.name} ({item.detail or 'not declared'})"),
                "dim",
            )
        )
    for problem in plan.unknown:
        yield _line("\nunknown: " + t(problem), "bold red")
    yield _line()
    if not plan.customers and not plan.unknown:
        # a scope of no file (nothing changed since REF or since the last apply) compared nothing
        yield _line(NOTHING_IN_SCOPE, "bold green")
        return
    if not plan.actions and not plan.unknown:
        yield _line("No changes. Partner Center matches the declarations.", "bold green")
        return
    if not plan.has_changes and not plan.unknown:
        yield _line(
            "No changes to apply now; the steps above wait (for a person, or for an order to be provisioned) "
            "or are blocked.",
            "bold green",
        )
    for words in money.plan_lines(plan):
        over = words.startswith(("OVER BUDGET", "apply refuses"))
        yield _line(t(words), "bold red" if over else "cyan")
    yield _line(summary_line(plan.summary), "bold")
