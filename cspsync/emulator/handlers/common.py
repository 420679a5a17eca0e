"""Helpers shared by the handlers: timestamps, customer lookup, field checks."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from cspsync.emulator import codes
from cspsync.emulator.records import Tenant
from cspsync.emulator.routing import Call

_EMAIL = re.compile(r"[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def timestamp(moment: datetime) -> str:
    """Partner Center's timestamp form: ISO 8601 in UTC with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_timestamp(value: str) -> datetime:
    """A timestamp or date as Partner Center accepts it; naive values are UTC. ValueError if invalid."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def customer(call: Call) -> Tenant:
    """The customer named by the path: 404 when no tenant has that id, 403 when it is not a customer."""
    customer_id = call.params["customerId"]
    tenant = call.store.tenant_by_id(customer_id)
    if tenant is None:
        raise codes.TENANT_NOT_FOUND.error(f"Tenant not found: no customer with id {customer_id}.")
    if not tenant.is_customer:
        partner = call.store.world().partner
        raise codes.NO_COMMERCE_RELATIONSHIP.error(partner=partner.tenantId, customer=tenant.id)
    return tenant


def required_text(container: dict[str, Any], field: str, where: str) -> str:
    """A non-empty string field, else 400 naming ``where.field``."""
    value = container.get(field)
    if not isinstance(value, str) or not value.strip():
        raise codes.INVALID_PROPERTY.error(f"{where}.{field} is required.")
    return value.strip()


def required_object(container: dict[str, Any], field: str, where: str | None = None) -> dict[str, Any]:
    value = container.get(field)
    name = f"{where}.{field}" if where else field
    if not isinstance(value, dict):
        raise codes.INVALID_PROPERTY.error(f"{name} is required.")
    return value


def check_email(value: str, where: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise codes.INVALID_PROPERTY.error(f"{where} {value!r} is not a valid email address.")
    return value


def check_etag(call: Call, current: str, body: dict[str, Any] | None = None, *, required: bool = False) -> None:
    """412 when ``If-Match`` (or the body's ``attributes.etag``) names another version than ``current``;
    400 when ``required`` and neither is sent."""
    wanted = call.header("If-Match")
    if wanted is None and body is not None:
        attributes = body.get("attributes")
        if isinstance(attributes, dict) and isinstance(attributes.get("etag"), str):
            wanted = attributes["etag"]
    if wanted is None and required:
        raise codes.INVALID_INPUT.error("The If-Match header with the resource's etag is required.")
    if wanted is not None and wanted.strip().strip('"') not in (current, "*"):
        raise codes.ETAG_MISMATCH.error(
            "Etag is no longer valid: the resource changed since it was read. Read it again and retry."
        )


def query_int(call: Call, name: str) -> int | None:
    value = call.query(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise codes.INVALID_INPUT.error(f"The query parameter {name} must be an integer, not {value!r}.") from None


def require_query(call: Call, name: str) -> str:
    value = call.query(name)
    if not value:
        raise codes.INVALID_INPUT.error(f"The query parameter {name} is required.")
    return value


#: BillingCycleType values as the wire writes them (product-resources), keyed case-insensitively
BILLING_CYCLES = {
    name.replace("_", ""): name for name in ("monthly", "annual", "triennial", "one_time", "none", "unknown")
}


def billing_cycle(value: Any) -> Any:
    """``Monthly`` / ``MONTHLY`` / ``OneTime`` read as ``monthly`` / ``one_time``; anything else unchanged."""
    if isinstance(value, str):
        return BILLING_CYCLES.get(value.replace("_", "").lower(), value)
    return value


def term_duration(value: Any) -> Any:
    """ISO 8601 durations in capitals (``p1y`` reads as ``P1Y``)."""
    return value.upper() if isinstance(value, str) else value


def is_live(subscription: dict[str, Any]) -> bool:
    """Not cancelled (``deleted``) nor ended (``expired``): it counts towards limits and blocks deletion."""
    return subscription.get("status") not in ("deleted", "expired")
