"""The one-direction pipeline the commands share: declarations -> observe -> plan (-> apply).

:func:`plan_for` connects, observes everything the planner needs (Partner Center, the invitations ledger,
what this repository's applies created, adopted and started: the identity evidence), reads the price sheets,
and plans in one pass. Commands call it and only decide how to print; nothing here knows about click.

A full plan (the customer list strategy, no shard) starts from the memory of the last plan and re-reads only
the customers Partner Center's audit records name since then (:mod:`cspsync.observe.memory`). A plan for
apply (``acting``) never acts on remembered state: every remembered customer it would change is read again
and the plan is made again from that read, before anything is shown or applied.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from cspsync.apply.provisioning import recent_orders, still_provisioning
from cspsync.declarations import Declared, Repository, load_repository
from cspsync.gitops.portfolio import Portfolio, ShardFiles
from cspsync.gitops.scope import Shard
from cspsync.gitops.shards import shard_record
from cspsync.invitations.ledger import sent_approvals, sent_invitations
from cspsync.observe.applied import remember
from cspsync.observe.memory import FULL_READ_EVERY, Memory, keep, recall
from cspsync.observe.offers import read_availabilities
from cspsync.observe.read import Strategy, observe
from cspsync.observe.state import Observation
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.plan.build import DeletedDeclaration, make_plan
from cspsync.plan.model import Plan, PlanRead, Target
from cspsync.plan.money import CostSource
from cspsync.plan.provisioning import ProvisioningReader
from cspsync.plan.saved import check_saved_plan, load_saved_plan, saved_declarations
from cspsync.pricing import price_sheets
from cspsync.target import Connection, connect
from cspsync.workspace import Workspace

__all__ = [
    "Planned",
    "Target",
    "check_saved_plan",
    "load",
    "load_saved_plan",
    "load_scoped",
    "observe_and_plan",
    "plan_for",
    "remember",
    "saved_declarations",
]


@dataclass
class Planned:
    repo: Repository
    declared: tuple[Declared, ...]
    plan: Plan
    connection: Connection


def load(paths: Sequence[Path], config_path: Path | None) -> Repository:
    return load_repository(paths, config_path=config_path)


def load_scoped(
    paths: Sequence[Path], config_path: Path | None, shard: Shard | None, *, every_file: bool = False
) -> tuple[Repository, ShardFiles | None]:
    """The declarations under ``paths``; with a ``shard``, only the customer files of that shard are read and
    validated (chosen by path, :mod:`cspsync.gitops.portfolio`), with the fingerprint of all of them.

    ``every_file`` (apply, which acts): every file is still read and validated, so the rules across files hold
    for the whole portfolio before anything is done; :func:`cspsync.gitops.scope.select` keeps the shard's.
    """
    if shard is None:
        return load(paths, config_path), None
    portfolio = Portfolio.find(paths, config_path)
    part = portfolio.shard(shard.index, shard.count)
    files = portfolio.files if every_file else part.files
    return load_repository(paths, config_path=portfolio.config_path, files=files), part


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
    shard: ShardFiles | None = None,
    acting: bool = False,
    full_read: bool = False,
    full_read_every: dt.timedelta = FULL_READ_EVERY,
) -> Planned:
    """Observe the customers in ``declared`` and plan them; the connection stays open for apply.

    ``resend`` plans the invitations of waiting customers again (``apply --resend``); ``shard`` (the files
    of ``--shard I/N``, :func:`load_scoped`) is recorded in the plan, for ``merge-plans`` to check the set.
    ``acting``: the plan is for apply (remembered customers it changes are read again). ``full_read`` ignores
    the memory.
    """
    chosen: Target = target or repo.config.target
    connection = connect(repo, chosen, workspace, correlation_id=correlation_id or str(uuid.uuid4()))
    chosen_strategy = strategy or ("list" if full_scope else "lookup")
    # a shard's customers are a slice of the memory's, so a shard keeps none (each would overwrite the other's)
    memory = (
        recall(workspace, chosen, "plan", full_read=full_read) if chosen_strategy == "list" and shard is None else None
    )
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
            memory=memory,
            full_read_every=full_read_every,
            acting=acting,
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
    memory: Memory | None = None,
    full_read_every: dt.timedelta = FULL_READ_EVERY,
    acting: bool = False,
) -> Plan:
    """One observation (Partner Center and the local state) and the plan made from it.

    With a ``memory``, remembered customers are not read again unless the audit records name them; when
    ``acting`` (apply), every remembered customer the plan would change is read now and the plan made again,
    until the plan changes only what this pass read. The memory is saved when the state folder allows.
    """
    fresh: frozenset[str] = frozenset()
    while True:
        observation = observe(
            client,
            declared,
            strategy=strategy or ("list" if full_scope else "lookup"),
            full_scope=full_scope,
            config=repo.config,
            associations="invited",
            memory=memory,
            full_read_every=full_read_every,
            fresh=fresh,
        )
        observation.sent_invitations = sent_invitations(workspace, resend=resend)
        observation.sent_approvals = sent_approvals(workspace)
        remember(observation, repo, workspace, target)
        plan = make_plan(
            repo,
            declared,
            observation,
            target=target,
            correlation_id=client.correlation_id,
            costs=costs,
            offers=partial(read_availabilities, client),
            provisioning=_provisioning(client, workspace, target),
            deleted=deleted,
        )
        stale = remembered_and_changed(plan, observation) - fresh if acting else frozenset()
        if not stale:
            break
        fresh |= stale
    if memory is not None and observation.read_note is not None:
        keep(workspace, memory)
    return with_read(plan, observation)


def _provisioning(client: PartnerCenterClient, workspace: Workspace, target: Target) -> ProvisioningReader:
    """Which new orders the apply records of the last day name as placed and Partner Center still has: read
    (the records, then each such order by id) only when the plan has new orders."""

    def read(wanted: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        orders = recent_orders(workspace.applies, target, dt.datetime.now(dt.UTC))
        found: dict[tuple[str, str], str] = {}
        for customer_id, friendly_name in sorted(wanted) if orders else []:
            order = still_provisioning(client, orders, customer_id, friendly_name)
            if order is not None:
                found[(customer_id, friendly_name)] = order
        return found

    return read


def remembered_and_changed(plan: Plan, observation: Observation) -> frozenset[str]:
    """Customers the plan would change (a ready action) whose state comes from an earlier read."""
    if not observation.remembered:
        return frozenset()
    ready = {action.id for action in plan.actions if action.status == "ready"}
    return frozenset(
        customer.name
        for customer in plan.customers
        if customer.name in observation.remembered and any(action in ready for action in customer.actions)
    )


def with_read(plan: Plan, observation: Observation) -> Plan:
    """The plan with how Partner Center was read and when each customer was confirmed (for the reports)."""
    note = observation.read_note
    if note is None:
        return plan
    confirmed = observation.confirmed_at
    read = PlanRead(
        mode="incremental" if note.mode == "incremental" else "full",
        reason=note.reason,
        started_at=note.started_at,
        read_now=note.read_now,
        remembered=note.remembered,
        records=note.records,
        oldest_read=note.oldest_read,
    )
    customers = tuple(
        c.model_copy(update={"confirmed_at": confirmed[c.name]}) if c.name in confirmed else c for c in plan.customers
    )
    return plan.model_copy(update={"read": read, "customers": customers})
