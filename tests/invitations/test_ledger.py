"""The ledgers are the only memory of what was sent: a damaged one stops cspsync, it never forgets."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cspsync.errors import CspsyncError
from cspsync.invitations.ledger import record_approvals, record_sent, sent_approvals, sent_invitations
from cspsync.mail.base import Delivery
from cspsync.workspace import Workspace

WHEN = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
DELIVERY = Delivery("outbox", "<m1@fabrikam.example>", "it.admin@litware.ie", "outbox/litware.eml")


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path / ".cspsync")
    workspace.ensure()
    return workspace


def test_an_invitation_entry_that_is_not_a_mapping_is_an_error_not_an_invitation_never_sent(
    workspace: Workspace,
) -> None:
    workspace.invitations_ledger.write_text(
        json.dumps({"formatVersion": "1", "invitations": {"litware": "sent on Monday"}}), encoding="utf-8"
    )
    with pytest.raises(CspsyncError, match=r"the entry 'litware' is a str, not a mapping") as raised:
        sent_invitations(workspace)
    assert "restore it" in (raised.value.hint or "")
    with pytest.raises(CspsyncError):  # and the next write does not drop it for good
        record_sent(workspace, "northwind", domain="nw.example", delivery=DELIVERY, when=WHEN, link="https://x")
    assert "sent on Monday" in workspace.invitations_ledger.read_text(encoding="utf-8")


def test_a_damaged_approvals_ledger_stops_the_write_and_is_left_as_it_was(workspace: Workspace) -> None:
    workspace.approvals_ledger.write_text("{not json", encoding="utf-8")
    with pytest.raises(CspsyncError, match=r"the admin approvals ledger .* cannot be read"):
        sent_approvals(workspace)
    with pytest.raises(CspsyncError, match=r"the admin approvals ledger .* cannot be read"):
        record_approvals(workspace, "litware", [("support", "rel-1")], delivery=DELIVERY, when=WHEN)
    assert workspace.approvals_ledger.read_text(encoding="utf-8") == "{not json"


def test_approvals_are_recorded_and_read_back(workspace: Workspace) -> None:
    record_approvals(workspace, "litware", [("support", "rel-1")], delivery=DELIVERY, when=WHEN)
    record_approvals(workspace, "litware", [("security", "rel-2")], delivery=DELIVERY, when=WHEN)
    sent = sent_approvals(workspace)
    assert sorted(sent) == ["rel-1", "rel-2"]
    assert sent["rel-2"].relationship == "security" and sent["rel-2"].to == "it.admin@litware.ie"
