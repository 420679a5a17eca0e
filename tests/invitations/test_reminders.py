"""Reminders follow the schedule: ``reminderAfterDays`` after the last message, at most ``maxReminders``,
never once Partner Center lists the customer, never to an address the file no longer declares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

import cspsync.commands.apply
import cspsync.commands.emulator
import cspsync.commands.invitations
import cspsync.commands.plan
from cspsync.emulator import Store
from cspsync.emulator.handlers.graph import GraphMail, sent_mail
from tests.cli import Run

from .conftest import part, use_graph

LITWARE = "examples/customers/litware.yaml"
#: imported before any clock is frozen: a pydantic model built under freezegun sees its fake date class
COMMANDS = (cspsync.commands.apply, cspsync.commands.emulator, cspsync.commands.invitations, cspsync.commands.plan)


def _sent(workdir: Path) -> list[GraphMail]:
    with Store(workdir / ".cspsync" / "emulator.db") as store:
        return sent_mail(store)


def _ledger(workdir: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((workdir / ".cspsync" / "invitations.json").read_text())
    return dict(document["invitations"]["litware"])


def test_reminders_follow_the_schedule_until_none_are_left(cspsync: Run, workdir: Path) -> None:
    use_graph(workdir, reminder_after_days=7, max_reminders=2)
    with freeze_time("2026-11-05 09:00:00"):
        assert cspsync("apply", LITWARE, "--yes").code == 0
    [invitation] = _sent(workdir)

    with freeze_time("2026-11-11 09:00:00"):
        early = cspsync("invitations", "remind", LITWARE)
    assert early.out == (
        "· litware: waiting since 2026-11-05, reminded 0 times; next reminder on 2026-11-12\n\nReminders: 1 not due.\n"
    )

    with freeze_time("2026-11-12 10:00:00"):
        dry = cspsync("invitations", "remind", LITWARE, "--dry-run")
        assert _ledger(workdir)["reminders"] == []
        sent = cspsync("invitations", "remind", LITWARE)
        again = cspsync("invitations", "remind", LITWARE)
        plan = cspsync("plan", LITWARE)
    assert dry.out == (
        "→ litware: would send a reminder to it.admin@litware.ie: waiting since 2026-11-05, reminded 0 times; "
        "reminder 1 of 2 is due since 2026-11-12\n\nReminders (dry run: nothing sent): 1 due.\n"
    )
    first, reminder = _sent(workdir)
    assert first == invitation
    assert sent.code == 0
    assert sent.out == (
        "✓ litware: reminder 1 of 2 to it.admin@litware.ie sent by graph; waiting since 2026-11-05, reminded 1 time "
        f"(Message-ID {reminder.message_id})\n\nReminders: 1 sent.\n"
    )
    message = reminder.message()
    assert message["Subject"].startswith("Reminder: Fabrikam Cloud Distribution invite Litware Ireland Ltd")
    assert message["In-Reply-To"] == message["References"] == invitation.message_id
    assert "We wrote to you about this on 2026-11-05 and the invitation is still waiting" in part(message, "plain")
    assert again.out.startswith("· litware: waiting since 2026-11-05, reminded 1 time; next reminder on 2026-11-19\n")
    assert (
        "    invitation sent to it.admin@litware.ie on 2026-11-05 by graph; waiting since 2026-11-05, reminded 1 "
        "time; next reminder on 2026-11-19 (cspsync invitations remind)\n" in plan.out
    )
    assert [r["messageId"] for r in _ledger(workdir)["reminders"]] == [reminder.message_id]

    with freeze_time("2026-11-19 09:00:00"):
        assert cspsync("invitations", "remind", LITWARE).out.startswith("✓ litware: reminder 2 of 2 ")
    with freeze_time("2026-12-31 09:00:00"):
        done = cspsync("invitations", "remind", LITWARE)
        plan = cspsync("plan", LITWARE)
    assert done.out == (
        "! litware: waiting since 2026-11-05, reminded 2 times; no reminders left (invitations.maxReminders is 2)\n"
        "\nReminders: 1 without reminders left.\n"
    )
    assert "reminded 2 times (no reminders left: invitations.maxReminders is 2)\n" in plan.out
    assert len(_sent(workdir)) == 3


def test_no_reminder_once_the_customer_accepted(cspsync: Run, workdir: Path) -> None:
    use_graph(workdir)
    with freeze_time("2026-11-05 09:00:00"):
        assert cspsync("apply", LITWARE, "--yes").code == 0
    assert cspsync("emulator", "accept-invitation", "litware.ie").code == 0
    with freeze_time("2026-11-20 09:00:00"):
        result = cspsync("invitations", "remind", LITWARE)
        status = cspsync("invitations", "status", LITWARE)
    assert result.code == 0
    assert result.out.startswith("= litware: accepted: litware.ie is a customer (")
    assert "); no reminder\n\nReminders: 1 accepted.\n" in result.out
    assert status.out.startswith(
        "litware (litware.ie → it.admin@litware.ie): accepted; invitation sent 2026-11-05 by graph"
    )
    assert len(_sent(workdir)) == 1


def test_a_changed_address_gets_a_new_invitation_and_the_old_one_no_reminder(cspsync: Run, workdir: Path) -> None:
    use_graph(workdir)
    with freeze_time("2026-11-05 09:00:00"):
        assert cspsync("apply", LITWARE, "--yes").code == 0
    path = workdir / LITWARE
    path.write_text(path.read_text().replace("invitationEmail: it.admin@litware.ie", "invitationEmail: ga@litware.ie"))

    with freeze_time("2026-11-20 09:00:00"):
        remind = cspsync("invitations", "remind", LITWARE)
        plan = cspsync("plan", LITWARE)
        applied = cspsync("apply", LITWARE, "--yes")
    assert remind.out.startswith(
        "! litware: the invitation went to it.admin@litware.ie, the file now declares ga@litware.ie: `cspsync apply` "
        "sends a new invitation; no reminder to the old address\n"
    )
    assert (
        "  ! request a reseller relationship: invitation to ga@litware.ie for litware.ie (again: the one of "
        "2026-11-05 went to it.admin@litware.ie)\n" in plan.out
    )
    assert applied.code == 0
    assert [m.recipients for m in _sent(workdir)] == [("it.admin@litware.ie",), ("ga@litware.ie",)]
    assert _ledger(workdir)["to"] == "ga@litware.ie"


def test_status_lists_every_invite_customer(cspsync: Run, workdir: Path) -> None:
    with freeze_time("2026-11-05 09:00:00"):
        assert cspsync("apply", LITWARE, "--yes").code == 0
        result = cspsync(
            "invitations", "status", "examples/customers/litware.yaml", "examples/customers/woodgrove-bank.yaml"
        )
    ledger = _ledger(workdir)
    assert result.out == (
        "litware (litware.ie → it.admin@litware.ie): waiting; invitation sent 2026-11-05 via the outbox (sent by "
        f"hand), Message-ID {ledger['messageId']}\n"
        "    waiting since 2026-11-05, reminded 0 times; next reminder on 2026-11-12\n"
        "woodgrove-bank (woodgrovebank.nl → beheer@woodgrovebank.nl): not sent\n"
        "    no invitation sent yet: `cspsync apply` sends it\n"
    )


def test_status_exits_1_when_where_an_invitation_stands_could_not_be_read(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It exited 0 with every invitation "unknown": a script checking the invitations saw nothing wrong."""
    from cspsync.errors import TransientError
    from cspsync.partnercenter.client import PartnerCenterClient

    with freeze_time("2026-11-05 09:00:00"):
        assert cspsync("apply", LITWARE, "--yes").code == 0

    def unreachable(self: PartnerCenterClient, domain: str) -> None:
        raise TransientError("Partner Center call GET /v1/customers answered 503 (gave up after 6 attempts)")

    monkeypatch.setattr(PartnerCenterClient, "find_customer_by_domain", unreachable)
    with freeze_time("2026-11-20 09:00:00"):
        result = cspsync("invitations", "status", LITWARE)

    assert result.code == 1
    assert result.out.startswith("litware (litware.ie → it.admin@litware.ie): unknown; invitation sent 2026-11-05")
    assert "    could not check whether litware.ie accepted: Partner Center call GET /v1/customers answered 503" in (
        result.out
    )


@pytest.mark.parametrize("command", ["status", "remind"])
def test_no_token_is_one_error_not_every_invitation_unknown(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    from cspsync.errors import AuthenticationError
    from cspsync.partnercenter.client import PartnerCenterClient

    use_graph(workdir)
    with freeze_time("2026-11-05 09:00:00"):
        assert cspsync("apply", LITWARE, "--yes").code == 0

    def no_token(self: PartnerCenterClient, domain: str) -> None:
        raise AuthenticationError(
            "Could not get a Partner Center app token: ConnectError: connection refused",
            hint="check the network to login.microsoftonline.com and the app's credentials",
        )

    monkeypatch.setattr(PartnerCenterClient, "find_customer_by_domain", no_token)
    with freeze_time("2026-11-20 09:00:00"):
        result = cspsync("invitations", command, LITWARE)

    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "Error: Could not get a Partner Center app token: ConnectError: connection refused\n"
        "  hint: check the network to login.microsoftonline.com and the app's credentials\n"
    )
    assert len(_sent(workdir)) == 1  # no reminder went out
