"""Drift: where Partner Center differs from the declarations, in three states, plus housekeeping.

A customer is **in sync** (nothing to apply; an invitation may still wait for the customer), **drifted**
(the plan has actions that are not waiting for a person: apply would change something, or something
differs that apply must not or cannot change), or **unknown** (a read failed: never in sync, never
drifted). The plan is the one ``cspsync plan`` makes, so drift and plan never disagree.

Housekeeping (seed 003): every linked tenant's partner relationships should list the partner's own
company and, for an indirect customer, its reseller; the report gives the relationship-request link that
fixes a missing one. Incumbent partners still related to the tenant are listed for a person to review.
cspsync reports these and never acts on them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from cspsync.declarations import Declared, Repository
from cspsync.errors import PartnerCenterError
from cspsync.observe.read import observe
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.models import PartnerRelationship
from cspsync.plan.build import SentInvitation, make_plan
from cspsync.plan.model import Action, CustomerPlan, Plan
from cspsync.render.markdown import escape_inline
from cspsync.render.words import change_line, headline

DriftState = Literal["in-sync", "drifted", "unknown"]
FindingKind = Literal["missing-partner", "missing-reseller", "incumbent"]


@dataclass(frozen=True)
class Finding:
    """One housekeeping observation about a tenant's partner relationships."""

    customer: str
    kind: FindingKind
    partner: str  # the partner's name as Partner Center or cspsync.yaml knows it
    partner_id: str  # its tenant id
    message: str
    link: str | None = None  # the relationship-request link that fixes a missing relationship

    @property
    def needs_action(self) -> bool:
        """Missing relationships cost the partner recognition; incumbents are for review only."""
        return self.kind != "incumbent"


@dataclass(frozen=True)
class CustomerDrift:
    name: str
    file: str
    company: str
    state: DriftState
    differences: tuple[Action, ...] = ()  # actions not waiting for a person
    note: str | None = None  # why unknown, or what the customer waits for


@dataclass(frozen=True)
class DriftReport:
    plan: Plan
    customers: tuple[CustomerDrift, ...]
    findings: tuple[Finding, ...] = ()

    def of_state(self, state: DriftState) -> list[CustomerDrift]:
        return [c for c in self.customers if c.state == state]

    @property
    def exit_code(self) -> int:
        """0 in sync, 2 drift found (or a missing relationship), 1 when part of the state is unknown."""
        if self.of_state("unknown"):
            return 1
        if self.of_state("drifted") or any(f.needs_action for f in self.findings):
            return 2
        return 0


# ----------------------------------------------------------------------------------- relationships


@dataclass
class _Links:
    """Relationship-request links, one call per reseller (or none) however many tenants need one."""

    client: PartnerCenterClient
    cache: dict[str | None, str | None] = field(default_factory=dict)
    errors: dict[str | None, str] = field(default_factory=dict)

    def get(self, reseller_id: str | None) -> str | None:
        if reseller_id not in self.cache:
            try:
                self.cache[reseller_id] = self.client.relationship_request_link(reseller_id)
            except PartnerCenterError as err:
                self.cache[reseller_id] = None
                self.errors[reseller_id] = err.message
        return self.cache[reseller_id]


def relationship_findings(
    customer: CustomerPlan,
    declared: Declared,
    relationships: Sequence[PartnerRelationship],
    repo: Repository,
    link: Callable[[str | None], str | None],
) -> list[Finding]:
    """What one tenant's relationships lack or still hold (the partner's own, its reseller, incumbents)."""
    partner = repo.config.partner
    related = {r.id.casefold(): r for r in relationships}
    findings: list[Finding] = []
    name = customer.name
    if partner.tenantId.casefold() not in related:
        findings.append(
            Finding(
                name,
                "missing-partner",
                partner.name,
                partner.tenantId,
                f"{partner.name} is not in the tenant's partner relationships: the partner gets no recognition for "
                "these subscriptions until a global admin of the tenant accepts the reseller relationship",
                link(None),
            )
        )
    expected = {partner.tenantId.casefold()}
    reseller_name = declared.customer.spec.reseller
    reseller = next((r for r in partner.resellers if r.name == reseller_name), None)
    if reseller is not None:
        expected.add(reseller.tenantId.casefold())
        if reseller.tenantId.casefold() not in related:
            findings.append(
                Finding(
                    name,
                    "missing-reseller",
                    reseller.name,
                    reseller.tenantId,
                    f"the indirect reseller {reseller.name} is not in the tenant's partner relationships: send the "
                    "customer its reseller relationship request",
                    link(reseller.tenantId),
                )
            )
    for relationship in relationships:
        if relationship.id.casefold() in expected:
            continue
        label = relationship.name or relationship.id
        mpn = f", MPN {relationship.mpn_id}" if relationship.mpn_id else ""
        findings.append(
            Finding(
                name,
                "incumbent",
                label,
                relationship.id,
                f"{label} ({relationship.id}{mpn}) is still related to the tenant: check with the customer whether it "
                "still provides a service, and if not, have its admin access (GDAP/DAP) removed",
            )
        )
    return findings


def check_relationships(
    client: PartnerCenterClient, repo: Repository, declared: Sequence[Declared], plan: Plan, *, workers: int = 8
) -> tuple[list[Finding], dict[str, str]]:
    """Housekeeping findings for every linked customer, and the customers whose relationships failed to read."""
    by_name = {d.customer.metadata.name: d for d in declared}
    linked = [c for c in plan.customers if c.state == "linked" and c.tenant_id and c.name in by_name]
    links = _Links(client)

    def read(customer: CustomerPlan) -> tuple[CustomerPlan, list[PartnerRelationship] | PartnerCenterError]:
        try:
            return customer, client.customer_relationships(customer.tenant_id or "")
        except PartnerCenterError as err:
            return customer, err

    findings: list[Finding] = []
    failed: dict[str, str] = {}
    if not linked:
        return findings, failed
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(linked)))) as pool:
        results = list(pool.map(read, linked))
    for customer, got in results:
        if isinstance(got, PartnerCenterError):
            failed[customer.name] = f"partner relationships could not be read: {got.message}"
            continue
        findings += relationship_findings(customer, by_name[customer.name], got, repo, links.get)
    return findings, failed


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
            # onboarding by invitation: nothing differs that anyone but the customer can change
            result.append(
                CustomerDrift(
                    customer.name,
                    customer.file,
                    customer.company,
                    "in-sync",
                    note=customer.note or "waits for the customer to accept the invitation",
                )
            )
            continue
        differences = tuple(a for a in actions if a.status != "waiting")
        state: DriftState = "drifted" if differences else "in-sync"
        note = None
        if customer.state == "new":
            note = "not in Partner Center yet: no apply has created it"
        elif customer.state == "missing":
            note = "the declared tenant is not one of your customers"
        result.append(CustomerDrift(customer.name, customer.file, customer.company, state, differences, note))
    return result


def detect(
    repo: Repository,
    declared: Sequence[Declared],
    client: PartnerCenterClient,
    *,
    target: Literal["emulator", "partner-center"],
    sent_invitations: dict[str, SentInvitation] | None = None,
) -> DriftReport:
    """Observe every customer in ``declared`` (one pass over the customer list), plan, and classify."""
    observation = observe(client, declared, strategy="list", full_scope=True)
    plan = make_plan(
        repo,
        declared,
        observation,
        target=target,
        correlation_id=client.correlation_id,
        sent_invitations=sent_invitations,
    )
    findings, failed = check_relationships(client, repo, declared, plan)
    unknown = plan.unknown + tuple(f"{name}: {reason}" for name, reason in sorted(failed.items()))
    plan = plan.model_copy(update={"unknown": unknown})
    return DriftReport(plan, tuple(classify(plan, failed)), tuple(findings))


# ----------------------------------------------------------------------------------------- rendering

#: the hidden marker that finds the drift issue again
MARKER = "<!-- cspsync-drift -->"
#: GitHub rejects issue bodies over 65,536 characters; keep room for the note
LIMIT = 65_536
_BUDGET = LIMIT - 1_024
_STATE_WORDS = {"in-sync": "in sync", "drifted": "drifted", "unknown": "unknown"}


def summary_line(report: DriftReport) -> str:
    """``Drift: 1 drifted, 0 unknown, 6 in sync; 1 relationship to fix, 1 incumbent partner to review.``"""
    counts = {state: len(report.of_state(state)) for state in ("drifted", "unknown", "in-sync")}
    fix = sum(1 for f in report.findings if f.needs_action)
    review = sum(1 for f in report.findings if not f.needs_action)
    text = f"Drift: {counts['drifted']} drifted, {counts['unknown']} unknown, {counts['in-sync']} in sync"
    if fix or review:
        text += f"; {fix} relationship(s) to fix, {review} incumbent partner(s) to review"
    return text + "."


def _action_lines(action: Action, indent: str) -> list[str]:
    lines = [f"{indent}{action.symbol.value} {action.summary}" + ("  [DESTRUCTIVE]" if action.destructive else "")]
    lines += [f"{indent}    {change_line(c)}" for c in action.changes]
    if action.status != "ready" and action.reason:
        lines.append(f"{indent}    {action.status}: {action.reason}")
    return lines


def render_drift_text(report: DriftReport) -> str:
    lines = [headline(report.plan)]
    for customer in report.customers:
        if customer.state == "in-sync":
            continue
        lines.append("")
        lines.append(f"{_STATE_WORDS[customer.state]}  {customer.name}  ({customer.file})")
        if customer.note:
            lines.append(f"    {customer.note}")
        for action in customer.differences:
            lines += _action_lines(action, "  ")
    if report.findings:
        lines += ["", "partner relationships (reported, never changed by cspsync):"]
        for finding in report.findings:
            mark = "!" if finding.needs_action else "?"
            lines.append(f"  {mark} {finding.customer}: {finding.message}")
            if finding.link:
                lines.append(f"      relationship request: {finding.link}")
    unmanaged = [u for u in report.plan.unmanaged if u.kind == "customer"]
    if unmanaged:
        lines += ["", f"{len(unmanaged)} customer(s) in Partner Center have no file; `cspsync import` writes them."]
    lines += ["", summary_line(report)]
    return "\n".join(lines) + "\n"


def _safe_link(url: str | None) -> str | None:
    """A link only when it is a plain https URL; anything else is shown as escaped text."""
    if url and re.fullmatch(r"https://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+", url):
        return url
    return None


def render_drift_markdown(report: DriftReport) -> str:
    def fence_for(body: str) -> str:
        return "`" * max(3, max((len(run) for run in re.findall(r"`+", body)), default=0) + 1)

    head = [MARKER, "### cspsync drift", "", f"`{headline(report.plan)}`", "", f"**{summary_line(report)}**", ""]
    unknown = report.of_state("unknown")
    if unknown:
        head += ["> [!WARNING]", "> Some reads failed, so these customers are unknown (neither in sync nor drifted):"]
        head += [f"> - {escape_inline(c.name)}: {escape_inline(c.note or '')}" for c in unknown]
        head.append("")
    shown = [c for c in report.customers if c.state != "in-sync"]
    if shown:
        head += ["| customer | file | state | differences |", "|---|---|---|---:|"]
        head += [
            f"| {escape_inline(c.name)} | {escape_inline(c.file)} | {_STATE_WORDS[c.state]} | {len(c.differences)} |"
            for c in shown
        ]
        head.append("")
    if any(c.differences for c in shown):
        head += ["Each change reads *Partner Center → declaration*: what `cspsync apply` would set.", ""]
    text = "\n".join(head) + "\n"
    tail: list[str] = []
    if report.findings:
        tail += [
            "#### Partner relationships",
            "",
            "Reported for a person to act on; cspsync never changes them.",
            "",
            "| customer | finding | fix |",
            "|---|---|---|",
        ]
        for finding in report.findings:
            link = _safe_link(finding.link)
            fix = f"[relationship request]({link})" if link else escape_inline(finding.link or "review")
            tail.append(f"| {escape_inline(finding.customer)} | {escape_inline(finding.message)} | {fix} |")
        tail.append("")
    unmanaged = [u for u in report.plan.unmanaged if u.kind == "customer"]
    if unmanaged:
        tail.append(f"_{len(unmanaged)} customer(s) in Partner Center have no file; `cspsync import` writes them._")
    ending = ("\n" + "\n".join(tail) + "\n") if tail else ""
    omitted = 0
    for customer in shown:
        if not customer.differences:
            continue
        body = "\n".join(line for a in customer.differences for line in _diff_lines(a))
        fence = fence_for(body)
        title = html.escape(f"{customer.name} · {customer.company} ({_STATE_WORDS[customer.state]})")
        section = f"<details><summary>{title}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n"
        if len(text) + len(section) + len(ending) > _BUDGET:
            omitted += 1
            continue
        text += section
    if omitted:
        text += (
            f"\n_{omitted} customer section(s) omitted to stay under GitHub's {LIMIT:,}-character limit; "
            "`cspsync drift` prints them all._\n"
        )
    return text + ending


def _diff_lines(action: Action) -> list[str]:
    """Lines of a fenced ``diff`` block: + green, - red, ! orange, # grey; the real symbol follows."""
    mark = {"+": "+", "~": "!", "-": "-", "!": "#"}[action.symbol.value]
    lines = [f"{mark} {action.symbol.value} {action.summary}" + ("  [DESTRUCTIVE]" if action.destructive else "")]
    lines += [f"{mark}     {change_line(c)}" for c in action.changes]
    if action.status != "ready" and action.reason:
        lines.append(f"#     {action.status}: {action.reason}")
    return lines


def render_drift_json(report: DriftReport) -> str:
    document = {
        "formatVersion": "1.0",
        "target": report.plan.target,
        "partnerTenantId": report.plan.partner_tenant_id,
        "correlationId": report.plan.correlation_id,
        "createdAt": report.plan.created_at.isoformat(),
        "summary": {state: len(report.of_state(state)) for state in ("in-sync", "drifted", "unknown")},
        "customers": [
            {
                "name": c.name,
                "file": c.file,
                "company": c.company,
                "state": c.state,
                "note": c.note,
                "differences": [a.model_dump(mode="json", exclude={"payload"}) for a in c.differences],
            }
            for c in report.customers
        ],
        "relationships": [
            {
                "customer": f.customer,
                "kind": f.kind,
                "partner": f.partner,
                "partnerId": f.partner_id,
                "message": f.message,
                "link": f.link,
            }
            for f in report.findings
        ],
        "unknown": list(report.plan.unknown),
        "unmanaged": [u.model_dump(mode="json") for u in report.plan.unmanaged],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_drift(report: DriftReport, fmt: Literal["text", "markdown", "json"]) -> str:
    if fmt == "json":
        return render_drift_json(report)
    if fmt == "markdown":
        return render_drift_markdown(report)
    return render_drift_text(report)
