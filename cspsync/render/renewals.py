"""``cspsync renewals`` as text (one line per subscription that renews in the window, earliest first) or as
JSON for a billing system or a CRM (the same renewals, the same order, money as decimal strings).

Friendly names, offer ids and read failures come from Partner Center: each is escaped for the terminal; JSON
escapes them itself.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from cspsync.plan.renewals import Renewal, RenewalReport
from cspsync.render.escape import terminal as t
from cspsync.render.money import renewal_text

_CYCLE = {"monthly": "billed monthly", "annual": "billed annually", "triennial": "billed every three years"}


def _scheduled(renewal: Renewal) -> str:
    s = renewal.scheduled
    if s is None:
        return ""
    parts = [
        f"{label} → {t(str(value))}"
        for label, value in (
            ("offer", s.offer),
            ("quantity", s.quantity),
            ("billingCycle", s.billing_cycle),
            ("termDuration", s.term),
        )
        if value is not None
    ]
    return f"\n      scheduled at renewal: {', '.join(parts)}" if parts else ""


def _money(renewal: Renewal) -> str:
    return f"\n      next term: {renewal_text(renewal.money)}" if renewal.money is not None else ""


def render_renewals(report: RenewalReport) -> str:
    lines = [f"Renewals from {report.today.isoformat()} for the next {report.days} day(s):"]
    for r in report.renewals:
        cycle = _CYCLE.get((r.billing_cycle or "").lower(), r.billing_cycle or "")
        what = "renews" if r.auto_renew else "ENDS (auto-renew off)"
        lines.append(
            f"  {r.renews_on.isoformat()}  {t(r.customer)}/{t(r.friendly_name)}: {what}; {r.quantity} × "
            f"{t(r.offer_id)}, {t(str(r.term))}, {t(cycle)}{_scheduled(r)}{_money(r)}"
        )
    if not report.renewals:
        lines.append("  nothing renews in this window")
    lines += [f"  unknown: {t(reason)} (not checked)" for reason in report.unknown]
    lines += [f"  costs unknown: {t(reason)}" for reason in report.costs_unknown]
    return "\n".join(lines) + "\n"


#: the JSON document's version: a field removed or changed in meaning makes it 2
RENEWALS_FORMAT_VERSION = 1


def _renewal_json(renewal: Renewal) -> dict[str, Any]:
    data = dataclasses.asdict(dataclasses.replace(renewal, money=None))  # the money is dumped as pydantic does
    data["renews_on"] = renewal.renews_on.isoformat()
    data["money"] = renewal.money.model_dump(mode="json", exclude_none=True) if renewal.money is not None else None
    return data


def render_renewals_json(report: RenewalReport) -> str:
    """The report for machines: what the text says, with every field (``unknown`` customers were not read,
    so nothing in the window is known of them: they are never "nothing renews")."""
    document = {
        "format_version": RENEWALS_FORMAT_VERSION,
        "today": report.today.isoformat(),
        "days": report.days,
        "renewals": [_renewal_json(r) for r in report.renewals],
        "unknown": list(report.unknown),
        "costs_unknown": list(report.costs_unknown),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
