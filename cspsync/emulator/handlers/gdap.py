"""Microsoft Graph's GDAP endpoints (v1.0 ``/tenantRelationships``), as the Graph reference describes them.

Sources (microsoftgraph/microsoft-graph-docs-contrib, api-reference/v1.0):

- relationships: resources/delegatedadminrelationship.md (properties, the status values and their meaning),
  api/tenantrelationship-post-delegatedadminrelationships.md (create: displayName required, at most 50
  characters and unique across the partner; duration P1D..P2Y; autoExtendDuration PT0S (default), P0D or
  P180D; 201 with Location and ``@odata.etag``; status ``created``; ``endDateTime`` computed from the
  duration), api/tenantrelationship-list-delegatedadminrelationships.md ($filter, $top up to 300,
  $skipToken), api/delegatedadminrelationship-get.md, -update.md (only while ``created``, except
  ``autoExtendDuration``, which can also change while ``active``; If-Match required; removing Global
  Administrator from an active relationship, a long-running operation there, is not emulated),
  -delete.md (only while ``created``, If-Match required, 204);
- requests: api/delegatedadminrelationship-post-requests.md and resources/delegatedadminrelationshiprequest.md
  (``lockForApproval`` finalises a ``created`` relationship -> ``approvalPending``; ``terminate`` ends an
  ``active`` one; 201 with the request, its status ``created``, later ``succeeded``);
- access assignments: resources/delegatedadminaccessassignment.md (statuses pending, active, deleting,
  deleted, error), api/delegatedadminrelationship-post-accessassignments.md (security group and roles;
  201 ``pending``), api/delegatedadminaccessassignment-update.md (If-Match; 202 with a Location of a
  long-running operation and Retry-After, or 200 when nothing changes);
- the overview resources/delegatedadminrelationships-api-overview.md: after ``lockForApproval`` the customer
  approves at ``https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{id}``
  and the relationship becomes active; access assignments are created once it is;
- api/tenantrelationship-findtenantinformationbydomainname.md: a tenant's id and name by domain.

Partner Center facts: GDAP relationship requests expire after 90 days (learn.microsoft.com
partner-center/gdap-faq: "GDAP relationship requests expire after 90 days"); a relationship with Global
Administrator is not auto-extended (partner-center expiring-gdap-relationships-and-auto-extend-gdap);
``POST /v1/customers`` creates a Default GDAP relationship unless ``enableGDAPByDefault`` is false, approved
without the customer (partner-center gdap-faq; the partner still creates its access assignments).

Timing: status changes that Graph makes "later" (approved -> activating -> active, pending -> active,
terminationRequested -> terminating -> terminated, expiring -> expired) happen after the seconds of
:class:`GdapTiming`, measured with the emulator's clock, so tests move time and watch every state. Status is
computed when read, from the times stored with each record.

Where the reference is silent the emulator says so: error codes come from Graph's error list
(learn.microsoft.com/graph/errors: invalidRequest, itemNotFound, nameAlreadyExists, resourceModified,
preconditionFailed), the Default GDAP relationship is named ``Default_<company>_<8 hex of the tenant id>``, and an
assignment to a group the seed's ``partner.securityGroups`` does not list ends in ``error``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import httpx

from cspsync.emulator.handlers.common import timestamp
from cspsync.emulator.handlers.graph import graph_error
from cspsync.emulator.routing import Call
from cspsync.emulator.wire import respond
from cspsync.errors import ConfigError

if TYPE_CHECKING:
    from cspsync.emulator.store import Store

ROOT = "/v1.0/tenantRelationships/delegatedAdminRelationships"
APPROVAL_LINK = "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{id}"
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
#: the Default GDAP relationship's roles (partner-center gdap-faq); equal to cspsync.declarations.roles
DEFAULT_ROLES = (
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
    "9360feb5-f418-4baa-8175-e2a00bac4301",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
    "f023fd81-a637-4b56-95fd-791ac0226033",
    "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
)
AUTO_EXTEND = {"PT0S", "P0D", "P180D"}
REQUEST_EXPIRY = dt.timedelta(days=90)
MAX_TOP = 300
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DURATION = re.compile(r"P(?:(\d+)D|(\d+)Y)")
_FILTER = re.compile(r"\s*(customer/tenantId|displayName|status)\s+eq\s+'((?:[^']|'')*)'\s*", re.IGNORECASE)

TABLES = """
CREATE TABLE IF NOT EXISTS gdap_relationships (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS gdap_requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    relationship_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS gdap_assignments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    relationship_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class GdapTiming:
    """How long Graph takes for what the docs say happens after a request (zero: at once)."""

    activation: dt.timedelta = dt.timedelta(0)  # approved -> activating -> active
    assignment: dt.timedelta = dt.timedelta(0)  # access assignment pending -> active (or error)
    ending: dt.timedelta = dt.timedelta(0)  # terminationRequested -> terminating -> terminated; expiring -> expired

    @classmethod
    def seconds(cls, value: float) -> GdapTiming:
        step = dt.timedelta(seconds=value)
        return cls(activation=step, assignment=step, ending=step)


#: what ``cspsync emulator`` (and the emulator target) wait by default: long enough to watch an access
#: assignment go from pending to active, short enough for the README's main job
DEFAULT_DELAY_SECONDS = 2.0
DELAY_VARIABLE = "CSPSYNC_EMULATOR_GDAP_SECONDS"


def approval_delay(env: Mapping[str, str] | None = None) -> float:
    """Seconds of each of Graph's asynchronous GDAP steps: ``CSPSYNC_EMULATOR_GDAP_SECONDS`` or the default."""
    value = (os.environ if env is None else env).get(DELAY_VARIABLE, "").strip()
    try:
        seconds = float(value) if value else DEFAULT_DELAY_SECONDS
    except ValueError:
        raise ConfigError(f"{DELAY_VARIABLE} must be a number of seconds, not {value!r}") from None
    if seconds < 0:
        raise ConfigError(f"{DELAY_VARIABLE} must not be negative")
    return seconds


def timing_from_environment(env: Mapping[str, str] | None = None) -> GdapTiming:
    return GdapTiming.seconds(approval_delay(env))


# -------------------------------------------------------------------------------------------- storage


def _tables(store: Store) -> None:
    for statement in TABLES.split(";"):
        if statement.strip():
            store._write(statement)  # the emulator's own database; these tables are Graph's alone


def _parse(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def duration_of(text: str) -> dt.timedelta | None:
    found = _DURATION.fullmatch(text.strip().upper()) if isinstance(text, str) else None
    if found is None:
        return None
    days, years = found.groups()
    return dt.timedelta(days=int(days) if days is not None else int(years) * 365)


def _etag() -> str:
    return 'W/"' + base64.b64encode(secrets.token_bytes(12)).decode() + '"'


def _relationships(store: Store, after: int = 0) -> list[tuple[int, dict[str, Any]]]:
    """(sequence number, record) of every relationship after ``after``, oldest first."""
    _tables(store)
    rows = store._all("SELECT seq, doc FROM gdap_relationships WHERE seq > ? ORDER BY seq", (after,))
    return [(int(row[0]), json.loads(row[1])) for row in rows]


def _relationship(store: Store, relationship_id: str) -> dict[str, Any] | None:
    _tables(store)
    row = store._one("SELECT doc FROM gdap_relationships WHERE id = ?", (relationship_id,))
    return None if row is None else dict(json.loads(row[0]))


def _save(store: Store, doc: dict[str, Any]) -> None:
    store._write(
        "INSERT INTO gdap_relationships (id, display_name, doc) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, doc = excluded.doc",
        (doc["id"], doc["displayName"], json.dumps(doc)),
    )


def _assignments(store: Store, relationship_id: str) -> list[dict[str, Any]]:
    _tables(store)
    rows = store._all("SELECT doc FROM gdap_assignments WHERE relationship_id = ? ORDER BY seq", (relationship_id,))
    return [json.loads(row[0]) for row in rows]


def _save_assignment(store: Store, relationship_id: str, doc: dict[str, Any]) -> None:
    store._write(
        "INSERT INTO gdap_assignments (id, relationship_id, doc) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
        (doc["id"], relationship_id, json.dumps(doc)),
    )


# ---------------------------------------------------------------------------------------- state machine


def _activated(doc: dict[str, Any], timing: GdapTiming) -> dt.datetime | None:
    """When an approved relationship becomes active: its approval plus the activation delay."""
    approved = _parse(doc.get("_approvedAt"))
    if approved is None:
        return None
    return approved if doc.get("_default") else approved + timing.activation


def _end(doc: dict[str, Any], now: dt.datetime, timing: GdapTiming) -> dt.datetime | None:
    """``endDateTime`` = ``activatedDateTime + duration`` (before activation: creation + duration, as the
    create example answers), rolled forward by the auto-extension while it applies."""
    activated = _activated(doc, timing)
    duration = duration_of(doc["duration"]) or dt.timedelta(0)
    if activated is None:
        created = _parse(doc["createdDateTime"])
        return created + duration if created else None
    end = activated + duration
    roles = {r["roleDefinitionId"].lower() for r in doc["accessDetails"]["unifiedRoles"]}
    if doc.get("autoExtendDuration") == "P180D" and GLOBAL_ADMINISTRATOR not in roles:
        while end <= now:
            end += dt.timedelta(days=180)
    return end


def relationship_status(doc: dict[str, Any], now: dt.datetime, timing: GdapTiming) -> str:
    """The documented status a relationship has at ``now`` (resources/delegatedadminrelationship.md)."""
    ending = _parse(doc.get("_terminationRequestedAt"))
    if ending is not None:
        if now < ending + timing.ending:
            return "terminationRequested"
        return "terminating" if now < ending + 2 * timing.ending else "terminated"
    approved = _parse(doc.get("_approvedAt"))
    if approved is not None:
        activated = _activated(doc, timing)
        assert activated is not None
        if now < activated - timing.activation / 2:
            return "approved"
        if now < activated:
            return "activating"
        end = _end(doc, now, timing)
        assert end is not None
        if now < end:
            return "active"
        return "expiring" if now < end + timing.ending else "expired"
    locked = _parse(doc.get("_lockedAt"))
    if locked is not None:
        return "expired" if now >= locked + REQUEST_EXPIRY else "approvalPending"
    return "created"


def relationship_view(doc: dict[str, Any], now: dt.datetime, timing: GdapTiming) -> dict[str, Any]:
    """The relationship as Graph returns it: no internal fields, status and end as of ``now``."""
    status = relationship_status(doc, now, timing)
    view = {k: v for k, v in doc.items() if not k.startswith("_") and k != "etag"}
    view["@odata.type"] = "#microsoft.graph.delegatedAdminRelationship"
    view["@odata.etag"] = doc["etag"]
    view["status"] = status
    end = _end(doc, now, timing)
    activated = _activated(doc, timing)
    view["activatedDateTime"] = timestamp(activated) if activated is not None and now >= activated else None
    if status in ("terminating", "terminated", "terminationRequested"):
        terminated = _parse(doc["_terminationRequestedAt"])
        end = terminated + 2 * timing.ending if terminated else end
    view["endDateTime"] = timestamp(end) if end else None
    return view


def assignment_status(doc: dict[str, Any], now: dt.datetime, timing: GdapTiming, groups: set[str]) -> str:
    """pending -> active (or error for a group the partner does not have), deleting -> deleted."""
    deleted = _parse(doc.get("_deletedAt"))
    if deleted is not None:
        return "deleting" if now < deleted + timing.assignment else "deleted"
    changed = _parse(doc["_changedAt"])
    assert changed is not None
    if now < changed + timing.assignment:
        return "pending"
    group = doc["accessContainer"]["accessContainerId"].lower()
    return "error" if groups and group not in groups else "active"


def _assignment_view(doc: dict[str, Any], call: Call) -> dict[str, Any]:
    view = {k: v for k, v in doc.items() if not k.startswith("_") and k != "etag"}
    view["@odata.type"] = "#microsoft.graph.delegatedAdminAccessAssignment"
    view["@odata.etag"] = doc["etag"]
    view["status"] = assignment_status(doc, call.now, _timing(call), _security_groups(call.store))
    return view


def _timing(call: Call) -> GdapTiming:
    timing = getattr(call, "gdap", None)
    return timing if isinstance(timing, GdapTiming) else GdapTiming()


def _security_groups(store: Store) -> set[str]:
    return {group.lower() for group in store.world().partner.securityGroups}


# ------------------------------------------------------------------------------------- the store's side


def create_default_relationship(store: Store, tenant_id: str, company_name: str, now: dt.datetime) -> str:
    """The Default GDAP relationship ``POST /v1/customers`` creates: approved without the customer, so
    active at once (its duration and no auto-extension: Graph's documented default PT0S)."""
    _tables(store)
    label = re.sub(r"[^A-Za-z0-9]+", "", company_name)[:33] or "Customer"
    doc = _new_relationship(
        f"Default_{label}_{tenant_id.replace('-', '')[:8]}",
        "P730D",
        {"tenantId": tenant_id, "displayName": company_name},
        [{"roleDefinitionId": role} for role in DEFAULT_ROLES],
        "PT0S",
        now,
    )
    doc["_lockedAt"] = doc["_approvedAt"] = timestamp(now)
    doc["_default"] = True  # approved with the tenant: no activation delay
    _save(store, doc)
    return str(doc["id"])


def approve(store: Store, key: str, now: dt.datetime) -> list[dict[str, Any]]:
    """The customer's global admin approves: ``key`` is a relationship id, or a domain whose tenant approves
    every request waiting for it. ConfigError when nothing waits (the customer's side of the link)."""
    _tables(store)
    tenant = store.tenant_by_domain(key) if "." in key and not _GUID.match(key) else None
    waiting = [
        doc
        for _, doc in _relationships(store)
        if relationship_status(doc, now, GdapTiming()) == "approvalPending"
        and (doc["id"] == key or (tenant is not None and (doc.get("customer") or {}).get("tenantId") == tenant.id))
    ]
    if not waiting:
        known = _relationship(store, key)
        if known is not None:
            state = relationship_status(known, now, GdapTiming())
            raise ConfigError(f"admin relationship {key} is {state}, not waiting for approval (approvalPending).")
        what = f"{key} ({tenant.id})" if tenant is not None else key
        raise ConfigError(f"No admin relationship request waits for approval by {what}.")
    approved = []
    for doc in waiting:
        customer = doc.get("customer") or {}
        if not customer.get("tenantId"):
            if tenant is None:
                raise ConfigError(f"{doc['id']} names no customer tenant; approve it with the customer's domain.")
            customer["tenantId"] = tenant.id
        if tenant is not None:
            customer["displayName"] = tenant.company_name
        doc["customer"] = customer
        doc["_approvedAt"] = timestamp(now)
        doc["lastModifiedDateTime"] = timestamp(now)
        doc["etag"] = _etag()
        _save(store, doc)
        approved.append(doc)
    return approved


def relationships_of(store: Store, now: dt.datetime, timing: GdapTiming | None = None) -> list[dict[str, Any]]:
    """Every relationship as Graph would list it at ``now`` (for tests and the CLI)."""
    return [relationship_view(doc, now, timing or GdapTiming()) for _, doc in _relationships(store)]


def set_relationship_times(store: Store, relationship_id: str, **times: dt.datetime) -> None:
    """Move a relationship's stored times (``activated``, ``created``, ``locked``) behind Graph's back, so a
    test or demo can put a relationship near its end or its request near the 90 days."""
    doc = _relationship(store, relationship_id)
    if doc is None:
        raise ConfigError(f"No admin relationship {relationship_id}.")
    fields = {"activated": "_approvedAt", "created": "createdDateTime", "locked": "_lockedAt"}
    for name, moment in times.items():
        doc[fields[name]] = timestamp(moment)
    _save(store, doc)


def set_auto_extend(store: Store, relationship_id: str, duration: str) -> None:
    """Switch auto-extension behind cspsync's back, as a partner does in Partner Center (Customers > Expiring
    granular relationships) for an active relationship."""
    doc = _relationship(store, relationship_id)
    if doc is None or duration not in AUTO_EXTEND:
        raise ConfigError(f"No admin relationship {relationship_id}, or {duration} is not PT0S, P0D or P180D.")
    doc["autoExtendDuration"] = duration
    doc["etag"] = _etag()
    _save(store, doc)


def find_relationships(store: Store, key: str) -> list[dict[str, Any]]:
    """Relationships by id, display name, or the domain of their customer's tenant."""
    tenant = store.tenant_by_domain(key) if "." in key else None
    return [
        doc
        for _, doc in _relationships(store)
        if key in (doc["id"], doc["displayName"])
        or (tenant is not None and (doc.get("customer") or {}).get("tenantId") == tenant.id)
    ]


# ------------------------------------------------------------------------------------------- handlers


def _body(call: Call) -> dict[str, Any] | httpx.Response:
    try:
        value = json.loads(call.request.content.decode("utf-8-sig") or "null")
    except (UnicodeDecodeError, ValueError):
        return graph_error(400, "invalidRequest", "The request body is not valid JSON.", call)
    if not isinstance(value, dict):
        return graph_error(400, "invalidRequest", "The request body must be a JSON object.", call)
    return value


def _roles(value: Any) -> list[dict[str, str]] | None:
    roles = value.get("unifiedRoles") if isinstance(value, dict) else None
    if not isinstance(roles, list) or not roles:
        return None
    found = []
    for role in roles:
        role_id = role.get("roleDefinitionId") if isinstance(role, dict) else None
        if not isinstance(role_id, str) or not _GUID.fullmatch(role_id):
            return None
        found.append({"roleDefinitionId": role_id.lower()})
    return found


def _new_relationship(
    name: str,
    duration: str,
    customer: dict[str, Any] | None,
    roles: list[dict[str, str]],
    extend: str,
    now: dt.datetime,
) -> dict[str, Any]:
    partner_part = str(uuid.uuid4())
    return {
        "id": f"{uuid.uuid4()}-{partner_part}",
        "displayName": name,
        "duration": duration,
        "customer": customer,
        "accessDetails": {"unifiedRoles": roles},
        "autoExtendDuration": extend,
        "createdDateTime": timestamp(now),
        "lastModifiedDateTime": timestamp(now),
        "etag": _etag(),
    }


def _checked_fields(call: Call, body: dict[str, Any], *, creating: bool) -> dict[str, Any] | httpx.Response:
    fields: dict[str, Any] = {}
    if "displayName" in body or creating:
        name = body.get("displayName")
        if not isinstance(name, str) or not name.strip():
            return graph_error(400, "invalidRequest", "displayName is required.", call)
        if len(name) > 50:
            return graph_error(400, "invalidRequest", "displayName must be at most 50 characters.", call)
        fields["displayName"] = name
    if "duration" in body or creating:
        duration = body.get("duration")
        span = duration_of(duration) if isinstance(duration, str) else None
        if span is None or not dt.timedelta(days=1) <= span <= dt.timedelta(days=730):
            return graph_error(400, "invalidRequest", "duration must be a value between P1D and P2Y inclusive.", call)
        fields["duration"] = duration
    if "accessDetails" in body or creating:
        roles = _roles(body.get("accessDetails"))
        if roles is None:
            return graph_error(
                400, "invalidRequest", "accessDetails.unifiedRoles must list roleDefinitionId GUIDs.", call
            )
        fields["accessDetails"] = {"unifiedRoles": roles}
    if "customer" in body:
        customer = body.get("customer")
        if customer is not None and not isinstance(customer, dict):
            return graph_error(400, "invalidRequest", "customer must be an object.", call)
        tenant = (customer or {}).get("tenantId")
        if tenant is not None and (not isinstance(tenant, str) or not _GUID.fullmatch(tenant)):
            return graph_error(400, "invalidRequest", "customer.tenantId must be a GUID.", call)
        fields["customer"] = {**(customer or {}), "tenantId": tenant.lower() if tenant else None}
    if "autoExtendDuration" in body or creating:
        extend = body.get("autoExtendDuration", "PT0S")
        if extend not in AUTO_EXTEND:
            return graph_error(400, "invalidRequest", "autoExtendDuration must be PT0S, P0D or P180D.", call)
        fields["autoExtendDuration"] = extend
    return fields


def _no_auto_extend_with_global_admin(call: Call, doc: dict[str, Any]) -> httpx.Response | None:
    roles = {r["roleDefinitionId"] for r in doc["accessDetails"]["unifiedRoles"]}
    if doc.get("autoExtendDuration") == "P180D" and GLOBAL_ADMINISTRATOR in roles:
        return graph_error(
            400,
            "invalidRequest",
            "A relationship with the Global Administrator role cannot be auto-extended.",
            call,
        )
    return None


def _taken(call: Call, name: str, own_id: str | None = None) -> bool:
    return any(
        doc["displayName"].casefold() == name.casefold() and doc["id"] != own_id
        for _, doc in _relationships(call.store)
    )


def create_relationship(call: Call) -> httpx.Response:
    body = _body(call)
    if isinstance(body, httpx.Response):
        return body
    fields = _checked_fields(call, body, creating=True)
    if isinstance(fields, httpx.Response):
        return fields
    with call.store.atomic():
        if _taken(call, fields["displayName"]):
            return graph_error(
                409,
                "nameAlreadyExists",
                f"A delegated admin relationship named '{fields['displayName']}' exists already; display names are "
                "unique across all delegated admin relationships of the partner.",
                call,
            )
        doc = _new_relationship(
            fields["displayName"],
            fields["duration"],
            fields.get("customer"),
            fields["accessDetails"]["unifiedRoles"],
            fields["autoExtendDuration"],
            call.now,
        )
        refused = _no_auto_extend_with_global_admin(call, doc)
        if refused is not None:
            return refused
        _save(call.store, doc)
    view = relationship_view(doc, call.now, _timing(call))
    return respond(201, view, {"Location": _absolute(call, f"{ROOT}/{doc['id']}")})


def _absolute(call: Call, path: str) -> str:
    url = call.request.url
    return f"{url.scheme}://{url.netloc.decode('ascii')}{path}"


def _filters(call: Call, raw: str | None) -> list[tuple[str, str]] | httpx.Response:
    if not raw:
        return []
    parts = re.split(r"\s+and\s+", raw.strip(), flags=re.IGNORECASE)
    found = []
    for part in parts:
        match = _FILTER.fullmatch(part)
        if match is None:
            return graph_error(
                400,
                "invalidRequest",
                f"The emulator filters on customer/tenantId, displayName and status with eq only, not {part!r}.",
                call,
            )
        found.append((match.group(1).lower(), match.group(2).replace("''", "'")))
    return found


def list_relationships(call: Call) -> httpx.Response:
    filters = _filters(call, call.query("$filter"))
    if isinstance(filters, httpx.Response):
        return filters
    top_text = call.query("$top")
    try:
        top = int(top_text) if top_text else 100
    except ValueError:
        return graph_error(400, "invalidRequest", f"$top must be an integer, not {top_text!r}.", call)
    if not 1 <= top <= MAX_TOP:
        return graph_error(400, "invalidRequest", f"$top supports up to {MAX_TOP} objects.", call)
    after = 0
    token = call.query("$skipToken")
    if token:
        try:
            after = int(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
        except (ValueError, UnicodeDecodeError):
            return graph_error(400, "invalidRequest", "The $skipToken is not valid.", call)
    timing = _timing(call)
    rows = []
    for seq, doc in _relationships(call.store, after):
        view = relationship_view(doc, call.now, timing)
        values = {
            "customer/tenantid": ((view.get("customer") or {}).get("tenantId") or "").lower(),
            "displayname": view["displayName"].casefold(),
            "status": view["status"].casefold(),
        }
        if all(values[field] == value.casefold() for field, value in filters):
            rows.append((seq, view))
    page = rows[:top]
    body: dict[str, Any] = {
        "@odata.context": "https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships",
        "value": [view for _, view in page],
    }
    if len(rows) > top:
        skip = base64.urlsafe_b64encode(str(page[-1][0]).encode()).decode().rstrip("=")
        query = f"$top={top}&$skipToken={skip}"
        if call.query("$filter"):
            query += "&$filter=" + quote(call.query("$filter") or "", safe="")
        body["@odata.nextLink"] = _absolute(call, f"{ROOT}?{query}")
    return respond(200, body)


def _found(call: Call) -> dict[str, Any] | httpx.Response:
    doc = _relationship(call.store, unquote(call.params["relationshipId"]))
    if doc is None:
        return graph_error(404, "itemNotFound", "The delegated admin relationship was not found.", call)
    return doc


def get_relationship(call: Call) -> httpx.Response:
    doc = _found(call)
    if isinstance(doc, httpx.Response):
        return doc
    return respond(200, relationship_view(doc, call.now, _timing(call)))


def _if_match(call: Call, doc: dict[str, Any]) -> httpx.Response | None:
    wanted = call.header("If-Match")
    if not wanted:
        return graph_error(400, "invalidRequest", "The If-Match header is required.", call)
    if wanted.strip() not in (doc["etag"], "*"):
        return graph_error(412, "resourceModified", "The resource changed since it was read (ETag mismatch).", call)
    return None


def update_relationship(call: Call) -> httpx.Response:
    body = _body(call)
    if isinstance(body, httpx.Response):
        return body
    with call.store.atomic():
        doc = _found(call)
        if isinstance(doc, httpx.Response):
            return doc
        refused = _if_match(call, doc)
        if refused is not None:
            return refused
        status = relationship_status(doc, call.now, _timing(call))
        others = sorted(set(body) - {"autoExtendDuration", "@odata.type"})
        if status == "active" and others:  # -update.md: only autoExtendDuration while active
            return graph_error(
                400,
                "invalidRequest",
                f"In the active status only autoExtendDuration can be updated, not {', '.join(others)}.",
                call,
            )
        if status not in ("created", "active"):
            return graph_error(
                400,
                "invalidRequest",
                f"A relationship can only be updated in the created status (autoExtendDuration also in the active "
                f"status), not {status}.",
                call,
            )
        fields = _checked_fields(call, body, creating=False)
        if isinstance(fields, httpx.Response):
            return fields
        if "displayName" in fields and _taken(call, fields["displayName"], doc["id"]):
            return graph_error(409, "nameAlreadyExists", "The display name is used by another relationship.", call)
        updated = {**doc, **fields, "lastModifiedDateTime": timestamp(call.now), "etag": _etag()}
        refused = _no_auto_extend_with_global_admin(call, updated)
        if refused is not None:
            return refused
        _save(call.store, updated)
    return respond(200, relationship_view(updated, call.now, _timing(call)))


def delete_relationship(call: Call) -> httpx.Response:
    with call.store.atomic():
        doc = _found(call)
        if isinstance(doc, httpx.Response):
            return doc
        refused = _if_match(call, doc)
        if refused is not None:
            return refused
        status = relationship_status(doc, call.now, _timing(call))
        if status != "created":
            return graph_error(
                400, "invalidRequest", f"A relationship can only be deleted in the created status, not {status}.", call
            )
        call.store._write("DELETE FROM gdap_relationships WHERE id = ?", (doc["id"],))
    return respond(204)


def create_request(call: Call) -> httpx.Response:
    body = _body(call)
    if isinstance(body, httpx.Response):
        return body
    action = body.get("action")
    with call.store.atomic():
        doc = _found(call)
        if isinstance(doc, httpx.Response):
            return doc
        status = relationship_status(doc, call.now, _timing(call))
        if action == "lockForApproval":
            if status != "created":
                return graph_error(
                    400,
                    "invalidRequest",
                    f"Only a created relationship can be locked for approval, not {status}.",
                    call,
                )
            doc["_lockedAt"] = timestamp(call.now)
        elif action == "terminate":
            if status != "active":
                return graph_error(
                    400, "invalidRequest", f"Only an active relationship can be terminated, not {status}.", call
                )
            doc["_terminationRequestedAt"] = timestamp(call.now)
        else:
            return graph_error(400, "invalidRequest", "action must be lockForApproval or terminate.", call)
        doc["lastModifiedDateTime"] = timestamp(call.now)
        doc["etag"] = _etag()
        _save(call.store, doc)
        request = {
            "id": str(uuid.uuid4()),
            "action": action,
            "status": "created",
            "createdDateTime": timestamp(call.now),
            "lastModifiedDateTime": timestamp(call.now),
        }
        call.store._write(
            "INSERT INTO gdap_requests (id, relationship_id, doc) VALUES (?, ?, ?)",
            (request["id"], doc["id"], json.dumps(request)),
        )
    view = {"@odata.type": "#microsoft.graph.delegatedAdminRelationshipRequest", **request}
    return respond(201, view, {"Location": _absolute(call, f"{ROOT}/{doc['id']}/requests/{request['id']}")})


def _request_view(request: dict[str, Any]) -> dict[str, Any]:
    # the request was carried out when it was made: later reads show it succeeded
    return {"@odata.type": "#microsoft.graph.delegatedAdminRelationshipRequest", **request, "status": "succeeded"}


def list_requests(call: Call) -> httpx.Response:
    doc = _found(call)
    if isinstance(doc, httpx.Response):
        return doc
    rows = call.store._all("SELECT doc FROM gdap_requests WHERE relationship_id = ? ORDER BY seq", (doc["id"],))
    return respond(200, {"value": [_request_view(json.loads(row[0])) for row in rows]})


def get_request(call: Call) -> httpx.Response:
    doc = _found(call)
    if isinstance(doc, httpx.Response):
        return doc
    row = call.store._one(
        "SELECT doc FROM gdap_requests WHERE relationship_id = ? AND id = ?", (doc["id"], call.params["requestId"])
    )
    if row is None:
        return graph_error(404, "itemNotFound", "The relationship request was not found.", call)
    return respond(200, _request_view(json.loads(row[0])))


def create_assignment(call: Call) -> httpx.Response:
    body = _body(call)
    if isinstance(body, httpx.Response):
        return body
    container = body.get("accessContainer")
    group = container.get("accessContainerId") if isinstance(container, dict) else None
    kind = container.get("accessContainerType") if isinstance(container, dict) else None
    if not isinstance(group, str) or not _GUID.fullmatch(group) or kind != "securityGroup":
        return graph_error(
            400,
            "invalidRequest",
            "accessContainer needs an accessContainerId GUID and accessContainerType securityGroup.",
            call,
        )
    roles = _roles(body.get("accessDetails"))
    if roles is None:
        return graph_error(400, "invalidRequest", "accessDetails.unifiedRoles must list roleDefinitionId GUIDs.", call)
    with call.store.atomic():
        doc = _found(call)
        if isinstance(doc, httpx.Response):
            return doc
        status = relationship_status(doc, call.now, _timing(call))
        if status != "active":
            return graph_error(
                400, "invalidRequest", f"Access assignments need an active relationship; this one is {status}.", call
            )
        granted = {r["roleDefinitionId"] for r in doc["accessDetails"]["unifiedRoles"]}
        extra = sorted({r["roleDefinitionId"] for r in roles} - granted)
        if extra:
            return graph_error(
                400,
                "invalidRequest",
                f"The roles {', '.join(extra)} are not part of the delegated admin relationship.",
                call,
            )
        for existing in _assignments(call.store, doc["id"]):
            same = existing["accessContainer"]["accessContainerId"].lower() == group.lower()
            if same and not existing.get("_deletedAt"):
                return graph_error(
                    409, "nameAlreadyExists", "The security group already has an access assignment here.", call
                )
        assignment = {
            "id": str(uuid.uuid4()),
            "accessContainer": {"accessContainerId": group.lower(), "accessContainerType": "securityGroup"},
            "accessDetails": {"unifiedRoles": roles},
            "createdDateTime": timestamp(call.now),
            "lastModifiedDateTime": timestamp(call.now),
            "etag": _etag(),
            "_changedAt": timestamp(call.now),
        }
        _save_assignment(call.store, doc["id"], assignment)
    view = _assignment_view(assignment, call)
    view["status"] = "pending"  # a new assignment is always pending first (the create example's answer)
    return respond(201, view, {"Location": _absolute(call, f"{ROOT}/{doc['id']}/accessAssignments/{assignment['id']}")})


def list_assignments(call: Call) -> httpx.Response:
    doc = _found(call)
    if isinstance(doc, httpx.Response):
        return doc
    return respond(200, {"value": [_assignment_view(a, call) for a in _assignments(call.store, doc["id"])]})


def _assignment(call: Call) -> tuple[dict[str, Any], dict[str, Any]] | httpx.Response:
    doc = _found(call)
    if isinstance(doc, httpx.Response):
        return doc
    wanted = call.params["assignmentId"]
    found = next((a for a in _assignments(call.store, doc["id"]) if a["id"] == wanted), None)
    if found is None:
        return graph_error(404, "itemNotFound", "The access assignment was not found.", call)
    return doc, found


def get_assignment(call: Call) -> httpx.Response:
    found = _assignment(call)
    if isinstance(found, httpx.Response):
        return found
    return respond(200, _assignment_view(found[1], call))


def update_assignment(call: Call) -> httpx.Response:
    body = _body(call)
    if isinstance(body, httpx.Response):
        return body
    roles = _roles(body.get("accessDetails"))
    if roles is None:
        return graph_error(400, "invalidRequest", "accessDetails.unifiedRoles must list roleDefinitionId GUIDs.", call)
    with call.store.atomic():
        found = _assignment(call)
        if isinstance(found, httpx.Response):
            return found
        relationship, assignment = found
        refused = _if_match(call, assignment)
        if refused is not None:
            return refused
        granted = {r["roleDefinitionId"] for r in relationship["accessDetails"]["unifiedRoles"]}
        if {r["roleDefinitionId"] for r in roles} - granted:
            return graph_error(400, "invalidRequest", "Some roles are not part of the relationship.", call)
        current = {r["roleDefinitionId"] for r in assignment["accessDetails"]["unifiedRoles"]}
        if current == {r["roleDefinitionId"] for r in roles}:
            return respond(200, _assignment_view(assignment, call))
        assignment["accessDetails"] = {"unifiedRoles": roles}
        assignment["lastModifiedDateTime"] = timestamp(call.now)
        assignment["_changedAt"] = timestamp(call.now)
        assignment["etag"] = _etag()
        _save_assignment(call.store, relationship["id"], assignment)
    operation = f"{ROOT}/{relationship['id']}/operations/{uuid.uuid4()}"
    seconds = max(1, int(_timing(call).assignment.total_seconds()))
    return respond(202, {}, {"Location": _absolute(call, operation), "Retry-After": str(seconds)})


def delete_assignment(call: Call) -> httpx.Response:
    with call.store.atomic():
        found = _assignment(call)
        if isinstance(found, httpx.Response):
            return found
        relationship, assignment = found
        refused = _if_match(call, assignment)
        if refused is not None:
            return refused
        assignment["_deletedAt"] = timestamp(call.now)
        assignment["etag"] = _etag()
        _save_assignment(call.store, relationship["id"], assignment)
    return respond(204)


def find_tenant(call: Call) -> httpx.Response:
    domain = unquote(call.params["domain"]).strip()
    tenant = call.store.tenant_by_domain(domain)
    if tenant is None:
        return graph_error(404, "itemNotFound", f"No tenant has the domain {domain}.", call)
    return respond(
        200,
        {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.tenantInformation",
            "tenantId": tenant.id,
            "federationBrandName": None,
            "displayName": tenant.company_name,
            "defaultDomainName": tenant.domain,
        },
    )


def routes() -> list[tuple[str, str, Any]]:
    """Every GDAP route, literal paths first."""
    relationship = ROOT + "/{relationshipId}"
    return [
        ("GET", "/v1.0/tenantRelationships/findTenantInformationByDomainName(domainName='{domain}')", find_tenant),
        ("GET", ROOT, list_relationships),
        ("POST", ROOT, create_relationship),
        ("GET", relationship + "/requests/{requestId}", get_request),
        ("GET", relationship + "/requests", list_requests),
        ("POST", relationship + "/requests", create_request),
        ("GET", relationship + "/accessAssignments/{assignmentId}", get_assignment),
        ("PATCH", relationship + "/accessAssignments/{assignmentId}", update_assignment),
        ("DELETE", relationship + "/accessAssignments/{assignmentId}", delete_assignment),
        ("GET", relationship + "/accessAssignments", list_assignments),
        ("POST", relationship + "/accessAssignments", create_assignment),
        ("GET", relationship, get_relationship),
        ("PATCH", relationship, update_relationship),
        ("DELETE", relationship, delete_relationship),
    ]
