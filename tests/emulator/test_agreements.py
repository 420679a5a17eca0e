from __future__ import annotations

import httpx

from .conftest import MCA_TEMPLATE, TAILSPIN, agreement_body, create_customer


def test_template_metadata(client: httpx.Client) -> None:
    body = client.get("/v1/agreements", params={"agreementType": "MicrosoftCustomerAgreement"}).json()
    assert body["items"] == [
        {
            "templateId": MCA_TEMPLATE,
            "agreementType": "MicrosoftCustomerAgreement",
            "agreementLink": "https://aka.ms/customeragreement",
            "versionRank": 0,
        }
    ]
    default = client.get("/v1/agreements").json()["items"]  # no type: MicrosoftCloudAgreement (get-agreement-metadata)
    assert [(t["agreementType"], t["templateId"]) for t in default] == [
        ("MicrosoftCloudAgreement", "998b88de-aa99-4388-a42c-1b3517d49490")
    ]
    every = client.get("/v1/agreements", params={"agreementType": "*"}).json()
    assert [t["agreementType"] for t in every["items"]] == ["MicrosoftCloudAgreement", "MicrosoftCustomerAgreement"]
    assert client.get("/v1/agreements", params={"agreementType": "Other"}).status_code == 400


def test_confirm_and_list(client: httpx.Client) -> None:
    created = client.post(f"/v1/customers/{TAILSPIN}/agreements", json=agreement_body(phoneNumber="+47 22 12 34 56"))
    assert created.status_code == 201
    assert created.json()["dateAgreed"] == "2026-10-01T00:00:00Z"
    assert created.json()["userId"]
    listed = client.get(f"/v1/customers/{TAILSPIN}/agreements", params={"agreementType": "MicrosoftCustomerAgreement"})
    assert [a["primaryContact"]["phoneNumber"] for a in listed.json()["items"]] == ["+47 22 12 34 56"]


def test_same_contact_twice_is_600061(client: httpx.Client) -> None:
    customer_id = create_customer(client)
    assert client.post(f"/v1/customers/{customer_id}/agreements", json=agreement_body()).status_code == 201
    again = client.post(
        f"/v1/customers/{customer_id}/agreements", json=agreement_body(email="AMELIA@contosobikes.co.uk")
    )
    assert again.status_code == 409
    assert again.json()["code"] == "600061"
    assert again.json()["errorName"] == "PartnerConfirmedAgreementAlreadyExists"
    other_contact = client.post(f"/v1/customers/{customer_id}/agreements", json=agreement_body(lastName="Jones"))
    assert other_contact.status_code == 201
    assert client.get(f"/v1/customers/{customer_id}/agreements").json()["totalCount"] == 2


def test_agreement_fields_are_checked(client: httpx.Client) -> None:
    def post(**changes: object) -> str:
        body = {**agreement_body(), **changes}
        response = client.post(f"/v1/customers/{TAILSPIN}/agreements", json=body)
        assert response.status_code == 400
        description: str = response.json()["description"]
        return description

    assert post(templateId="00000000-0000-0000-0000-000000000000") == (
        "agreement.templateId 00000000-0000-0000-0000-000000000000 is not the current MicrosoftCustomerAgreement "
        f"template ({MCA_TEMPLATE})."
    )
    assert post(dateAgreed="yesterday") == "agreement.dateAgreed 'yesterday' is not a date."
    assert post(dateAgreed="2026-12-25") == "agreement.dateAgreed 2026-12-25 is in the future."
    assert post(type="MicrosoftCloudAgreement") == (
        "agreement.type must be MicrosoftCustomerAgreement, not 'MicrosoftCloudAgreement'."
    )
    assert post(primaryContact={"firstName": "A", "lastName": "B"}) == "agreement.primaryContact.email is required."
    assert post(primaryContact={"firstName": "A", "lastName": "B", "email": "nope"}) == (
        "agreement.primaryContact.email 'nope' is not a valid email address."
    )
