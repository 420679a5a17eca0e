"""Offer changes end to end: an upgrade now, another offer at renewal, and a change Partner Center does not offer.

The emulator's upgrade ladder (cspsync/emulator/upgrades.py): Business Premium upgrades to Microsoft 365 E3
now, changes to Business Standard only at renewal, and has no path to Office 365 E3.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cspsync.emulator import Store
from tests.cli import Run

CUSTOMERS = "examples/customers"
DOMAIN = "contosobikes.onmicrosoft.com"
NAME = "fabrikam-contosobikes-m365bp"
PREMIUM = 'productId: CFQ7TTC0LCHC\n        skuId: "0002"'


def _live(workdir: Path) -> list[dict[str, object]]:
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        tenant = store.tenant_by_domain(DOMAIN)
        assert tenant is not None
        return store.subscriptions(tenant.id)
    finally:
        store.close()


def _declare(workdir: Path, product: str, sku: str) -> None:
    path = workdir / CUSTOMERS / "contoso-bikes.yaml"
    text = path.read_text()
    assert PREMIUM in text
    path.write_text(text.replace(PREMIUM, f'productId: {product}\n        skuId: "{sku}"'))


def test_an_upgrade_path_is_planned_as_an_upgrade_applied_and_the_next_plan_is_empty(
    cspsync: Run, workdir: Path
) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    before = next(s for s in _live(workdir) if s["friendlyName"] == NAME)
    _declare(workdir, "CFQ7TTC0LFLX", "0001")

    plan = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert plan.code == 2, plan.out + plan.err
    assert (
        f"  ~ upgrade subscription {NAME}: 12 × CFQ7TTC0LCHC:0002 → CFQ7TTC0LFLX:0001 now (Partner Center's "
        'upgrade path; the term\'s end date stays)\n      offer: "CFQ7TTC0LCHC:0002" → "CFQ7TTC0LFLX:0001"\n'
    ) in plan.out
    assert "0 to create, 1 to update" in plan.out
    # both sides of the money: the new offer, the old one it replaces, and the net
    assert "      money: +GBP 399.60/month to the customer (retail-gbp), cost +GBP 355.20" in plan.out
    assert "      replaces: -GBP 258.00/month to the customer (retail-gbp), cost -GBP 217.20" in plan.out
    assert "      net: +GBP 141.60/month to the customer, cost +GBP 138.00, margin +GBP 3.60 (2.5%)" in plan.out
    assert "total: GBP 141.60/month to the customer, cost GBP 138.00" in plan.out

    applied = cspsync("apply", CUSTOMERS, "--yes")
    assert applied.code == 0, applied.out + applied.err
    live = _live(workdir)
    upgraded = next(s for s in live if s["friendlyName"] == NAME and s["status"] == "active")
    assert str(upgraded["offerId"]).startswith("CFQ7TTC0LFLX:0001:")
    assert upgraded["quantity"] == 12 and upgraded["commitmentEndDate"] == before["commitmentEndDate"]
    assert next(s for s in live if s["id"] == before["id"])["status"] == "expired"

    again = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def test_an_offer_only_allowed_at_renewal_is_scheduled_and_the_next_plan_is_empty(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    before = next(s for s in _live(workdir) if s["friendlyName"] == NAME)
    ends = dt.datetime.fromisoformat(str(before["commitmentEndDate"]).replace("Z", "+00:00")).date()
    _declare(workdir, "CFQ7TTC0LDPB", "0001")

    plan = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert plan.code == 2, plan.out + plan.err
    renews = (ends + dt.timedelta(days=1)).isoformat()
    assert (
        f"  ~ update subscription {NAME} at renewal on {renews} (Partner Center offers this change of offer at "
        'renewal, not as an upgrade now)\n      offer: "CFQ7TTC0LCHC:0002" → "CFQ7TTC0LDPB:0001"\n'
    ) in plan.out

    applied = cspsync("apply", CUSTOMERS, "--yes")
    assert applied.code == 0, applied.out + applied.err
    scheduled = next(s for s in _live(workdir) if s["id"] == before["id"])["scheduledNextTermInstructions"]
    assert isinstance(scheduled, dict)
    assert scheduled["product"]["productId"] == "CFQ7TTC0LDPB" and scheduled["quantity"] == 12
    again = cspsync("plan", CUSTOMERS, "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def test_an_offer_change_partner_center_does_not_offer_is_blocked_with_the_reason(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    count = len(_live(workdir))
    _declare(workdir, "CFQ7TTC0LF8Q", "0001")

    plan = cspsync("plan", CUSTOMERS)
    assert 'offer: "CFQ7TTC0LCHC:0002" → "CFQ7TTC0LF8Q:0001"' in plan.out
    assert "Partner Center lists no upgrade to it and no change to it at renewal" in plan.out
    applied = cspsync("apply", CUSTOMERS, "--yes")
    assert len(_live(workdir)) == count, applied.out
    assert all(not str(s["offerId"]).startswith("CFQ7TTC0LF8Q") for s in _live(workdir))


def test_an_offer_change_at_renewal_shows_both_sides_of_the_money_from_the_renewal_on(
    cspsync: Run, workdir: Path
) -> None:
    """The new offer, the old one it replaces at renewal, and the net; nothing is invoiced or committed now."""
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    before = next(s for s in _live(workdir) if s["friendlyName"] == NAME)
    renews = dt.datetime.fromisoformat(str(before["commitmentEndDate"]).replace("Z", "+00:00")).date()
    renews += dt.timedelta(days=1)
    _declare(workdir, "CFQ7TTC0LDPB", "0001")

    plan = cspsync("plan", CUSTOMERS)
    day = renews.isoformat()
    assert (
        f"  ~ update subscription {NAME} at renewal on {day} (Partner Center offers this change of offer at "
        'renewal, not as an upgrade now)\n      offer: "CFQ7TTC0LCHC:0002" → "CFQ7TTC0LDPB:0001"\n'
        "      money: +GBP 148.32/month to the customer (retail-gbp), cost +GBP 123.60, margin +GBP 24.72 (16.7%) "
        f"(from the renewal on {day})\n"
        "      replaces: -GBP 258.00/month to the customer (retail-gbp), cost -GBP 217.20, margin -GBP 40.80 (15.8%)\n"
        "      net: -GBP 109.68/month to the customer, cost -GBP 93.60, margin -GBP 16.08 (14.7%)\n"
    ) in plan.out, plan.out
    assert (
        "    total: -GBP 109.68/month to the customer, cost -GBP 93.60, margin -GBP 16.08 (14.7%); commitments "
        "GBP 0.00 to the customer, cost GBP 0.00\n"  # nothing is committed or invoiced up front now
    ) in plan.out
