"""schemas/pricebook.schema.json: a valid 2020-12 document that helps an editor, and the model agrees with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from pydantic import ValidationError

from cspsync.declarations.pricebooks import PricebookFile
from cspsync.declarations.schema import is_valid, load_schema

BASE: dict[str, Any] = {"apiVersion": "cspsync.io/v1", "kind": "Pricebook", "name": "retail-gbp", "currency": "GBP"}


def _objects(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "properties" in node:
            yield path, node
        for key, value in node.items():
            yield from _objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, f"{path}/{index}")


def test_the_schema_is_valid_closed_and_documented() -> None:
    schema = load_schema("pricebook")
    assert schema["$id"] == "https://cspsync.io/schemas/pricebook.schema.json"
    assert jsonschema_rs.meta.is_valid(schema)
    objects = list(_objects(schema))
    assert [path for path, node in objects if node.get("additionalProperties") is not False] == []
    undocumented = [
        f"{path}/{key}"
        for path, node in objects
        for key, sub in node["properties"].items()
        if not sub.get("description") or not sub.get("examples")
    ]
    assert undocumented == []


@pytest.mark.parametrize(
    ("extra", "valid"),
    [
        ({}, True),
        ({"defaultMarkup": 20, "description": None}, True),
        ({"defaultMarkup": -100}, True),
        ({"defaultMarkup": -100.5}, False),
        ({"defaultMarkup": True}, False),
        ({"defaultMarkup": "20"}, False),
        ({"currency": "gbp"}, False),
        ({"name": "Retail GBP"}, False),
        ({"rules": [{"product": "CFQ7TTC0LFLX", "markup": 10}]}, True),
        ({"rules": [{"markup": 10}]}, True),
        (
            {
                "rules": [
                    {
                        "product": "CFQ7TTC0LFLX",
                        "sku": "0001",
                        "term": "P3Y",
                        "billingCycle": "triennial",
                        "monthlyPrice": 0,
                    }
                ]
            },
            True,
        ),
        ({"rules": [{"product": "CFQ7TTC0LFLX"}]}, False),
        ({"rules": [{"product": "CFQ7TTC0LFLX", "markup": 1, "monthlyPrice": 1}]}, False),
        ({"rules": [{"sku": "0001", "markup": 1}]}, False),
        ({"rules": [{"product": "CFQ7TTC0LFLX", "monthlyPrice": -1}]}, False),
        ({"rules": [{"product": "CFQ7TTC0LFLX", "term": "P2Y", "markup": 1}]}, False),
        ({"rules": [{"product": "cfq7ttc0lflx", "markup": 1}]}, False),
        ({"rules": [{"product": "CFQ7TTC0LFLX", "sku": 1, "markup": 1}]}, False),
        ({"rules": [{"product": "CFQ7TTC0LFLX", "markup": 1, "note": "x"}]}, False),
        ({"unknown": 1}, False),
    ],
)
def test_the_model_accepts_what_the_schema_accepts(extra: dict[str, Any], valid: bool) -> None:
    document = {**BASE, **extra}
    assert is_valid("pricebook", document) is valid
    try:
        PricebookFile.model_validate(document)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert accepted is valid
