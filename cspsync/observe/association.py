"""Is the partner's own company (and an indirect customer's reseller) related to the tenant? (seed 003)

Partner Center proves the two differently. The partner's own relationship is the customer being in the
partner's customer list ("Get a list of customers"): that is what makes a customer linked, so it needs no
further read. ``GET /v1/customers/{id}/relationships`` lists a customer's indirect resellers, never the
calling partner ("Get indirect resellers of a customer"; a direct customer has none), so a reseller is
proved by appearing there. Observation reads it for the linked customers it is asked about (the plan asks
only about invite customers that declare a reseller), and the relationship-request link (one per
reseller) only where a reseller is missing. The findings are pure functions of what was read: the planner
turns them into ``!`` notes, drift into housekeeping. A failed read leaves that customer's association
unchecked, never "fine".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from cspsync.declarations import Declared
from cspsync.declarations.keys import reseller as find_reseller
from cspsync.declarations.keys import tenant_key
from cspsync.declarations.models import Config
from cspsync.errors import PartnerCenterError
from cspsync.observe.state import Observation, ObservedRelationship
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.threads import in_threads

FindingKind = Literal["missing-reseller", "incumbent", "missing-admin-access"]


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
        """Missing relationships cost the partner recognition; incumbents, and a tenant the partner has no
        admin access to (it may sell without managing), are for review only."""
        return self.kind not in ("incumbent", "missing-admin-access")


def relationship_findings(
    name: str,
    declared: Declared,
    relationships: Sequence[ObservedRelationship],
    config: Config,
    link: Callable[[str | None], str | None],
) -> list[Finding]:
    """What one linked tenant's reseller relationships lack or still hold (its reseller, incumbents).

    ``relationships`` lists the tenant's indirect resellers only: the partner's own company is never in
    it, and needs no check here, because a linked customer was found in the partner's customer list.
    """
    partner = config.partner
    related = {tenant_key(r.id): r for r in relationships}
    findings: list[Finding] = []
    expected = {tenant_key(partner.tenantId)}  # harmless should Partner Center ever list the caller
    reseller = find_reseller(config, declared.customer.spec.reseller)
    if reseller is not None:
        expected.add(tenant_key(reseller.tenantId))
        if tenant_key(reseller.tenantId) not in related:
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
        if tenant_key(relationship.id) in expected:
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


def findings_for(observation: Observation, declared: Sequence[Declared], config: Config) -> dict[str, list[Finding]]:
    """The findings of every customer whose relationships were read, by customer name."""
    by_name = {d.customer.metadata.name: d for d in declared}
    return {
        name: relationship_findings(name, by_name[name], relationships, config, observation.request_links.get)
        for name, relationships in observation.relationships.items()
        if name in by_name
    }


def read_associations(
    client: PartnerCenterClient,
    observation: Observation,
    declared: Sequence[Declared],
    config: Config,
    *,
    names: Mapping[str, str],
    workers: int = 8,
) -> None:
    """Read the relationships of ``names`` (customer name -> tenant id) into ``observation``, then the
    relationship-request links the findings need (one call per reseller, however many tenants miss it).
    Relationships already in ``observation`` (remembered from an earlier read) count for the findings."""
    if not names and not observation.relationships:
        return

    def read(item: tuple[str, str]) -> tuple[str, list[ObservedRelationship] | PartnerCenterError]:
        name, tenant_id = item
        try:
            got = client.customer_relationships(tenant_id)
        except PartnerCenterError as err:
            return name, err
        return name, [ObservedRelationship(id=r.id, name=r.name, mpn_id=r.mpn_id) for r in got]

    for name, got in in_threads(read, sorted(names.items()), workers):
        if isinstance(got, PartnerCenterError):
            observation.relationship_failures[name] = f"partner relationships could not be read: {got.message}"
        else:
            observation.relationships[name] = tuple(got)
    wanted: set[str | None] = set()
    for findings in findings_for(observation, declared, config).values():
        for finding in findings:
            if finding.kind == "missing-reseller":
                wanted.add(finding.partner_id)
    for reseller_id in sorted(wanted, key=lambda r: r or ""):
        try:
            observation.request_links[reseller_id] = client.relationship_request_link(reseller_id)
        except PartnerCenterError:
            observation.request_links[reseller_id] = None
