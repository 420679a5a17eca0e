"""Linking existing tenants: the reseller-relationship request link and partner relationships."""

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
    return respond(200, {"url": url, "attributes": {"objectType": "CustomerRelationshipRequest"}})


def _relationship(tenant_id: str, name: str, mpn_id: str | None, location: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": tenant_id,
        "name": name,
        "relationshipType": RELATIONSHIP_TYPE,
        "state": "Active",
        "mpnId": mpn_id,
    }
    if location:
        item["location"] = location
    item["attributes"] = {"objectType": "PartnerRelationship"}
    return item


def customer_relationships(call: Call) -> httpx.Response:
    """The provider, the indirect reseller (if any) and other partners still related to the tenant."""
    tenant = customer(call)
    world = call.store.world()
    partner = world.partner
    items = [_relationship(partner.tenantId, partner.name, partner.mpnId, partner.location)]
    for reseller in world.resellers:
        if reseller.tenantId == tenant.associated_partner_id:
            items.append(_relationship(reseller.tenantId, reseller.name, reseller.mpnId, reseller.location))
    for other in call.store.incumbent_partners(tenant.id):
        items.append(_relationship(other["id"], other["name"], other["mpnId"], other["location"]))
    return respond(200, collection(items))


def partner_relationships(call: Call) -> httpx.Response:
    """The provider's indirect resellers (``IsIndirectCloudSolutionProviderOf``); the provider is no
    reseller itself, so ``IsIndirectResellerOf`` is empty."""
    kind = require_query(call, "relationship_type").lower()
    if kind not in ("isindirectcloudsolutionproviderof", "isindirectresellerof"):
        raise codes.INVALID_INPUT.error(f"Unknown relationship_type {kind!r}.")
    items: list[dict[str, Any]] = []
    if kind == "isindirectcloudsolutionproviderof":
        items = [
            _relationship(reseller.tenantId, reseller.name, reseller.mpnId, reseller.location)
            for reseller in call.store.world().resellers
        ]
    return respond(200, collection(items))
