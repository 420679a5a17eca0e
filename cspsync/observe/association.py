"""After acceptance: is the partner's own company (and an indirect customer's reseller) in the tenant's
partner relationships? Seed 003: without it the partner gets no recognition for the licences.

One read (``GET /v1/customers/{id}/relationships``) per *linked invite* customer in the plan, plus one
relationship-request link per reseller that is missing somewhere. A missing association becomes a ``!``
note on that customer with the link that fixes it; a failed read becomes a note too and never changes
the plan's actions or its observed state (``cspsync drift`` reports the same for every linked tenant).
"""

from __future__ import annotations

from collections.abc import Sequence

from cspsync.declarations import Declared, Repository
from cspsync.gitops.drift import check_relationships
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.plan.model import Plan


def with_association_notes(
    plan: Plan, client: PartnerCenterClient, repo: Repository, declared: Sequence[Declared]
) -> Plan:
    invited = [d for d in declared if d.customer.spec.tenant.mode == "invite"]
    names = {d.customer.metadata.name for d in invited}
    if not any(c.state == "linked" and c.name in names for c in plan.customers):
        return plan
    findings, failed = check_relationships(client, repo, invited, plan)
    notes: dict[str, list[str]] = {}
    for finding in findings:
        if finding.needs_action:
            fix = f"; the link that fixes it: {finding.link}" if finding.link else ""
            notes.setdefault(finding.customer, []).append(f"! {finding.message}{fix}")
    for name, reason in failed.items():
        notes.setdefault(name, []).append(f"! {reason}: the association with the partner was not checked")
    if not notes:
        return plan
    customers = tuple(
        c.model_copy(update={"note": "\n    ".join(([c.note] if c.note else []) + notes[c.name])})
        if c.name in notes
        else c
        for c in plan.customers
    )
    return plan.model_copy(update={"customers": customers})
