"""Admin access (GDAP) end to end: the README's main job with an approval between its two runs, the Default
GDAP of a new tenant, renewal ahead of the end, changed roles, expired requests, failed and slow access
assignments, termination, and unreadable Graph state."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
from pathlib import Path

import httpx
import pytest

from cspsync.emulator import EmulatorApp, Store, transport
from cspsync.emulator.handlers import gdap
from cspsync.emulator.handlers.gdap import GdapTiming
from cspsync.errors import PartnerCenterError
from cspsync.gitops.drift import detect
from cspsync.invitations.ledger import sent_approvals
from cspsync.plan.model import Kind, Plan
from cspsync.render import render
from cspsync.render.drift import render_drift
from cspsync.target import EMULATOR_BASE_URL
from cspsync.workspace import Workspace
from tests.cli import Run

from .world import World

CUSTOMERS = "examples/customers"
LITWARE = "2b7c9d1e-3f4a-4b5c-8d6e-7f8a9b0c1d2e"
HELPDESK_GROUP = "0c6f3e2a-8b1d-4c5e-9f7a-2b3c4d5e6f70"
AZURE_OPS_GROUP = "5e1a7b3c-2d4f-4a6b-8c9d-0e1f2a3b4c5d"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
LINK = re.compile(r"https://admin\.microsoft\.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/\S+")


def _message(path: Path) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def _text(path: Path) -> str:
    body = _message(path).get_body(("plain",))
    assert body is not None
    return str(body.get_content())


# ------------------------------------------------------------------------------------- the main job


def test_the_main_job_requests_sends_the_link_then_assigns_once_approved(cspsync: Run, workdir: Path) -> None:
    first = cspsync("apply", CUSTOMERS, "--yes")
    assert first.code == 0, first.out + first.err
    assert (
        "  + request admin relationship fabrikam-litware-support: 6 role(s) for 730 days, auto-extend on, with "
        "Litware Ireland Ltd (tenant 2b7c9d1e…)\n" in first.out
    )
    assert (
        "  ! wait for a global admin of Litware Ireland Ltd to approve admin relationship fabrikam-litware-support\n"
        in (first.out)
    )
    created = r"✓ litware/create-admin-relationship/fabrikam-litware-support: done — admin relationship "
    assert re.search(created + r"fabrikam-litware-support created \(\S+\) and locked for approval: https://", first.out)
    assert (
        "✓ contoso-bikes/create-access-assignment/default/helpdesk-agents: done — assigned to helpdesk-agents in "
        in (first.out)
    )
    invitation = _text(workdir / ".cspsync" / "outbox" / "litware.eml")
    (link,) = LINK.findall(invitation)  # one message: the reseller invitation carries the approval link
    assert "invType=ResellerRelationship" in invitation
    assert "- fabrikam-litware-support: Cloud Application Administrator, Directory Readers, Helpdesk Administrator" in (
        invitation
    )
    relationship_id = link.rsplit("/", 1)[1]
    ledger = json.loads((workdir / ".cspsync" / "admin-approvals.json").read_text())
    assert ledger["approvals"][relationship_id]["to"] == "it.admin@litware.ie"

    waiting = cspsync("plan", CUSTOMERS)
    assert "approval link sent to it.admin@litware.ie on " in waiting.out
    assert "the request expires on " in waiting.out

    approved = cspsync("emulator", "approve-gdap", "litware.ie", "--db", str(workdir / ".cspsync" / "emulator.db"))
    assert approved.code == 0, approved.err
    assert approved.out == (
        f"approved admin relationship fabrikam-litware-support ({relationship_id}) for tenant {LITWARE}: active now.\n"
    )

    second = cspsync("apply", CUSTOMERS, "--yes")
    assert second.code == 0, second.out + second.err
    for group in ("helpdesk-agents", "azure-ops"):
        assert re.search(
            rf"✓ litware/create-access-assignment/fabrikam-litware-support/{group}: done — assigned to {group} in "
            r"fabrikam-litware-support: active \(", second.out
        )  # fmt: skip
    assert "Apply complete: 2 done, 6 waiting or blocked." in second.out

    final = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert final.code == 0, final.out
    assert "admin relationship" not in final.out and "assign" not in final.out
    assert "Plan: 0 to create, 0 to update, 0 to cancel, 6 waiting." in final.out


def test_the_main_job_over_the_loopback_server_reaches_graph_there_too(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cspsync emulator serve`` answers Graph's GDAP endpoints on the same loopback server as Partner Center."""
    from cspsync.emulator import load_seed, serve
    from cspsync.target import UNPACED_ENV

    store = Store(workdir / "served.db")
    store.seed(load_seed(workdir / "examples" / "emulator-seed.yaml"))
    app = EmulatorApp(store, gdap_timing=GdapTiming())
    with serve(app) as server:
        monkeypatch.setenv("CSPSYNC_EMULATOR_URL", server.url)
        monkeypatch.setenv(UNPACED_ENV, "1")
        first = cspsync("apply", CUSTOMERS, "--yes")
        assert first.code == 0, first.out + first.err
        assert "✓ litware/create-admin-relationship/fabrikam-litware-support: done" in first.out
        assert gdap.approve(store, "litware.ie", dt.datetime.now(dt.UTC))
        second = cspsync("apply", CUSTOMERS, "--yes")
        assert second.code == 0, second.out + second.err
        assert "Apply complete: 2 done, 6 waiting or blocked." in second.out
    assert not (workdir / ".cspsync" / "emulator.db").exists()  # nothing went to the in-process emulator
    store.close()


def test_approving_twice_or_nothing_is_an_error_not_a_traceback(cspsync: Run, workdir: Path) -> None:
    db = str(workdir / ".cspsync" / "emulator.db")
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    assert cspsync("emulator", "approve-gdap", "litware.ie", "--db", db).code == 0
    again = cspsync("emulator", "approve-gdap", "litware.ie", "--db", db)
    assert (again.code, again.err) == (
        1,
        f"Error: No admin relationship request waits for approval by litware.ie ({LITWARE}).\n",
    )
    unknown = cspsync("emulator", "approve-gdap", "no-such-id", "--db", db)
    assert (unknown.code, unknown.err) == (
        1,
        "Error: No admin relationship request waits for approval by no-such-id.\n",
    )


def test_the_markdown_plan_shows_the_admin_access_steps(cspsync: Run) -> None:
    result = cspsync("plan", CUSTOMERS, "--format", "markdown")
    assert "+ + request admin relationship fabrikam-litware-support: 6 role(s) for 730 days" in result.out
    assert "# ! wait for a global admin of Litware Ireland Ltd to approve admin relationship" in result.out
    assert "#     waiting: waits until a global admin of the customer approves admin relationship" in result.out


# ------------------------------------------------------------------------------------ in process


def _action(plan: Plan, action_id: str) -> object:
    return plan.action(action_id)


def _approved(world: World) -> None:
    """The main job, Litware's approval, and the main job again: every declared assignment is active."""
    first = world.apply()
    assert not first.failed, [r.message for r in first.failed]
    gdap.approve(world.store, "litware.ie", world.clock.now)
    second = world.apply()
    assert not second.failed, [r.message for r in second.failed]


def test_a_new_tenant_gets_the_default_gdap_and_its_assignment(world: World) -> None:
    world.apply()
    contoso = world.store.tenant_by_domain("contosobikes.onmicrosoft.com")
    assert contoso is not None
    (default,) = [
        r for r in gdap.relationships_of(world.store, world.clock.now) if r["customer"]["tenantId"] == contoso.id
    ]
    assert default["displayName"].startswith("Default_ContosoBikesLtd_") and default["status"] == "active"
    with world.client() as pc:
        (assignment,) = pc.gdap.assignments(str(default["id"]))
    assert (assignment.group_id, assignment.status) == (HELPDESK_GROUP, "active")
    assert len(assignment.access_details.role_ids) == 5


def test_without_enable_gdap_by_default_no_default_relationship_is_created(world: World) -> None:
    world.edit("examples/cspsync.yaml", "enableGDAPByDefault: true", "enableGDAPByDefault: false")
    world.edit("examples/customers/contoso-bikes.yaml", "      - default: true\n        templates: [helpdesk]\n",
               "      - name: fabrikam-contoso-support\n        templates: [helpdesk]\n")  # fmt: skip
    world.edit("examples/customers/contoso-bikes.yaml", "  adminAccess:\n",
               "  adminAccess:\n    approverEmail: amelia.hughes@contosobikes.co.uk\n")  # fmt: skip
    plan = world.plan()
    create = plan.action("contoso-bikes/create-customer")
    assert create.summary.endswith("without a Default GDAP relationship")
    request = plan.action("contoso-bikes/create-admin-relationship/fabrikam-contoso-support")
    assert request.depends_on == ("contoso-bikes/create-customer",) and request.status == "ready"
    assert plan.action("contoso-bikes/request-admin-approval").summary == (
        "send the approval link of admin relationship fabrikam-contoso-support to amelia.hughes@contosobikes.co.uk"
    )
    world.apply()
    contoso = world.store.tenant_by_domain("contosobikes.onmicrosoft.com")
    assert contoso is not None
    mine = [r for r in gdap.relationships_of(world.store, world.clock.now) if r["customer"]["tenantId"] == contoso.id]
    assert [r["displayName"] for r in mine] == ["fabrikam-contoso-support"]  # and no Default_…
    approval = _text(world.root / ".cspsync" / "outbox" / "contoso-bikes.admin-approval.eml")
    assert LINK.findall(approval) and "A request that is not approved expires after 90 days." in approval


def test_a_tenant_without_admin_access_is_a_finding_only_once_it_is_proven_the_declared_one(world: World) -> None:
    world.edit("examples/cspsync.yaml", "enableGDAPByDefault: true", "enableGDAPByDefault: false")
    world.edit("examples/customers/contoso-bikes.yaml", "      - default: true\n        templates: [helpdesk]\n",
               "      - name: fabrikam-contoso-support\n        templates: [helpdesk]\n")  # fmt: skip
    world.edit("examples/customers/contoso-bikes.yaml", "  adminAccess:\n",
               "  adminAccess:\n    approverEmail: amelia.hughes@contosobikes.co.uk\n")  # fmt: skip
    world.apply()  # alpine-ski-house is created without any GDAP relationship
    repo = world.repository()

    def missing(report_workspace: Workspace | None) -> set[str]:
        with world.client() as pc:
            report = detect(repo, repo.customers, pc, target="emulator", workspace=report_workspace)
        return {f.customer for f in report.findings if f.kind == "missing-admin-access"}

    assert "alpine-ski-house" in missing(world.workspace)
    # without the apply records nothing proves the tenant at its domain is the declared one: no finding about it
    assert "alpine-ski-house" not in missing(None)


def test_a_relationship_ending_in_20_days_gets_its_replacement_planned_with_the_date(world: World) -> None:
    _approved(world)
    world.edit("examples/customers/litware.yaml", "autoExtend: true", "autoExtend: false")  # cspsync renews it
    current = world.relationship("fabrikam-litware-support")
    ends = world.clock.now + dt.timedelta(days=20)
    gdap.set_relationship_times(world.store, str(current["id"]), activated=ends - dt.timedelta(days=730))
    world.store.accept_invitation("litware.ie")  # Litware is a linked customer now

    with world.client() as pc:
        repo = world.repository()
        report = detect(repo, repo.customers, pc, target="emulator", sent_approvals=sent_approvals(world.workspace))
    text = render_drift(report, "text")
    renewed = f"fabrikam-litware-support-{world.clock.now:%Y%m%d}"
    day = ends.date().isoformat()
    assert (
        f"  + request admin relationship {renewed}: 6 role(s) for 730 days, auto-extend off, with Litware Ireland Ltd "
        f"(tenant 2b7c9d1e…), replaces fabrikam-litware-support, which ends on {day} (in 20 days; "
        "adminAccess.renewBeforeDays is 30)\n" in text
    )
    assert (
        f"  ~ turn auto-extend off for admin relationship fabrikam-litware-support, which ends on {day} (it ends at "
        "its end date)\n" in text
    )
    assert re.search(r"^drifted  litware  \(\S+/examples/customers/litware.yaml\)$", text, re.MULTILINE)
    assert report.exit_code == 2

    record = world.apply()
    assert record.results[f"litware/create-admin-relationship/{renewed}"].status == "done"
    approval = _text(world.root / ".cspsync" / "outbox" / "litware.admin-approval.eml")
    assert f"It replaces fabrikam-litware-support, which ends on {ends.date().isoformat()}" in approval
    after = world.plan()
    waiting = after.action(f"litware/await-admin-access/{renewed}/approval")
    assert waiting.status == "waiting" and "approval link sent to it.admin@litware.ie on" in (waiting.reason or "")
    assert not [a for a in after.actions if a.kind is Kind.CREATE_ADMIN_RELATIONSHIP]  # requested once

    gdap.approve(world.store, "litware.ie", world.clock.now)
    world.apply()  # the groups get their roles in the new relationship
    final = world.plan()
    assert not final.has_changes, [a.id for a in final.actions if a.status == "ready"]


def test_auto_extend_switched_off_in_partner_center_is_switched_back_on_not_replaced(world: World) -> None:
    """Graph changes autoExtendDuration while a relationship is active (api/delegatedadminrelationship-update.md):
    a relationship declared autoExtend: true that someone switched off gets it back, and no replacement."""
    _approved(world)
    current = world.relationship("fabrikam-litware-support")
    ends = world.clock.now + dt.timedelta(days=20)
    gdap.set_relationship_times(world.store, str(current["id"]), activated=ends - dt.timedelta(days=730))
    gdap.set_auto_extend(world.store, str(current["id"]), "PT0S")
    plan = world.plan()
    switch = plan.action("litware/update-admin-relationship/fabrikam-litware-support")
    assert (switch.status, switch.summary) == (
        "ready",
        f"turn auto-extend on for admin relationship fabrikam-litware-support, which ends on {ends.date().isoformat()} "
        "(Microsoft extends it by 180 days at its end)",
    )
    assert not [a for a in plan.actions if a.kind is Kind.CREATE_ADMIN_RELATIONSHIP]
    record = world.apply()
    assert record.results[switch.id].status == "done", record.results[switch.id].message
    assert world.relationship("fabrikam-litware-support")["autoExtendDuration"] == "P180D"
    assert not world.plan().has_changes


def test_changed_roles_replace_the_relationship_and_update_the_assignment(world: World) -> None:
    _approved(world)
    world.edit("examples/cspsync.yaml", "Service Support Administrator, Directory Readers]",
               "Directory Readers]")  # fmt: skip
    plan = world.plan()
    renewed = f"fabrikam-litware-support-{world.clock.now:%Y%m%d}"
    create = plan.action(f"litware/create-admin-relationship/{renewed}")
    assert (
        "the declared roles differ from fabrikam-litware-support (drops Service Support Administrator); Graph changes "
        "a relationship's roles only before it is approved, so a new one replaces it"
    ) in create.summary
    update = plan.action("litware/update-access-assignment/fabrikam-litware-support/helpdesk-agents")
    assert [(c.field, c.before, c.after) for c in update.changes] == [
        (
            "roles",
            "Directory Readers, Helpdesk Administrator, License Administrator, Service Support Administrator, User "
            "Administrator",
            "Directory Readers, Helpdesk Administrator, License Administrator, User Administrator",
        )
    ]
    record = world.apply()
    assert record.results[update.id].status == "done", record.results[update.id].message


def _graph(world: World) -> httpx.Client:
    """Graph as a person in Partner Center changes it, behind cspsync's back."""
    app = EmulatorApp(world.store, clock=world.clock, gdap_timing=world.timing)
    return httpx.Client(transport=transport(app), base_url=EMULATOR_BASE_URL, headers={"Authorization": "Bearer t"})


def test_group_drift_a_removed_assignment_is_given_back_and_an_undeclared_one_is_left_alone(world: World) -> None:
    _approved(world)
    support = world.relationship("fabrikam-litware-support")
    path = f"/v1.0/tenantRelationships/delegatedAdminRelationships/{support['id']}/accessAssignments"
    with _graph(world) as graph:
        helpdesk = next(
            a for a in graph.get(path).json()["value"] if a["accessContainer"]["accessContainerId"] == HELPDESK_GROUP
        )
        assert (
            graph.delete(f"{path}/{helpdesk['id']}", headers={"If-Match": helpdesk["@odata.etag"]}).status_code == 204
        )
        tenant = world.store.tenant_by_domain("contosobikes.onmicrosoft.com")
        assert tenant is not None
        contoso = next(
            r for r in gdap.relationships_of(world.store, world.clock.now) if r["customer"]["tenantId"] == tenant.id
        )
        extra = {
            "accessContainer": {"accessContainerId": AZURE_OPS_GROUP, "accessContainerType": "securityGroup"},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": DIRECTORY_READERS}]},
        }
        created = graph.post(
            f"/v1.0/tenantRelationships/delegatedAdminRelationships/{contoso['id']}/accessAssignments", json=extra
        )
        assert created.status_code == 201, created.text
    world.store.accept_invitation("litware.ie")

    with world.client() as pc:
        repo = world.repository()
        report = detect(
            repo,
            repo.customers,
            pc,
            target="emulator",
            workspace=world.workspace,
            sent_approvals=sent_approvals(world.workspace),
        )
    states = {c.name: c.state for c in report.customers}
    assert states["litware"] == "drifted"
    text = render_drift(report, "text")
    assert (
        "  + assign 5 role(s) of fabrikam-litware-support to security group helpdesk-agents: Directory Readers, "
        "Helpdesk Administrator, License Administrator, Service Support Administrator, User Administrator\n" in text
    )
    # azure-ops in contoso-bikes's Default GDAP relationship: nobody declared it, so it is listed and kept
    unmanaged = [u for u in report.plan.unmanaged if u.kind == "access-assignment"]
    assert [(u.customer, u.name.split("/")[-1]) for u in unmanaged] == [("contoso-bikes", AZURE_OPS_GROUP)]
    assert "not declared, never removed" in (unmanaged[0].detail or "")
    assert not [a for a in report.plan.actions if a.customer == "contoso-bikes" and "access" in a.kind.value]

    world.apply()
    final = world.plan()
    assert not [a.id for a in final.actions if "access-assignment" in a.kind.value]


def test_an_unapproved_request_expires_after_90_days_and_is_requested_again(world: World) -> None:
    world.apply()
    world.clock.now += dt.timedelta(days=90)
    assert world.relationship("fabrikam-litware-support")["status"] == "expired"
    plan = world.plan()
    renewed = f"fabrikam-litware-support-{world.clock.now:%Y%m%d}"
    create = plan.action(f"litware/create-admin-relationship/{renewed}")
    assert create.summary.endswith("; fabrikam-litware-support is expired")
    assert create.status == "ready"


def test_a_failed_assignment_is_a_failed_action_with_graphs_error(world: World) -> None:
    world.edit("examples/cspsync.yaml", "helpdesk-agents: 0c6f3e2a-8b1d-4c5e-9f7a-2b3c4d5e6f70",
               "helpdesk-agents: 99999999-8b1d-4c5e-9f7a-2b3c4d5e6f70")  # fmt: skip
    record = world.apply()
    result = record.results["contoso-bikes/create-access-assignment/default/helpdesk-agents"]
    assert result.status == "failed"
    assert result.message.startswith("Microsoft Graph set the access assignment of helpdesk-agents in Default_")
    assert "to status error: its members get no roles" in result.message
    blocked = world.plan().action("contoso-bikes/create-access-assignment/default/helpdesk-agents")
    assert blocked.status == "blocked" and "is in status error in Microsoft Graph" in (blocked.reason or "")


def test_a_refused_assignment_fails_with_graphs_message(world: World) -> None:
    _approved(world)
    relationship = world.relationship("fabrikam-litware-support")
    refused = r"Microsoft Graph refused POST .*accessAssignments: HTTP 400, error invalidRequest: The roles .* are not"
    with world.client() as pc, pytest.raises(PartnerCenterError, match=refused):
        pc.gdap.create_assignment(str(relationship["id"]), HELPDESK_GROUP, ("29232cdf-9323-42fd-ade2-1d097af3e4de",))


def test_an_assignment_still_pending_when_the_wait_ends_is_waiting_not_done(world: World) -> None:
    world.timing = GdapTiming(assignment=dt.timedelta(minutes=10))
    record = world.apply(timeout=60)
    result = record.results["contoso-bikes/create-access-assignment/default/helpdesk-agents"]
    assert result.status == "waiting"
    assert "still pending after 60 s" in result.message
    plan = world.plan()
    wait = next(a for a in plan.actions if a.kind is Kind.AWAIT_ADMIN_ACCESS and a.customer == "contoso-bikes")
    assert wait.summary.startswith("wait for the access assignment of helpdesk-agents in Default_")
    world.clock.sleep(600)
    assert not [a for a in world.plan().actions if a.customer == "contoso-bikes"]


def test_termination_needs_the_declaration_and_the_opt_in_and_is_destructive(world: World) -> None:
    _approved(world)
    world.edit("examples/customers/litware.yaml", "        templates: [helpdesk, azure-ops]\n",
               "        templates: [helpdesk, azure-ops]\n        terminate: true\n")  # fmt: skip
    refused = world.plan().action("litware/terminate-admin-relationship/fabrikam-litware-support")
    assert (refused.status, refused.destructive) == ("refused", True)
    assert refused.reason == "ending admin access needs adminAccess.allowTerminate: true in cspsync.yaml"
    text = render(world.plan(), "text")
    assert (
        "  - terminate admin relationship fabrikam-litware-support: its 6 role(s) end for 2 security group(s) " in text
    )
    assert "[DESTRUCTIVE]" in text
    assert "> This plan terminates admin relationships (GDAP)" in render(world.plan(), "markdown")

    world.edit("examples/cspsync.yaml", "allowTerminate: false", "allowTerminate: true")
    record = world.apply()
    assert record.results["litware/terminate-admin-relationship/fabrikam-litware-support"].status == "done"
    assert world.relationship("fabrikam-litware-support")["status"] == "terminated"
    assert not world.plan().has_changes


def test_a_relationship_left_unlocked_by_a_crash_is_locked_not_created_twice(world: World) -> None:
    with world.client() as pc:
        pc.gdap.create_relationship(
            display_name="fabrikam-litware-support", duration="P730D", roles=("729827e3-9c14-49f7-bb1b-9608f156bbb8",),
            auto_extend_duration="PT0S", customer_tenant_id=LITWARE,
        )  # fmt: skip
    plan = world.plan()
    lock = plan.action("litware/create-admin-relationship/fabrikam-litware-support")
    assert lock.summary.startswith("lock admin relationship fabrikam-litware-support for approval (created on ")
    world.apply()
    relationship = world.relationship("fabrikam-litware-support")
    assert relationship["status"] == "approvalPending"
    assert len(relationship["accessDetails"]["unifiedRoles"]) == 6  # made what is declared before it was locked


def test_a_name_held_for_another_tenant_is_blocked(world: World) -> None:
    with world.client() as pc:
        pc.gdap.create_relationship(
            display_name="fabrikam-litware-support", duration="P730D", roles=("729827e3-9c14-49f7-bb1b-9608f156bbb8",),
            auto_extend_duration="PT0S", customer_tenant_id="8d1e2f3a-4b5c-4d6e-9f7a-8b9c0d1e2f3a",
        )  # fmt: skip
    create = world.plan().action("litware/create-admin-relationship/fabrikam-litware-support-" +
                                 f"{world.clock.now:%Y%m%d}")  # fmt: skip
    assert create.status == "blocked"
    assert "belongs to a relationship with another tenant (8d1e2f3a-4b5c-4d6e-9f7a-8b9c0d1e2f3a)" in (
        create.reason or ""
    )


def test_an_unreadable_graph_makes_the_customers_unknown(world: World) -> None:
    app = EmulatorApp(world.store, clock=world.clock)

    def refuse(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1.0/tenantRelationships/delegatedAdminRelationships"):
            return httpx.Response(403, json={"error": {"code": "Authorization_RequestDenied", "message": "denied"}})
        return app(request)

    plan = world.plan(world.client(refuse))
    assert (
        "contoso-bikes: admin relationships (GDAP) could not be read: Microsoft Graph refused GET "
        "/v1.0/tenantRelationships/delegatedAdminRelationships: HTTP 403, error Authorization_RequestDenied: denied"
    ) in plan.unknown
    states = {c.name: c.state for c in plan.customers}
    assert states["contoso-bikes"] == "unknown" and states["litware"] == "unknown"
    assert states["adatum"] != "unknown"  # it declares no admin access: nothing of it was left unread


def test_drift_reports_admin_access_it_could_not_read_as_unknown_never_in_sync(world: World) -> None:
    _approved(world)
    app = EmulatorApp(world.store, clock=world.clock, gdap_timing=world.timing)

    def refuse(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1.0/tenantRelationships/delegatedAdminRelationships"):
            return httpx.Response(403, json={"error": {"code": "Authorization_RequestDenied", "message": "denied"}})
        return app(request)

    repo = world.repository()
    with world.client() as pc:
        readable = detect(repo, repo.customers, pc, target="emulator", workspace=world.workspace)
    assert {c.name: c.state for c in readable.customers}["contoso-bikes"] == "in-sync"
    with world.client(refuse) as pc:
        report = detect(repo, repo.customers, pc, target="emulator", workspace=world.workspace)
    states = {c.name: c.state for c in report.customers}
    assert states["contoso-bikes"] == "unknown" and states["litware"] == "unknown"
    assert report.exit_code == 1
    assert "admin relationships (GDAP) could not be read" in render_drift(report, "text")


def test_a_relationship_nobody_would_approve_is_blocked_until_an_approver_is_declared(world: World) -> None:
    adatum = "examples/customers/adatum.yaml"
    block = "  adminAccess:\n    relationships:\n      - name: fabrikam-adatum-support\n        templates: [helpdesk]\n"
    (world.root / adatum).write_text((world.root / adatum).read_text() + block)
    create = world.plan().action("adatum/create-admin-relationship/fabrikam-adatum-support")
    assert create.status == "blocked"
    assert create.reason == (
        "nobody would receive its approval link: set spec.adminAccess.approverEmail to a global admin of the customer"
    )
    world.edit(adatum, "  adminAccess:\n", "  adminAccess:\n    approverEmail: jonas.becker@adatum.de\n")
    plan = world.plan()
    assert plan.action("adatum/create-admin-relationship/fabrikam-adatum-support").status == "ready"
    send = plan.action("adatum/request-admin-approval")
    # nothing runs on a customer before its adoption, the approval link neither
    assert send.depends_on == ("adatum/adopt-customer", "adatum/create-admin-relationship/fabrikam-adatum-support")
    assert (
        send.summary == "send the approval link of admin relationship fabrikam-adatum-support to jonas.becker@adatum.de"
    )


def test_a_name_taken_for_another_tenant_after_the_plan_fails_the_create_and_changes_nothing(world: World) -> None:
    """Between the plan and its apply a relationship of the declared name appears for another tenant: apply
    checks whose it is before it adopts it, so it neither locks nor sends another customer's relationship."""
    plan = world.plan()
    assert plan.action("litware/create-admin-relationship/fabrikam-litware-support").status == "ready"
    other = "8d1e2f3a-4b5c-4d6e-9f7a-8b9c0d1e2f3a"
    with world.client() as pc:
        pc.gdap.create_relationship(
            display_name="fabrikam-litware-support", duration="P730D", roles=("729827e3-9c14-49f7-bb1b-9608f156bbb8",),
            auto_extend_duration="PT0S", customer_tenant_id=other,
        )  # fmt: skip

    record = world.apply_plan(plan)

    create = record.results["litware/create-admin-relationship/fabrikam-litware-support"]
    assert create.status == "failed"
    assert create.message == (
        f"admin relationship fabrikam-litware-support exists for another tenant ({other}); nothing was changed: "
        "rename the declared relationship"
    )
    taken = world.relationship("fabrikam-litware-support")
    assert (taken["customer"]["tenantId"], taken["status"]) == (other, "created")  # not locked for approval
    assert not sent_approvals(world.workspace)


def test_a_request_that_expired_after_the_plan_is_not_adopted(world: World) -> None:
    """The plan would create the relationship; by the apply one of its name for the customer was requested
    elsewhere and expired unapproved: the step fails and says to plan again, instead of sending a link to a
    relationship that can no longer be approved."""
    plan = world.plan()
    with world.client() as pc:
        made = pc.gdap.create_relationship(
            display_name="fabrikam-litware-support", duration="P730D", roles=("729827e3-9c14-49f7-bb1b-9608f156bbb8",),
            auto_extend_duration="PT0S", customer_tenant_id=LITWARE,
        )  # fmt: skip
        pc.gdap.request(made.id, "lockForApproval")
    world.clock.sleep(91 * 86_400)
    assert world.relationship("fabrikam-litware-support")["status"] == "expired"

    record = world.apply_plan(plan)

    create = record.results["litware/create-admin-relationship/fabrikam-litware-support"]
    assert (create.status, create.message) == (
        "failed",
        "admin relationship fabrikam-litware-support is expired; plan again to request a new one",
    )
    assert not sent_approvals(world.workspace)
