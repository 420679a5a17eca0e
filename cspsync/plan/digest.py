"""The reviewed form of a plan's actions and its digest: what ``apply PLAN.json`` holds the fresh plan to."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from cspsync.plan.model import Action


def reviewed_form(action: Action) -> dict[str, Any]:
    """What a reviewer approved of one action: everything but clock-dependent money figures."""
    document = action.model_dump(mode="json")
    money = document.get("money")
    if isinstance(money, dict) and isinstance(money.get("commitment"), dict):
        money["commitment"].pop("cancellable_until", None)
        money["commitment"].pop("ends_on", None)
        money.pop("note", None)
    return document


def actions_digest(actions: Sequence[Action]) -> str:
    """sha256 of the reviewed form of the actions, in plan order: the apply record names what it applied."""
    canonical = json.dumps([reviewed_form(a) for a in actions], sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
