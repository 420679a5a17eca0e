"""Frozen declarations share their set of given fields, and each still answers for its own fields."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from cspsync.declarations.models import Contact, Invitations
from cspsync.declarations.repository import load_repository
from cspsync.frozen import _SHARED, share_fields_sets

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_declarations_share_once_kept_and_still_tell_a_default_from_a_written_value() -> None:
    written = Invitations.model_validate({"reminderAfterDays": 7})
    defaulted = Invitations.model_validate({})
    assert "reminderAfterDays" in written.model_fields_set
    assert "reminderAfterDays" not in defaulted.model_fields_set
    people = [Contact(firstName=n, lastName="Berg", email=f"{n}@example.no") for n in ("Maja", "Ingrid")]
    for person in people:
        share_fields_sets(person)
    assert people[0].__pydantic_fields_set__ is people[1].__pydantic_fields_set__
    assert people[0].model_fields_set == {"firstName", "lastName", "email"}


def test_a_loaded_repository_shares_the_sets_of_every_customer_tree() -> None:
    repository = load_repository([EXAMPLES / "customers"], config_path=EXAMPLES / "cspsync.yaml")
    addresses = [declared.customer.spec.company.address for declared in repository.customers]
    contacts = [declared.customer.spec.company.primaryContact for declared in repository.customers]
    assert len({id(address.__pydantic_fields_set__) for address in addresses}) < len(addresses)
    assert len({id(contact.__pydantic_fields_set__) for contact in contacts}) < len(contacts)


def _every_model(value: object) -> list[BaseModel]:
    """Every model in ``value``, by a walk over all values (not only the fields typed as models)."""
    if isinstance(value, BaseModel):
        return [value, *(m for item in value.__dict__.values() for m in _every_model(item))]
    if isinstance(value, list | tuple):
        return [m for item in value for m in _every_model(item)]
    if isinstance(value, dict):
        return [m for item in value.values() for m in _every_model(item)]
    return []


def test_the_walk_reaches_every_model_of_a_customer_file() -> None:
    repository = load_repository([EXAMPLES / "customers"], config_path=EXAMPLES / "cspsync.yaml")
    models = [m for declared in repository.customers for m in _every_model(declared.customer)]
    kinds = {type(m).__name__ for m in models}
    assert {"Subscription", "LicenseOffer", "AdminRelationship", "Agreement"} <= kinds
    for model in models:
        assert _SHARED[frozenset(model.__pydantic_fields_set__)] is model.__pydantic_fields_set__, type(model)
