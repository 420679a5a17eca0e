"""An order Partner Center would refuse as declared is blocked in the plan, before the customer is created."""

from __future__ import annotations

from pathlib import Path

from tests.cli import Run

from .conftest import CUSTOMERS

ORDER = "fourth-coffee/order-subscription/northwind-fourthcoffee-m365bb"


def _declare(workdir: Path, old: str, new: str) -> None:
    path = workdir / CUSTOMERS / "fourth-coffee.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_term_the_offer_does_not_have_blocks_only_the_order_and_names_the_terms_that_exist(
    cspsync: Run, workdir: Path
) -> None:
    _declare(workdir, "term: P1M", "term: P3Y")
    plan = cspsync("plan", CUSTOMERS)
    assert plan.code == 1
    assert (
        "  ! order northwind-fourthcoffee-m365bb: 8 × CFQ7TTC0LH18:0001 (P3Y, billed monthly, auto-renew on)\n"
    ) in plan.out
    assert (
        f"      blocked: {CUSTOMERS}/fourth-coffee.yaml: subscription northwind-fourthcoffee-m365bb declares offer "
        "CFQ7TTC0LH18:0001 as P3Y billed monthly, which Partner Center does not sell in FR; the terms it has there: "
        "P1M billed monthly, P1Y billed monthly, P1Y billed annually; change term or billingCycle to one of them. "
        "Only this order is held back: the rest of the customer is still applied; apply again once fixed\n"
    ) in plan.out
    assert f"Error: 1 action(s) are blocked or refused, so they cannot be applied as declared: {ORDER}" in plan.err

    applied = cspsync("apply", CUSTOMERS, "--yes")
    assert applied.code == 1
    assert "✓ fourth-coffee/create-customer: done" in applied.out
    assert "✓ fourth-coffee/create-agreement: done" in applied.out
    assert "✗" not in applied.out  # nothing failed half-way: the order was never sent

    _declare(workdir, "term: P3Y", "term: P1Y")  # the partner fixes the file and applies again
    again = cspsync("apply", CUSTOMERS, "--yes")
    assert again.code == 0
    assert f"✓ {ORDER}: done" in again.out


def test_more_seats_than_one_subscription_may_have_are_blocked_before_checkout(cspsync: Run, workdir: Path) -> None:
    """Business Basic sells at most 300 seats a subscription (the SKU's maximumQuantity, in the availability
    the plan reads anyway): 301 passed the plan and failed at checkout, after the tenant and agreement."""
    _declare(workdir, "quantity: 8", "quantity: 301")

    plan = cspsync("plan", CUSTOMERS)

    assert plan.code == 1
    assert (
        f"      blocked: {CUSTOMERS}/fourth-coffee.yaml: subscription northwind-fourthcoffee-m365bb declares offer "
        "CFQ7TTC0LH18:0001 with 301 seats; Partner Center sells at most 300 seats of it in one subscription (the "
        "SKU's maximumQuantity); lower quantity to 300, and declare another subscription (its own friendlyName) "
        "for the rest. Only this order is held back"
    ) in plan.out
    applied = cspsync("apply", CUSTOMERS, "--yes")
    assert "✓ fourth-coffee/create-customer: done" in applied.out
    assert "✗" not in applied.out  # the order was never sent

    _declare(workdir, "quantity: 301", "quantity: 300")
    again = cspsync("apply", CUSTOMERS, "--yes", "--allow-over-budget")  # EUR 2,016 a month: over its ceiling
    assert again.code == 0, again.out + again.err
    assert f"✓ {ORDER}: done" in again.out


def test_a_product_id_typo_is_blocked_with_partner_centers_answer(cspsync: Run, workdir: Path) -> None:
    _declare(workdir, "productId: CFQ7TTC0LH18", "productId: CFQ7TTC0LH19")
    plan = cspsync("plan", CUSTOMERS)
    assert plan.code == 1
    assert (
        f"      blocked: {CUSTOMERS}/fourth-coffee.yaml: subscription northwind-fourthcoffee-m365bb declares offer "
        "CFQ7TTC0LH19:0001, which Partner Center does not have (Product was not found.); correct offer.productId "
        "and offer.skuId"
    ) in plan.out
    # blocked, so not counted: no unknown cost holds the budget back
    assert "OVER BUDGET" not in plan.out


def test_a_saved_plan_with_only_blocked_actions_shows_why_before_it_refuses(cspsync: Run, workdir: Path) -> None:
    """`apply plan.json` said "each one says above why", with nothing above."""
    fourth = f"{CUSTOMERS}/fourth-coffee.yaml"
    assert cspsync("apply", fourth, "--yes").code == 0
    _declare(workdir, "term: P1M", "term: P3Y")
    _declare(workdir, "friendlyName: northwind-fourthcoffee-m365bb", "friendlyName: northwind-fourthcoffee-p3y")
    assert cspsync("plan", fourth, "--out", "plan.json").code == 1

    applied = cspsync("apply", "plan.json", "--yes")

    assert applied.code == 1
    # the reason, above the error (here: a new name for a live subscription of the same offer is not an order)
    assert "blocked: the live subscription 'northwind-fourthcoffee-m365bb'" in applied.out
    assert "hint: each one says above why" in applied.err
