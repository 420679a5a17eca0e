"""Generated portfolios for benchmarks: N customer files and an emulator world that matches them.

The files come from ``bench/validate.py`` (six countries, all three tenant modes, Azure plans and license
offers, a reseller for some). The world is an in-memory emulator store holding the partner's customers,
added in one transaction (``Store.add_customers``, an ``executemany``) with the billing profile each file
declares, so a plan finds them in sync except for what is really missing (agreements, subscriptions).

``first_apply=True`` leaves the create-mode customers out of the world: the plan then creates them, as
on a partner's first apply.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from validate import generate  # noqa: E402  (bench/validate.py, the validate benchmark)

from cspsync.declarations import Declared, Repository, load_repository  # noqa: E402
from cspsync.declarations.keys import customer_domain  # noqa: E402
from cspsync.emulator import EmulatorApp, Faults, Store  # noqa: E402
from cspsync.plan.diff import declared_billing  # noqa: E402

NORTHWIND = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"


@dataclass
class Portfolio:
    folder: Path
    repo: Repository
    store: Store

    def app(self, faults: Faults | None = None) -> EmulatorApp:
        return EmulatorApp(self.store, faults=faults, page_size=500)

    def declared(self, count: int | None = None) -> tuple[Declared, ...]:
        return self.repo.customers if count is None else self.repo.customers[:count]


def write_files(folder: Path, count: int, seed: int = 2026) -> list[str]:
    """``count`` customer files under ``folder/customers`` and ``folder/cspsync.yaml``."""
    folder.mkdir(parents=True, exist_ok=True)
    return generate(folder, count, seed)


def load(folder: Path) -> Repository:
    return load_repository([folder / "customers"], config_path=folder / "cspsync.yaml")


def tenant_record(item: Declared) -> dict[str, Any]:
    """The emulator's tenant for one declaration, billing as the file writes it (not in normal form: an
    address Partner Center holds otherwise, even by case, is validated before it is updated)."""
    spec = item.customer.spec
    tenant = spec.tenant
    domain = customer_domain(item.customer) or f"{item.customer.metadata.name}.onmicrosoft.com"
    billing = declared_billing(spec)
    address = {k: v for k, v in billing["defaultAddress"].items() if v is not None}
    record: dict[str, Any] = {
        "domain": domain,
        "companyName": spec.company.name,
        "country": spec.company.address.country,
        "billingProfile": {
            "email": billing["email"],
            "culture": billing["culture"],
            "language": billing["language"],
            "firstName": billing["firstName"],
            "lastName": billing["lastName"],
            "defaultAddress": address,
        },
    }
    if tenant.mode == "existing":
        record["tenantId"] = tenant.tenantId
    if spec.reseller:
        record["associatedPartnerId"] = NORTHWIND
    return record


def world_for(repo: Repository, *, first_apply: bool = False) -> Store:
    """An in-memory emulator store where the declared customers already exist (all, or all but create-mode)."""
    store = Store()
    store.seed()
    records = [
        tenant_record(item)
        for item in repo.customers
        if not (first_apply and item.customer.spec.tenant.mode == "create")
    ]
    store.add_customers(records)
    return store


def make(folder: Path, count: int, *, seed: int = 2026, first_apply: bool = False) -> Portfolio:
    write_files(folder, count, seed)
    repo = load(folder)
    return Portfolio(folder, repo, world_for(repo, first_apply=first_apply))
