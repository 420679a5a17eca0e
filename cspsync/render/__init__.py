"""Every rendering of cspsync, one module per report, each ``data -> str``; only the CLI prints.

plan (``text`` for terminals, colour only on a TTY; ``markdown`` for pull-request comments and job
summaries; ``json``, the versioned plan itself), drift, history, validation problems. Importing this
package loads no renderer: ``cspsync validate`` must start without rich.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from cspsync.plan.model import Plan
    from cspsync.render.text import render_text

Format = Literal["text", "markdown", "json"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "json")


def render(plan: Plan, fmt: Format, *, color: bool = False) -> str:
    """Render ``plan`` in ``fmt``; the result never holds a secret because a plan never does."""
    if fmt == "json":
        return plan.to_json()
    if fmt == "markdown":  # the pull request's comment: within GitHub's limit, what matters most first
        from cspsync.render.fitted import COMMENT, OF_A_PLAN, render_fitted

        return render_fitted(plan, COMMENT, OF_A_PLAN)
    from cspsync.render.text import render_text

    return render_text(plan, color=color)


def render_pieces(plan: Plan, fmt: Format, *, color: bool = False) -> Iterator[str]:
    """:func:`render` in pieces for a command to write one after the other: the plain text of a large plan
    is made as it is written rather than held whole, and so is the JSON, an action at a time (Markdown comes
    in one piece: a comment is bounded)."""
    if fmt == "json":
        for piece in plan.json_pieces():
            yield piece.decode()
        yield "\n"
        return
    if fmt == "text":
        from cspsync.render.text import text_pieces

        yield from text_pieces(plan, color=color)
        return
    yield render(plan, fmt, color=color)


def __getattr__(name: str) -> Any:
    if name == "render_text":
        from cspsync.render.text import render_text

        return render_text
    raise AttributeError(name)


__all__ = ["FORMATS", "Format", "render", "render_pieces", "render_text"]
