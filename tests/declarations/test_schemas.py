"""The schemas are valid 2020-12 documents that help an editor: ids, descriptions, examples, closed objects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest

from cspsync.declarations.schema import SchemaName, load_schema

NAMES: list[SchemaName] = ["customer", "config"]
_CONDITIONS = ("if", "then", "else")  # conditional helpers restate properties; they are not documentation


def _objects(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object that declares properties, outside if/then/else."""
    if isinstance(node, dict):
        if "properties" in node:
            yield path, node
        for key, value in node.items():
            if key not in _CONDITIONS:
                yield from _objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, f"{path}/{index}")


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_draft_2020_12_with_an_id(name: SchemaName) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://cspsync.io/schemas/{name}.schema.json"
    assert jsonschema_rs.meta.is_valid(schema)


@pytest.mark.parametrize("name", NAMES)
def test_every_property_has_a_description_and_examples(name: SchemaName) -> None:
    missing = [
        f"{path}/properties/{key}"
        for path, node in _objects(load_schema(name))
        for key, sub in node["properties"].items()
        if not sub.get("description") or not sub.get("examples")
    ]
    assert missing == []


@pytest.mark.parametrize("name", NAMES)
def test_every_object_is_closed(name: SchemaName) -> None:
    assert [path for path, node in _objects(load_schema(name)) if node.get("additionalProperties") is not False] == []
