"""The renewals list shows Partner Center's text escaped: a friendly name cannot forge a line or a link, in the
terminal or in JSON."""

from __future__ import annotations

import datetime as dt
import json

from cspsync.plan.renewals import Renewal, RenewalReport
from cspsync.render.renewals import render_renewals, render_renewals_json

HOSTILE = "m365\n::error::forged \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \u202eevil"


def _hostile_report(*, auto_renew: bool) -> RenewalReport:
    """One renewal whose friendly name, and one read failure whose message, are hostile text."""
    renewal = Renewal(
        customer="contoso-bikes",
        friendly_name=HOSTILE,
        subscription_id="0c0e2b44-1f25-4f5c-9d8e-2a8f3c1b7e10",
        offer_id="CFQ7TTC0LH18:0001:0001",
        quantity=12,
        term="P1Y",
        billing_cycle="monthly",
        renews_on=dt.date(2027, 1, 1),
        auto_renew=auto_renew,
    )
    return RenewalReport(dt.date(2026, 12, 3), 30, (renewal,), unknown=(f"litware: HTTP 500: {HOSTILE}",))


def test_a_hostile_friendly_name_and_read_failure_are_shown_escaped() -> None:
    report = _hostile_report(auto_renew=True)

    text = render_renewals(report)

    assert text == (
        "Renewals from 2026-12-03 for the next 30 day(s):\n"
        "  2027-01-01  contoso-bikes/m365\\n::error::forged \\x1b]8;;https://evil.example\\x07link\\x1b]8;;\\x07 "
        "\\u202eevil: renews; 12 × CFQ7TTC0LH18:0001:0001, P1Y, billed monthly\n"
        "  unknown: litware: HTTP 500: m365\\n::error::forged \\x1b]8;;https://evil.example\\x07link\\x1b]8;;\\x07 "
        "\\u202eevil (not checked)\n"
    )


def test_as_json_the_same_text_comes_back_exactly_and_no_control_character_is_written_raw() -> None:
    report = _hostile_report(auto_renew=False)

    text = render_renewals_json(report)

    assert not any(ch in text for ch in "\x1b\x07\r")
    assert text.count("\n") == len(text.splitlines())  # only the layout's own line breaks
    document = json.loads(text)
    assert document["renewals"][0]["friendly_name"] == HOSTILE
    assert document["renewals"][0]["auto_renew"] is False
    assert document["renewals"][0]["money"] is None
    assert document["unknown"] == [f"litware: HTTP 500: {HOSTILE}"]
