"""Collects one customer's actions while the planner walks its declaration."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from cspsync.plan.model import Action, Change, Kind, Status, Symbol, make_action
from cspsync.plan.payloads import AwaitAdminAccess, Payload
from cspsync.records import shared_text

WAITS_FOR_ACCEPTANCE = "waits until the customer accepts the reseller relationship"


@dataclass
class Builder:
    """One customer's actions; ids are ``<customer>/<kind>[/<subject>]``, stable for the same input."""

    name: str
    actions: list[Action] = field(default_factory=list)
    #: the adoption every later action of the customer waits for: nothing runs on a customer before it is
    #: adopted (set once the adopt-customer action is added; each action is made with it, never copied later)
    adoption: str | None = None

    def add(
        self,
        kind: Kind,
        summary: str,
        payload: Payload,
        *,
        subject: str | None = None,
        status: Status = "ready",
        reason: str | None = None,
        depends_on: Sequence[str] = (),
        changes: Sequence[Change] = (),
        warnings: Sequence[str] = (),
        destructive: bool = False,
        symbol: Symbol | None = None,
    ) -> str:
        action_id = f"{self.name}/{kind.value}" + (f"/{subject}" if subject else "")
        if self.adoption is not None and self.adoption not in depends_on:
            depends_on = (self.adoption, *depends_on)
        self.actions.append(
            make_action(
                kind,
                payload,
                id=action_id,
                customer=self.name,
                summary=summary,
                status=status,
                reason=reason,
                depends_on=tuple(depends_on),
                changes=tuple(changes),
                warnings=tuple(warnings),
                destructive=destructive,
                **({"symbol": symbol} if symbol is not None else {}),
            )
        )
        return action_id

    def status_after(self, depends_on: Sequence[str]) -> tuple[Status, str | None]:
        """An action inherits waiting/blocked from what it depends on."""
        by_id = {a.id: a for a in self.actions}
        for dep in depends_on:
            parent = by_id.get(dep)
            if parent is None:
                continue
            if parent.kind is Kind.AWAIT_ADMIN_ACCESS:
                return "waiting", _admin_wait(parent.payload)
            if parent.kind is Kind.AWAIT_ACCEPTANCE or parent.status == "waiting":
                return "waiting", WAITS_FOR_ACCEPTANCE
            if parent.status in ("blocked", "refused"):
                # one text per blocked action, shared by everything that depends on it
                return "blocked", shared_text(f"blocked by {parent.id}")
        return "ready", None


def _admin_wait(payload: Payload) -> str:
    """Why an action waits for an admin relationship (GDAP) to be approved or activated."""
    assert isinstance(payload, AwaitAdminAccess)
    what = payload.relationship or "the Default GDAP relationship"
    if payload.waiting_for == "approval":
        return f"waits until a global admin of the customer approves admin relationship {what}"
    if payload.waiting_for == "activation":
        return f"waits until Microsoft activates admin relationship {what}"
    return f"waits until the access assignment in {what} is active"


def hold_dependents(
    actions: list[Action], held: Collection[str], status: Status, because: str, pending: Collection[Status]
) -> None:
    """In ``actions`` (in place; dependencies come before their dependents), each action still ``pending``
    that depends on one of ``held``, or on an action this holds, gets ``status`` and the reason
    "``because`` <the action it depends on>"."""
    holding = set(held)
    for index, action in enumerate(actions):
        parent = next((dep for dep in action.depends_on if dep in holding), None)
        if parent is not None and action.status in pending:
            actions[index] = action.model_copy(update={"status": status, "reason": f"{because} {parent}"})
            holding.add(action.id)
