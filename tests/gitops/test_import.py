"""``cspsync import``: declarations of what Partner Center has, which then plan with no changes."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from cspsync.apply.run import ApplyRecord
from cspsync.emulator import EmulatorApp, Store
from tests.cli import Run

from .conftest import ADATUM, EXAMPLES, TAILSPIN, apply_now


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, declarations: Path) -> Path:
    """A new declarations folder (only cspsync.yaml) over the same Partner Center state."""
    folder = tmp_path / "fresh"
    folder.mkdir()
    shutil.copy(EXAMPLES / "cspsync.yaml", folder / "cspsync.yaml")
    monkeypatch.chdir(folder)
    return folder


def _tenant(store: Store, domain: str) -> str:
    tenant = store.tenant_by_domain(domain)
    assert tenant is not None
    return tenant.id


def test_import_then_plan_shows_only_the_adoptions_to_review(
    cspsync: Run, applied: ApplyRecord, store: Store, fresh: Path
) -> None:
    contoso = store.tenant_by_domain("contosobikes.onmicrosoft.com")
    assert contoso is not None
    store.set_subscription_fields(contoso.id, "fabrikam-contosobikes-m365bp", status="suspended")
    store.set_subscription_fields(contoso.id, "fabrikam-contosobikes-azure", status="deleted")

    alpine, fourth = (_tenant(store, f"{p}.onmicrosoft.com") for p in ("alpineskihouse", "fourthcoffeefr"))

    result = cspsync("import")

    assert result.code == 0, result.err
    assert result.out.splitlines()[:6] == [
        "target: emulator (not Partner Center)",
        f"wrote customers/adatum.yaml (adatum.de, tenant {ADATUM})",
        f"wrote customers/alpineskihouse.yaml (alpineskihouse.onmicrosoft.com, tenant {alpine})",
        f"wrote customers/contosobikes.yaml (contosobikes.onmicrosoft.com, tenant {contoso.id})",
        f"wrote customers/fourthcoffeefr.yaml (fourthcoffeefr.onmicrosoft.com, tenant {fourth})",
        f"wrote customers/tailspintoys.yaml (tailspintoys.onmicrosoft.com, tenant {TAILSPIN})",
    ]
    assert result.out.endswith(
        "Imported 5 customer(s) into customers.\n"
        "Check them with: cspsync plan customers (it shows each imported customer as an adoption to review, and "
        "no other change)\n"
    )
    assert cspsync("validate", "customers").out == "5 customer files valid\n"

    plan = cspsync("plan", "customers", "--detailed-exitcode")
    assert plan.code == 2, plan.out + plan.err
    # adatum.yaml (the name the examples adopted it under) is known; the other four names are new files
    assert "Plan: 4 to adopt, 0 to create, 0 to update, 0 to cancel, 0 waiting." in plan.out
    assert {line.split(" ← ")[0] for line in plan.out.splitlines() if " ← " in line} == {
        f"  @ {name}" for name in ("alpineskihouse", "contosobikes", "fourthcoffeefr", "tailspintoys")
    }
    assert cspsync("apply", "customers", "--yes").code == 0
    again = cspsync("plan", "customers", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert "No changes. Partner Center matches the declarations." in again.out

    contoso_file = (fresh / "customers/contosobikes.yaml").read_text()
    assert "    - friendlyName: fabrikam-contosobikes-m365bp\n" in contoso_file
    assert "      status: suspended\n      protected: false\n" in contoso_file
    assert "fabrikam-contosobikes-azure" not in contoso_file  # cancelled: history, not a declaration


def test_an_imported_file_is_a_readable_existing_mode_declaration(
    cspsync: Run, applied: ApplyRecord, fresh: Path
) -> None:
    assert cspsync("import", "--domain", "TailspinToys.onmicrosoft.com").code == 0

    written = (fresh / "customers/tailspintoys.yaml").read_text()
    ids = re.findall(r"subscriptionId: ([0-9a-f-]{36})\n", written)
    assert len(ids) == 2  # each subscription's Partner Center id: its identity through a rename
    text = re.sub(r"subscriptionId: [0-9a-f-]{36}\n", "subscriptionId: ID\n", written)

    assert (
        text
        == f"""\
# yaml-language-server: $schema=https://cspsync.io/schemas/customer.schema.json
# Imported from Partner Center by `cspsync import` on {dt.date.today().isoformat()}.
apiVersion: cspsync.io/v1
kind: Customer
metadata:
  name: tailspintoys
spec:
  company:
    name: Tailspin Toys AS
    billingEmail: faktura@tailspintoys.no
    culture: nb-NO
    language: nb
    address:
      addressLine1: Karl Johans gate 12
      city: Oslo
      postalCode: "0154"
      country: 'NO'
    primaryContact:
      firstName: Ingrid
      lastName: Solberg
      email: faktura@tailspintoys.no
      phone: "+47 22 12 34 56"
  tenant:
    mode: existing
    tenantId: {TAILSPIN}
    domain: tailspintoys.onmicrosoft.com
  reseller: Northwind Traders IT
  agreement:
    acceptedBy:
      firstName: Ingrid
      lastName: Solberg
      email: ingrid.solberg@tailspintoys.no
      phone: "+47 22 12 34 56"
    dateAgreed: "2026-09-14"
  subscriptions:
    - friendlyName: northwind-tailspin-azure
      subscriptionId: ID
      offer: azure-plan
    - friendlyName: northwind-tailspin-m365bs
      subscriptionId: ID
      offer:
        productId: CFQ7TTC0LDPB
        skuId: "0001"
      quantity: 25
      term: P1Y
      billingCycle: monthly
      autoRenew: true
"""
    )


def test_the_schema_header_points_at_the_repository_schema_when_there_is_one(
    cspsync: Run, applied: ApplyRecord, fresh: Path
) -> None:
    (fresh / "schemas").mkdir()
    shutil.copy(EXAMPLES.parent / "schemas/customer.schema.json", fresh / "schemas/customer.schema.json")

    assert cspsync("import", "--domain", "adatum.de", "--out", "customers/direct").code == 0

    first = (fresh / "customers/direct/adatum.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/customer.schema.json"


def test_customers_already_declared_are_skipped(cspsync: Run, applied: ApplyRecord) -> None:
    result = cspsync("import")

    assert result.code == 0, result.err
    assert "skipped adatum.de: is already declared in customers/adatum.yaml\n" in result.out
    assert "skipped contosobikes.onmicrosoft.com: is already declared in customers/contoso-bikes.yaml\n" in result.out
    assert result.out.endswith("Imported 0 customer(s) into customers.\n")


def test_a_customer_declared_in_an_invalid_file_is_still_declared(cspsync: Run, applied: ApplyRecord) -> None:
    """A file being fixed (here without its billing email, which the schema requires) still claims its tenant:
    import writes no second declaration of Adatum next to it."""
    adatum = Path("customers/adatum.yaml")
    adatum.write_text(adatum.read_text().replace("    billingEmail: rechnungen@adatum.de\n", ""))
    assert cspsync("validate", str(adatum)).code == 1

    result = cspsync("import")

    assert result.code == 0, result.err
    assert "skipped adatum.de: is already declared in customers/adatum.yaml\n" in result.out
    assert sorted(p.name for p in Path("customers").glob("adatum*")) == ["adatum.yaml"]


def test_an_existing_file_is_never_overwritten_without_force(cspsync: Run, applied: ApplyRecord, fresh: Path) -> None:
    (fresh / "customers").mkdir()
    note = fresh / "customers/adatum.yaml"
    note.write_text("# notes about Adatum, not a declaration\nkind: Notes\n")

    kept = cspsync("import", "--domain", "adatum.de")

    assert kept.code == 1
    assert kept.err == "not imported: customers/adatum.yaml exists; pass --force to overwrite it\n"
    assert note.read_text().startswith("# notes about Adatum")

    forced = cspsync("import", "--domain", "adatum.de", "--force")
    assert forced.code == 0, forced.err
    assert f"overwrote customers/adatum.yaml (adatum.de, tenant {ADATUM})\n" in forced.out
    assert "kind: Customer\n" in note.read_text()


def test_a_domain_that_is_not_a_customer_is_reported(cspsync: Run, applied: ApplyRecord, fresh: Path) -> None:
    result = cspsync("import", "--domain", "litware.ie", "--domain", "adatum.de")

    assert result.code == 1
    assert result.err == "not imported: litware.ie is not a customer of yours in Partner Center\n"
    assert (fresh / "customers/adatum.yaml").is_file()


def test_what_cannot_be_declared_is_left_out_with_the_reason(
    cspsync: Run, applied: ApplyRecord, store: Store, fresh: Path
) -> None:
    store.set_subscription_fields(ADATUM, "fabrikam-adatum-o365e3", status="pending")

    result = cspsync("import", "--domain", "adatum.de")

    assert result.code == 0, result.err
    why = "subscription fabrikam-adatum-o365e3 is pending; import it again once it is active\n"
    assert f"  left out: {why}" in result.out
    assert f"# Left out: {why}" in (fresh / "customers/adatum.yaml").read_text()
    assert "fabrikam-adatum-azure" in (fresh / "customers/adatum.yaml").read_text()


def test_a_customer_of_a_reseller_missing_from_the_config_is_imported_with_a_warning(
    cspsync: Run, applied: ApplyRecord, store: Store, fresh: Path
) -> None:
    """A customer's reseller comes from the IndirectReseller filter of every reseller Partner Center lists
    (get-customers-of-an-indirect-reseller), since a customer read does not name it."""
    world = store.world().model_dump(include={"partner", "resellers"})
    other = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
    world["resellers"].append({"name": "Margie's Travel IT", "tenantId": other, "mpnId": "7012345"})
    store.seed(world)
    store.add_customer("wideworldimporters.onmicrosoft.com", "Wide World Importers", "GB", associated_partner_id=other)

    result = cspsync("import", "--domain", "wideworldimporters.onmicrosoft.com")

    assert "wrote customers/wideworldimporters.yaml" in result.out, result.err  # its contact needs an edit
    written = (fresh / "customers/wideworldimporters.yaml").read_text()
    assert (
        f"# Left out: its indirect reseller {other} is not in partner.resellers of cspsync.yaml; add it there and "
        "set spec.reseller\n"
    ) in written
    assert "reseller:" not in written


def test_import_writes_the_admin_relationships_and_their_groups(
    cspsync: Run, applied: ApplyRecord, store: Store, emulator: EmulatorApp, fresh: Path
) -> None:
    from cspsync.emulator.handlers import gdap

    gdap.approve(store, "litware.ie", dt.datetime.now(dt.UTC))
    store.accept_invitation("litware.ie")
    apply_now(emulator, [fresh.parent / "declarations" / "customers" / "litware.yaml"])  # its groups get roles

    result = cspsync("import", "--domain", "litware.ie", "--domain", "contosobikes.onmicrosoft.com")
    assert result.code == 0, result.out + result.err
    litware = (fresh / "customers/litware.yaml").read_text()
    assert (
        "  adminAccess:\n"
        "    relationships:\n"
        "      - name: fabrikam-litware-support\n"
        "        duration: P730D\n"
        "        autoExtend: true\n"
        "        roles:\n"
        "          - Cloud Application Administrator\n"
    ) in litware
    assert "          - group: azure-ops\n            roles:\n              - Cloud Application Administrator\n" in (
        litware
    )
    contoso = (fresh / "customers/contosobikes.yaml").read_text()
    assert "      - default: true\n        assignments:\n          - group: helpdesk-agents\n" in contoso
    plan = cspsync("plan", "customers", "--detailed-exitcode")
    # the imported admin access is what Graph has: no GDAP change, only contosobikes's adoption to review
    assert plan.code == 2, plan.out
    assert "admin relationship" not in plan.out and "assign" not in plan.out
    assert "Plan: 1 to adopt, 0 to create, 0 to update, 0 to cancel, 0 waiting." in plan.out


def test_a_file_that_cannot_be_written_is_reported_and_the_others_are_written(
    cspsync: Run, applied: ApplyRecord, fresh: Path
) -> None:
    """One customer's file cannot be written (here a folder stands at its name): it is reported with the
    reason, exit 1, and the other customers' files are still written whole (this used to crash, after the
    files before it were written and before any of them was reported)."""
    (fresh / "customers/adatum.yaml").mkdir(parents=True)

    result = cspsync("import", "--domain", "adatum.de", "--domain", "tailspintoys.onmicrosoft.com", "--force")

    assert result.code == 1
    assert "not imported: customers/adatum.yaml cannot be written: Is a directory\n" in result.err
    assert f"wrote customers/tailspintoys.yaml (tailspintoys.onmicrosoft.com, tenant {TAILSPIN})\n" in result.out
    assert "kind: Customer\n" in (fresh / "customers/tailspintoys.yaml").read_text()
    assert sorted(p.name for p in (fresh / "customers").iterdir()) == ["adatum.yaml", "tailspintoys.yaml"]


def test_an_import_folder_that_cannot_be_made_is_refused_before_reading_partner_center(
    cspsync: Run, applied: ApplyRecord, fresh: Path
) -> None:
    (fresh / "notes.txt").write_text("not a folder\n")
    result = cspsync("import", "--out", "notes.txt/customers")
    assert result.code == 1
    assert result.err == (
        "Error: cannot write customer files to notes.txt/customers: notes.txt is a file, not a folder\n"
        "  hint: name a file in a folder you can write to\n"
    )
    assert result.out == ""
