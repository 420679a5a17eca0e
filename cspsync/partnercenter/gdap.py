"""Microsoft Graph v1.0 GDAP calls (``/tenantRelationships``) over the Partner Center client's session.

Same conventions as every Partner Center call: one rate limiter and concurrency bound, retries (429,
5xx, transport failures; creates checked by natural key before a retry), ``MS-RequestId`` per logical
call, typed errors ("Microsoft Graph refused …"). Only the audience differs: app-only tokens for
``https://graph.microsoft.com/.default`` (the same app's credentials, ``for_audience``), and the application permission
``DelegatedAdminRelationship.ReadWrite.All`` needs the service principal of "Partner Customer Delegated
Administration" (appId 2832473f-ec63-45fb-976f-5d45a7d4bb91) in the partner tenant
(api/tenantrelationship-post-delegatedadminrelationships.md, "Important").

Paths and bodies: api/tenantrelationship-{list,post}-delegatedadminrelationships.md,
api/delegatedadminrelationship-{get,update,post-requests,list-accessassignments,post-accessassignments}.md,
api/delegatedadminaccessassignment-{get,update}.md, api/tenantrelationship-findtenantinformationbydomainname.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BeforeValidator, Field

from cspsync.errors import NotFoundError, PartnerCenterError

from .auth import TokenProvider
from .models import ApiModel
from .session import Reply, Session, expand

GRAPH_URL = "https://graph.microsoft.com"
SERVICE = "Microsoft Graph"
ROOT = "/v1.0/tenantRelationships/delegatedAdminRelationships"
#: the link the customer's global admin opens to approve a locked relationship
#: (resources/delegatedadminrelationships-api-overview.md, "Lifecycle of a GDAP relationship")
APPROVAL_LINK = "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{id}"
PARTNER_ADMIN_APP_ID = "2832473f-ec63-45fb-976f-5d45a7d4bb91"
PERMISSION_HINT = (
    "the app needs the application permission DelegatedAdminRelationship.ReadWrite.All with admin consent, and "
    f"the partner tenant needs the service principal of Partner Customer Delegated Administration (appId "
    f"{PARTNER_ADMIN_APP_ID}; create it with New-MgServicePrincipal -AppId {PARTNER_ADMIN_APP_ID})"
)

M = TypeVar("M", bound=ApiModel)


def approval_link(relationship_id: str) -> str:
    return APPROVAL_LINK.format(id=quote(relationship_id, safe="-"))


def _blank_is_none(value: Any) -> Any:
    """Graph answers ``"activatedDateTime": ""`` for a relationship that is not active yet."""
    return None if value == "" else value


When = Annotated[dt.datetime | None, BeforeValidator(_blank_is_none)]


class RoleReference(ApiModel):
    role_definition_id: str


class AccessDetails(ApiModel):
    unified_roles: list[RoleReference] = Field(default_factory=list)

    @property
    def role_ids(self) -> tuple[str, ...]:
        return tuple(sorted(r.role_definition_id.lower() for r in self.unified_roles))


class RelationshipCustomer(ApiModel):
    tenant_id: str | None = None
    display_name: str | None = None


class AdminRelationship(ApiModel):
    """A ``delegatedAdminRelationship`` (resources/delegatedadminrelationship.md)."""

    id: str
    display_name: str = ""
    duration: str | None = None
    customer: RelationshipCustomer | None = None
    access_details: AccessDetails = Field(default_factory=AccessDetails)
    auto_extend_duration: str | None = None
    status: str = "unknownFutureValue"
    created_date_time: When = None
    activated_date_time: When = None
    end_date_time: When = None
    last_modified_date_time: When = None
    etag: str | None = Field(default=None, alias="@odata.etag")

    @property
    def customer_tenant_id(self) -> str | None:
        return self.customer.tenant_id.lower() if self.customer and self.customer.tenant_id else None


class AccessContainer(ApiModel):
    access_container_id: str
    access_container_type: str = "securityGroup"


class AccessAssignment(ApiModel):
    """A ``delegatedAdminAccessAssignment`` (resources/delegatedadminaccessassignment.md)."""

    id: str
    status: str = "unknownFutureValue"
    access_container: AccessContainer
    access_details: AccessDetails = Field(default_factory=AccessDetails)
    created_date_time: When = None
    last_modified_date_time: When = None
    etag: str | None = Field(default=None, alias="@odata.etag")

    @property
    def group_id(self) -> str:
        return self.access_container.access_container_id.lower()


class TenantInformation(ApiModel):
    tenant_id: str
    display_name: str | None = None
    default_domain_name: str | None = None


def _roles_body(roles: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {"unifiedRoles": [{"roleDefinitionId": role} for role in roles]}


def _quoted(value: str) -> str:
    """An OData string literal: single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


class GdapClient:
    """Typed GDAP calls; thread-safe like the session it shares."""

    def __init__(self, session: Session, *, base_url: str, tokens: TokenProvider | None = None) -> None:
        self._session = session
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens

    def __repr__(self) -> str:
        return f"GdapClient(base_url={self.base_url!r})"

    def _call(
        self,
        method: str,
        template: str,
        parse: Callable[[Reply], Any],
        *,
        path_params: dict[str, str] | None = None,
        url: str | None = None,
        params: dict[str, str | int] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool = True,
        landed: Callable[[], Any] | None = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
    ) -> Any:
        target = url or self.base_url + expand(template, path_params or {})
        try:
            return self._session.call(
                method,
                template,
                parse,
                url=target,
                params=params,
                json=json,
                headers=headers,
                idempotent=idempotent,
                landed=landed,
                ok=ok,
                tokens=self._tokens,
                service=SERVICE,
            )
        except PartnerCenterError as err:
            if err.status in (401, 403):  # Partner Center's hint for these statuses is about its own app
                err.hint = PERMISSION_HINT
            raise

    def _pages(self, template: str, item: type[M], *, path_params: dict[str, str] | None = None,
               params: dict[str, str | int] | None = None) -> list[M]:  # fmt: skip
        """Every item of a Graph collection, following ``@odata.nextLink`` on Graph's own host only."""
        found: list[M] = []
        url: str | None = None
        seen: set[str] = set()
        base = httpx.URL(self.base_url)
        while True:
            reply: dict[str, Any] = self._call(
                "GET", template + (" (next page)" if url else ""), lambda r: r.body or {},
                path_params=path_params, url=url, params=None if url else params,
            )  # fmt: skip
            found += [item.model_validate(value) for value in reply.get("value") or []]
            next_link = reply.get("@odata.nextLink")
            if not next_link:
                return found
            parsed = httpx.URL(str(next_link))
            if (parsed.scheme, parsed.host, parsed.port) != (base.scheme, base.host, base.port) or next_link in seen:
                raise PartnerCenterError(
                    f"{SERVICE} returned a next-page link that cspsync does not follow: {parsed.host}"
                )
            seen.add(next_link)
            url = str(next_link)

    # -------------------------------------------------------------------------------- relationships

    def relationships(self, *, odata_filter: str | None = None) -> list[AdminRelationship]:
        """The partner's relationships ($top 300, Graph's maximum), optionally filtered."""
        params: dict[str, str | int] = {"$top": 300}
        if odata_filter:
            params["$filter"] = odata_filter
        return self._pages(ROOT, AdminRelationship, params=params)

    def relationships_of(self, tenant_id: str) -> list[AdminRelationship]:
        return self.relationships(odata_filter=f"customer/tenantId eq {_quoted(tenant_id.lower())}")

    def find_relationship(self, display_name: str) -> AdminRelationship | None:
        found = self.relationships(odata_filter=f"displayName eq {_quoted(display_name)}")
        return next((r for r in found if r.display_name.casefold() == display_name.casefold()), None)

    def relationship(self, relationship_id: str) -> AdminRelationship:
        return self._call(  # type: ignore[no-any-return]
            "GET",
            ROOT + "/{id}",
            lambda r: AdminRelationship.model_validate(r.body),
            path_params={"id": relationship_id},
        )

    def create_relationship(
        self,
        *,
        display_name: str,
        duration: str,
        roles: tuple[str, ...],
        auto_extend_duration: str,
        customer_tenant_id: str | None,
        customer_name: str | None = None,
    ) -> AdminRelationship:
        """``POST …/delegatedAdminRelationships``; after a lost answer, a relationship of that (unique) name is
        adopted instead of creating a second."""
        body: dict[str, Any] = {
            "displayName": display_name,
            "duration": duration,
            "accessDetails": _roles_body(roles),
            "autoExtendDuration": auto_extend_duration,
        }
        if customer_tenant_id:
            body["customer"] = {"tenantId": customer_tenant_id, "displayName": customer_name}
        return self._call(  # type: ignore[no-any-return]
            "POST",
            ROOT,
            lambda r: AdminRelationship.model_validate(r.body),
            json=body,
            idempotent=False,
            landed=lambda: self.find_relationship(display_name),
            ok=(200, 201),
        )

    def update_relationship(self, relationship: AdminRelationship, fields: dict[str, Any]) -> AdminRelationship:
        """``PATCH`` with ``If-Match`` the etag as read (Graph: required; only while ``created``)."""
        headers = {"If-Match": relationship.etag} if relationship.etag else None
        return self._call(  # type: ignore[no-any-return]
            "PATCH", ROOT + "/{id}", lambda r: AdminRelationship.model_validate(r.body),
            path_params={"id": relationship.id}, json=fields, headers=headers,
        )  # fmt: skip

    def request(self, relationship_id: str, action: str) -> dict[str, Any]:
        """``POST …/{id}/requests`` with ``lockForApproval`` or ``terminate``; after a lost answer the
        relationship's status says whether it landed."""
        after = {"lockForApproval": "created", "terminate": "active"}[action]

        def landed() -> dict[str, Any] | None:
            status = self.relationship(relationship_id).status
            return {"action": action, "status": "succeeded"} if status != after else None

        return self._call(  # type: ignore[no-any-return]
            "POST", ROOT + "/{id}/requests", lambda r: r.body or {}, path_params={"id": relationship_id},
            json={"action": action}, idempotent=False, landed=landed, ok=(200, 201),
        )  # fmt: skip

    # --------------------------------------------------------------------------- access assignments

    def assignments(self, relationship_id: str) -> list[AccessAssignment]:
        return self._pages(ROOT + "/{id}/accessAssignments", AccessAssignment, path_params={"id": relationship_id})

    def assignment(self, relationship_id: str, assignment_id: str) -> AccessAssignment:
        return self._call(  # type: ignore[no-any-return]
            "GET", ROOT + "/{id}/accessAssignments/{assignment}", lambda r: AccessAssignment.model_validate(r.body),
            path_params={"id": relationship_id, "assignment": assignment_id},
        )  # fmt: skip

    def create_assignment(self, relationship_id: str, group_id: str, roles: tuple[str, ...]) -> AccessAssignment:
        """A security group gets roles of the relationship; 201 ``pending``. After a lost answer an assignment
        of the same group is adopted."""

        def landed() -> AccessAssignment | None:
            return next(
                (a for a in self.assignments(relationship_id) if a.group_id == group_id.lower() and a.status
                 not in ("deleting", "deleted")),
                None,
            )  # fmt: skip

        body = {
            "accessContainer": {"accessContainerId": group_id, "accessContainerType": "securityGroup"},
            "accessDetails": _roles_body(roles),
        }
        return self._call(  # type: ignore[no-any-return]
            "POST", ROOT + "/{id}/accessAssignments", lambda r: AccessAssignment.model_validate(r.body),
            path_params={"id": relationship_id}, json=body, idempotent=False, landed=landed, ok=(200, 201),
        )  # fmt: skip

    def update_assignment(self, relationship_id: str, assignment: AccessAssignment, roles: tuple[str, ...]) -> None:
        """``PATCH`` the roles with ``If-Match``; Graph answers 202 (a long-running operation) or 200."""
        headers = {"If-Match": assignment.etag} if assignment.etag else None
        self._call(
            "PATCH", ROOT + "/{id}/accessAssignments/{assignment}", lambda r: None,
            path_params={"id": relationship_id, "assignment": assignment.id},
            json={"accessDetails": _roles_body(roles)}, headers=headers, ok=(200, 202),
        )  # fmt: skip

    # -------------------------------------------------------------------------------------- tenants

    def tenant_by_domain(self, domain: str) -> TenantInformation | None:
        """The Microsoft Entra tenant that has ``domain``, or None when none has it."""
        template = "/v1.0/tenantRelationships/findTenantInformationByDomainName(domainName='{domain}')"
        try:
            return self._call(  # type: ignore[no-any-return]
                "GET", template, lambda r: TenantInformation.model_validate(r.body),
                path_params={"domain": domain.replace("'", "''")},
            )  # fmt: skip
        except NotFoundError:
            return None
