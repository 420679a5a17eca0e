"""Drift: where Partner Center differs from the declarations, in three states, plus housekeeping.

A customer is **in sync** (nothing to apply; an invitation may still wait for the customer), **drifted**
(the plan has actions that are not waiting for a person: apply would change something, or something
differs that apply must not or cannot change), or **unknown** (a read failed: never in sync, never
drifted). The plan is the one ``cspsync plan`` makes, so drift and plan never disagree.

Housekeeping (seed 003): an indirect customer's linked tenant should list its reseller among its partner
relationships; the report gives the relationship-request link that fixes a missing one. (The partner's
own relationship is the customer being in its customer list: see :mod:`cspsync.observe.association`.)
Other resellers still related to the tenant are listed for a person to review. cspsync reports these
and never acts on them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from cspsync.declarations import Declared, Repository
from cspsync.declarations.keys import LIVE_ADMIN_STATUSES
from cspsync.observe.applied import remember
from cspsync.observe.association import Finding, findings_for
from cspsync.observe.memory import FULL_READ_EVERY, keep, recall
from cspsync.observe.read import observe
from cspsync.observe.state import Observation, ReadNote, SentApproval, SentInvitation
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.plan.build import make_plan
from cspsync.plan.model import Action, Kind, Plan
from cspsync.workspace import Workspace

DriftState = Literal["in-sync", "drifted", "unknown"]


@dataclass(frozen=True)
class CustomerDrift:
    name: str
    file: str
    company: str
    state: DriftState
    differences: tuple[Action, ...] = ()  # actions not waiting for a person
    note: str | None = None  # why unknown, or what the customer waits for
    confirmed_at: str | None = None  # when a read confirmed its state (None: no memory kept, or unknown)
    #: in sync because nothing but the customer can move it on: an invitation it has not accepted yet
    waiting: bool = False


@dataclass(frozen=True)
class DriftReport:
    plan: Plan
    customers: tuple[CustomerDrift, ...]
    findings: tuple[Finding, ...] = ()
    #: full or incremental read, and why (None: the observation kept no memory)
    read_note: ReadNote | None = None
    confirmed_at: Mapping[str, str] = field(default_factory=dict)

    def of_state(self, state: DriftState) -> list[CustomerDrift]:
        return [c for c in self.customers if c.state == state]

    @property
    def exit_code(self) -> int:
        """0 in sync, 2 drift found or any relationship finding (a missing one, or an incumbent partner a
        person must review: the scheduled issue stays open for it), 1 when part of the state is unknown."""
        if self.of_state("unknown"):
            return 1
        if self.of_state("drifted") or self.findings:
            return 2
        return 0


# -------------------------------------------------------------------------------------------- report


def classify(plan: Plan, relationship_failures: dict[str, str] | None = None) -> list[CustomerDrift]:
    """The state of every customer in ``plan``."""
    failures = relationship_failures or {}
    by_id = {a.id: a for a in plan.actions}
    result: list[CustomerDrift] = []
    for customer in plan.customers:
        actions = [by_id[a] for a in customer.actions]
        if customer.state == "unknown":
            result.append(
                CustomerDrift(
                    customer.name, customer.file, customer.company, "unknown", note=customer.note or "state unknown"
                )
            )
            continue
        if customer.name in failures:
            result.append(
                CustomerDrift(customer.name, customer.file, customer.company, "unknown", note=failures[customer.name])
            )
            continue
        if customer.state == "waiting":
            # onboarding by invitation: nothing differs that anyone but the customer can change (its admin
            # access requests go out with the invitation)
            result.append(
                CustomerDrift(
                    customer.name,
                    customer.file,
                    customer.company,
                    "in-sync",
                    note=customer.note or "waits for the customer to accept the invitation",
                    waiting=True,
                )
            )
            continue
        # a ready adoption is bookkeeping (the first apply records who the file is), not a difference
        differences = tuple(
            a for a in actions if a.status != "waiting" and not (a.kind is Kind.ADOPT_CUSTOMER and a.status == "ready")
        )
        state: DriftState = "drifted" if differences else "in-sync"
        note = None
        if customer.state == "new":
            note = "not in Partner Center yet: no apply has created it"
        elif customer.state == "missing":
            note = "the declared tenant is not one of your customers"
        elif customer.state == "conflict":
            note = "the customer found for it is not proven to be the declared one: nothing is applied to it"
        result.append(CustomerDrift(customer.name, customer.file, customer.company, state, differences, note))
    return result


def detect(
    repo: Repository,
    declared: Sequence[Declared],
    client: PartnerCenterClient,
    *,
    target: Literal["emulator", "partner-center", "partner-center-sandbox"],
    sent_invitations: dict[str, SentInvitation] | None = None,
    sent_approvals: dict[str, SentApproval] | None = None,
    workspace: Workspace | None = None,
    full_read: bool = False,
    full_read_every: dt.timedelta = FULL_READ_EVERY,
) -> DriftReport:
    """Observe every customer in ``declared`` (one pass over the customer list), plan, and classify.

    ``workspace``: its apply records prove which customers this repository created or adopted; without
    them a created customer shows as a conflict (identity is evidence, :mod:`cspsync.plan.identity`).
    Its memory of the last observation lets this one re-read only what the audit records name
    (:mod:`cspsync.observe.memory`); ``full_read`` reads everything regardless.
    """
    memory = recall(workspace, target, "drift", full_read=full_read) if workspace is not None else None
    observation = observe(
        client,
        declared,
        strategy="list",
        full_scope=True,
        config=repo.config,
        associations="linked",
        admin_access="all",
        memory=memory,
        full_read_every=full_read_every,
    )
    if workspace is not None:
        if memory is not None and observation.read_note is not None:
            keep(workspace, memory)
        remember(observation, repo, workspace, target)
    if sent_invitations is not None:
        observation.sent_invitations = dict(sent_invitations)
    if sent_approvals is not None:
        observation.sent_approvals = dict(sent_approvals)
    plan = make_plan(repo, declared, observation, target=target, correlation_id=client.correlation_id, priced=False)
    findings = [f for found in findings_for(observation, declared, repo.config).values() for f in found]
    linked = {c.name for c in plan.customers if c.state == "linked"}  # a conflict's tenant may be someone else's
    findings += admin_access_findings(observation, [d for d in declared if d.customer.metadata.name in linked], repo)
    failed = observation.relationship_failures
    unknown = plan.unknown + tuple(f"{name}: {reason}" for name, reason in sorted(failed.items()))
    plan = plan.model_copy(update={"unknown": unknown})
    confirmed = observation.confirmed_at
    customers = tuple(
        c if c.state == "unknown" else replace(c, confirmed_at=confirmed.get(c.name)) for c in classify(plan, failed)
    )
    return DriftReport(plan, customers, tuple(findings), observation.read_note, dict(confirmed))


def admin_access_findings(observation: Observation, declared: Sequence[Declared], repo: Repository) -> list[Finding]:
    """Linked customers the partner has no live GDAP relationship with: it can sell, not administer (the
    partner's own missing GDAP is reported for a person, like incumbents; seed 003)."""
    partner = repo.config.partner
    findings = []
    for item in declared:
        name = item.customer.metadata.name
        found = observation.customers.get(name)
        if found is None or name not in observation.admin_relationships:
            continue
        live = [r for r in observation.admin_relationships[name] if r.status in LIVE_ADMIN_STATUSES]
        if not any(r.customer_tenant_id == found.id.lower() for r in live):
            findings.append(
                Finding(
                    name,
                    "missing-admin-access",
                    partner.name,
                    partner.tenantId,
                    f"{partner.name} has no admin relationship (GDAP) with the tenant: it can sell but not "
                    "administer it (users, licences, support requests); declare spec.adminAccess to request one",
                )
            )
    return findings
