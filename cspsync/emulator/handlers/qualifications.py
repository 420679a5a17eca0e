"""A customer's account validation and qualifications (education, GCC, state-owned entity).

Doc pages: "Retrieve the validation status of a customer" (retrieve-validation-status: ``type=account``,
``{type, status, lastUpdateDateTime}`` with Unknown, UnderReview, Allowed, NotAllowed or NotReady), "Get a
customer's qualifications" and "Update a customer's qualification" (the asynchronous pages: a plain JSON
array; POST answers 201; Education and GovernmentCommunityCloud are vetted, InReview first; GCC needs a
validation code; Nonprofit cannot be set by a partner). Field names follow the .NET SDK's
CustomerQualificationRequest (``qualification``, ``educationSegment``, ``validationCode``).

A customer created through the API stays UnderReview for ``Rules.review_period``; seeded customers were
validated long ago (Allowed). Vetting ends (Approved) after ``Rules.vetting_period``.
"""

from __future__ import annotations

from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.handlers.common import customer, parse_timestamp, require_query, timestamp
from cspsync.emulator.routing import Call
from cspsync.emulator.wire import respond

_VETTED = {"education": "Education", "governmentcommunitycloud": "GovernmentCommunityCloud"}
_SETTABLE = {**_VETTED, "stateownedentity": "StateOwnedEntity"}
_EDUCATION_SEGMENTS = {"k12": "K12", "highereducation": "HigherEducation"}


def validation_status(call: Call) -> httpx.Response:
    """``GET /v1/customers/{id}/validationStatus?type=account``."""
    tenant = customer(call)
    kind = require_query(call, "type")
    if kind.lower() != "account":
        raise codes.INVALID_INPUT.error(f"The validation type {kind!r} is not supported; use account.")
    created = call.store.created_at(tenant.id)
    if created is None:
        return respond(200, {"type": "Account", "status": "Allowed", "lastUpdateDateTime": None})
    cleared = parse_timestamp(created) + call.rules.review_period
    if call.now < cleared:
        return respond(200, {"type": "Account", "status": "UnderReview", "lastUpdateDateTime": created})
    return respond(200, {"type": "Account", "status": "Allowed", "lastUpdateDateTime": timestamp(cleared)})


def _as_read(qualification: dict[str, Any], call: Call) -> dict[str, Any]:
    shown = dict(qualification)
    created = shown.get("vettingCreateDate")
    review_over = bool(created) and parse_timestamp(str(created)) + call.rules.vetting_period <= call.now
    if shown.get("vettingStatus") == "InReview" and review_over:
        shown["vettingStatus"] = "Approved"
    return shown


def list_qualifications(call: Call) -> httpx.Response:
    """``GET /v1/customers/{id}/qualifications``: a JSON array, not a collection."""
    tenant = customer(call)
    return respond(200, [_as_read(q, call) for q in call.store.qualifications(tenant.id)])


def add_qualification(call: Call) -> httpx.Response:
    """``POST /v1/customers/{id}/qualifications[?code=]``."""
    body = call.json()
    with call.store.atomic():
        tenant = customer(call)
        raw = body.get("qualification")
        if not isinstance(raw, str) or not raw.strip():
            raise codes.INVALID_PROPERTY.error("qualification is required.")
        if raw.strip().lower() == "nonprofit":
            raise codes.QUALIFICATION_NOT_SETTABLE.error()
        name = _SETTABLE.get(raw.strip().lower())
        if name is None:
            raise codes.INVALID_PROPERTY.error(
                f"qualification {raw!r} is not one of Education, GovernmentCommunityCloud, StateOwnedEntity."
            )
        existing = call.store.qualifications(tenant.id)
        if any(q["qualification"] == name for q in existing):
            raise codes.QUALIFICATION_EXISTS.error(qualification=name)
        qualification: dict[str, Any] = {"qualification": name}
        if name == "Education":
            segment = body.get("educationSegment")
            if segment is not None:
                if not isinstance(segment, str) or segment.lower() not in _EDUCATION_SEGMENTS:
                    raise codes.INVALID_PROPERTY.error("educationSegment must be K12 or HigherEducation.")
                qualification["educationSegment"] = _EDUCATION_SEGMENTS[segment.lower()]
        if name == "GovernmentCommunityCloud":
            code = call.query("code") or body.get("validationCode")
            if not isinstance(code, str) or not code.strip():
                raise codes.INVALID_INPUT.error("A GovernmentCommunityCloud qualification needs a validation code.")
        if name in _VETTED.values():
            qualification.update(vettingStatus="InReview", vettingCreateDate=timestamp(call.now))
        call.store.set_qualifications(tenant.id, [*existing, qualification])
    return respond(201, qualification)
