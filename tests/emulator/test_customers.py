from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from cspsync.emulator import EmulatorApp, Store, transport

from .conftest import ADATUM, BASE_URL, FABRIKAM, NORTHWIND, TAILSPIN, create_customer, customer_body


def test_requests_without_a_bearer_token_are_refused(app: EmulatorApp) -> None:
    with httpx.Client(transport=transport(app), base_url=BASE_URL) as anonymous:
        response = anonymous.get("/v1/customers")
    assert response.status_code == 401
    assert response.json() == {
        "code": "800001",
        "description": "Partner Token missing in request context",
        "data": [],
        "source": "PartnerFD",
    }


def test_tracing_headers_are_echoed_or_generated(client: httpx.Client) -> None:
    echoed = client.get("/v1/customers", headers={"MS-RequestId": "r-1", "MS-CorrelationId": "c-1"})
    assert (echoed.headers["MS-RequestId"], echoed.headers["MS-CorrelationId"]) == ("r-1", "c-1")
    generated = client.get("/v1/customers")
    assert len(generated.headers["MS-RequestId"]) == 36
    assert len(generated.headers["MS-CorrelationId"]) == 36


def test_customer_list_items_are_light(client: httpx.Client) -> None:
    body = client.get("/v1/customers").json()
    assert body["totalCount"] == 2
    assert body["attributes"] == {"objectType": "Collection"}
    assert "next" not in body["links"]
    assert body["items"][0] == {
        "id": TAILSPIN,
        "companyProfile": {
            "tenantId": TAILSPIN,
            "domain": "tailspintoys.onmicrosoft.com",
            "companyName": "Tailspin Toys AS",
            "links": {"self": {"uri": f"/customers/{TAILSPIN}/profiles/company", "method": "GET", "headers": []}},
            "attributes": {"objectType": "CustomerCompanyProfile"},
        },
        "relationshipToPartner": "reseller",
        "links": {"self": {"uri": f"/customers/{TAILSPIN}", "method": "GET", "headers": []}},
        "attributes": {"objectType": "Customer"},
    }
    # world tenants that are not customers are not listed
    assert [item["companyProfile"]["domain"] for item in body["items"]] == ["tailspintoys.onmicrosoft.com", "adatum.de"]


def test_paging_follows_continuation_tokens_across_pages() -> None:
    store = Store()
    app = EmulatorApp(store, page_size=4)
    store.add_customers(
        {"domain": f"customer{n:02d}.onmicrosoft.com", "companyName": f"Customer {n:02d}", "country": "GB"}
        for n in range(9)
    )
    seen: list[str] = []
    pages = 0
    with httpx.Client(transport=transport(app), base_url=BASE_URL, headers={"Authorization": "Bearer t"}) as http:
        response = http.get("/v1/customers")
        while True:
            pages += 1
            body = response.json()
            assert body["totalCount"] == len(body["items"]) <= 4
            seen += [item["companyProfile"]["domain"] for item in body["items"]]
            link = body["links"].get("next")
            if link is None:
                break
            assert link["uri"] == "/v1/customers?size=4&seekOperation=Next"
            assert link["headers"][0]["key"] == "MS-ContinuationToken"
            response = http.get(link["uri"], headers={h["key"]: h["value"] for h in link["headers"]})
    assert pages == 3
    generated = [f"customer{n:02d}.onmicrosoft.com" for n in range(9)]
    assert seen == ["tailspintoys.onmicrosoft.com", "adatum.de", *generated]


def test_page_size_is_capped_at_500_and_next_needs_a_token(client: httpx.Client, app: EmulatorApp) -> None:
    app.store.add_customers(
        {"domain": f"bulk{n}.onmicrosoft.com", "companyName": f"Bulk {n}", "country": "GB"} for n in range(600)
    )
    assert client.get("/v1/customers?size=5000").json()["totalCount"] == 500
    missing = client.get("/v1/customers?size=10&seekOperation=Next")
    assert missing.status_code == 400
    assert missing.json()["description"] == "seekOperation=Next needs the MS-ContinuationToken header."
    garbage = client.get("/v1/customers?size=10&seekOperation=Next", headers={"MS-ContinuationToken": "nope"})
    assert (garbage.status_code, garbage.json()["description"]) == (400, "The continuation token is not valid.")


def test_filter_starts_with_is_case_insensitive_and_kept_across_pages(client: httpx.Client, app: EmulatorApp) -> None:
    app.store.add_customers(
        [
            {"domain": "contoso1.onmicrosoft.com", "companyName": "Contoso One", "country": "GB"},
            {"domain": "contoso2.onmicrosoft.com", "companyName": "Contoso Two", "country": "GB"},
            {"domain": "fourthcoffee.onmicrosoft.com", "companyName": "Fourth Coffee", "country": "GB"},
        ]
    )
    domain_filter = json.dumps({"Field": "Domain", "Value": "CONTOSO", "Operator": "starts_with"})
    first = client.get("/v1/customers", params={"size": 1, "filter": domain_filter}).json()
    assert [i["companyProfile"]["domain"] for i in first["items"]] == ["contoso1.onmicrosoft.com"]
    link = first["links"]["next"]
    second = client.get(link["uri"], headers={h["key"]: h["value"] for h in link["headers"]}).json()
    assert [i["companyProfile"]["domain"] for i in second["items"]] == ["contoso2.onmicrosoft.com"]
    assert "next" not in second["links"]
    name_filter = json.dumps({"Field": "CompanyName", "Value": "fourth", "Operator": "starts_with"})
    named = client.get("/v1/customers", params={"filter": name_filter}).json()
    assert [i["companyProfile"]["companyName"] for i in named["items"]] == ["Fourth Coffee"]
    wildcard = json.dumps({"Field": "Domain", "Value": "%", "Operator": "starts_with"})
    assert client.get("/v1/customers", params={"filter": wildcard}).json()["totalCount"] == 0


def test_get_customer_returns_the_full_customer(client: httpx.Client) -> None:
    body = client.get(f"/v1/customers/{TAILSPIN}").json()
    assert body["companyProfile"]["domain"] == "tailspintoys.onmicrosoft.com"
    assert body["companyProfile"]["email"] == "faktura@tailspintoys.no"
    # get-a-customer-by-id: the verified custom domains, not the default domain of the company profile
    assert body["customDomains"] == ["tailspintoys.no"]
    assert body["links"]["self"]["uri"] == f"/customers/{TAILSPIN}"
    assert body["companyProfile"]["links"]["self"]["uri"] == f"/customers/{TAILSPIN}/profiles/company"
    assert body["billingProfile"]["links"]["self"]["uri"] == f"/customers/{TAILSPIN}/profiles/billing"
    assert client.head("/v1/domains/tailspintoys.no").status_code == 200  # a custom domain is taken too
    assert "associatedPartnerId" not in body  # only the create response shows it (get-a-customer-by-id)
    company = client.get(f"/v1/customers/{TAILSPIN}/profiles/company").json()
    assert company == body["companyProfile"]
    assert body["billingProfile"]["defaultAddress"]["city"] == "Oslo"
    assert body["billingProfile"]["attributes"]["etag"]
    assert body["relationshipToPartner"] == "reseller"
    assert "userCredentials" not in body


def test_unknown_customers_are_404_and_world_tenants_403(client: httpx.Client) -> None:
    unknown = client.get("/v1/customers/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "60003"
    litware = client.get("/v1/customers/2b7c9d1e-3f4a-4b5c-8d6e-7f8a9b0c1d2e")
    assert litware.status_code == 403
    assert litware.json()["description"] == (
        f"The partner id {FABRIKAM} has no commerce relationship with the customer id "
        "2b7c9d1e-3f4a-4b5c-8d6e-7f8a9b0c1d2e."
    )


def test_create_returns_credentials_once(client: httpx.Client) -> None:
    created = client.post("/v1/customers", json=customer_body())
    assert created.status_code == 201
    body = created.json()
    assert body["id"] == body["companyProfile"]["tenantId"]
    assert body["companyProfile"]["domain"] == "contosobikes.onmicrosoft.com"
    assert body["relationshipToPartner"] == "none"  # a direct customer, as create-a-customer's example answers
    password = body["userCredentials"]["password"]
    assert body["userCredentials"]["userName"] == "admin"
    assert len(password) >= 16
    assert any(c.isupper() for c in password) and any(c.islower() for c in password)
    assert any(c.isdigit() for c in password)
    again = client.get(f"/v1/customers/{body['id']}")
    assert "userCredentials" not in again.json()
    assert again.json()["relationshipToPartner"] == "reseller"
    assert password not in again.text
    listed = client.get("/v1/customers")
    assert password not in listed.text
    assert body["id"] in {item["id"] for item in listed.json()["items"]}


def test_password_is_never_stored(tmp_path: Path) -> None:
    file_store = Store(tmp_path / "emulator.db")
    file_app = EmulatorApp(file_store)
    with httpx.Client(transport=transport(file_app), base_url=BASE_URL, headers={"Authorization": "Bearer t"}) as http:
        password = http.post("/v1/customers", json=customer_body()).json()["userCredentials"]["password"]
    file_store.close()
    for path in tmp_path.iterdir():
        assert password.encode() not in path.read_bytes()


def test_duplicate_domain_is_409(client: httpx.Client) -> None:
    create_customer(client)
    again = client.post("/v1/customers", json=customer_body("ContosoBikes"))
    assert again.status_code == 409
    assert again.json() == {
        "code": "1010",
        "description": "The domain contosobikes.onmicrosoft.com is already used by another tenant.",
        "data": [],
        "source": "PartnerFD",
    }


@pytest.mark.parametrize(
    ("change", "description"),
    [
        (lambda b: b["CompanyProfile"].pop("Domain"), "companyProfile.domain is required."),
        (lambda b: b["BillingProfile"].pop("Email"), "billingProfile.email is required."),
        (
            lambda b: b["BillingProfile"]["DefaultAddress"].pop("City"),
            "billingProfile.defaultAddress: city is required.",
        ),
        (
            lambda b: b["BillingProfile"].update(Culture="english"),
            "billingProfile.culture 'english' is not a culture such as en-GB.",
        ),
        (
            lambda b: b["CompanyProfile"].update(Domain="contoso.com"),
            "companyProfile.domain 'contoso.com' must be <prefix>.onmicrosoft.com, the prefix at most 27 letters or "
            "digits.",
        ),
        (
            lambda b: b["CompanyProfile"].update(Domain="a" * 28 + ".onmicrosoft.com"),
            f"companyProfile.domain '{'a' * 28}.onmicrosoft.com' must be <prefix>.onmicrosoft.com, the prefix at most "
            "27 letters or digits.",
        ),
        (
            lambda b: b["BillingProfile"]["DefaultAddress"].update(PostalCode="12345"),
            "billingProfile.defaultAddress: postalCode '12345' is not a valid postal code in GB.",
        ),
        (
            lambda b: b["CompanyProfile"].update(OrganizationRegistrationNumber="123"),
            "Organization registration id value is not supported in country GB.",
        ),
    ],
)
def test_create_validates_fields(
    client: httpx.Client, change: Callable[[dict[str, Any]], object], description: str
) -> None:
    body = customer_body()
    change(body)
    response = client.post("/v1/customers", json=body)
    assert response.status_code == 400
    assert response.json()["description"] == description


def test_create_accepts_a_27_character_prefix_and_camel_case(client: httpx.Client) -> None:
    text = json.dumps(customer_body("a" * 27)).replace('"Company', '"company').replace('"Billing', '"billing')
    body = json.loads(text)
    assert client.post("/v1/customers", json=body).status_code == 201


def test_create_outside_the_partner_markets_is_2030(client: httpx.Client) -> None:
    response = client.post("/v1/customers", json=customer_body(country="US"))
    assert response.status_code == 403
    assert response.json()["code"] == "2030"
    assert response.json()["description"] == "Partner is not onboarded to sell in country US"


def test_markets_are_configurable(client: httpx.Client, app: EmulatorApp) -> None:
    app.store.set_markets(["GB", "US"])
    assert client.post("/v1/customers", json=customer_body(country="US")).status_code == 201


def test_create_for_a_reseller(client: httpx.Client) -> None:
    created = client.post("/v1/customers", json=customer_body(AssociatedPartnerId=NORTHWIND.upper()))
    assert created.status_code == 201
    assert created.json()["associatedPartnerId"] == NORTHWIND
    unknown = client.post("/v1/customers", json=customer_body("other", AssociatedPartnerId=ADATUM))
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "800016"


def test_domain_availability(client: httpx.Client) -> None:
    assert client.head("/v1/domains/tailspintoys.onmicrosoft.com").status_code == 200
    assert client.head("/v1/domains/litware.ie").status_code == 200  # a world tenant, not a customer
    assert client.head("/v1/domains/contosobikes.onmicrosoft.com").status_code == 404
    create_customer(client)
    taken = client.head("/v1/domains/ContosoBikes.onmicrosoft.com")
    assert (taken.status_code, taken.content) == (200, b"")


def test_address_validation(client: httpx.Client) -> None:
    good = client.post(
        "/v1/validations/address",
        json={"addressLine1": "1 Wheel Street", "city": "Bristol", "postalCode": "bs1 4dj", "country": "gb"},
    ).json()
    assert good["status"] == "VerifiedShippable"
    assert good["suggestedAddresses"] == [
        {"addressLine1": "1 Wheel Street", "city": "Bristol", "postalCode": "BS1 4DJ", "country": "GB"}
    ]
    assert good["originalAddress"]["postalCode"] == "bs1 4dj"
    incomplete = client.post("/v1/validations/address", json={"AddressLine1": "Storgata 1", "Country": "NO"}).json()
    assert incomplete["status"] == "None"
    assert incomplete["suggestedAddresses"] == []
    assert incomplete["validationMessage"] == "Address field invalid for property: 'City', 'PostalCode'"
    partial = client.post(
        "/v1/validations/address",
        json={
            "AddressLine1": "Microsoft Way",
            "City": "Redmond",
            "State": "WA",
            "PostalCode": "98052",
            "Country": "US",
        },
    ).json()  # validate-an-address's "StreetPartial" example
    assert partial["status"] == "StreetPartial"
    assert partial["validationMessage"] == "Address field invalid for property: 'AddressLine1'"
    assert [a["addressLine1"] for a in partial["suggestedAddresses"]] == [
        "1 Microsoft Way",
        "2 Microsoft Way",
        "3 Microsoft Way",
    ]
    elsewhere = client.post(
        "/v1/validations/address", json={"AddressLine1": "1 Rua Augusta", "City": "Lisboa", "Country": "PT"}
    ).json()
    assert (elsewhere["status"], elsewhere["suggestedAddresses"]) == ("NotValidated", [])


@pytest.mark.parametrize(
    ("address", "status", "suggested"),
    [
        ({"addressLine1": "PO Box 12"}, "Verified", ["PO Box 12, Bristol"]),
        ({"city": "Bath"}, "InteractionRequired", ["1 Wheel Street, Bristol"]),
        (
            {"addressLine1": "Suite, 1 Wheel Street"},
            "PremisesPartial",
            [f"Suite {n}, 1 Wheel Street, Bristol" for n in (1, 2, 3)],
        ),
        (
            {"addressLine1": "Unit, Wheel Street"},
            "Multiple",
            [f"Unit {n}, {n} Wheel Street, Bristol" for n in (1, 2, 3)],
        ),
        ({"addressLine1": "Wheel Street"}, "StreetPartial", [f"{n} Wheel Street, Bristol" for n in (1, 2, 3)]),
        ({}, "VerifiedShippable", ["1 Wheel Street, Bristol"]),
    ],
)
def test_every_status_of_validate_an_address_with_its_number_of_suggestions(
    client: httpx.Client, address: dict[str, str], status: str, suggested: list[str]
) -> None:
    """validate-an-address: one suggestion for the verified and interaction statuses, up to three for the
    partial ones, none for None and NotValidated."""
    sent = {"addressLine1": "1 Wheel Street", "city": "Bristol", "postalCode": "BS1 4DJ", "country": "GB", **address}
    answer = client.post("/v1/validations/address", json=sent)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == status
    assert [f"{a['addressLine1']}, {a['city']}" for a in body["suggestedAddresses"]] == suggested
    assert body["originalAddress"] == sent


def test_states_are_checked_in_the_countries_the_page_names(client: httpx.Client) -> None:
    """The state of a US, CA, MX or CN address must be one of the country's states; elsewhere any text."""
    us = {"addressLine1": "1 Microsoft Way", "city": "Redmond", "postalCode": "98052", "country": "US"}
    wrong = client.post("/v1/validations/address", json={**us, "state": "XX"}).json()
    assert (wrong["status"], wrong["validationMessage"]) == ("None", "Address field invalid for property: 'State'")
    assert client.post("/v1/validations/address", json={**us, "state": "WA"}).json()["status"] == "VerifiedShippable"
    gb = {"addressLine1": "1 Wheel Street", "city": "Bristol", "postalCode": "BS1 4DJ", "country": "GB"}
    assert client.post("/v1/validations/address", json={**gb, "state": "XX"}).json()["status"] == "VerifiedShippable"


def test_billing_profile_update_with_etag(client: httpx.Client) -> None:
    customer_id = create_customer(client)
    profile = client.get(f"/v1/customers/{customer_id}/profiles/billing").json()
    etag = profile["attributes"]["etag"]
    profile["email"] = "finance@contosobikes.co.uk"
    profile["defaultAddress"]["addressLine1"] = "2 Wheel Street"
    updated = client.put(f"/v1/customers/{customer_id}/profiles/billing", json=profile, headers={"If-Match": etag})
    assert updated.status_code == 200
    assert updated.json()["email"] == "finance@contosobikes.co.uk"
    assert updated.json()["attributes"]["etag"] != etag
    stale = client.put(f"/v1/customers/{customer_id}/profiles/billing", json=profile, headers={"If-Match": etag})
    assert stale.status_code == 412
    del profile["attributes"]
    unguarded = client.put(f"/v1/customers/{customer_id}/profiles/billing", json=profile)  # If-Match is required
    assert unguarded.status_code == 400
    assert client.get(f"/v1/customers/{customer_id}").json()["billingProfile"]["defaultAddress"]["addressLine1"] == (
        "2 Wheel Street"
    )


def test_billing_profile_renames_the_company_and_keeps_the_country(client: httpx.Client) -> None:
    """update-customer-account-info: the billing information's company name is a "friendly" name the partner
    changes; the tenant's original name stays in the company details (the company profile)."""
    customer_id = create_customer(client)
    profile = client.get(f"/v1/customers/{customer_id}/profiles/billing").json()
    original = profile["companyName"]
    guard = {"If-Match": profile.pop("attributes")["etag"]}
    renamed = client.put(
        f"/v1/customers/{customer_id}/profiles/billing", json={**profile, "companyName": "Other Name"}, headers=guard
    )
    assert renamed.status_code == 200, renamed.json()
    assert renamed.json()["companyName"] == "Other Name"
    body = client.get(f"/v1/customers/{customer_id}").json()
    assert body["billingProfile"]["companyName"] == "Other Name"
    assert body["companyProfile"]["companyName"] == original
    profile = renamed.json()
    guard = {"If-Match": profile.pop("attributes")["etag"]}
    nameless = client.put(
        f"/v1/customers/{customer_id}/profiles/billing", json={**profile, "companyName": "--"}, headers=guard
    )
    assert nameless.json()["description"] == (
        "billingProfile.companyName must be 2 to 255 characters and contain letters or digits."
    )
    moved = {**profile, "defaultAddress": {**profile["defaultAddress"], "country": "IE", "postalCode": "D02 X285"}}
    assert client.put(f"/v1/customers/{customer_id}/profiles/billing", json=moved, headers=guard).json()[
        "description"
    ] == ("billingProfile.defaultAddress.country cannot change from GB.")


def test_bad_json_and_unknown_routes(client: httpx.Client) -> None:
    bad = client.post("/v1/customers", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "800002"
    assert client.get("/v1/nothing").status_code == 404
    wrong_method = client.delete("/v1/customers")
    assert wrong_method.status_code == 405


def test_body_with_utf8_bom_is_accepted(client: httpx.Client) -> None:
    content = b"\xef\xbb\xbf" + json.dumps(customer_body()).encode()
    response = client.post("/v1/customers", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 201


def test_filter_on_indirect_reseller_lists_that_resellers_customers(client: httpx.Client) -> None:
    """get-customers-of-an-indirect-reseller: Field IndirectReseller, the reseller's tenant id as value."""
    create_customer(client, "wingtiptoys", AssociatedPartnerId=NORTHWIND)
    create_customer(client, "contosobikes")
    reseller_filter = json.dumps({"Field": "IndirectReseller", "Value": NORTHWIND, "Operator": "starts_with"})
    body = client.get("/v1/customers", params={"size": 0, "filter": reseller_filter}).json()
    assert [i["companyProfile"]["domain"] for i in body["items"]] == [
        "tailspintoys.onmicrosoft.com",
        "wingtiptoys.onmicrosoft.com",
    ]
    provider_filter = json.dumps(
        {"Field": "IndirectCloudSolutionProvider", "Value": FABRIKAM, "Operator": "starts_with"}
    )
    assert client.get("/v1/customers", params={"filter": provider_filter}).json()["items"] == []  # caller: a provider


def test_culture_is_normalised_as_in_microsofts_example(client: httpx.Client) -> None:
    """create-a-customer-for-an-indirect-reseller sends Culture "EN-US" and reads back "en-US"; here in GB."""
    body = customer_body("wingtiptoys")
    body["BillingProfile"]["Culture"] = "EN-GB"
    created = client.post("/v1/customers", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["billingProfile"]["culture"] == "en-GB"
    billing = client.get(f"/v1/customers/{created.json()['id']}/profiles/billing").json()
    assert billing["culture"] == "en-GB"
