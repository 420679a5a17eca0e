"""Linking existing tenants: the reseller-relationship request link and partner relationships.

Doc pages (Partner Center REST reference, developer docs): "Retrieve a relationship request URL"
(request-reseller-relationship), "Get indirect resellers of a customer" (get-indirect-resellers-of-a-customer),
"Retrieve a list of indirect resellers" (retrieve-a-list-of-indirect-resellers), "Relationships resources".
"""

from __future__ import annotations

from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.handlers.common import customer, require_query, timestamp
from cspsync.emulator.routing import Call
from cspsync.emulator.wire import collection, respond

INVITATION_BASE = "https://admin.microsoft.com/Adminportal/Home"
RELATIONSHIP_TYPE = "is_indirect_cloud_solution_provider_of"


def relationship_request(call: Call) -> httpx.Response:
    """``GET /v1/customers/relationshiprequests`` (request-reseller-relationship): the partner's invitation
    URL, the same for every customer; ``indirectResellerId`` gives an indirect reseller's."""
    if call.rules.profile == "sandbox":  # sandbox-scenario: sandbox partners cannot invite customers
        raise codes.SANDBOX_NO_INVITATIONS.error()
    world = call.store.world()
    partner = world.partner
    reseller_id = call.query("indirectResellerId")
    if reseller_id:
        reseller_id = reseller_id.lower()
        if reseller_id not in {reseller.tenantId for reseller in world.resellers}:
            raise codes.NOT_A_RESELLER.error(partner=reseller_id)
        url = (
            f"{INVITATION_BASE}?invType=IndirectResellerRelationship&partnerId={partner.tenantId}"
            f"&msppId={partner.mpnId}&indirectCSPId={reseller_id}&DAP=false#/BillingAccounts/partner-invitation"
        )
    else:
        url = (
            f"{INVITATION_BASE}?invType=ResellerRelationship&partnerId={partner.tenantId}"
            "&msppId=0&DAP=false#/BillingAccounts/partner-invitation"
        )
    call.store.record_relationship_request(reseller_id or None, timestamp(call.now))
    return respond(200, {"url": url, "attributes": {"objectType": "RelationshipRequest"}})


def _relationship(
    tenant_id: str, name: str, mpn_id: str | None, *, state: str | None = None, location: str | None = None
) -> dict[str, Any]:
    """A PartnerRelationship (relationships-resources); ``state`` and ``location`` only where the page's
    example shows them (the provider's list of its resellers, not a customer's list)."""
    item: dict[str, Any] = {"id": tenant_id, "name": name, "relationshipType": RELATIONSHIP_TYPE}
    if state:
        item["state"] = state
    item["mpnId"] = mpn_id
    if location:
        item["location"] = location
    item["attributes"] = {"objectType": "PartnerRelationship"}
    return item


def customer_relationships(call: Call) -> httpx.Response:
    """``GET /v1/customers/{id}/relationships`` (get-indirect-resellers-of-a-customer): the indirect resellers
    associated with the customer, never the calling provider itself. A direct customer has none (an empty
    collection). Besides the reseller the customer was created or invited for, the seed's ``partners`` are
    other resellers still associated with the tenant (a previous reseller, say)."""
    tenant = customer(call)
    items = []
    for reseller in call.store.world().resellers:
        if reseller.tenantId == tenant.associated_partner_id:
            items.append(_relationship(reseller.tenantId, reseller.name, reseller.mpnId))
    for other in call.store.incumbent_partners(tenant.id):
        items.append(_relationship(other["id"], other["name"], other["mpnId"]))
    return respond(200, collection(items))


def partner_relationships(call: Call) -> httpx.Response:
    """``GET /v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf``
    (retrieve-a-list-of-indirect-resellers): the provider's indirect resellers, with state and location;
    the provider is no reseller itself, so ``IsIndirectResellerOf`` is empty."""
    kind = require_query(call, "relationship_type").lower()
    if kind not in ("isindirectcloudsolutionproviderof", "isindirectresellerof"):
        raise codes.INVALID_INPUT.error(f"Unknown relationship_type {kind!r}.")
    items: list[dict[str, Any]] = []
    if kind == "isindirectcloudsolutionproviderof":
        items = [
            _relationship(reseller.tenantId, reseller.name, reseller.mpnId, state="Active", location=reseller.location)
            for reseller in call.store.world().resellers
        ]
    return respond(200, collection(items))
