"""`cspsync validate` on pricebooks and the money fields of customer files: every problem is located."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cspsync.declarations import validate

from .conftest import CUSTOMERS

TODAY = dt.date(2026, 11, 26)


def _problems(workdir: Path) -> list[str]:
    repository, problems = validate([Path(CUSTOMERS)], today=TODAY)
    assert (repository is None) == bool(problems)
    return [str(p) for p in problems]


def _edit(workdir: Path, name: str, old: str, new: str) -> None:
    path = workdir / "examples" / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def test_the_examples_are_valid(workdir: Path) -> None:
    assert _problems(workdir) == []


def test_a_missing_pricebook_is_named_with_a_guess(workdir: Path) -> None:
    _edit(workdir, "customers/adatum.yaml", "pricebook: retail-eur", "pricebook: retail-euro")
    assert _problems(workdir) == [
        'examples/customers/adatum.yaml:36:14: spec.pricebook: no pricebook named "retail-euro" in '
        'examples/pricebooks; did you mean "retail-eur"?'
    ]


def test_the_currency_must_be_the_one_partner_center_bills_the_market_in(workdir: Path) -> None:
    _edit(workdir, "customers/contoso-bikes.yaml", "currency: GBP", "currency: EUR")
    assert _problems(workdir) == [
        "examples/customers/contoso-bikes.yaml:33:13: spec.currency: Partner Center bills customers in GB in GBP, "
        "not EUR; write currency: GBP"
    ]


def test_the_pricebook_must_be_in_the_customers_currency(workdir: Path) -> None:
    _edit(workdir, "customers/tailspin-toys.yaml", "pricebook: retail-nok", "pricebook: retail-gbp")
    _edit(workdir, "customers/tailspin-toys.yaml", "  currency: NOK\n", "")
    assert _problems(workdir) == [
        "examples/customers/tailspin-toys.yaml:38:14: spec.pricebook: pricebook retail-gbp is in GBP, but the "
        "currency of its market NO is NOK; name a NOK pricebook"
    ]


def test_every_declared_offer_must_be_priced(workdir: Path) -> None:
    _edit(workdir, "pricebooks/retail-nok.yaml", "defaultMarkup: 15\n", "")
    assert _problems(workdir) == [
        "examples/customers/tailspin-toys.yaml:45:9: spec.subscriptions[1].offer: pricebook retail-nok "
        "(examples/pricebooks/retail-nok.yaml) does not price CFQ7TTC0LDPB:0001 P1Y monthly: add a rule with "
        "product: CFQ7TTC0LDPB (or a defaultMarkup) to it"
    ]


def test_problems_inside_a_pricebook_are_located(workdir: Path) -> None:
    path = workdir / "examples" / "pricebooks" / "retail-gbp.yaml"
    path.write_text(
        path.read_text()
        + "  - product: CFQ7TTC0LFLX\n    markup: 10\n"
        + "  - product: CFQ7TTC0LH18\n    monthlyPrice: 4.995\n"
    )
    assert _problems(workdir) == [
        "examples/pricebooks/retail-gbp.yaml:24:5: rules[3]: selects the same offers as rules[1] "
        "(product CFQ7TTC0LFLX); keep one of them",
        "examples/pricebooks/retail-gbp.yaml:27:19: rules[4].monthlyPrice: 4.995 has more decimals than GBP has "
        "(write at most 2 decimals)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "  - product: CFQ7TTC0LFLX\n    markup: 10\n    monthlyPrice: 20\n",
            "24:5: rules[3]: a rule sets exactly one of markup or monthlyPrice (got a mapping)",
        ),
        ('  - sku: "0001"\n    markup: 10\n', '24:5: rules[3]: missing required field "product"'),
        ("  - product: CFQ7TTC0LFLX\n    markup: 1001\n", "25:13: rules[3].markup: must be at most 1000 (got 1001)"),
        (
            "  - product: CFQ7TTC0LFLX\n    markup: 10\n    billing: monthly\n",
            '26:5: rules[3].billing: unknown field "billing"; did you mean "billingCycle"?',
        ),
    ],
)
def test_schema_problems_in_a_pricebook(workdir: Path, text: str, expected: str) -> None:
    path = workdir / "examples" / "pricebooks" / "retail-gbp.yaml"
    path.write_text(path.read_text() + text)
    assert _problems(workdir) == [f"examples/pricebooks/retail-gbp.yaml:{expected}"]


def test_two_pricebooks_with_one_name_and_an_unknown_currency(workdir: Path) -> None:
    (workdir / "examples" / "pricebooks" / "copy.yml").write_text(
        "apiVersion: cspsync.io/v1\nkind: Pricebook\nname: retail-nok\ncurrency: XYZ\n"
    )
    assert _problems(workdir) == [
        "examples/pricebooks/copy.yml:4:11: currency: XYZ is not an ISO 4217 currency code",
        "examples/pricebooks/retail-nok.yaml:5:7: name: is already the name of the pricebook in "
        "examples/pricebooks/copy.yml:3:7",
    ]
