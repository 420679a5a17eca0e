"""The example repository is valid and shows every tenant mode, both offer kinds and a reseller."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from cspsync.cli import cli
from cspsync.declarations import load_repository
from cspsync.declarations.models import LicenseOffer

from .support import EXAMPLES, TODAY

CUSTOMERS = sorted((EXAMPLES / "customers").glob("*.yaml"))


def test_every_example_is_valid() -> None:
    repo = load_repository([EXAMPLES / "customers"], today=TODAY)
    assert [d.path.name for d in repo.customers] == [p.name for p in CUSTOMERS]
    assert repo.config_path.resolve() == EXAMPLES / "cspsync.yaml"


def test_examples_cover_modes_offers_countries_and_a_reseller() -> None:
    customers = [d.customer for d in load_repository([EXAMPLES / "customers"], today=TODAY).customers]
    assert len(customers) >= 7
    assert {c.spec.tenant.mode for c in customers} == {"create", "invite", "existing"}
    assert {c.spec.company.address.country for c in customers} >= {"GB", "IE", "NO", "DE", "NL", "FR"}
    assert any(c.spec.reseller == "Northwind Traders IT" for c in customers)
    offers = [s.offer for c in customers for s in c.spec.subscriptions]
    assert "azure-plan" in offers
    assert {o.productId for o in offers if isinstance(o, LicenseOffer)} >= {
        "CFQ7TTC0LH18",
        "CFQ7TTC0LDPB",
        "CFQ7TTC0LCHC",
        "CFQ7TTC0LF8Q",
        "CFQ7TTC0LFLX",
    }
    for customer in customers:
        if customer.spec.tenant.mode == "invite":
            assert customer.spec.agreement is not None and customer.spec.subscriptions


def test_norway_is_written_unquoted() -> None:
    text = (EXAMPLES / "customers" / "tailspin-toys.yaml").read_text(encoding="utf-8")
    assert "      country: NO\n" in text


@pytest.mark.parametrize("path", CUSTOMERS, ids=lambda p: p.name)
def test_every_example_names_its_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/customer.schema.json"


@freeze_time("2026-11-26")
def test_cspsync_validate_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    result = CliRunner().invoke(cli, ["validate", "examples/customers"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{len(CUSTOMERS)} customer files valid\n"
