"""The drift issue body within GitHub's limit: a distributor's drift of thousands of customers (or a day when
Partner Center's reads fail for thousands) listed every one, and GitHub refuses an issue body over 65,536
characters whole, so the scheduled job failed instead of raising the alert."""

from __future__ import annotations

from cspsync.gitops.drift import CustomerDrift, DriftReport
from cspsync.observe.association import Finding
from cspsync.render.drift import render_drift
from cspsync.render.markdown import LIMIT

from .test_plan import _plan

PARTNER = "6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"


def test_a_drift_of_thousands_of_customers_fits_one_issue_body_and_says_what_was_left_out() -> None:
    plan = _plan(customers=20)
    drifted = tuple(
        CustomerDrift(f"customer-{i}", f"customers/customer-{i}.yaml", "Contoso Bikes Ltd", "drifted", plan.actions[:2])
        for i in range(4_000)
    )
    unknown = tuple(
        CustomerDrift(f"lost-{i}", f"customers/lost-{i}.yaml", "Lost Ltd", "unknown", note="the read failed: 503")
        for i in range(2_000)
    )
    findings = tuple(
        Finding(f"customer-{i}", "missing-reseller", "Fabrikam", PARTNER, "no relationship") for i in range(2_000)
    )
    report = DriftReport(plan, drifted + unknown, findings)

    body = render_drift(report, "markdown")

    assert len(body) <= LIMIT
    assert "more customer(s): `cspsync drift` prints them all" in body  # the unknown ones
    assert "| … and " in body and "more customer(s) | | | |" in body  # the table
    assert "more finding(s): `cspsync drift` prints them all | | |" in body
    assert "customer section(s) omitted" in body
    assert body.count("| customer\\-") > 100  # the table still shows many
