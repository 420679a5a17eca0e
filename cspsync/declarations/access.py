"""What a customer's ``spec.adminAccess`` means once cspsync.yaml's templates and groups are filled in.

Validation, the planner and import all read declared admin access through :func:`resolve`, so a template
or group name means the same everywhere. Unknown names resolve to nothing here; the rules report them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cspsync.declarations.models import AdminRelationship, Config, CustomerFile
from cspsync.declarations.roles import GLOBAL_ADMINISTRATOR, role_id

#: Graph: "Must be a value between P1D and P2Y inclusive" (resources/delegatedadminrelationship.md)
MAX_DURATION_DAYS = 730
DEFAULT_DURATION = "P730D"
_DURATION = re.compile(r"P(?:(\d+)D|(\d+)Y)")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def duration_days(duration: str) -> int | None:
    """``P730D`` -> 730, ``P2Y`` -> 730 (Graph counts a year as 365 days here); None if not of that form."""
    found = _DURATION.fullmatch(duration.strip().upper())
    if found is None:
        return None
    days, years = found.groups()
    return int(days) if days is not None else int(years) * 365


def is_guid(text: str) -> bool:
    return _GUID.fullmatch(text.strip()) is not None


@dataclass(frozen=True)
class Assignment:
    """One security group and the role template ids it gets (sorted)."""

    group: str  # the name in cspsync.yaml, or the object id when the file wrote one
    group_id: str  # object id, lower case
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Resolved:
    """One declared relationship with templates and group names resolved."""

    name: str | None  # displayName; None for the Default GDAP relationship
    default: bool
    duration: str  # as declared (default P730D)
    auto_extend: bool
    roles: tuple[str, ...]  # role template ids, sorted; empty for the Default GDAP relationship
    assignments: tuple[Assignment, ...]  # by group id
    terminate: bool

    @property
    def label(self) -> str:
        return self.name or "the Default GDAP relationship"

    @property
    def has_global_admin(self) -> bool:
        return GLOBAL_ADMINISTRATOR in self.roles

    @property
    def auto_extend_duration(self) -> str:
        """Graph's ``autoExtendDuration``: P180D or PT0S (its default, "not extended")."""
        return "P180D" if self.auto_extend else "PT0S"


def _roles(references: list[str]) -> set[str]:
    return {found for ref in references if (found := role_id(ref)) is not None}


def group_id(config: Config | None, group: str) -> str | None:
    """A group name of cspsync.yaml's adminAccess.securityGroups, or an object id written as is."""
    groups = config.adminAccess.securityGroups if config is not None and config.adminAccess is not None else {}
    if group in groups:
        return groups[group].lower()
    return group.strip().lower() if is_guid(group) else None


def resolve_relationship(relationship: AdminRelationship, config: Config | None) -> Resolved:
    access = config.adminAccess if config is not None else None
    templates = access.roleTemplates if access is not None else {}
    groups: dict[str, tuple[str, set[str]]] = {}  # group id -> (label, roles)
    roles = _roles(relationship.roles)
    for name in relationship.templates:
        template = templates.get(name)
        if template is None:
            continue
        template_roles = _roles(template.roles)
        roles |= template_roles
        for group in template.assignTo:
            found = group_id(config, group)
            if found is not None:
                groups.setdefault(found, (group, set()))[1].update(template_roles)
    for assignment in relationship.assignments:
        found = group_id(config, assignment.group)
        if found is not None:
            groups.setdefault(found, (assignment.group, set()))[1].update(_roles(assignment.roles))
    return Resolved(
        name=None if relationship.default else relationship.name,
        default=relationship.default,
        duration=relationship.duration or DEFAULT_DURATION,
        auto_extend=bool(relationship.autoExtend),
        roles=() if relationship.default else tuple(sorted(roles)),
        assignments=tuple(
            Assignment(label, gid, tuple(sorted(granted))) for gid, (label, granted) in sorted(groups.items())
        ),
        terminate=relationship.terminate,
    )


def resolve(customer: CustomerFile, config: Config | None) -> tuple[Resolved, ...]:
    """Every declared relationship of ``customer``, resolved; empty without ``spec.adminAccess``."""
    access = customer.spec.adminAccess
    if access is None:
        return ()
    return tuple(resolve_relationship(r, config) for r in access.relationships)


def approver(customer: CustomerFile) -> str | None:
    """Who receives approval links: ``adminAccess.approverEmail``, else an invite customer's invitationEmail."""
    access = customer.spec.adminAccess
    if access is not None and access.approverEmail:
        return access.approverEmail
    tenant = customer.spec.tenant
    return tenant.invitationEmail if tenant.mode == "invite" else None
