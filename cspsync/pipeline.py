"""The one-direction pipeline the commands share: declarations -> observe -> plan (-> apply).

:func:`plan_for` connects, observes everything the planner needs (Partner Center, the invitations ledger,
what this repository's applies created, adopted and started: the identity evidence), reads the price sheets,
and plans in one pass. Commands call it and only decide how to print; nothing here knows about click.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cspsync.declarations import Declared, Repository, load_repository
from cspsync.gitops.scope import Shard
from cspsync.gitops.shards import shard_record
from cspsync.invitations.ledger import sent_approvals, sent_invitations
from cspsync.observe.applied import remember
from cspsync.observe.read import Strategy, observe
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.plan.build import DeletedDeclaration, make_plan
from cspsync.plan.model import Plan, Target
from cspsync.plan.money import CostSource
from cspsync.plan.saved import check_saved_plan, load_saved_plan
from cspsync.pricing import price_sheets
from cspsync.target import Connection, connect
from cspsync.workspace import Workspace

__all__ = [
    "Planned",
    "Target",
    "check_saved_plan",
    "load",
    "load_saved_plan",
    "observe_and_plan",
    "plan_for",
    "remember",
]


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
    deleted: Sequence[DeletedDeclaration] = (),
    shard: Shard | None = None,
) -> Planned:
    """Observe the customers in ``declared`` and plan them; the connection stays open for apply.

    ``resend`` plans the invitations of waiting customers again (``apply --resend``); ``shard`` (the
    customers of ``--shard I/N``) is recorded in the plan, for ``merge-plans`` to check the set.
    """
    chosen: Target = target or repo.config.target
    connection = connect(repo, chosen, workspace, correlation_id=correlation_id or str(uuid.uuid4()))
    try:
        plan = observe_and_plan(
            repo,
            declared,
            connection.client,
            target=chosen,
            workspace=workspace,
            full_scope=full_scope,
            strategy=strategy,
            resend=resend,
            deleted=deleted,
            costs=price_sheets(connection, workspace),
        )
        if shard is not None:
            plan = plan.model_copy(update={"shard": shard_record(repo, shard, os.environ)})
    except BaseException:
        connection.close()
        raise
    return Planned(repo=repo, declared=tuple(declared), plan=plan, connection=connection)


def observe_and_plan(
    repo: Repository,
    declared: Sequence[Declared],
    client: PartnerCenterClient,
    *,
    target: Target,
    workspace: Workspace,
    full_scope: bool,
    strategy: Strategy | None = None,
    resend: bool = False,
    deleted: Sequence[DeletedDeclaration] = (),
    costs: CostSource | None = None,
) -> Plan:
    """One observation (Partner Center and the local state) and the plan made from it, in one pass."""
    observation = observe(
        client,
        declared,
        strategy=strategy or ("list" if full_scope else "lookup"),
        full_scope=full_scope,
        config=repo.config,
        associations="invited",
    )
    observation.sent_invitations = sent_invitations(workspace, resend=resend)
    observation.sent_approvals = sent_approvals(workspace)
    remember(observation, repo, workspace, target)
    return make_plan(
        repo,
        declared,
        observation,
        target=target,
        correlation_id=client.correlation_id,
        costs=costs,
        deleted=deleted,
    )
