"""cspsync against Partner Center's slower answers: orders provisioned after a delay, PATCH answered 202."""

from __future__ import annotations

from pathlib import Path

import pytest

from cspsync.emulator import Store
from tests.cli import Run

CUSTOMERS = "examples/customers"


def _subscriptions(workdir: Path, domain: str) -> list[str]:
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        tenant = store.tenant_by_domain(domain)
        assert tenant is not None
        return sorted(s["friendlyName"] for s in store.subscriptions(tenant.id))
    finally:
        store.close()


def test_an_apply_again_while_orders_provision_never_orders_twice(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Create an Azure plan: an order can take up to 15 minutes to appear; until then neither it nor its
    subscription is listed, so the subscription list cannot tell cspsync that it was bought."""
    monkeypatch.setenv("CSPSYNC_EMULATOR_ORDER_DELAY_SECONDS", "900")
    first = cspsync("apply", CUSTOMERS, "--yes")
    assert first.code == 0, first.out + first.err
    assert "subscription id pending" in first.out

    planned = cspsync("plan", CUSTOMERS)
    again = cspsync("apply", CUSTOMERS, "--yes")

    # planned as waiting for Partner Center, not as new orders: no money counted again, nothing ordered twice
    assert planned.code == 0, planned.out + planned.err
    assert (
        "  + order fabrikam-contosobikes-m365bp: 12 × CFQ7TTC0LCHC:0002 (P1Y, billed monthly, auto-renew on)\n"
        "      waiting: already ordered (order "
    ) in planned.out
    assert (
        " of an earlier apply), still being provisioned: Partner Center lists an order's subscriptions up to 15 "
        "minutes after checkout; plan again then (apply orders nothing twice)\n"
    ) in planned.out
    assert "GBP" not in planned.out  # the money of Contoso's and Alpine's orders is not counted again
    assert planned.out.endswith("Plan: 0 to create, 0 to update, 0 to cancel, 18 waiting.\n")
    assert again.code == 0, again.out + again.err
    assert "every change waits (for a person, or for an order to be provisioned)" in again.out
    assert _subscriptions(workdir, "contosobikes.onmicrosoft.com") == [
        "fabrikam-contosobikes-azure",
        "fabrikam-contosobikes-m365bp",
    ]


def test_a_patch_answered_202_is_followed_by_a_read(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Change the quantity of a subscription: a longer update answers 202 and a Location to poll."""
    assert cspsync("apply", CUSTOMERS, "--yes").code == 0
    monkeypatch.setenv("CSPSYNC_EMULATOR_ACCEPT_PATCHES", "1")
    path = workdir / CUSTOMERS / "contoso-bikes.yaml"
    path.write_text(path.read_text().replace("quantity: 12", "quantity: 15"))

    applied = cspsync("apply", CUSTOMERS, "--yes")

    assert applied.code == 0, applied.out + applied.err
    assert "fabrikam-contosobikes-m365bp: quantity → 15" in applied.out
    assert cspsync("plan", CUSTOMERS, "--detailed-exitcode").code == 0
