"""``cspsync emulator seed --price-sheet``: the partner's own catalog and prices, then a plan whose money
is those prices (cost from the sheet, the customer's price from the pricebook over it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import Run

CONTOSO = "examples/customers/contoso-bikes.yaml"
HEADER = (
    '"ProductTitle","ProductId","SkuId","SkuTitle","Publisher","SkuDescription","UnitOfMeasure","TermDuration",'
    '"BillingPlan","Market","Currency","UnitPrice","PricingTierRangeMin","PricingTierRangeMax",'
    '"EffectiveStartDate","EffectiveEndDate","Tags","ERP Price"\n'
)


def _row(product: str, sku: str, title: str, plan: str, price: str) -> str:
    return (
        f'"{title}","{product}","{sku}","{title}","Microsoft Corporation","{title}","1 License","P1Y","{plan}",'
        f'"GB","GBP","{price}","","","11/1/2026 12:00:00 AM","","License","0"\n'
    )


def test_a_plan_after_seeding_a_price_sheet_costs_what_the_sheet_says(cspsync: Run, workdir: Path) -> None:
    sheet = workdir / "gb.csv"
    sheet.write_text(
        HEADER
        + _row("CFQ7TTC0LCHC", "0002", "Microsoft 365 Business Premium", "Monthly", "19.75")
        + _row("CFQ7TTC0LCHC", "0002", "Microsoft 365 Business Premium", "Annual", "237.00")
    )
    seeded = cspsync("emulator", "seed", "examples/emulator-seed.yaml", "--price-sheet", str(sheet))
    assert seeded.code == 0, seeded.err
    assert "Catalog from 1 price sheet(s): 2 offer(s) in GB." in seeded.out  # and the Azure plan

    plan = cspsync("plan", CONTOSO)
    assert plan.code == 0, plan.out + plan.err
    # 12 seats × GBP 19.75 = 237.00 a month at cost; the pricebook's promised price stays GBP 21.50 a seat
    assert "  + order fabrikam-contosobikes-m365bp: 12 × CFQ7TTC0LCHC:0002 (P1Y, billed monthly" in plan.out
    assert "money: GBP 258.00/month to the customer (retail-gbp), cost GBP 237.00, margin GBP 21.00 (8.1%)" in (
        plan.out
    )

    applied = cspsync("apply", CONTOSO, "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert "fabrikam-contosobikes-m365bp: done" in applied.out


def test_an_offer_the_sheet_does_not_sell_is_named_in_the_plan_and_blocked_with_partner_centers_answer(
    cspsync: Run, workdir: Path
) -> None:
    """The emulator then sells only the sheet's offers, as Partner Center sells only its catalog (400013): the
    plan reads the offer's availabilities and blocks the order, so apply never sends it."""
    sheet = workdir / "gb.csv"
    sheet.write_text(HEADER + _row("CFQ7TTC0LFLX", "0001", "Microsoft 365 E3", "Monthly", "30.00"))
    assert cspsync("emulator", "seed", "examples/emulator-seed.yaml", "--price-sheet", str(sheet)).code == 0
    plan = cspsync("plan", CONTOSO)
    assert "(CFQ7TTC0LCHC:0002 P1Y monthly is not in the market's price sheet)" in plan.out
    assert "declares offer CFQ7TTC0LCHC:0002, which Partner Center does not have (Product was not found.)" in (plan.out)
    applied = cspsync("apply", CONTOSO, "--yes")
    assert applied.code == 1
    assert "failed" not in applied.out
    assert (
        "1 action(s) are blocked or refused, so they cannot be applied as declared: "
        "contoso-bikes/order-subscription/fabrikam-contosobikes-m365bp"
    ) in applied.err


def test_seeding_new_prices_after_a_plan_drops_the_sheets_cached_from_the_old_ones(cspsync: Run, workdir: Path) -> None:
    """The month's price sheets cached by an earlier plan kept the old catalog's costs after a new seed."""
    assert cspsync("plan", CONTOSO).code == 0  # caches the built-in catalog's sheets
    sheet = workdir / "gb.csv"
    sheet.write_text(
        HEADER
        + _row("CFQ7TTC0LCHC", "0002", "Microsoft 365 Business Premium", "Monthly", "19.75")
        + _row("CFQ7TTC0LCHC", "0002", "Microsoft 365 Business Premium", "Annual", "237.00")
    )
    assert cspsync("emulator", "seed", "examples/emulator-seed.yaml", "--price-sheet", str(sheet)).code == 0
    plan = cspsync("plan", CONTOSO)
    assert "cost GBP 237.00, margin GBP 21.00 (8.1%)" in plan.out


def test_seed_from_a_folder_with_no_cspsync_yaml_is_an_error_not_a_world_no_plan_reads(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSPSYNC_STATE_DIR", raising=False)
    result = cspsync("emulator", "seed", "examples/emulator-seed.yaml")
    assert result.code == 1
    assert "no cspsync.yaml in . or any folder above it" in result.err
    assert "pass --config examples/cspsync.yaml" in result.err
    assert cspsync("emulator", "seed", "examples/emulator-seed.yaml", "--config", "examples/cspsync.yaml").code == 0
    assert (workdir / "examples" / ".cspsync" / "emulator.db").exists()
