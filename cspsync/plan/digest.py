"""The reviewed form of a plan's actions and its digest: what ``apply PLAN.json`` holds the fresh plan to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cspsync.canonical import canonical_sha256_of_items

if TYPE_CHECKING:  # the plan's model is made of actions and carries their digest: it imports this module
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
    """sha256 of the reviewed form of the actions, in plan order: the apply record names what it applied
    (each action's form made and hashed in turn: a list of them all was the plan's peak memory)."""
    return canonical_sha256_of_items(reviewed_form(a) for a in actions)
