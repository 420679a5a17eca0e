"""The one-direction pipeline the commands share: declarations -> observe -> plan (-> apply).

Commands call these functions and only decide how to print; nothing here knows about click.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cspsync.declarations import Declared, Repository, load_repository
from cspsync.errors import PlanError
from cspsync.invitations.ledger import sent_invitations
from cspsync.observe.association import with_association_notes
from cspsync.observe.read import Strategy, observe
from cspsync.plan.build import declarations_fingerprint, make_plan
from cspsync.plan.model import FORMAT_VERSION, Plan
from cspsync.pricing import price_plan, price_sheets
from cspsync.secrets import credentials_directory, interrupted_creates, lost_password_note
from cspsync.target import Connection, connect
from cspsync.workspace import Workspace

Target = Literal["emulator", "partner-center"]


@dataclass
class Planned:
    repo: Repository
    declared: tuple[Declared, ...]
    plan: Plan
    connection: Connection


def load(paths: Sequence[Path], config_path: Path | None) -> Repository:
    return load_repository(paths, config_path=config_path)


def plan_for(
    repo: Repository,
    declared: Sequence[Declared],
    *,
    target: Target | None,
    workspace: Workspace,
    full_scope: bool,
    strategy: Strategy | None = None,
    correlation_id: str | None = None,
    resend: bool = False,
) -> Planned:
    """Observe the customers in ``declared`` and plan them; the connection stays open for apply.

    ``resend`` plans the invitations of waiting customers again (``apply --resend``).
    """
    chosen: Target = target or repo.config.target
    connection = connect(repo, chosen, workspace, correlation_id=correlation_id or str(uuid.uuid4()))
    try:
        observation = observe(
            connection.client,
            declared,
            strategy=strategy or ("list" if full_scope else "lookup"),
            full_scope=full_scope,
        )
        plan = make_plan(
            repo,
            declared,
            observation,
            target=chosen,
            correlation_id=connection.client.correlation_id,
            sent_invitations=sent_invitations(workspace, resend=resend),
        )
        credentials = credentials_directory(repo.root, repo.config.credentials.directory)
        plan = with_lost_password_notes(plan, interrupted_creates(credentials))
        plan = with_association_notes(plan, connection.client, repo, declared)
        plan = price_plan(plan, repo, declared, observation, price_sheets(connection, workspace))
    except BaseException:
        connection.close()
        raise
    return Planned(repo=repo, declared=tuple(declared), plan=plan, connection=connection)


def with_lost_password_notes(plan: Plan, lost: Mapping[str, str]) -> Plan:
    """Linked customers whose create was interrupted before the password was stored: the plan says so."""
    if not lost:
        return plan
    customers = []
    for customer in plan.customers:
        if customer.name in lost and customer.state == "linked":
            note = lost_password_note(customer.name, lost[customer.name])
            customer = customer.model_copy(update={"note": f"{customer.note}; {note}" if customer.note else note})
        customers.append(customer)
    return plan.model_copy(update={"customers": tuple(customers)})


def load_saved_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PlanError(f"cannot read saved plan {path}: {err.strerror}") from None
    try:
        plan = Plan.from_json(text)
    except ValueError as err:
        first = str(err).splitlines()[0]
        raise PlanError(
            f"{path} is not a cspsync plan ({first})", hint="make one with `cspsync plan --out FILE`"
        ) from None
    if plan.observed_fingerprint.startswith("merged:"):
        raise PlanError(
            f"{path} merges shard plans for review; it cannot be applied as one",
            hint="apply each shard's own plan file (cspsync apply plan-I.json), as the CI matrix does",
        )
    if plan.format_version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise PlanError(f"{path} has plan format {plan.format_version}; this cspsync reads {FORMAT_VERSION}")
    return plan


def check_saved_plan(saved: Plan, fresh: Plan, declared: Sequence[Declared]) -> None:
    """A saved plan applies only to the state and the declarations it was made from."""
    if saved.target != fresh.target:
        raise PlanError(f"the saved plan is for the {saved.target}, not the {fresh.target}")
    if saved.declarations_fingerprint != declarations_fingerprint(declared):
        raise PlanError(
            "the declarations changed since the plan was made, so it is not what was reviewed",
            hint="run `cspsync plan --out FILE` again and review the new plan",
        )
    if saved.observed_fingerprint != fresh.observed_fingerprint:
        raise PlanError(
            "Partner Center changed since the plan was made (its observed state differs), so the plan is stale",
            hint="run `cspsync plan --out FILE` again and review the new plan",
        )
