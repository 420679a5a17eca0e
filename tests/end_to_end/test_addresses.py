"""A new customer's address through the CLI: the emulator answers as "Validate an address" documents, and
the plan blocks the create with Partner Center's suggestions to copy, never changing the file or the call."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import Run

from .conftest import CUSTOMERS

CONTOSO = f"{CUSTOMERS}/contoso-bikes.yaml"


@pytest.mark.parametrize(
    ("line1", "city", "status", "suggestion"),
    [
        (
            "Wheel Street",
            "Bristol",
            "StreetPartial",
            "addressLine1: 1 Wheel Street, postalCode: BS1 4DJ, city: Bristol",
        ),
        ("Unit, Wheel Street", "Bristol", "Multiple", "addressLine1: Unit 1, 1 Wheel Street, postalCode: BS1 4DJ"),
        ("Suite, 1 Wheel Street", "Bristol", "PremisesPartial", "addressLine1: Suite 1, 1 Wheel Street"),
        ("1 Wheel Street", "Bath", "InteractionRequired", "postalCode: BS1 4DJ, city: Bristol, country: GB"),
    ],
)
def test_an_address_partner_center_does_not_verify_blocks_the_create_and_names_the_suggestion(
    cspsync: Run, workdir: Path, line1: str, city: str, status: str, suggestion: str
) -> None:
    path = workdir / CONTOSO
    text = path.read_text().replace("addressLine1: 1 Wheel Street", f"addressLine1: {line1}")
    path.write_text(text.replace("city: Bristol", f"city: {city}"))
    result = cspsync("plan", CONTOSO)
    assert result.code == 1, result.out  # blocked actions cannot be applied as declared
    assert f"Partner Center did not verify company.address ({status}:" in result.out
    assert suggestion in result.out
    assert "copy the right suggestion into company.address" in result.out
    assert path.read_text().count(f"addressLine1: {line1}") == 1  # the file is the user's to change
    assert cspsync("apply", CONTOSO, "--yes").code == 1
    assert "create customer Contoso Bikes Ltd" in cspsync("plan", CONTOSO).out  # nothing was created


def test_a_moved_address_is_validated_before_the_billing_profile_update(cspsync: Run, workdir: Path) -> None:
    """ "Validate an address" is for prevalidating customer profile updates: an applied customer whose file
    moves to an address Partner Center does not verify gets a blocked update with the suggestions."""
    assert cspsync("apply", CONTOSO, "--yes").code == 0
    path = workdir / CONTOSO
    path.write_text(path.read_text().replace("addressLine1: 1 Wheel Street", "addressLine1: Cog Lane"))
    blocked = cspsync("plan", CONTOSO)
    assert blocked.code == 1, blocked.out
    assert "update billing profile of Contoso Bikes Ltd" in blocked.out
    assert "Partner Center did not verify company.address (StreetPartial: the street is incomplete" in blocked.out
    assert "addressLine1: 1 Cog Lane, postalCode: BS1 4DJ, city: Bristol" in blocked.out
    path.write_text(path.read_text().replace("addressLine1: Cog Lane", "addressLine1: 1 Cog Lane"))
    moved = cspsync("apply", CONTOSO, "--yes")
    assert moved.code == 0, moved.out + moved.err
    assert "update-billing-profile: done" in moved.out
