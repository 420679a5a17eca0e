"""The plan's and the customer files' records: checked when made as pydantic models are, kept without a dict
per instance, and copied without touching the original."""

from __future__ import annotations

import dataclasses
import pickle
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from cspsync.declarations.models import Subscription
from cspsync.declarations.repository import load_repository
from cspsync.plan import payloads
from cspsync.plan.model import CustomerPlan, Kind, Money, Totals, make_action
from cspsync.records import Record

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _order() -> payloads.OrderSubscription:
    return payloads.OrderSubscription(
        friendly_name="contoso-m365",
        product_id="CFQ7TTC0LF8Q",
        sku_id="0001",
        quantity=5,
        term_duration="P1Y",
        billing_cycle="monthly",
        auto_renew=True,
        country="GB",
    )


def test_a_record_keeps_its_fields_without_a_dict_of_its_own() -> None:
    money = Money(currency="EUR", seats=2, unit_cost=Decimal("1.5"))
    action = make_action(Kind.ORDER_SUBSCRIPTION, _order(), id="contoso/order", customer="contoso", summary="x")
    customer = CustomerPlan(name="c", file="f", company="C", mode="create", state="new")
    for item in (money, action, action.payload, customer):
        assert not hasattr(item, "__dict__"), type(item)
    # a pydantic model with its dict was 544 bytes; the slotted record keeps 8 bytes a field
    assert sys.getsizeof(money) <= 16 * 8 + len(Money.__dataclass_fields__) * 8


def test_a_record_is_checked_and_coerced_as_a_model_is() -> None:
    with pytest.raises(ValidationError, match="bogus"):
        Money(currency="EUR", bogus=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="currency"):
        Money(currency=3)  # type: ignore[arg-type]
    plan = CustomerPlan(name="c", file="f", company="C", mode="create", state="new", actions=["c/a"])  # type: ignore[arg-type]
    assert plan.actions == ("c/a",)
    with pytest.raises(ValidationError, match="mode"):
        CustomerPlan(name="c", file="f", company="C", mode="adopt", state="new")  # type: ignore[arg-type]


def test_a_record_cannot_be_changed_in_place() -> None:
    money = Money(currency="EUR", seats=2)
    with pytest.raises(AttributeError):
        money.seats = 3  # type: ignore[misc]


def test_a_copy_with_changes_leaves_the_original_as_it_was_and_refuses_an_unknown_field() -> None:
    original = Money(currency="EUR", seats=2)
    copied = original.model_copy(update={"note": "from the renewal on 2027-01-01"})
    assert copied.note == "from the renewal on 2027-01-01" and copied.seats == 2
    assert original.note is None and original == Money(currency="EUR", seats=2)
    with pytest.raises(AttributeError, match="no field 'seets'"):
        original.model_copy(update={"seets": 3})


def test_a_record_round_trips_through_json_and_pickle() -> None:
    totals = Totals(
        currency="GBP", monthly_cost=Decimal("5218.02"), term_cost=Decimal("57183.12"), added_monthly_cost=Decimal(1)
    )
    assert Totals.model_validate_json(totals.model_dump_json()) == totals
    assert totals.model_dump(mode="json")["monthly_cost"] == "5218.02"
    assert pickle.loads(pickle.dumps(totals)) == totals  # noqa: S301 - made here


def _every_record(value: object) -> list[object]:
    """Every record under ``value``, by a walk over all values."""
    if isinstance(value, Record):
        fields = (getattr(value, f.name) for f in dataclasses.fields(value))  # type: ignore[arg-type]
        return [value, *(r for item in fields for r in _every_record(item))]
    if isinstance(value, list | tuple):
        return [r for item in value for r in _every_record(item)]
    if isinstance(value, dict):
        return [r for item in value.values() for r in _every_record(item)]
    return []


def test_a_loaded_customer_file_is_a_tree_of_records_without_dicts() -> None:
    repository = load_repository([EXAMPLES / "customers"], config_path=EXAMPLES / "cspsync.yaml")
    records = [r for declared in repository.customers for r in _every_record(declared.customer)]
    kinds = {type(r).__name__ for r in records}
    assert {"CustomerFile", "Company", "Subscription", "LicenseOffer", "AdminRelationship", "Agreement"} <= kinds
    for item in records:
        assert not hasattr(item, "__dict__"), type(item)


def test_a_customer_record_takes_types_exactly_as_the_schema_does() -> None:
    """Strictness is on the field types (a strict dataclass would refuse the parsed mappings themselves)."""
    offer = {"friendlyName": "contoso-m365", "offer": {"productId": "CFQ7TTC0LF8Q", "skuId": "0001"}, "term": "P1Y"}
    assert Subscription.model_validate(offer).quantity == 1
    assert Subscription.model_validate({**offer, "quantity": 12.0}).quantity == 12  # JSON Schema's integer
    for wrong in ({"quantity": "12"}, {"autoRenew": "yes"}, {"autoRenew": 1}, {"friendlyName": 7}):
        with pytest.raises(ValidationError):
            Subscription.model_validate({**offer, **wrong})
