"""Agreements: template metadata and the partner's confirmations of a customer's acceptance.

Doc pages: "Get agreement metadata for Microsoft Cloud Agreement" (get-agreement-metadata), "Get agreement
metadata for the Microsoft Customer Agreement" (get-customer-agreement-metadata), "Confirm customer
acceptance of the Microsoft Customer Agreement" (confirm-customer-consent-customer-agreement), "Get
confirmation of customer acceptance of the Microsoft Customer Agreement"
(get-confirmation-of-customer-agreement) and "Agreement resources".
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.handlers.common import (
    check_email,
    customer,
    parse_timestamp,
    required_object,
    required_text,
    timestamp,
)
from cspsync.emulator.records import DuplicateError
from cspsync.emulator.routing import Call
from cspsync.emulator.wire import collection, link, respond

MCA = "MicrosoftCustomerAgreement"
MCA_TEMPLATE_ID = "117a77b0-9360-443b-8795-c6dedc750cf9"
MCA_LINK = "https://aka.ms/customeragreement"
CLOUD_AGREEMENT = "MicrosoftCloudAgreement"
#: the templates the two metadata pages publish
TEMPLATES: dict[str, dict[str, Any]] = {
    CLOUD_AGREEMENT: {
        "templateId": "998b88de-aa99-4388-a42c-1b3517d49490",
        "agreementType": CLOUD_AGREEMENT,
        "agreementLink": "https://docs.microsoft.com/partner-center/agreements",
        "versionRank": 0,
    },
    MCA: {"templateId": MCA_TEMPLATE_ID, "agreementType": MCA, "agreementLink": MCA_LINK, "versionRank": 0},
}
_KNOWN_TYPES = {name.lower(): name for name in TEMPLATES}


def agreement_templates(call: Call) -> httpx.Response:
    """``GET /v1/agreements[?agreementType=]``: no type means MicrosoftCloudAgreement (for backward
    compatibility, says get-customer-agreement-metadata), ``*`` every type."""
    wanted = call.query("agreementType") or CLOUD_AGREEMENT
    if wanted != "*" and wanted.lower() not in _KNOWN_TYPES:
        raise codes.INVALID_INPUT.error(f"Unknown agreementType {wanted!r}.")
    names = list(TEMPLATES) if wanted == "*" else [_KNOWN_TYPES[wanted.lower()]]
    return respond(200, collection([dict(TEMPLATES[name]) for name in names], links={"self": link("/agreements")}))


def list_agreements(call: Call) -> httpx.Response:
    """``GET /v1/customers/{id}/agreements[?agreementType=]``: the confirmations recorded, without the
    ``userId`` that only the create response carries."""
    tenant = customer(call)
    wanted = call.query("agreementType")
    agreement_type = None if wanted in (None, "*") else _KNOWN_TYPES.get(wanted.lower(), wanted)
    items = [{k: v for k, v in a.items() if k != "userId"} for a in call.store.agreements(tenant.id, agreement_type)]
    return respond(200, collection(items))


def create_agreement(call: Call) -> httpx.Response:
    """``POST /v1/customers/{id}/agreements``: 201 with the agreement and a ``userId``; the same contact
    twice is 409 600061 (partner-center-api.md §6)."""
    tenant = customer(call)
    body = call.json()
    agreement_type = required_text(body, "type", "agreement")
    if agreement_type != MCA:
        raise codes.INVALID_PROPERTY.error(f"agreement.type must be {MCA}, not {agreement_type!r}.")
    template_id = required_text(body, "templateId", "agreement").lower()
    if template_id != MCA_TEMPLATE_ID:
        raise codes.INVALID_PROPERTY.error(
            f"agreement.templateId {template_id} is not the current {MCA} template ({MCA_TEMPLATE_ID})."
        )
    raw_date = required_text(body, "dateAgreed", "agreement")
    try:
        date_agreed = parse_timestamp(raw_date)
    except ValueError:
        raise codes.INVALID_PROPERTY.error(f"agreement.dateAgreed {raw_date!r} is not a date.") from None
    if date_agreed > call.now + timedelta(days=1):
        raise codes.INVALID_PROPERTY.error(f"agreement.dateAgreed {raw_date} is in the future.")
    contact_body = required_object(body, "primaryContact", "agreement")
    contact: dict[str, Any] = {
        field: required_text(contact_body, field, "agreement.primaryContact")
        for field in ("firstName", "lastName", "email")
    }
    check_email(contact["email"], "agreement.primaryContact.email")
    phone = contact_body.get("phoneNumber")
    if isinstance(phone, str) and phone.strip():
        contact["phoneNumber"] = phone.strip()
    agreement = {
        "primaryContact": contact,
        "templateId": template_id,
        "dateAgreed": timestamp(date_agreed),
        "type": MCA,
        "agreementLink": MCA_LINK,
        "userId": str(uuid.uuid4()),
        "attributes": {"objectType": "Agreement"},
    }
    try:
        call.store.add_agreement(tenant.id, agreement)
    except DuplicateError:
        raise codes.AGREEMENT_EXISTS.error() from None
    return respond(201, agreement)
