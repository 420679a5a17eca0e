"""What a person sees: the preview of a message, the plan's notes on invitations (sent by hand, waiting,
reminded), and the association check once an invite customer is linked (seed 003)."""

from __future__ import annotations

import email
import email.message
import email.policy
from collections.abc import Callable
from pathlib import Path

import pytest
from freezegun import freeze_time

import cspsync.commands.apply
import cspsync.commands.emulator
import cspsync.commands.invitations
import cspsync.commands.plan
from tests.cli import Run

from .conftest import CUSTOMERS, FROM, LINK, SmtpServer, use_smtp

#: imported before any clock is frozen: a pydantic model built under freezegun sees its fake date class
COMMANDS = (cspsync.commands.apply, cspsync.commands.emulator, cspsync.commands.invitations, cspsync.commands.plan)
NORTHWIND = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
INDIRECT_LINK = (
    "https://admin.microsoft.com/Adminportal/Home?invType=IndirectResellerRelationship"
    f"&partnerId=6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b&msppId=4512345&indirectCSPId={NORTHWIND}&DAP=false"
    "#/BillingAccounts/partner-invitation"
)


def test_preview_shows_headers_and_text_with_the_real_link_and_sends_nothing(
    cspsync: Run, workdir: Path, start_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_smtp()
    use_smtp(workdir, monkeypatch, server.port)

    result = cspsync("invitations", "preview", "litware", CUSTOMERS)
    html = cspsync("invitations", "preview", "examples/customers/litware.yaml", "--html")

    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:3] == [
        f"From: Fabrikam Cloud Distribution <{FROM}>",
        "To: it.admin@litware.ie",
        "Subject: Fabrikam Cloud Distribution invite Litware Ireland Ltd to a Microsoft Cloud Solution Provider "
        "relationship",
    ]
    assert lines[3].startswith("Date: ") and lines[4].startswith("Message-ID: <") and lines[5] == ""
    assert lines[6] == "Dear Siobhan Murphy,"
    assert LINK in lines
    assert result.err == (
        f"Invitation of litware (emulator); delivery: SMTP through 127.0.0.1:{server.port}. Date and Message-ID are "
        "set anew when it is sent.\n"
        "NEW-RELATIONSHIP-ID stands for the id of an admin relationship apply requests with the invitation: its "
        "approval link is known once the relationship exists.\n"
    )
    assert html.code == 0 and f'<a href="{LINK.replace("&", "&amp;")}">' in html.out
    assert server.inbox.messages == []
    assert not (workdir / ".cspsync" / "invitations.json").exists()


def test_preview_shows_the_admin_access_request_the_invitation_carries(cspsync: Run, workdir: Path) -> None:
    """The GDAP part (roles, duration, approval link) was missing from the preview, though apply sends it."""
    preview = cspsync("invitations", "preview", "litware", CUSTOMERS)
    assert preview.code == 0, preview.err
    assert "also asks for admin access to your tenant (granular delegated admin privileges, GDAP)" in preview.out
    assert "- fabrikam-litware-support: Cloud Application Administrator, Directory Readers" in preview.out
    placeholder = "granularAdminRelationships/NEW-RELATIONSHIP-ID"
    assert placeholder in preview.out

    applied = cspsync("apply", "examples/customers/litware.yaml", "--yes")
    assert applied.code == 0, applied.out + applied.err
    text = _outbox_text(workdir)
    relationship = text.split("granularAdminRelationships/")[1].split()[0]
    shown = preview.out.split("\n\n", 1)[1]  # the text after the headers
    assert shown == text.replace(f"granularAdminRelationships/{relationship}", placeholder)  # exactly what was sent


def test_preview_names_what_it_cannot_preview(cspsync: Run) -> None:
    created = cspsync("invitations", "preview", "contoso-bikes", CUSTOMERS)
    unknown = cspsync("invitations", "preview", "litwar", CUSTOMERS)
    assert created.err == (
        "Error: examples/customers/contoso-bikes.yaml: contoso-bikes has tenant.mode create: only invite customers "
        "get an invitation\n"
    )
    assert unknown.err == (
        "Error: no customer 'litwar' in the declarations\n  hint: invite customers: litware, woodgrove-bank\n"
    )


def test_the_plan_says_an_outbox_invitation_is_sent_by_hand(cspsync: Run, workdir: Path) -> None:
    with freeze_time("2026-11-05 09:00:00"):
        before = cspsync("plan", "examples/customers/litware.yaml")
        applied = cspsync("apply", "examples/customers/litware.yaml", "--yes")
        after = cspsync("plan", "examples/customers/litware.yaml")

    assert (
        "  ! request a reseller relationship: invitation to it.admin@litware.ie for litware.ie with the approval link "
        "of admin relationship fabrikam-litware-support\n"
        "      warning: no mail transport is configured (invitations.transport: outbox): apply writes the message "
        "to outbox/litware.eml in the state folder (.cspsync/) and a person must send it\n" in before.out
    )
    eml = workdir / ".cspsync" / "outbox" / "litware.eml"
    assert (
        f"✓ litware/request-invitation: done — invitation for litware.ie written to {eml}: "
        "send it to it.admin@litware.ie\n" in applied.out
    )
    assert (
        "litware  (examples/customers/litware.yaml)  invite litware.ie · waiting\n"
        f"    invitation sent to it.admin@litware.ie on 2026-11-05 via the outbox ({eml}: to be "
        "sent by hand); waiting since 2026-11-05, reminded 0 times; next reminder on 2026-11-12 (cspsync "
        "invitations remind)\n" in after.out
    )
    assert (workdir / ".cspsync" / "outbox" / "litware.eml").read_text().count("To: it.admin@litware.ie") == 1


def _sold_by_northwind(workdir: Path) -> None:
    path = workdir / "examples/customers/woodgrove-bank.yaml"
    path.write_text(
        path.read_text().replace(
            "  tenant:\n    mode: invite", "  reseller: Northwind Traders IT\n  tenant:\n    mode: invite"
        )
    )


def test_a_linked_invite_customer_without_its_reseller_gets_a_note_with_the_fixing_link(
    cspsync: Run, workdir: Path
) -> None:
    _sold_by_northwind(workdir)
    woodgrove = "examples/customers/woodgrove-bank.yaml"
    assert cspsync("apply", woodgrove, "--yes").code == 0
    eml = (workdir / ".cspsync" / "outbox" / "woodgrove-bank.eml").read_text()
    assert "Northwind Traders IT, in concert with Fabrikam Cloud Distribution, would like" in eml.replace("=\n", "")
    assert cspsync("emulator", "accept-invitation", "woodgrovebank.nl").code == 0  # not for the reseller

    plan = cspsync("plan", woodgrove)

    assert plan.code == 0, plan.err
    assert (
        "woodgrove-bank  (examples/customers/woodgrove-bank.yaml)  invite woodgrovebank.nl · linked\n"
        "    ! the indirect reseller Northwind Traders IT is not in the tenant's partner relationships: send the "
        f"customer its reseller relationship request; the link that fixes it: {INDIRECT_LINK}\n"
        "  @ adopt Woodgrove Bank NV (tenant 8d1e2f3a-4b5c-4d6e-9f7a-8b9c0d1e2f3a, domains woodgrovebank.nl): a "
        "customer cspsync did not create  [ADOPT: cspsync did not create this customer]\n"
        "      warning: adopted because it is the customer's own domain woodgrovebank.nl: its global admin accepted "
        "the relationship; check it is the declared customer before you approve\n"
        "  ~ update billing profile of Woodgrove Bank NV\n" in plan.out
    )
    assert "  + record Microsoft Customer Agreement accepted by Daan de Vries" in plan.out
    assert "  + order fabrikam-woodgrove-azure: Azure plan" in plan.out


def test_a_linked_invite_customer_with_every_association_gets_no_note(cspsync: Run, workdir: Path) -> None:
    _sold_by_northwind(workdir)
    woodgrove = "examples/customers/woodgrove-bank.yaml"
    assert cspsync("apply", woodgrove, "--yes").code == 0
    accepted = cspsync("emulator", "accept-invitation", "woodgrovebank.nl", "--reseller", NORTHWIND)
    assert accepted.code == 0

    plan = cspsync("plan", woodgrove)

    assert (
        "woodgrove-bank  (examples/customers/woodgrove-bank.yaml)  invite woodgrovebank.nl · linked\n"
        "  @ adopt Woodgrove Bank NV (tenant 8d1e2f3a-4b5c-4d6e-9f7a-8b9c0d1e2f3a, domains woodgrovebank.nl): a "
        "customer cspsync did not create  [ADOPT: cspsync did not create this customer]\n"
        "      warning: adopted because it is the customer's own domain woodgrovebank.nl: its global admin accepted "
        "the relationship; check it is the declared customer before you approve\n"
        "  ~ update billing profile of Woodgrove Bank NV\n" in plan.out
    )
    assert "partner relationships" not in plan.out


def test_a_resent_invitation_still_carries_the_approval_link_of_a_relationship_waiting_for_approval(
    cspsync: Run, workdir: Path
) -> None:
    """`apply --resend` sent the invitation without the GDAP part while the relationship still waited for its
    approval: the customer who asked for the mail again could not approve from it."""
    assert cspsync("apply", "examples/customers/litware.yaml", "--yes").code == 0
    first = _outbox_text(workdir)
    link = "granularAdminRelationships/" + first.split("granularAdminRelationships/")[1].split()[0]

    preview = cspsync("invitations", "preview", "litware", CUSTOMERS)
    resent = cspsync("apply", "examples/customers/litware.yaml", "--yes", "--resend")

    assert resent.code == 0, resent.out + resent.err
    assert "(again: --resend; first sent on " in resent.out
    assert "with the approval link of admin relationship fabrikam-litware-support" in resent.out
    assert link in _outbox_text(workdir)
    assert link in preview.out  # the preview shows it too: what --resend sends


def _outbox_text(workdir: Path) -> str:
    """The text part of Litware's message in the outbox, decoded."""
    sent = email.message_from_bytes((workdir / ".cspsync/outbox/litware.eml").read_bytes(), policy=email.policy.default)
    assert isinstance(sent, email.message.EmailMessage)
    body = sent.get_body(preferencelist=("plain",))
    assert body is not None
    text: str = body.get_content()
    return text
