"""Apply handlers of admin access (GDAP): relationships, approval links, access assignments, termination.

Each first looks for its effect by natural key (a relationship by its display name, an assignment by its
security group), so a re-run after a crash finishes the work instead of repeating it. Access assignments
are followed from ``pending`` until Graph says ``active`` or ``error``: an ``error`` is a failed action with
what Graph said, and one still pending when the wait ends is reported as waiting (the next plan shows it),
never as done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cspsync.declarations.access import duration_days
from cspsync.declarations.keys import is_default_relationship
from cspsync.declarations.roles import role_names
from cspsync.errors import CspsyncError
from cspsync.invitations.ledger import sent_approvals
from cspsync.invitations.sending import send_admin_approval
from cspsync.invitations.template import ApprovalLink
from cspsync.partnercenter.gdap import AccessAssignment, AdminRelationship, approval_link
from cspsync.plan import payloads
from cspsync.plan.model import Action

if TYPE_CHECKING:
    from cspsync.apply.record import ActionResult
    from cspsync.apply.run import Applier


def _tenant(applier: Applier, action: Action, declared: str | None) -> str:
    tenant = declared or applier.customer_ids.get(action.customer)
    if not tenant:
        raise CspsyncError(f"{action.customer}: the customer's tenant id is not known (was it created?)")
    return tenant.lower()


def create_admin_relationship(applier: Applier, action: Action, result: ActionResult) -> None:
    """Create the relationship (or adopt the one of that name an earlier run created) and lock it."""
    p = action.payload
    assert isinstance(p, payloads.CreateAdminRelationship)
    gdap = applier.client.gdap
    tenant = _tenant(applier, action, p.customer_tenant_id)
    found = gdap.find_relationship(p.display_name)
    if found is not None and found.customer_tenant_id not in (None, tenant):
        raise CspsyncError(
            f"admin relationship {p.display_name} exists for another tenant ({found.customer_tenant_id}); "
            "nothing was changed: rename the declared relationship"
        )
    adopted = found is not None
    if found is None:
        found = gdap.create_relationship(
            display_name=p.display_name,
            duration=p.duration,
            roles=p.roles,
            auto_extend_duration=p.auto_extend_duration,
            customer_tenant_id=tenant,
            customer_name=p.customer_name,
        )
    elif found.status == "created":  # left unlocked by an earlier run: make it what is declared, then lock
        found = gdap.update_relationship(
            found,
            {
                "duration": p.duration,
                "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in p.roles]},
                "autoExtendDuration": p.auto_extend_duration,
            },
        )
    if found.status == "created":
        gdap.request(found.id, "lockForApproval")
    elif adopted and found.status not in ("approvalPending", "approved", "activating", "active"):
        raise CspsyncError(f"admin relationship {p.display_name} is {found.status}; plan again to request a new one")
    applier.admin_relationship_ids[(action.customer, p.display_name)] = found.id
    link = approval_link(found.id)
    result.details.update({"relationshipId": found.id, "approvalLink": link})
    if adopted and found.status != "created":
        result.status = "already-done"
        result.message = f"admin relationship {p.display_name} exists already ({found.id}, {found.status})"
        return
    result.message = f"admin relationship {p.display_name} created ({found.id}) and locked for approval: {link}"


def approval_links(
    applier: Applier, customer: str, approvals: tuple[payloads.AdminApproval, ...]
) -> tuple[tuple[ApprovalLink, str], ...]:
    """The links of ``approvals``, by the ids an earlier action of this apply (or of the plan) gives them."""
    links = []
    for approval in approvals:
        relationship_id = approval.relationship_id or applier.admin_relationship_ids.get(
            (customer, approval.display_name)
        )
        if relationship_id is None:
            raise CspsyncError(f"admin relationship {approval.display_name} was not created, so it has no link")
        links.append((approval_link_of(approval, approval_link(relationship_id)), relationship_id))
    return tuple(links)


def approval_link_of(approval: payloads.AdminApproval, link: str) -> ApprovalLink:
    """What a message says of one relationship to approve: the one definition apply and the preview use."""
    return ApprovalLink(
        name=approval.display_name,
        link=link,
        roles=tuple(role_names(approval.roles)),
        days=duration_days(approval.duration) or 0,
        replaces=approval.replaces,
        replaces_ends_on=approval.replaces_ends_on.isoformat() if approval.replaces_ends_on else None,
    )


def request_admin_approval(applier: Applier, action: Action, result: ActionResult) -> None:
    p = action.payload
    assert isinstance(p, payloads.RequestAdminApproval)
    links = approval_links(applier, action.customer, p.approvals)
    earlier = sent_approvals(applier.workspace)
    todo = tuple((link, i) for link, i in links if i not in earlier)
    if not todo:
        result.status = "already-done"
        result.message = "the approval links were sent already: " + ", ".join(
            f"{earlier[i].relationship} to {earlier[i].to} on {earlier[i].sent_at[:10]}" for _, i in links
        )
        return
    declared = next(d for d in applier.repo.customers if d.customer.metadata.name == action.customer)
    delivery = send_admin_approval(
        applier.repo,
        declared,
        to=p.to,
        approvals=todo,
        transport=applier.transport(),
        workspace=applier.workspace,
        when=applier.clock(),
    )
    names = ", ".join(link.name for link, _ in todo)
    result.details.update({"to": delivery.to, "messageId": delivery.message_id, "delivery": delivery.transport})
    result.details["approvalLinks"] = [link.link for link, _ in todo]
    if delivery.by_hand:
        result.message = f"approval link of {names} written to {delivery.file}: send it to {delivery.to}"
    else:
        result.message = f"approval link of {names} sent to {delivery.to} by {delivery.transport} ({delivery.detail})"


def _relationship_for(applier: Applier, action: Action, p: payloads.CreateAccessAssignment) -> AdminRelationship:
    """The relationship to assign in: the planned one, one created earlier in this apply, or the Default GDAP."""
    gdap = applier.client.gdap
    if p.relationship_id:
        return gdap.relationship(p.relationship_id)
    if p.relationship is not None:
        known = applier.admin_relationship_ids.get((action.customer, p.relationship))
        found = gdap.relationship(known) if known else gdap.find_relationship(p.relationship)
        if found is None:
            raise CspsyncError(f"admin relationship {p.relationship} does not exist")
        return found
    tenant = _tenant(applier, action, p.customer_tenant_id)
    defaults = [
        r
        for r in gdap.relationships_of(tenant)
        if is_default_relationship(r.display_name, r.customer_tenant_id, tenant) and r.status == "active"
    ]
    if not defaults:
        raise CspsyncError(
            f"{action.customer} has no active Default GDAP relationship in Microsoft Graph (was the tenant created "
            "with enableGDAPByDefault: false?); declare a named relationship instead"
        )
    return max(defaults, key=lambda r: r.created_date_time.isoformat() if r.created_date_time else "")


def follow(applier: Applier, relationship_id: str, assignment: AccessAssignment) -> str:
    """Read the assignment until it leaves ``pending`` or the wait ends: its last status."""
    gdap = applier.client.gdap
    current = gdap.assignment(relationship_id, assignment.id)
    waited = 0.0
    while current.status == "pending" and waited < applier.assignment_timeout:
        pause = min(applier.poll_interval, applier.assignment_timeout - waited)
        applier.sleep(pause)
        waited += pause
        current = gdap.assignment(relationship_id, assignment.id)
    return current.status


def _finish(applier: Applier, relationship: AdminRelationship, assignment: AccessAssignment, group: str,
            result: ActionResult, verb: str) -> None:  # fmt: skip
    status = follow(applier, relationship.id, assignment)
    result.details.update({"relationshipId": relationship.id, "assignmentId": assignment.id, "status": status})
    if status == "active":
        result.message = f"{verb} {group} in {relationship.display_name}: active ({assignment.id})"
        return
    if status == "pending":
        result.status = "waiting"
        result.message = (
            f"{verb} {group} in {relationship.display_name}: still pending after {applier.assignment_timeout:g} s "
            f"({assignment.id}); `cspsync plan` shows when it is active"
        )
        return
    raise CspsyncError(
        f"Microsoft Graph set the access assignment of {group} in {relationship.display_name} ({assignment.id}) to "
        f"status {status}: its members get no roles (is {group} a security group of the partner tenant?)"
    )


def create_access_assignment(applier: Applier, action: Action, result: ActionResult) -> None:
    p = action.payload
    assert isinstance(p, payloads.CreateAccessAssignment)
    gdap = applier.client.gdap
    relationship = _relationship_for(applier, action, p)
    live = [a for a in gdap.assignments(relationship.id) if a.status not in ("deleting", "deleted")]
    existing = next((a for a in live if a.group_id == p.group_id), None)
    if existing is not None and existing.status == "active" and set(existing.access_details.role_ids) == set(p.roles):
        result.status = "already-done"
        result.details.update({"relationshipId": relationship.id, "assignmentId": existing.id})
        result.message = f"{p.group} already has these roles in {relationship.display_name} ({existing.id})"
        return
    created = existing or gdap.create_assignment(relationship.id, p.group_id, p.roles)
    _finish(applier, relationship, created, p.group, result, "assigned to")


def update_access_assignment(applier: Applier, action: Action, result: ActionResult) -> None:
    p = action.payload
    assert isinstance(p, payloads.UpdateAccessAssignment)
    gdap = applier.client.gdap
    relationship = gdap.relationship(p.relationship_id)
    current = gdap.assignment(p.relationship_id, p.assignment_id)
    if set(current.access_details.role_ids) != set(p.roles):
        gdap.update_assignment(p.relationship_id, current, p.roles)
        current = gdap.assignment(p.relationship_id, p.assignment_id)
    _finish(applier, relationship, current, p.group, result, "changed the roles of")


def update_admin_relationship(applier: Applier, action: Action, result: ActionResult) -> None:
    """Set ``autoExtendDuration`` (Graph allows it while ``created`` or ``active``, with the etag as read)."""
    p = action.payload
    assert isinstance(p, payloads.UpdateAdminRelationship)
    gdap = applier.client.gdap
    current = gdap.relationship(p.relationship_id)
    state = "on" if p.auto_extend_duration == "P180D" else "off"
    result.details["relationshipId"] = p.relationship_id
    if (current.auto_extend_duration == "P180D") == (p.auto_extend_duration == "P180D"):
        result.status = "already-done"
        result.message = f"admin relationship {p.display_name}: auto-extend is {state} already"
        return
    if current.status not in ("created", "active"):
        raise CspsyncError(
            f"admin relationship {p.display_name} is {current.status}: Graph changes its auto-extension only while "
            "it is active; nothing was changed, run plan again"
        )
    gdap.update_relationship(current, {"autoExtendDuration": p.auto_extend_duration})
    result.message = f"admin relationship {p.display_name} ({p.relationship_id}): auto-extend {state}"


def terminate_admin_relationship(applier: Applier, action: Action, result: ActionResult) -> None:
    p = action.payload
    assert isinstance(p, payloads.TerminateAdminRelationship)
    gdap = applier.client.gdap
    current = gdap.relationship(p.relationship_id)
    result.details["relationshipId"] = p.relationship_id
    if current.status in ("terminationRequested", "terminating", "terminated"):
        result.status = "already-done"
        result.message = f"admin relationship {p.display_name} is {current.status} already"
        return
    gdap.request(p.relationship_id, "terminate")
    result.message = f"admin relationship {p.display_name} ({p.relationship_id}): termination requested"
