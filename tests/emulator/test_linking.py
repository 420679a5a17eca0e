from __future__ import annotations

import httpx
import pytest

from cspsync.emulator import EmulatorApp
from cspsync.errors import ConfigError

from .conftest import ADATUM, FABRIKAM, NORTHWIND, TAILSPIN

LITWARE = "2b7c9d1e-3f4a-4b5c-8d6e-7f8a9b0c1d2e"


def test_relationship_request_link_is_per_partner_and_recorded(client: httpx.Client, app: EmulatorApp) -> None:
    direct = client.get("/v1/customers/relationshiprequests")
    assert direct.status_code == 200
    assert direct.json()["attributes"] == {"objectType": "RelationshipRequest"}
    assert direct.json()["url"] == (
        f"https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId={FABRIKAM}"
        "&msppId=0&DAP=false#/BillingAccounts/partner-invitation"
    )
    indirect = client.get("/v1/customers/relationshiprequests", params={"indirectResellerId": NORTHWIND})
    assert indirect.json()["url"] == (
        "https://admin.microsoft.com/Adminportal/Home?invType=IndirectResellerRelationship"
        f"&partnerId={FABRIKAM}&msppId=4512345&indirectCSPId={NORTHWIND}&DAP=false"
        "#/BillingAccounts/partner-invitation"
    )
    assert [r["indirectResellerId"] for r in app.store.relationship_requests()] == [None, NORTHWIND]
    assert app.store.relationship_requests()[0]["requestedAt"] == "2026-11-02T09:00:00Z"
    unknown = client.get("/v1/customers/relationshiprequests", params={"indirectResellerId": ADATUM})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "800016")


def test_accepting_an_invitation_makes_the_world_tenant_a_customer(client: httpx.Client, app: EmulatorApp) -> None:
    assert client.get(f"/v1/customers/{LITWARE}").status_code == 403
    tenant = app.store.accept_invitation("LITWARE.ie")
    assert (tenant.id, tenant.is_customer) == (LITWARE, True)
    domains = [i["companyProfile"]["domain"] for i in client.get("/v1/customers").json()["items"]]
    assert domains == ["tailspintoys.onmicrosoft.com", "adatum.de", "litware.ie"]
    relationships = client.get(f"/v1/customers/{LITWARE}/relationships").json()
    assert (relationships["totalCount"], relationships["items"]) == (0, [])  # a direct customer: no reseller
    assert app.store.accept_invitation("litware.ie").id == LITWARE  # accepting twice changes nothing
    assert app.store.customer_count() == 3


def test_accepting_for_an_unknown_domain_creates_the_tenant(client: httpx.Client, app: EmulatorApp) -> None:
    assert client.head("/v1/domains/fineartschool.net").status_code == 404
    tenant = app.store.accept_invitation("fineartschool.net", reseller_id=NORTHWIND, country="IE")
    assert (tenant.company_name, tenant.country, tenant.associated_partner_id) == ("Fineartschool", "IE", NORTHWIND)
    assert client.head("/v1/domains/fineartschool.net").status_code == 200
    names = [r["name"] for r in client.get(f"/v1/customers/{tenant.id}/relationships").json()["items"]]
    assert names == ["Northwind Traders IT"]
    with pytest.raises(ConfigError, match="is not one of the partner's resellers"):
        app.store.accept_invitation("other.net", reseller_id=ADATUM)


def test_accept_invitation_control_endpoint(client: httpx.Client) -> None:
    accepted = client.post("/_emulator/accept-invitation", json={"domain": "woodgrovebank.nl"})
    assert accepted.status_code == 200
    assert accepted.json()["companyName"] == "Woodgrove Bank NV"
    assert client.get(f"/v1/customers/{accepted.json()['id']}").status_code == 200
    missing = client.post("/_emulator/accept-invitation", json={})
    assert missing.status_code == 400
    bad_reseller = client.post("/_emulator/accept-invitation", json={"domain": "x.net", "indirectResellerId": "nope"})
    assert bad_reseller.json()["description"] == "nope is not one of the partner's resellers."


def test_customer_relationships_list_resellers_never_the_provider(client: httpx.Client) -> None:
    """get-indirect-resellers-of-a-customer: the customer's indirect resellers; the caller is not one."""
    tailspin = client.get(f"/v1/customers/{TAILSPIN}/relationships").json()
    assert tailspin == {
        "totalCount": 1,
        "items": [
            {
                "id": NORTHWIND,
                "name": "Northwind Traders IT",
                "relationshipType": "is_indirect_cloud_solution_provider_of",
                "mpnId": "6712890",
                "attributes": {"objectType": "PartnerRelationship"},
            }
        ],
        "attributes": {"objectType": "Collection"},
    }
    adatum = client.get(f"/v1/customers/{ADATUM}/relationships").json()  # direct, with a previous reseller
    assert [(r["name"], r["mpnId"]) for r in adatum["items"]] == [("Contoso Legacy IT", "3345678")]
    for customer in client.get("/v1/customers").json()["items"]:
        listed = client.get(f"/v1/customers/{customer['id']}/relationships").json()["items"]
        assert FABRIKAM not in {r["id"] for r in listed}


def test_provider_lists_its_resellers(client: httpx.Client) -> None:
    body = client.get("/v1/relationships", params={"relationship_type": "IsIndirectCloudSolutionProviderOf"}).json()
    assert [(r["id"], r["state"], r["location"]) for r in body["items"]] == [(NORTHWIND, "Active", "GB")]
    assert client.get("/v1/relationships", params={"relationship_type": "IsIndirectResellerOf"}).json()["items"] == []
    assert client.get("/v1/relationships").status_code == 400
