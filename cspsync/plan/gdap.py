"""A customer's declared admin access (GDAP) against Microsoft Graph: request, approve, assign, renew, end.

For each declared relationship the chain is: create it and lock it for approval (``+``), send its approval
link (``!``; in the reseller invitation when that goes out in the same apply, else in a message of its own),
wait for a global admin of the customer to approve (``!``) and for Microsoft to activate it, then give the
declared security groups their roles (``+`` access assignments, followed from pending to active; ``~`` when
the roles differ). Facts behind each step (Microsoft Graph v1.0 docs):

- roles, duration and name can change only while a relationship is ``created``
  (api/delegatedadminrelationship-update.md): once approved, changed roles need a new relationship, and
  auto-extension cannot be switched by cspsync (the plan says where to do it);
- a relationship ends at ``endDateTime`` unless ``autoExtendDuration`` is P180D (never with Global
  Administrator; partner-center expiring-gdap-relationships-and-auto-extend-gdap): one ending within
  ``adminAccess.renewBeforeDays`` gets its replacement requested ahead of time, under a dated name (display
  names are unique across the partner, so the old one keeps its name until it is gone);
- an unapproved request expires after 90 days (partner-center gdap-faq): a new one is requested then;
- only an ``active`` relationship can be terminated (resources/delegatedadminrelationshiprequest.md), and
  cspsync ends one only when the file declares ``terminate: true`` and cspsync.yaml sets
  ``adminAccess.allowTerminate`` (destructive, shown as such in every rendering);
- the Default GDAP relationship is Partner Center's (created with the tenant); cspsync only assigns it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from cspsync.declarations import Declared
from cspsync.declarations.access import Assignment, Resolved, approver, duration_days, resolve
from cspsync.declarations.keys import (
    LIVE_ADMIN_STATUSES,
    customer_domain,
    is_default_relationship,
    relationship_generation,
    relationship_key,
    replacement_name,
)
from cspsync.declarations.models import Config
from cspsync.declarations.roles import GLOBAL_ADMINISTRATOR, role_names
from cspsync.observe.state import Observation, ObservedAdminRelationship, ObservedCustomer
from cspsync.plan import payloads
from cspsync.plan.builder import Builder
from cspsync.plan.model import Change, Kind, Status, Unmanaged

PENDING = ("created", "approvalPending", "approved", "activating")
REQUEST_DAYS = 90  # partner-center gdap-faq: "GDAP relationship requests expire after 90 days"


def _date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _short(tenant_id: str | None) -> str:
    return f"{tenant_id[:8]}…" if tenant_id else "?"


def _roles_text(roles: Sequence[str]) -> str:
    return ", ".join(role_names(roles))


def auto_extends(relationship: ObservedAdminRelationship) -> bool:
    """Microsoft extends it at its end: P180D, and no Global Administrator among its roles."""
    return relationship.auto_extend == "P180D" and GLOBAL_ADMINISTRATOR not in relationship.roles


@dataclass
class _Situation:
    """What Graph has of one declared relationship."""

    current: ObservedAdminRelationship | None = None  # the newest active generation
    pending: ObservedAdminRelationship | None = None  # a newer one on its way (created .. activating)
    ended: ObservedAdminRelationship | None = None  # the newest that ended, when nothing is live
    taken: set[str] = field(default_factory=set)  # display names (keys) in use, any customer, any status
    foreign: ObservedAdminRelationship | None = None  # the declared name, held for another tenant


def _situation(
    resolved: Resolved, relationships: Sequence[ObservedAdminRelationship], tenant_id: str | None
) -> _Situation:
    found = _Situation(taken={relationship_key(r.display_name) for r in relationships})
    if resolved.default:
        family = [r for r in relationships if is_default_relationship(r.display_name, r.customer_tenant_id, tenant_id)]
    else:
        assert resolved.name is not None
        family = []
        for r in relationships:
            if relationship_generation(r.display_name, resolved.name) is None:
                continue
            if r.customer_tenant_id and tenant_id and r.customer_tenant_id != tenant_id:
                if relationship_key(r.display_name) == relationship_key(resolved.name):
                    found.foreign = r
                continue
            family.append(r)
    active = [r for r in family if r.status == "active"]
    found.current = max(active, key=lambda r: (r.activated or "", r.created or ""), default=None)
    waiting = [r for r in family if r.status in PENDING]
    found.pending = max(waiting, key=lambda r: (r.created or "", r.id), default=None)
    if found.current is None and found.pending is None:
        ended = [r for r in family if r.status not in LIVE_ADMIN_STATUSES]
        found.ended = max(ended, key=lambda r: (r.ends or r.modified or "", r.id), default=None)
    return found


@dataclass
class AdminPlan:
    """The admin access of one customer while the planner walks it: requests first, the rest after."""

    b: Builder
    declared: Declared
    observed: ObservedCustomer | None
    observation: Observation
    config: Config
    now: dt.datetime
    resolved: tuple[Resolved, ...] = ()
    situations: list[_Situation] = field(default_factory=list)
    #: approval links to send, and the actions that must run first
    approvals: list[payloads.AdminApproval] = field(default_factory=list)
    approval_deps: list[str] = field(default_factory=list)
    #: per declared relationship: the create action (if any) and the await action (if any)
    created: dict[int, str] = field(default_factory=dict)
    awaiting: dict[int, str] = field(default_factory=dict)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    carried: bool = False  # the approvals go in the reseller invitation
    renewing: set[int] = field(default_factory=set)  # replaced ahead of the end (not for changed roles)

    @classmethod
    def start(
        cls,
        b: Builder,
        declared: Declared,
        observed: ObservedCustomer | None,
        observation: Observation,
        config: Config,
        now: dt.datetime,
    ) -> AdminPlan:
        plan = cls(b, declared, observed, observation, config, now, resolve(declared.customer, config))
        relationships = observation.admin_relationships.get(b.name, ())
        plan.situations = [_situation(r, relationships, plan.tenant_id) for r in plan.resolved]
        return plan

    # ------------------------------------------------------------------------------------ the tenant

    @property
    def tenant_id(self) -> str | None:
        if self.observed is not None:
            return self.observed.id.lower()
        tenant = self.declared.customer.spec.tenant
        if tenant.mode == "existing":
            return tenant.tenantId.lower()
        entra = self.observation.entra_tenants.get(self.b.name)
        return entra[0] if entra else None

    @property
    def customer_name(self) -> str:
        if self.observed is not None and self.observed.company_name:
            return self.observed.company_name
        entra = self.observation.entra_tenants.get(self.b.name)
        return (entra[1] if entra and entra[1] else None) or self.declared.customer.spec.company.name

    def _tenant_missing(self) -> str | None:
        """Why no relationship can be addressed yet, or None."""
        tenant = self.declared.customer.spec.tenant
        if self.tenant_id is not None or tenant.mode == "create":
            return None
        if tenant.mode == "invite" and self.b.name in self.observation.entra_tenants:
            return (
                f"no Microsoft Entra tenant has the domain {customer_domain(self.declared.customer)} "
                "(findTenantInformationByDomainName): a relationship is only requested for a known tenant"
            )
        return "the customer's tenant is not known yet"

    # --------------------------------------------------------------------------------- phase 1: ask

    def _resending(self) -> bool:
        """``apply --resend`` of a reseller invitation: the links of relationships still waiting for approval go
        in it again (a customer who asked for the mail again must be able to approve from it)."""
        sent = self.observation.sent_invitations.get(self.declared.customer.metadata.name)
        return sent is not None and sent.resend

    def requests(self, tenant_deps: Sequence[str]) -> None:
        """Relationships to create (or lock), and the approval links of those waiting for one."""
        for index, (resolved, found) in enumerate(zip(self.resolved, self.situations, strict=True)):
            if resolved.default or resolved.terminate:
                continue
            pending = found.pending
            if pending is not None and pending.status == "approvalPending":
                if pending.id not in self.observation.sent_approvals or self._resending():
                    self.approvals.append(self._approval(resolved, pending.display_name, pending.id, found))
                continue
            if pending is not None and pending.status != "created":
                continue
            reason = self._new_reason(resolved, found)
            if pending is None and reason is None:
                continue
            if reason and reason.startswith("replaces"):
                self.renewing.add(index)
            self._create(index, resolved, found, pending, reason, tenant_deps)

    def _new_reason(self, resolved: Resolved, found: _Situation) -> str | None:
        """Why a new relationship is needed although one is active (renewal, changed roles), or None."""
        current = found.current
        if current is None:
            if found.ended is not None:
                return f"{found.ended.display_name} is {found.ended.status}"
            return ""
        if set(current.roles) != set(resolved.roles):
            added = sorted(set(resolved.roles) - set(current.roles))
            removed = sorted(set(current.roles) - set(resolved.roles))
            words = "; ".join(
                part
                for part in (
                    f"adds {_roles_text(added)}" if added else "",
                    f"drops {_roles_text(removed)}" if removed else "",
                )
                if part
            )
            return (
                f"the declared roles differ from {current.display_name} ({words}); Graph changes a relationship's "
                "roles only before it is approved, so a new one replaces it"
            )
        ends = _date(current.ends)
        if ends is None or (resolved.auto_extend and GLOBAL_ADMINISTRATOR not in current.roles):
            return None  # Microsoft extends it at its end (the plan switches auto-extend on if it is off)
        left = ends - self.now
        renew = self.config.adminAccess.renewBeforeDays if self.config.adminAccess is not None else 30
        if left > dt.timedelta(days=renew):
            return None
        days = max((ends.date() - self.now.date()).days, 0)
        return (
            f"replaces {current.display_name}, which ends on {ends.date().isoformat()} (in {days} days; "
            f"adminAccess.renewBeforeDays is {renew})"
        )

    def _name_for(self, resolved: Resolved, found: _Situation) -> str | None:
        assert resolved.name is not None
        if relationship_key(resolved.name) not in found.taken:
            return resolved.name
        dated = replacement_name(resolved.name, self.now.date())
        return dated if relationship_key(dated) not in found.taken else None

    def _approval(
        self, resolved: Resolved, display_name: str, relationship_id: str | None, found: _Situation
    ) -> payloads.AdminApproval:
        current = found.current
        ends = _date(current.ends) if current is not None else None
        replacing = current is not None and relationship_key(current.display_name) != relationship_key(display_name)
        return payloads.AdminApproval(
            display_name=display_name,
            relationship_id=relationship_id,
            roles=resolved.roles,
            duration=resolved.duration,
            replaces=current.display_name if replacing and current is not None else None,
            replaces_ends_on=ends.date() if replacing and ends is not None else None,
        )

    def _create(
        self,
        index: int,
        resolved: Resolved,
        found: _Situation,
        pending: ObservedAdminRelationship | None,
        reason: str | None,
        tenant_deps: Sequence[str],
    ) -> None:
        b = self.b
        status: Status = "ready"
        why: str | None = None
        if pending is not None:  # created by an apply that stopped before locking it
            name = pending.display_name
        else:
            found_name = self._name_for(resolved, found)
            name = found_name or resolved.name or ""
            if found_name is None:
                status, why = (
                    "blocked",
                    (
                        f"{resolved.name} and {replacement_name(resolved.name or '', self.now.date())} are both "
                        "in use; apply again tomorrow or rename the relationship"
                    ),
                )
        if found.foreign is not None and pending is None:
            status, why = (
                "blocked",
                (
                    f"the name {found.foreign.display_name} belongs to a relationship with another tenant "
                    f"({found.foreign.customer_tenant_id}); display names are unique across the partner: rename it"
                ),
            )
        missing = self._tenant_missing()
        if missing is not None:
            status, why = "blocked", missing
        elif approver(self.declared.customer) is None:
            status, why = (
                "blocked",
                (
                    "nobody would receive its approval link: set spec.adminAccess.approverEmail to a global "
                    "admin of the customer"
                ),
            )
        if status == "ready":
            status, why = b.status_after(tenant_deps)
        days = duration_days(resolved.duration) or 0
        extend = "auto-extend on" if resolved.auto_extend else "auto-extend off"
        tenant = self.tenant_id
        who = f"{self.customer_name} (tenant {_short(tenant)})" if tenant else f"the new tenant of {self.customer_name}"
        if pending is not None:
            summary = (
                f"lock admin relationship {name} for approval (created on {(pending.created or '')[:10]}, never locked)"
            )
        else:
            roles = len(resolved.roles)
            summary = f"request admin relationship {name}: {roles} role(s) for {days} days, {extend}, with {who}"
        if reason:
            summary += f"; {reason}" if not reason.startswith("replaces") else f", {reason}"
        approval = self._approval(resolved, name, pending.id if pending is not None else None, found)
        action = b.add(
            Kind.CREATE_ADMIN_RELATIONSHIP,
            summary,
            payloads.CreateAdminRelationship(
                display_name=name,
                duration=resolved.duration,
                roles=resolved.roles,
                auto_extend_duration="P180D" if resolved.auto_extend else "PT0S",
                customer_tenant_id=tenant,
                customer_name=self.customer_name,
                replaces=approval.replaces,
                replaces_ends_on=approval.replaces_ends_on,
                relationship_id=pending.id if pending is not None else None,
            ),
            subject=name,
            status=status,
            reason=why,
            depends_on=[d for d in tenant_deps if tenant is None],
            changes=[Change(field="roles", after=_roles_text(resolved.roles))],
        )
        self.created[index] = action
        if status == "ready":
            self.approvals.append(approval)
            self.approval_deps.append(action)

    # ------------------------------------------------------------------------------ phase 2: the rest

    def finish(self, tenant_deps: Sequence[str]) -> list[Unmanaged]:
        """Send the approvals not carried by the invitation, wait, assign, end; returns what is unmanaged."""
        request = self._send_approvals()
        for index, (resolved, found) in enumerate(zip(self.resolved, self.situations, strict=True)):
            if resolved.terminate:
                self._terminate(resolved, found)
                continue
            self._wait(index, resolved, found, request)
            self._auto_extend(index, resolved, found)
            self._assignments(index, resolved, found, tenant_deps)
        return self.unmanaged

    def _send_approvals(self) -> str | None:
        if not self.approvals or self.carried:
            return None
        to = approver(self.declared.customer)
        names = ", ".join(a.display_name for a in self.approvals)
        status: Status = "ready"
        reason = None
        if to is None:
            status, reason = "blocked", "spec.adminAccess.approverEmail names nobody to send the approval link to"
        warnings = []
        if self.config.invitations.transport == "outbox":
            warnings.append(
                "no mail transport is configured (invitations.transport: outbox): apply writes the message to "
                f"outbox/{self.b.name}.admin-approval.eml in the state folder (.cspsync/) and a person must send it"
            )
        return self.b.add(
            Kind.REQUEST_ADMIN_APPROVAL,
            f"send the approval link of admin relationship {names} to {to or '(nobody)'}",
            payloads.RequestAdminApproval(to=to or "", approvals=tuple(self.approvals)),
            status=status,
            reason=reason,
            depends_on=self.approval_deps,
            warnings=warnings,
        )

    def _wait(self, index: int, resolved: Resolved, found: _Situation, request: str | None) -> None:
        pending = found.pending
        label = resolved.label
        if index in self.created:
            deps = [self.created[index]] + ([request] if request else [])
            display = self._created_name(index) or label
            self.awaiting[index] = self.b.add(
                Kind.AWAIT_ADMIN_ACCESS,
                f"wait for a global admin of {self.customer_name} to approve admin relationship {display}",
                payloads.AwaitAdminAccess(relationship=display, waiting_for="approval"),
                subject=f"{display}/approval",
                status="waiting",
                reason="the customer approves with the link in the message; Microsoft then activates it",
                depends_on=deps,
            )
            return
        if pending is None or pending.status == "created":
            return
        if pending.status == "approvalPending":
            sent = self.observation.sent_approvals.get(pending.id)
            locked = _date(pending.modified) or _date(pending.created)
            expires = (locked + dt.timedelta(days=REQUEST_DAYS)).date().isoformat() if locked else "?"
            if sent is not None:
                how = "via the outbox (to be sent by hand)" if sent.delivery == "outbox" else f"by {sent.delivery}"
                reason = (
                    f"approval link sent to {sent.to} on {sent.sent_at[:10]} {how}; the request expires on {expires} "
                    "(90 days), then cspsync requests it again"
                )
            else:
                reason = f"the approval link goes out with this apply; the request expires on {expires} (90 days)"
            self.awaiting[index] = self.b.add(
                Kind.AWAIT_ADMIN_ACCESS,
                f"wait for a global admin of {self.customer_name} to approve admin relationship {pending.display_name}",
                payloads.AwaitAdminAccess(
                    relationship=pending.display_name, relationship_id=pending.id, waiting_for="approval"
                ),
                subject=f"{pending.display_name}/approval",
                status="waiting",
                reason=reason,
                depends_on=[request] if request and sent is None else [],
            )
            return
        self.awaiting[index] = self.b.add(
            Kind.AWAIT_ADMIN_ACCESS,
            f"wait for Microsoft to activate admin relationship {pending.display_name} ({pending.status})",
            payloads.AwaitAdminAccess(
                relationship=pending.display_name, relationship_id=pending.id, waiting_for="activation"
            ),
            subject=f"{pending.display_name}/activation",
            status="waiting",
            reason="the customer approved it; Microsoft provisions it, then run plan again",
        )

    def _created_name(self, index: int) -> str | None:
        """The display name of the relationship this plan creates for declared relationship ``index``."""
        action_id = self.created.get(index)
        action = next((a for a in self.b.actions if a.id == action_id), None) if action_id else None
        return getattr(action.payload, "display_name", None) if action is not None else None

    def _auto_extend(self, index: int, resolved: Resolved, found: _Situation) -> None:
        """Switch auto-extension of the active relationship to what is declared. Graph allows that while
        ``active`` (api/delegatedadminrelationship-update.md), never on with Global Administrator."""
        current = found.current
        replaced = index in self.created and index not in self.renewing  # changed roles: the old one just ends
        if resolved.default or current is None or found.pending is not None or replaced:
            return
        wanted = resolved.auto_extend_duration
        if (current.auto_extend == "P180D") == (wanted == "P180D"):
            return
        status: Status = "ready"
        reason = None
        if wanted == "P180D" and GLOBAL_ADMINISTRATOR in current.roles:
            status, reason = (
                "blocked",
                f"{current.display_name} includes Global Administrator, and Microsoft does not auto-extend such a "
                "relationship (partner-center expiring-gdap-relationships-and-auto-extend-gdap): declare "
                "autoExtend: false, and cspsync requests its replacement before it ends",
            )
        ends = _date(current.ends)
        when = f", which ends on {ends.date().isoformat()}" if ends is not None else ""
        effect = "Microsoft extends it by 180 days at its end" if wanted == "P180D" else "it ends at its end date"
        self.b.add(
            Kind.UPDATE_ADMIN_RELATIONSHIP,
            f"turn auto-extend {'on' if wanted == 'P180D' else 'off'} for admin relationship "
            f"{current.display_name}{when} ({effect})",
            payloads.UpdateAdminRelationship(
                relationship_id=current.id, display_name=current.display_name, auto_extend_duration=wanted
            ),
            subject=current.display_name,
            status=status,
            reason=reason,
            changes=[Change(field="autoExtendDuration", before=current.auto_extend, after=wanted)],
        )

    def _assignments(self, index: int, resolved: Resolved, found: _Situation, tenant_deps: Sequence[str]) -> None:
        b = self.b
        current = found.current
        label = current.display_name if current is not None else resolved.label
        upcoming = self._created_name(index) or (found.pending.display_name if found.pending else resolved.label)
        wait = self.awaiting.get(index)
        if resolved.default and current is None:
            pending = found.pending
            if pending is None and self.observed is not None:
                for assignment in resolved.assignments:
                    self._assign(resolved, label, None, assignment, "blocked", self._no_default(found), [])
                return
            if pending is None:  # the tenant is created by this apply, with its Default GDAP
                for assignment in resolved.assignments:
                    status, reason = b.status_after(tenant_deps)
                    self._assign(resolved, label, None, assignment, status, reason, list(tenant_deps))
                return
        replacing = current is not None and (found.pending is not None or index in self.created)
        for assignment in resolved.assignments:
            if current is None or (replacing and not set(assignment.roles) <= set(current.roles)):
                deps = [wait] if wait else []
                reason = None if wait else "waits for the admin relationship to be approved"
                status, why = ("waiting", reason) if not wait else b.status_after(deps)
                self._assign(resolved, upcoming, None, assignment, status, why, deps)
                continue
            self._compare(resolved, current, assignment)
        if current is not None and current.assignments is not None:
            declared = {a.group_id for a in resolved.assignments}
            for observed in current.assignments:
                if observed.group_id not in declared and observed.status in ("pending", "active"):
                    self.unmanaged.append(
                        Unmanaged(
                            customer=b.name,
                            kind="access-assignment",
                            name=f"{label}/{observed.group_id}",
                            detail=f"{_roles_text(observed.roles)} ({observed.status}); not declared, never removed",
                        )
                    )

    def _no_default(self, found: _Situation) -> str:
        ended = found.ended
        if ended is not None:
            return (
                f"the Default GDAP relationship {ended.display_name} is {ended.status}; Partner Center creates one "
                "only with a new tenant: declare a named relationship instead"
            )
        return (
            "this customer has no Default GDAP relationship in Microsoft Graph (its tenant was not created with "
            "enableGDAPByDefault, or it ended): declare a named relationship instead"
        )

    def _compare(self, resolved: Resolved, current: ObservedAdminRelationship, assignment: Assignment) -> None:
        observed = [
            a
            for a in current.assignments or ()
            if a.group_id == assignment.group_id and a.status not in ("deleting", "deleted")
        ]
        if not observed:
            if not set(assignment.roles) <= set(current.roles):
                extra = sorted(set(assignment.roles) - set(current.roles))
                reason = f"{current.display_name} does not grant {_roles_text(extra)}"
                self._assign(resolved, current.display_name, current, assignment, "blocked", reason, [])
                return
            self._assign(resolved, current.display_name, current, assignment, "ready", None, [])
            return
        found = observed[0]
        group = assignment.group
        if found.status == "pending":
            self.b.add(
                Kind.AWAIT_ADMIN_ACCESS,
                f"wait for the access assignment of {group} in {current.display_name} to become active "
                f"(pending since {(found.created or '')[:16].replace('T', ' ')})",
                payloads.AwaitAdminAccess(
                    relationship=current.display_name,
                    relationship_id=current.id,
                    waiting_for="assignment",
                    group=group,
                ),
                subject=f"{current.display_name}/{group}/assignment",
                status="waiting",
                reason="Microsoft Graph provisions it; run plan again",
            )
            return
        if found.status == "error":
            self._assign(
                resolved,
                current.display_name,
                current,
                assignment,
                "blocked",
                f"access assignment {found.id} of {group} is in status error in Microsoft Graph (a group the partner "
                "tenant does not have, or one Graph could not use): remove it in Partner Center (Customers > Admin "
                "relationships) and apply again",
                [],
            )
            return
        if set(found.roles) != set(assignment.roles):
            self.b.add(
                Kind.UPDATE_ACCESS_ASSIGNMENT,
                f"change the roles of security group {group} in admin relationship {current.display_name}",
                payloads.UpdateAccessAssignment(
                    relationship=current.display_name,
                    relationship_id=current.id,
                    assignment_id=found.id,
                    group=group,
                    group_id=assignment.group_id,
                    roles=assignment.roles,
                ),
                subject=f"{current.display_name}/{group}",
                changes=[Change(field="roles", before=_roles_text(found.roles), after=_roles_text(assignment.roles))],
            )

    def _assign(
        self,
        resolved: Resolved,
        label: str,
        current: ObservedAdminRelationship | None,
        assignment: Assignment,
        status: Status,
        reason: str | None,
        deps: list[str],
    ) -> None:
        roles = assignment.roles
        self.b.add(
            Kind.CREATE_ACCESS_ASSIGNMENT,
            f"assign {len(roles)} role(s) of {label} to security group {assignment.group}: {_roles_text(roles)}",
            payloads.CreateAccessAssignment(
                relationship=None if resolved.default else label,
                relationship_id=current.id if current is not None else None,
                customer_tenant_id=self.tenant_id,
                group=assignment.group,
                group_id=assignment.group_id,
                roles=roles,
            ),
            subject=f"{'default' if resolved.default else label}/{assignment.group}",
            status=status,
            reason=reason,
            depends_on=deps,
        )

    def _terminate(self, resolved: Resolved, found: _Situation) -> None:
        current = found.current
        if current is None:
            return
        settings = self.config.adminAccess
        allowed = settings is not None and settings.allowTerminate
        groups = len(current.assignments or ())
        self.b.add(
            Kind.TERMINATE_ADMIN_RELATIONSHIP,
            f"terminate admin relationship {current.display_name}: its {len(current.roles)} role(s) end for "
            f"{groups} security group(s) in {self.customer_name}'s tenant",
            payloads.TerminateAdminRelationship(relationship_id=current.id, display_name=current.display_name),
            subject=current.display_name,
            status="ready" if allowed else "refused",
            reason=None if allowed else "ending admin access needs adminAccess.allowTerminate: true in cspsync.yaml",
            destructive=True,
            changes=[Change(field="status", before="active", after="terminated")],
        )

    def default_notes(self) -> list[str]:
        """What a reviewer must know that no action fixes: a Default GDAP relationship near its end."""
        notes = []
        for resolved, found in zip(self.resolved, self.situations, strict=True):
            current = found.current
            if not resolved.default or current is None or auto_extends(current):
                continue
            ends = _date(current.ends)
            renew = self.config.adminAccess.renewBeforeDays if self.config.adminAccess is not None else 30
            if ends is not None and ends - self.now <= dt.timedelta(days=renew):
                notes.append(
                    f"the Default GDAP relationship {current.display_name} ends on {ends.date().isoformat()}; "
                    "Partner Center does not renew it: declare a named relationship with the roles you need"
                )
        return notes
