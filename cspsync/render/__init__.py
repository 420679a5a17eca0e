"""Renderers: one function per format, each ``Plan -> str``; only the CLI prints.

``text`` is for terminals (colour only when asked, i.e. on a TTY), ``markdown`` for pull-request
comments and job summaries, ``json`` for machines (the versioned plan itself).
"""

from __future__ import annotations

from typing import Literal

from cspsync.plan.model import Plan
from cspsync.render.markdown import render_markdown
from cspsync.render.text import render_text

Format = Literal["text", "markdown", "json"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "json")


def render(plan: Plan, fmt: Format, *, color: bool = False) -> str:
    """Render ``plan`` in ``fmt``; the result never holds a secret because a plan never does."""
    if fmt == "json":
        return plan.to_json()
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color)


__all__ = ["FORMATS", "Format", "render", "render_markdown", "render_text"]
