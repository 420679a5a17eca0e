"""``cspsync auth status`` as text: each identity, each operation the declarations need, and what to fix.

The details and problems carry Entra ID's and Partner Center's words (an error description, a token's user
name and audience): each is escaped for the terminal, so none can move the cursor or forge a line.
"""

from __future__ import annotations

from cspsync.partnercenter.status import Status
from cspsync.render.escape import terminal as t


def format_status(status: Status) -> str:
    lines = [
        f"app-only   {'ok  ' if status.app_only.ok else 'FAIL'}  {t(status.app_only.detail)}",
        f"App+User   {'ok  ' if status.app_user.ok else 'FAIL'}  {t(status.app_user.detail)}",
        "",
        "operations the declarations need:",
    ]
    width = max((len(op.name) for op, _ in status.rows), default=0)
    for op, cap in status.rows:
        mark = "ok  " if cap.ok else "FAIL"
        lines.append(f"  {mark}  {op.name:<{width}}  {op.identity.value:<15} for {op.needed_for}")
    fixes: list[str] = []
    for _, cap in status.failing:
        entry = f"{t(cap.problem)}\n    fix: {t(cap.fix)}" if cap.fix else t(cap.problem)
        if entry not in fixes:
            fixes.append(entry)
    if fixes:
        lines += ["", "what to fix (a plan would fail):"] + [f"  - {entry}" for entry in fixes]
    else:
        lines += ["", "every operation the declarations need has an identity that can do it."]
    return "\n".join(lines) + "\n"
