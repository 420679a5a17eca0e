"""Microsoft Customer Agreement: template metadata and the partner's confirmations per customer."""

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
from cspsync.emulator.wire import collection, respond

MCA = "MicrosoftCustomerAgreement"
MCA_TEMPLATE_ID = "117a77b0-9360-443b-8795-c6dedc750cf9"
MCA_LINK = "https://aka.ms/customeragreement"
_KNOWN_TYPES = {"microsoftcloudagreement": "MicrosoftCloudAgreement", "microsoftcustomeragreement": MCA}


def _template() -> dict[str, Any]:
    return {
        "templateId": MCA_TEMPLATE_ID,
        "agreementType": MCA,
        "agreementLink": MCA_LINK,
        "versionRank": 0,
        "attributes": {"objectType": "AgreementMetaData"},
    }


def agreement_templates(call: Call) -> httpx.Response:
    """No ``agreementType`` means MicrosoftCloudAgreement, which the emulator's markets no longer use."""
    wanted = call.query("agreementType") or "MicrosoftCloudAgreement"
    if wanted != "*" and wanted.lower() not in _KNOWN_TYPES:
        raise codes.INVALID_INPUT.error(f"Unknown agreementType {wanted!r}.")
    items = [_template()] if wanted == "*" or _KNOWN_TYPES[wanted.lower()] == MCA else []
    return respond(200, collection(items))


def list_agreements(call: Call) -> httpx.Response:
    tenant = customer(call)
    wanted = call.query("agreementType")
    agreement_type = None if wanted in (None, "*") else _KNOWN_TYPES.get(wanted.lower(), wanted)
    return respond(200, collection(call.store.agreements(tenant.id, agreement_type)))


def create_agreement(call: Call) -> httpx.Response:
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
