"""What a plan covers, in words, after the plan: text lines or a Markdown block of the pull-request comment."""

from __future__ import annotations

from cspsync.gitops.scope import Scope
from cspsync.render import Format
from cspsync.render.markdown import escape_inline

#: characters the scope notes may add to a Markdown plan: the renderer leaves 1,024 under GitHub's limit
_NOTES_BUDGET = 700


def render_scope_notes(scope: Scope, fmt: Format) -> str:
    """The scope in words, after the plan: text lines, or a Markdown block for the pull-request comment."""
    if fmt == "json":
        return ""
    if fmt == "text":
        # deleted files already show as unmanaged customers in the text rendering
        return "".join(f"{line}\n" for line in scope.notes)
    lines = [""] + [f"_{escape_inline(note)}_" for note in scope.notes]
    if scope.deleted:
        lines += ["", "**No longer managed** (customer files deleted; nothing is deleted in Partner Center):", ""]
        used = sum(len(line) + 1 for line in lines)
        for listed, item in enumerate(scope.deleted):
            name = f" ({escape_inline(item.name)})" if item.name else ""
            line = f"- {escape_inline(item.path)}{name}"
            if used + len(line) > _NOTES_BUDGET - 40:
                lines.append(f"- … and {len(scope.deleted) - listed} more")
                break
            lines.append(line)
            used += len(line) + 1
    return "\n".join(lines) + "\n" if len(lines) > 1 else ""
