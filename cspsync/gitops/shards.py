"""Shard plans of one portfolio (``plan --shard I/N`` in a CI matrix) merged into one plan for one review."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

from cspsync.declarations import Repository
from cspsync.declarations.keys import claims_of
from cspsync.errors import PlanError
from cspsync.git import git_output
from cspsync.gitops.portfolio import ShardFiles
from cspsync.plan.model import FORMAT_VERSION, Action, BudgetCheck, Plan, PlanMoney, ShardClaims, ShardOf, Unmanaged
from cspsync.plan.totals import budget_check, by_currency, counted, priced_in

#: what an artifact name may be here (it is shown in the comment): letters, digits, '.', '_', '-'
ARTIFACT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_RUN_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]+)?/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/actions/runs/[0-9]+")
REMAKE = "plan every shard again from one commit in one run: cspsync plan PATHS --shard I/N --out plan-I.json"


#: how a refusal names each kind of natural key of :func:`claims_of`
_KEY_WORDS = {
    "name": "metadata.name",
    "company": "company",
    "domain": "tenant domain",
    "tenant": "tenant id",
    "relationship": "admin relationship name",
}


def shard_record(repo: Repository, shard: ShardFiles, env: Mapping[str, str]) -> ShardOf:
    """What a shard plan records so that ``merge-plans`` can tell a whole set of shards from a mixed one, and
    check across shards the keys that validation could only check within this shard's files."""
    run = None
    if env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_RUN_ID"):
        run = f"{env.get('GITHUB_REPOSITORY', '')}/actions/runs/{env['GITHUB_RUN_ID']}"
    mine = {str(path) for path in shard.files}  # an apply's repository holds every file: list the shard's
    claims = tuple(
        ShardClaims(file=str(item.path), keys=tuple((kind, key) for kind, key, _, _ in claims_of(item.customer)))
        for item in repo.customers
        if str(item.path) in mine
    )
    return ShardOf(
        index=shard.index,
        count=shard.count,
        portfolio=shard.portfolio,
        commit=_head(repo),
        run=run,
        claims=claims,
    )


def run_url(env: Mapping[str, str]) -> str | None:
    """The web address of this GitHub Actions run (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID), or None
    outside Actions or when the variables do not make an https address of a run."""
    if env.get("GITHUB_ACTIONS") != "true":
        return None
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    url = f"{server}/{env.get('GITHUB_REPOSITORY', '')}/actions/runs/{env.get('GITHUB_RUN_ID', '')}"
    return url if _RUN_URL.fullmatch(url) else None


def _head(repo: Repository) -> str | None:
    """The commit checked out in the declarations' work tree, or None outside git."""
    head = (git_output(["rev-parse", "--verify", "--quiet", "HEAD"], repo.root, timeout=60) or "").strip()
    return head or None


def check_shard_set(plans: Sequence[tuple[str, Plan]]) -> None:
    """Refuse a set of shard plans that is not exactly shards 1..N of one N, of one commit, run and portfolio.

    A merged comment of part of the shards would read as the whole plan with customers missing; shards of
    different commits or runs would join plans of different declarations or observations.
    """
    problems: list[str] = []
    unsharded = [source for source, plan in plans if plan.shard is None]
    if unsharded:
        raise PlanError(
            f"{', '.join(unsharded)}: not a shard plan (made without --shard I/N); merge-plans merges the shard "
            "plans of one CI matrix",
            hint="make each with `cspsync plan PATHS --shard I/N --out plan-I.json`, every one with the same N",
        )
    shards = [(source, plan.shard) for source, plan in plans if plan.shard is not None]
    first_source, first = shards[0]
    counts = {shard.count for _, shard in shards}
    if len(counts) > 1:
        listed = ", ".join(f"{source} is shard {shard}" for source, shard in shards)
        raise PlanError(f"the shard plans split the customers in different ways ({listed})", hint=REMAKE)
    for what, field in (
        ("the declarations (cspsync.yaml and customer files) differ", "portfolio"),
        ("they were planned from different commits", "commit"),
        ("they come from different CI runs", "run"),
    ):
        expected = getattr(first, field)
        for source, shard in shards[1:]:
            found = getattr(shard, field)
            if found != expected:
                problems.append(
                    f"{source} and {first_source} are not shards of one plan: {what} "
                    f"({found or 'none'} and {expected or 'none'})"
                )
                break
    by_index: dict[int, list[str]] = {}
    for source, shard in shards:
        by_index.setdefault(shard.index, []).append(source)
    for index, sources in sorted(by_index.items()):
        if len(sources) > 1:
            problems.append(f"{' and '.join(sources)} are the same shard {index}/{first.count}: give each shard once")
    missing = [f"{index}/{first.count}" for index in range(1, first.count + 1) if index not in by_index]
    if missing:
        problems.append(
            f"shard {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing: the merged plan would "
            "leave out their customers; add "
            + ", ".join(f"the plan of `cspsync plan PATHS --shard {m} --out FILE`" for m in missing)
        )
    if problems:
        raise PlanError(
            "merge-plans refuses this set of shard plans:\n" + "\n".join(f"  {line}" for line in problems),
            hint=REMAKE,
        )


def check_claims(plans: Sequence[tuple[str, Plan]]) -> None:
    """Refuse shard plans whose customer files claim one natural key twice (two files for one customer, domain,
    tenant or admin relationship): each shard validated only its own files, so this is the cross-file rule of
    validation across shards. A shard plan must list the keys of every customer it plans."""
    first: dict[tuple[str, str], tuple[str, str]] = {}  # (kind, key) -> (file, shard plan)
    problems: list[str] = []
    for source, plan in plans:
        shard = plan.shard
        claimed = {c.file for c in shard.claims} if shard is not None else set()
        unlisted = [c.file for c in plan.customers if c.file not in claimed]
        if unlisted:
            raise PlanError(
                f"{source} does not list the natural keys of {unlisted[0]}"
                + (f" and {len(unlisted) - 1} more customer file(s)" if len(unlisted) > 1 else "")
                + ", so merge-plans cannot check that no other shard's file claims the same customer",
                hint=REMAKE,
            )
        for claims in shard.claims if shard is not None else ():
            for kind, key in claims.keys:
                owner = first.setdefault((kind, key), (claims.file, source))
                if owner != (claims.file, source):
                    problems.append(
                        f"{_KEY_WORDS.get(kind, kind)} {key!r} is declared in {owner[0]} ({owner[1]}) and in "
                        f"{claims.file} ({source})"
                    )
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise PlanError(
            "merge-plans refuses these shard plans: two customer files claim one customer (each customer, and "
            "tenant, has exactly one file):\n" + "\n".join(f"  {line}" for line in shown),
            hint="remove or change one file of each pair (`cspsync validate` over every file lists them all), "
            "then plan every shard again",
        )


def merge_plans(plans: Sequence[tuple[str, Plan]]) -> Plan:
    """One plan from the shard plans ``(source name, plan)``: for one review, not for ``apply``.

    The shards must be of the same target and partner and cover disjoint customers. Fingerprints of a
    merged plan start with ``merged:``: the observed state was read in parts, so apply the shard plans
    themselves (or plan afresh), never the merged one.
    """
    if not plans:
        raise PlanError("merge-plans needs at least one plan")
    first_source, first = plans[0]
    owner: dict[str, str] = {}
    for source, plan in plans:
        if plan.observed_fingerprint.startswith("merged:"):
            raise PlanError(f"{source} is a merged plan already; merge the shard plans it was made from")
        if plan.format_version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
            raise PlanError(f"{source} has plan format {plan.format_version}; this cspsync reads {FORMAT_VERSION}")
        if plan.target != first.target:
            raise PlanError(f"{source} is a plan for the {plan.target}, {first_source} for the {first.target}")
        if plan.partner_tenant_id != first.partner_tenant_id:
            raise PlanError(
                f"{source} is for partner tenant {plan.partner_tenant_id}, {first_source} for {first.partner_tenant_id}"
            )
    check_shard_set(plans)
    for source, plan in plans:
        for customer in plan.customers:
            if customer.name in owner:
                raise PlanError(
                    f"customer {customer.name} is in both {owner[customer.name]} and {source}: the shards overlap",
                    hint="make every shard with the same N (--shard I/N) from the same commit",
                )
            owner[customer.name] = source
    check_claims(plans)
    customers = sorted((c for _, p in plans for c in p.customers), key=lambda c: c.file)
    by_customer: dict[str, list[Action]] = {}
    for _, plan in plans:
        for action in plan.actions:
            by_customer.setdefault(action.customer, []).append(action)
    actions = [a for c in customers for a in by_customer.get(c.name, [])]
    unmanaged: list[Unmanaged] = []
    for _, plan in plans:
        unmanaged += [u for u in plan.unmanaged if u not in unmanaged]

    def joined(values: Sequence[str]) -> str:
        return "merged:sha256:" + hashlib.sha256("\n".join(sorted(values)).encode()).hexdigest()

    correlation_ids = list(dict.fromkeys(p.correlation_id for _, p in plans))
    money = _merged_money([p for _, p in plans], actions)
    return Plan(
        cspsync_version=first.cspsync_version,
        created_at=max(p.created_at for _, p in plans),
        target=first.target,
        partner_tenant_id=first.partner_tenant_id,
        correlation_id=", ".join(correlation_ids),
        scope=tuple(sorted({s for _, p in plans for s in p.scope})),
        observed_fingerprint=joined([p.observed_fingerprint for _, p in plans]),
        declarations_fingerprint=joined([p.declarations_fingerprint for _, p in plans]),
        customers=tuple(customers),
        actions=tuple(actions),
        unmanaged=tuple(unmanaged),
        unknown=tuple(u for _, p in plans for u in p.unknown),
        money=money,
    )


def _merged_money(plans: Sequence[Plan], actions: Sequence[Action]) -> PlanMoney | None:
    """Totals of the merged actions; per-plan ceilings checked against them, per-customer checks kept."""
    priced = [p.money for p in plans if p.money is not None]
    if not priced:
        return None
    counted_actions = [a for a in actions if counted(a)]
    plan_totals = by_currency(a.money for a in counted_actions if a.money is not None)
    ceilings = {c.currency: c.ceiling for m in priced for c in m.budget if c.scope == "plan"}
    checks: list[BudgetCheck] = [
        budget_check("plan", None, ceilings[total.currency], total, priced_in(counted_actions, total.currency))
        for total in plan_totals
        if total.currency in ceilings
    ]
    checks += sorted(
        (c for m in priced for c in m.budget if c.scope == "customer"), key=lambda c: (c.customer or "", c.currency)
    )
    unknown = tuple(dict.fromkeys(u for m in priced for u in m.unknown))
    return PlanMoney(totals=plan_totals, budget=tuple(checks), unknown=unknown)
