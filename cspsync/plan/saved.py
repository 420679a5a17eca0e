"""A saved plan is a contract: ``apply PLAN.json`` re-plans and applies only an identical set of actions.

The saved file is parsed into the typed plan (unknown or missing fields refused), then compared with a
fresh plan made from the same declarations against the current Partner Center: target, declarations,
observed state, and **every action, field by field** (payloads included). Any difference is refused and
shown, so a hand-edited quantity, product, suspend or e-mail can never run. The figures that depend only
on the clock (until when a new order could still be cancelled) are left out of the comparison.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cspsync.declarations import Declared
from cspsync.errors import PlanError, undecodable_byte
from cspsync.plan.build import declarations_fingerprint
from cspsync.plan.digest import actions_digest, reviewed_form
from cspsync.plan.model import FORMAT_VERSION, Action, Plan

REPLAN = "run `cspsync plan --out FILE` again and review the new plan"


def load_saved_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PlanError(f"cannot read saved plan {path}: {err.strerror}") from None
    except UnicodeDecodeError as err:  # cspsync writes UTF-8: a binary file, or a plan an editor saved as UTF-16
        raise PlanError(
            f"{path} is not a cspsync plan: not UTF-8 text ({undecodable_byte(err)})",
            hint="make one with `cspsync plan --out FILE`",
        ) from None
    try:
        plan = Plan.from_json(text)
    except ValidationError as err:
        raise PlanError(
            f"{path} is not a cspsync plan: {_why_not(text, err)}", hint="make one with `cspsync plan --out FILE`"
        ) from None
    if plan.observed_fingerprint.startswith("merged:"):
        raise PlanError(
            f"{path} merges shard plans for review; it cannot be applied as one",
            hint="apply each shard's own plan file (cspsync apply plan-I.json), as the CI matrix does",
        )
    if plan.format_version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise PlanError(f"{path} has plan format {plan.format_version}; this cspsync reads {FORMAT_VERSION}")
    if plan.actions_digest is not None and plan.actions_digest != actions_digest(plan.actions):
        raise PlanError(
            f"{path} was edited after it was made: its actions do not match the digest it carries",
            hint=REPLAN,
        )
    return plan


def saved_declarations(saved: Plan, plan_path: Path) -> list[Path]:
    """The customer files ``saved`` was made from. It names them relative to the folder it was made in, which it
    does not record: they are looked for from the working folder and each folder above it, then from the plan
    file's folder and each above it (a plan saved in the repository), and the nearest folder that holds all of
    them is taken. Which files they are proves nothing: apply still refuses the plan unless their declarations
    are those it was made from (the fingerprint)."""
    here = Path.cwd()
    there = plan_path.resolve().parent
    for base in dict.fromkeys((here, *here.parents, there, *there.parents)):
        if all((base / name).is_file() for name in saved.scope):
            return [Path(os.path.relpath(base / name)) if base != here else Path(name) for name in saved.scope]
    missing = next(name for name in saved.scope if not Path(name).is_file())
    raise PlanError(
        f"the saved plan names its customer files from the folder it was made in (such as {missing}), and no "
        f"folder holds them all: not the working folder, {there}, nor any folder above either",
        hint="apply it from the folder the plan was made in (or a folder below it)",
    )


def _why_not(text: str, err: ValidationError) -> str:
    """What is wrong with a file that is no plan, said for a person: cut-off JSON, a plan of another format,
    or the first field that is missing or wrong (pydantic's own first line only counts the errors)."""
    first = err.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        detail = first["msg"].removeprefix("Invalid JSON: ")
        return (
            f"it ends before its JSON does ({detail}): cut off?" if detail.startswith("EOF") else f"not JSON ({detail})"
        )
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    version = document.get("format_version") if isinstance(document, dict) else None
    if isinstance(version, str) and version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        made_by = document.get("cspsync_version") if isinstance(document, dict) else None
        return f"plan format {version}{f' (cspsync {made_by})' if made_by else ''}; this cspsync reads {FORMAT_VERSION}"
    where = ".".join(str(part) for part in first["loc"]) or "the file"
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _differences(saved: Sequence[Action], fresh: Sequence[Action]) -> list[str]:
    lines: list[str] = []
    saved_by_id = {a.id: a for a in saved}
    fresh_by_id = {a.id: a for a in fresh}
    for action_id in saved_by_id.keys() - fresh_by_id.keys():
        lines.append(f"{action_id}: in the saved plan, not in a plan made now")
    for action_id in fresh_by_id.keys() - saved_by_id.keys():
        lines.append(f"{action_id}: in a plan made now, not in the saved plan")
    for action_id in saved_by_id.keys() & fresh_by_id.keys():
        before, after = reviewed_form(saved_by_id[action_id]), reviewed_form(fresh_by_id[action_id])
        for field in _changed_fields(before, after):
            lines.append(f"{action_id}: {field} differs")
    if not lines and [a.id for a in saved] != [a.id for a in fresh]:
        lines.append("the actions are in another order")
    return sorted(lines)


def _changed_fields(before: Any, after: Any, prefix: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[str] = []
        for key in sorted(before.keys() | after.keys()):
            found += _changed_fields(before.get(key), after.get(key), f"{prefix}{key}.")
        return found
    return [] if before == after else [prefix.rstrip(".")]


def check_saved_plan(saved: Plan, fresh: Plan, declared: Sequence[Declared]) -> None:
    """Refuse ``saved`` unless a plan made now from ``declared`` is the same, action by action."""
    if saved.target != fresh.target:
        raise PlanError(f"the saved plan is for the {saved.target}, not the {fresh.target}")
    if saved.partner_tenant_id != fresh.partner_tenant_id:
        raise PlanError(
            f"the saved plan is for partner tenant {saved.partner_tenant_id}, cspsync.yaml names "
            f"{fresh.partner_tenant_id}"
        )
    if saved.declarations_fingerprint != declarations_fingerprint(declared):
        raise PlanError("the declarations changed since the plan was made, so it is not what was reviewed", hint=REPLAN)
    if saved.observed_fingerprint != fresh.observed_fingerprint:
        raise PlanError(
            "Partner Center changed since the plan was made (its observed state differs), so the plan is stale",
            hint=REPLAN,
        )
    differences = _differences(saved.actions, fresh.actions)
    if differences:
        shown = "\n".join(f"  {line}" for line in differences[:20])
        more = f"\n  … and {len(differences) - 20} more" if len(differences) > 20 else ""
        raise PlanError(
            "the saved plan's actions are not what a plan made now would do, so it is not applied:\n" + shown + more,
            hint=REPLAN,
        )
