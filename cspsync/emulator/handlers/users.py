"""Customer users: list a customer's users and reset one's password (the recovery of a lost admin password).

Partner Center: "Get a list of all user accounts for a customer" (``GET /v1/customers/{id}/users``) and
"Reset user password for a customer" (``PATCH /v1/customers/{id}/users/{userId}`` with a
``passwordProfile``; App+User; the reply is the user, with the password profile as sent). The emulator's
tenants have one user each, the global admin ``admin@<domain>`` that creating a customer returns.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.handlers.common import customer, required_object, timestamp
from cspsync.emulator.records import Tenant
from cspsync.emulator.routing import Call
from cspsync.emulator.wire import collection, link, respond


def admin_id(tenant: Tenant) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"user:{tenant.id}:admin"))


def _user(tenant: Tenant) -> dict[str, Any]:
    user_id = admin_id(tenant)
    return {
        "id": user_id,
        "userPrincipalName": f"admin@{tenant.domain}",
        "firstName": "",
        "lastName": "",
        "displayName": tenant.company_name,
        "userDomainType": "none",
        "state": "active",
        "links": {"self": link(f"/customers/{tenant.id}/users/{user_id}")},
        "attributes": {"objectType": "CustomerUser"},
    }


def list_users(call: Call) -> httpx.Response:
    return respond(200, collection([_user(customer(call))]))


def reset_password(call: Call) -> httpx.Response:
    tenant = customer(call)
    if call.params["userId"].lower() != admin_id(tenant):
        raise codes.ROUTE_NOT_FOUND.error(f"No user {call.params['userId']} in customer {tenant.id}.")
    profile = required_object(call.json(), "passwordProfile")
    password = profile.get("password")
    if not isinstance(password, str) or len(password) < 8:
        raise codes.INVALID_PROPERTY.error("passwordProfile.password must be a password of at least 8 characters.")
    digest = hashlib.sha256(password.encode()).hexdigest()
    call.store.record_password_reset(tenant.id, admin_id(tenant), timestamp(call.now), digest)
    # "Auditing resources": reset_customer_user_password, resource type customer_user (never the password)
    call.store.record_audit(
        tenant.id, "reset_customer_user_password", "customer_user", data={"UserId": admin_id(tenant)}
    )
    user = _user(tenant)
    user["passwordProfile"] = {"forceChangePassword": bool(profile.get("forceChangePassword")), "password": password}
    return respond(200, user)
