from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from cspsync.emulator import DEFAULT_WORLD, DuplicateError, EmulatorApp, Store, load_seed, transport
from cspsync.errors import ConfigError

from .conftest import BASE_URL, accept_mca, buy, create_customer, license_line

EXAMPLE_SEED = Path(__file__).parents[2] / "examples" / "emulator-seed.yaml"


def test_example_seed_is_the_built_in_world() -> None:
    assert load_seed(EXAMPLE_SEED) == DEFAULT_WORLD


def test_state_survives_reopening_the_store(tmp_path: Path) -> None:
    path = tmp_path / "state" / "emulator.db"
    store = Store(path)
    store.seed(load_seed(EXAMPLE_SEED))
    with httpx.Client(
        transport=transport(EmulatorApp(store)), base_url=BASE_URL, headers={"Authorization": "Bearer t"}
    ) as http:
        customer_id = create_customer(http)
        accept_mca(http, customer_id)
        subscription = buy(http, customer_id, license_line())[0]
    store.accept_invitation("litware.ie")
    store.close()

    reopened = Store(path)
    with httpx.Client(
        transport=transport(EmulatorApp(reopened)), base_url=BASE_URL, headers={"Authorization": "Bearer t"}
    ) as http:
        assert http.get(f"/v1/customers/{customer_id}").status_code == 200
        assert http.get(f"/v1/customers/{customer_id}/subscriptions").json()["items"] == [subscription]
        assert http.post("/v1/customers", json={}).status_code == 400
    assert reopened.customer_count() == 4
    assert reopened.world().partner.name == "Fabrikam Cloud Distribution"
    reopened.close()


def test_bulk_customers_are_fast_and_counted() -> None:
    store = Store()
    started = time.perf_counter()
    ids = store.add_customers(
        {"domain": f"bulk{n:05d}.onmicrosoft.com", "companyName": f"Bulk {n}", "country": "GB"} for n in range(10_000)
    )
    elapsed = time.perf_counter() - started
    assert len(ids) == 10_000
    assert store.customer_count() == 10_002  # and the two customers of the built-in world
    assert elapsed < 5.0
    with pytest.raises(DuplicateError):
        store.add_customers([{"domain": "bulk00001.onmicrosoft.com", "companyName": "Again", "country": "GB"}])
    assert store.customer_count() == 10_002


def test_add_customer_returns_its_tenant_id() -> None:
    store = Store()
    tenant_id = store.add_customer(
        "northwind1.onmicrosoft.com", "Northwind One", "gb", tenant_id="11111111-2222-4333-8444-555555555555"
    )
    assert tenant_id == "11111111-2222-4333-8444-555555555555"
    tenant = store.tenant_by_domain("NORTHWIND1.onmicrosoft.com")
    assert tenant is not None
    assert (tenant.country, tenant.billing["culture"], tenant.billing["defaultAddress"]["postalCode"]) == (
        "GB",
        "en-GB",
        "EC1A 1BB",
    )
    with pytest.raises(ConfigError, match="which is not one of the partner's resellers"):
        store.add_customer(
            "northwind2.onmicrosoft.com", "Two", "GB", associated_partner_id="11111111-2222-4333-8444-555555555555"
        )


def test_seed_problems_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "seed.yaml"
    bad.write_text("partner:\n  name: X\n  tenantId: not-a-guid\n  mpnId: '1'\n  markets: [GB]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_seed(bad)
    assert str(caught.value) == (
        f"{bad} is invalid: partner.tenantId: Value error, 'not-a-guid' is not a tenant id (a GUID)"
    )
    with pytest.raises(ConfigError, match="is not valid YAML"):
        bad.write_text("partner: [", encoding="utf-8")
        load_seed(bad)
    with pytest.raises(ConfigError, match="Cannot read emulator seed"):
        load_seed(tmp_path / "missing.yaml")
    world = {
        **DEFAULT_WORLD,
        "tenants": [
            {
                "domain": "a.com",
                "companyName": "A",
                "country": "GB",
                "associatedPartnerId": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
            }
        ],
    }
    with pytest.raises(ConfigError, match="not one of the partner's resellers"):
        Store().seed(world)


def test_reseeding_overwrites_listed_tenants() -> None:
    store = Store()
    store.seed()
    store.accept_invitation("litware.ie")
    assert store.customer_count() == 3
    assert store.seed() == {"resellers": 1, "tenants": 4, "customers": 2}
    assert store.customer_count() == 2


def test_concurrent_creates_of_one_domain_make_one_customer() -> None:
    app = EmulatorApp(Store())
    statuses: list[int] = []
    lock = threading.Lock()

    def create() -> None:
        with httpx.Client(transport=transport(app), base_url=BASE_URL, headers={"Authorization": "Bearer t"}) as http:
            from .conftest import customer_body

            status = http.post("/v1/customers", json=customer_body()).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 7


def test_a_seed_file_is_read_like_a_declaration(tmp_path: Path) -> None:
    """YAML 1.2 with dates as text, as cspsync reads declarations: a company named 2026-01-15 stays text."""
    text = (Path(__file__).resolve().parents[2] / "examples" / "emulator-seed.yaml").read_text(encoding="utf-8")
    seed = tmp_path / "seed.yaml"
    seed.write_text(text.replace("companyName: Tailspin Toys AS", "companyName: 2026-01-15"), encoding="utf-8")
    tenants = load_seed(seed)["tenants"]
    assert tenants[0]["companyName"] == "2026-01-15"
    seed.write_text("partner: {}\npartner: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate"):
        load_seed(seed)
