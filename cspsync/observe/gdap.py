"""Read the GDAP state the planner needs: the partner's relationships, their access assignments, and the
tenant of an invite-mode customer that is not linked yet.

One paged list of all the partner's relationships (Graph: $top up to 300), whatever the number of
customers; then, per relationship that is active and belongs to a customer in scope, its assignments; and
per invite-mode customer declaring admin access before it is linked, its tenant by domain
(findTenantInformationByDomainName), so a relationship is addressed to that tenant only and the reviewer
sees which one. Any failed read makes the customers it concerns unknown: never in sync, never drifted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cspsync.declarations import Declared
from cspsync.declarations.keys import customer_domain, is_default_relationship, relationship_generation, tenant_key
from cspsync.errors import PartnerCenterError
from cspsync.observe.state import Observation, ObservedAdminRelationship, ObservedAssignment
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.gdap import AccessAssignment, AdminRelationship
from cspsync.threads import in_threads


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def observed_assignment(assignment: AccessAssignment) -> ObservedAssignment:
    return ObservedAssignment(
        id=assignment.id,
        group_id=assignment.group_id,
        roles=assignment.access_details.role_ids,
        status=assignment.status,
        created=_iso(assignment.created_date_time),
    )


def observed_relationship(
    relationship: AdminRelationship, assignments: tuple[ObservedAssignment, ...] | None = None
) -> ObservedAdminRelationship:
    return ObservedAdminRelationship(
        id=relationship.id,
        display_name=relationship.display_name,
        status=relationship.status,
        customer_tenant_id=relationship.customer_tenant_id,
        roles=relationship.access_details.role_ids,
        duration=relationship.duration,
        auto_extend=relationship.auto_extend_duration,
        created=_iso(relationship.created_date_time),
        activated=_iso(relationship.activated_date_time),
        ends=_iso(relationship.end_date_time),
        modified=_iso(relationship.last_modified_date_time),
        assignments=assignments,
    )


def customer_tenant(item: Declared, observation: Observation) -> str | None:
    """The customer's tenant id as far as it is known: linked, declared (existing mode) or found in Entra."""
    name = item.customer.metadata.name
    found = observation.customers.get(name)
    if found is not None:
        return tenant_key(found.id)
    tenant = item.customer.spec.tenant
    if tenant.mode == "existing":
        return tenant_key(tenant.tenantId)
    entra = observation.entra_tenants.get(name)
    return tenant_key(entra[0]) if entra else None


def belongs(relationship: AdminRelationship, item: Declared, tenant_id: str | None) -> bool:
    """A relationship with the customer's tenant, or one named like a relationship the customer declares."""
    return bool(tenant_id and relationship.customer_tenant_id == tenant_id) or relationship_declared(relationship, item)


def read_admin_access(
    client: PartnerCenterClient,
    observation: Observation,
    declared: Sequence[Declared],
    *,
    everyone: bool = False,
    workers: int = 8,
) -> None:
    """Fill ``observation.admin_relationships`` (and ``entra_tenants``) for the customers that declare admin
    access, or for every linked customer too when ``everyone`` (drift reports a partner without any)."""
    in_scope = [
        item
        for item in declared
        if item.customer.metadata.name not in observation.unknown
        and (everyone or item.customer.spec.adminAccess is not None)
    ]
    if not any(item.customer.spec.adminAccess is not None for item in in_scope) and not everyone:
        return
    if not in_scope:
        return

    def fail(names: Sequence[str], what: str, err: PartnerCenterError) -> None:
        for name in names:
            observation.unknown.setdefault(name, f"{what} could not be read: {err.message}")

    def run(tasks: list[tuple[str, Callable[[], Any]]]) -> list[tuple[str, Any]]:
        def call(task: tuple[str, Callable[[], Any]]) -> tuple[str, Any]:
            key, fn = task
            try:
                return key, fn()
            except PartnerCenterError as err:
                return key, err

        return list(in_threads(call, tasks, workers))

    # invite-mode customers declaring admin access that Partner Center does not list yet: their tenant
    lookups: list[tuple[str, Callable[[], Any]]] = []
    for item in in_scope:
        name = item.customer.metadata.name
        tenant = item.customer.spec.tenant
        if tenant.mode == "invite" and observation.customers.get(name) is None and item.customer.spec.adminAccess:
            domain = customer_domain(item.customer) or ""
            lookups.append((name, lambda d=domain: client.gdap.tenant_by_domain(d)))  # type: ignore[misc]
    for name, got in run(lookups):
        if isinstance(got, PartnerCenterError):
            fail([name], "the customer's tenant (Microsoft Entra, by domain)", got)
        else:
            observation.entra_tenants[name] = (got.tenant_id.lower(), got.display_name) if got is not None else None

    names = [item.customer.metadata.name for item in in_scope if item.customer.metadata.name not in observation.unknown]
    try:
        relationships = client.gdap.relationships()
    except PartnerCenterError as err:
        fail(names, "admin relationships (GDAP)", err)
        return
    mine: dict[str, list[AdminRelationship]] = {}
    for item in in_scope:
        name = item.customer.metadata.name
        if name in observation.unknown:
            continue
        tenant_id = customer_tenant(item, observation)
        mine[name] = [r for r in relationships if belongs(r, item, tenant_id)]
    # assignments of the active relationships the planner compares (declared ones, and the Default GDAP)
    reads: list[tuple[str, Callable[[], Any]]] = []
    for item in in_scope:
        name = item.customer.metadata.name
        if item.customer.spec.adminAccess is None or name not in mine:
            continue
        tenant_id = customer_tenant(item, observation)
        for relationship in mine[name]:
            if relationship.status == "active" and (
                relationship_declared(relationship, item)
                or is_default_relationship(relationship.display_name, relationship.customer_tenant_id, tenant_id)
            ):
                reads.append((relationship.id, lambda r=relationship.id: client.gdap.assignments(r)))  # type: ignore[misc]
    assignments: dict[str, tuple[ObservedAssignment, ...]] = {}
    failed: dict[str, PartnerCenterError] = {}
    for relationship_id, got in run(reads):
        if isinstance(got, PartnerCenterError):
            failed[relationship_id] = got
        else:
            assignments[relationship_id] = tuple(sorted((observed_assignment(a) for a in got), key=lambda a: a.id))
    for name, found in mine.items():
        broken = next((failed[r.id] for r in found if r.id in failed), None)
        if broken is not None:
            fail([name], "access assignments (GDAP)", broken)
            continue
        observation.admin_relationships[name] = tuple(
            sorted(
                (observed_relationship(r, assignments.get(r.id)) for r in found), key=lambda r: (r.created or "", r.id)
            )
        )


def relationship_declared(relationship: AdminRelationship, item: Declared) -> bool:
    """Named like one of the customer's declared relationships, or one of their replacements."""
    access = item.customer.spec.adminAccess
    names = [r.name for r in access.relationships if r.name] if access is not None else []
    return any(relationship_generation(relationship.display_name, name) is not None for name in names)
