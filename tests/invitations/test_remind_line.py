"""A reminder's result line shows a mail server's refusal escaped: its text cannot move the cursor or forge a line."""

from __future__ import annotations

from cspsync.commands.invitations import _line
from cspsync.invitations.followup import FollowUp


def test_a_hostile_refusal_is_shown_escaped() -> None:
    refusal = "reminder 1 of 3 not sent: smtp.example refused the recipient: 550 \x1b]8;;https://evil.example\x07x"
    result = FollowUp("litware", "litware.ie", "it@litware.ie", "failed", refusal)

    line = _line(result, dry_run=False)

    assert "\x1b" not in line and "\x07" not in line
    assert line.endswith("550 \\x1b]8;;https://evil.example\\x07x")
