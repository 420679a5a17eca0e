"""Exit codes a CI can trust: blocked or refused actions exit 1 after the plan is printed; waiting for a
customer is not an error; a customer whose reads failed is left out while the others are applied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

import cspsync.emulator as emulator_module
from cspsync.emulator import Store
from tests.cli import Run

CONTOSO = "examples/customers/contoso-bikes.yaml"
ALPINE = "examples/customers/alpine-ski-house.yaml"


def _edit(workdir: Path, path: str, old: str, new: str) -> None:
    file = workdir / path
    file.write_text(file.read_text().replace(old, new))


def test_a_refused_action_makes_plan_and_apply_exit_1_and_the_rest_is_applied(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CONTOSO, ALPINE, "--yes").code == 0
    _edit(workdir, CONTOSO, "quantity: 12", "quantity: 10")  # refused: allowQuantityDecrease is false
    _edit(workdir, ALPINE, "quantity: 15", "quantity: 16")

    plan = cspsync("plan", CONTOSO, ALPINE, "--detailed-exitcode")
    assert plan.code == 1, plan.out + plan.err
    assert "refused: quantity decrease 12 → 10 needs destructive.allowQuantityDecrease: true" in plan.out
    assert plan.out.rstrip().endswith("blocked.")  # the whole plan was printed first
    assert (
        "Error: 1 action(s) are blocked or refused, so they cannot be applied as declared: "
        "contoso-bikes/update-subscription/fabrikam-contosobikes-m365bp/quantity" in plan.err
    )

    applied = cspsync("apply", CONTOSO, ALPINE, "--yes")
    assert applied.code == 1, applied.out + applied.err
    assert "✓ alpine-ski-house/update-subscription/northwind-alpineski-m365e3/quantity: done" in applied.out
    assert "1 action(s) are blocked or refused" in applied.err


def test_waiting_for_a_customer_is_not_an_error(cspsync: Run) -> None:
    litware = "examples/customers/litware.yaml"
    assert cspsync("apply", litware, "--yes").code == 0  # sends the invitation
    plan = cspsync("plan", litware, "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    applied = cspsync("apply", litware, "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert "Nothing can be applied now: every change waits (for a person, or for an order to be provisioned)." in (
        applied.out
    )


def test_a_customer_whose_read_fails_is_unknown_while_the_others_apply(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cspsync("apply", CONTOSO, ALPINE, "--yes").code == 0
    _edit(workdir, CONTOSO, "quantity: 12", "quantity: 13")
    _edit(workdir, ALPINE, "quantity: 15", "quantity: 16")
    store = Store(workdir / ".cspsync" / "emulator.db")
    contoso = store.tenant_by_domain("contosobikes.onmicrosoft.com")
    store.close()
    assert contoso is not None

    def failing(app: Any) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            if request.method == "GET" and request.url.path == f"/v1/customers/{contoso.id}/subscriptions":
                return httpx.Response(
                    403, json={"code": 900403, "description": "Access to this resource is forbidden."}
                )
            answer: httpx.Response = app(request)
            return answer

        return httpx.MockTransport(handle)

    monkeypatch.setattr(emulator_module, "transport", failing)
    applied = cspsync("apply", CONTOSO, ALPINE, "--yes")

    assert applied.code == 1, applied.out + applied.err
    assert "✓ alpine-ski-house/update-subscription/northwind-alpineski-m365e3/quantity: done" in applied.out
    assert "✓ contoso-bikes/" not in applied.out  # nothing is applied to a customer whose state is unknown
    assert "contoso-bikes  (examples/customers/contoso-bikes.yaml)  create contosobikes.onmicrosoft.com · unknown" in (
        applied.out
    )
    assert "Error: not applied, its state is unknown: contoso-bikes: subscriptions could not be read" in applied.err


def test_a_reseller_partner_center_does_not_list_is_blocked_in_the_plan_not_at_apply(
    cspsync: Run, workdir: Path
) -> None:
    _edit(
        workdir,
        "examples/cspsync.yaml",
        "  resellers:\n",
        "  resellers:\n    - name: Contoso Resale\n"
        '      tenantId: 0f0e0d0c-0b0a-4909-8807-060504030201\n      mpnId: "7000001"\n',
    )
    _edit(
        workdir, "examples/customers/fourth-coffee.yaml", "reseller: Northwind Traders IT", "reseller: Contoso Resale"
    )
    fourth = "examples/customers/fourth-coffee.yaml"

    plan = cspsync("plan", fourth)
    assert plan.code == 1, plan.out + plan.err
    assert "Partner Center does not list it among your indirect resellers (Contoso Resale" in plan.out
    applied = cspsync("apply", fourth, "--yes")
    assert applied.code == 1
    assert "800016" not in applied.out.split("Plan:")[-1]  # no call was refused: nothing was sent
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        assert store.tenant_by_domain("fourthcoffeefr.onmicrosoft.com") is None
    finally:
        store.close()
