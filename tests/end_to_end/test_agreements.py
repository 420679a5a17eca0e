"""An applied customer's Microsoft Customer Agreement attestation edited in its file, through the CLI."""

from __future__ import annotations

from pathlib import Path

from tests.cli import Run

from .conftest import CUSTOMERS
from .test_saved_plan_contract import emulator_state

CONTOSO = f"{CUSTOMERS}/contoso-bikes.yaml"
DOMAIN = "contosobikes.onmicrosoft.com"
PHONE = 'phone: "+44 117 496 0123"'


def edit_agreement(workdir: Path, old: str, new: str) -> None:
    """Replace ``old`` under ``agreement:`` only (the company's primary contact has the same phone)."""
    path = workdir / CONTOSO
    head, agreement = path.read_text().split("  agreement:\n")
    assert old in agreement
    path.write_text(head + "  agreement:\n" + agreement.replace(old, new, 1))


def recorded(workdir: Path) -> int:
    return len(emulator_state(workdir)[DOMAIN]["agreements"])


def test_a_corrected_phone_of_the_same_acceptance_records_nothing(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CONTOSO, "--yes").code == 0
    assert recorded(workdir) == 1
    edit_agreement(workdir, PHONE, 'phone: "+44 117 496 0999"')
    plan = cspsync("plan", CONTOSO)
    assert plan.code == 0, plan.out
    assert "record Microsoft Customer Agreement" not in plan.out
    assert plan.out.splitlines()[-1] == "No changes. Partner Center matches the declarations."
    assert cspsync("apply", CONTOSO, "--yes").code == 0
    assert recorded(workdir) == 1  # no second, backdated acceptance


def test_another_person_or_a_new_phone_on_another_date_is_a_new_acceptance(cspsync: Run, workdir: Path) -> None:
    assert cspsync("apply", CONTOSO, "--yes").code == 0
    edit_agreement(workdir, PHONE, 'phone: "+44 117 496 0999"')
    edit_agreement(workdir, 'dateAgreed: "2026-10-01"', 'dateAgreed: "2026-11-20"')
    plan = cspsync("plan", CONTOSO)
    assert "+ record Microsoft Customer Agreement accepted by Amelia Hughes" in plan.out
    assert "on 2026-11-20" in plan.out
    edit_agreement(workdir, 'dateAgreed: "2026-11-20"', 'dateAgreed: "2026-10-01"')
    edit_agreement(workdir, "firstName: Amelia", "firstName: Oliver")
    other = cspsync("plan", CONTOSO)
    assert "+ record Microsoft Customer Agreement accepted by Oliver Hughes" in other.out
    assert cspsync("apply", CONTOSO, "--yes").code == 0
    assert recorded(workdir) == 2
