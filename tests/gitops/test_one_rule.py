"""Bugs that came from a rule written twice, and from scope: each failed before the rule had one home."""

from __future__ import annotations

from cspsync.apply.record import ApplyRecord
from cspsync.emulator.store import Store
from tests.cli import Run


def test_a_disabled_subscription_is_reordered_once_then_the_plan_is_empty(
    cspsync: Run, applied: ApplyRecord, store: Store
) -> None:
    """The planner counted ``disabled`` as gone and apply did not: ``+ order`` forever, "already done" each time."""
    contoso = store.tenant_by_domain("contosobikes.onmicrosoft.com")
    assert contoso is not None
    store.set_subscription_fields(contoso.id, "fabrikam-contosobikes-m365bp", status="disabled")

    first = cspsync("plan", "customers/contoso-bikes.yaml")
    assert "+ order fabrikam-contosobikes-m365bp: 12 × CFQ7TTC0LCHC:0002" in first.out

    applied_now = cspsync("apply", "customers/contoso-bikes.yaml", "--yes")
    assert applied_now.code == 0, applied_now.out + applied_now.err
    assert "✓ contoso-bikes/order-subscription/fabrikam-contosobikes-m365bp: done" in applied_now.out
    assert "already exists" not in applied_now.out

    again = cspsync("plan", "customers/contoso-bikes.yaml")
    assert "order fabrikam-contosobikes-m365bp" not in again.out
    assert "No changes." in again.out


def test_a_plan_of_one_file_does_not_call_the_other_declared_customers_unmanaged(
    cspsync: Run, applied: ApplyRecord
) -> None:
    result = cspsync("plan", "customers/contoso-bikes.yaml")
    assert result.code == 0, result.out + result.err
    assert "unmanaged customer" not in result.out
    assert "tailspintoys" not in result.out and "litware" not in result.out
