"""An applied customer's billing profile edits through the CLI: what the plan shows is what apply sends."""

from __future__ import annotations

from pathlib import Path

from tests.cli import Run

from .conftest import CUSTOMERS

CONTOSO = f"{CUSTOMERS}/contoso-bikes.yaml"


def test_a_new_company_name_is_applied_with_the_other_billing_changes(cspsync: Run, workdir: Path) -> None:
    """update-customer-account-info: the partner changes a customer's company name in its billing information,
    so a renamed company is a ready update that applies, together with a new billing e-mail."""
    assert cspsync("apply", CONTOSO, "--yes").code == 0
    path = workdir / CONTOSO
    text = path.read_text().replace("name: Contoso Bikes Ltd", "name: Contoso Cycles Ltd")
    path.write_text(text.replace("billingEmail: accounts@", "billingEmail: billing@"))
    planned = cspsync("plan", CONTOSO)
    assert planned.code == 0, planned.out
    assert 'companyName: "Contoso Bikes Ltd" → "Contoso Cycles Ltd"' in planned.out
    assert 'email: "accounts@contosobikes.co.uk" → "billing@contosobikes.co.uk"' in planned.out
    applied = cspsync("apply", CONTOSO, "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert "cannot be changed" not in applied.out + applied.err
    after = cspsync("plan", CONTOSO)
    assert after.code == 0, after.out  # in sync: the new name and e-mail are Partner Center's now
    assert "update billing profile" not in after.out
