"""The schemas and the pydantic models accept and reject the same documents.

hypothesis-jsonschema draws valid documents from each schema; each is then also broken in one place
(a field dropped, a value replaced by another JSON value, an unknown field added) and both judges must
still agree. The schemas are the source of truth; this test is what keeps the models honest.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import utils as conjecture_utils
from hypothesis_jsonschema import from_schema
from pydantic import BaseModel, ValidationError

from cspsync.declarations.models import Config, CustomerFile
from cspsync.declarations.schema import SchemaName, is_valid, load_schema


def _more(self: Any) -> bool:
    """hypothesis-jsonschema 0.23.1 (the latest) still calls ``many.more()``, which Hypothesis replaced by
    ``with many(...) as elements: for _ in elements``; this drives the new protocol the old way."""
    if getattr(self, "_parity_iterator", None) is None:
        self.__enter__()
        self._parity_iterator = iter(self)
    try:
        next(self._parity_iterator)
    except StopIteration:
        self.__exit__(None)
        return False
    return True


if not hasattr(conjecture_utils.many, "more"):
    conjecture_utils.many.more = _more  # type: ignore[attr-defined]

PathT = tuple[str | int, ...]

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=300_002),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "0001",
            "azure-plan",
            "create",
            "invite",
            "existing",
            "P1Y",
            "annual",
            "2026-10-01",
            "2026-02-30",
            "2026-10-01T00:00:00Z",
            "GB",
            "NO",
            "UK",
            "en-GB",
            "abc\n",
            "x" * 300,
            "a@b.co",
            "+44 117 496 0123",
        ]
    ),
    st.just({}),
    st.just([]),
)


def _paths(value: Any, path: PathT = ()) -> Iterator[PathT]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _paths(item, (*path, index))


def _parent(doc: Any, path: PathT) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def broken(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` changed in one place; the change may or may not keep it valid."""
    doc = copy.deepcopy(doc)
    paths = list(_paths(doc))
    path = draw(st.sampled_from(paths))
    parent = _parent(doc, path)
    how = draw(st.sampled_from(["drop", "replace", "add"]))
    if how == "drop":
        del parent[path[-1]]
    elif how == "replace":
        parent[path[-1]] = draw(_VALUES)
    else:
        target = parent if isinstance(parent, dict) else doc
        target[draw(st.sampled_from(["extra", "Name", "modes", "quantity"]))] = draw(_VALUES)
    return doc


def _model_accepts(model: type[BaseModel], doc: object) -> bool:
    try:
        model.model_validate(doc)
    except ValidationError:
        return False
    return True


_HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]


_ANNOTATIONS = {"title", "description", "examples", "default", "patternErrorMessage", "errorMessage", "$comment"}


def _validation_only(schema: Any) -> Any:
    """The schema to draw from: annotations dropped, every $ref inlined, lists of at most 3 items.

    The same documents (but for long lists, which add nothing here) and far faster to draw.
    """

    def strip(node: Any, *, in_properties: bool = False) -> Any:
        if isinstance(node, dict):
            kept = {
                k: strip(v, in_properties=k == "properties" and not in_properties)
                for k, v in node.items()
                if in_properties or k not in _ANNOTATIONS
            }
            if not in_properties and kept.get("type") == "array":
                kept.setdefault("maxItems", 3)
            return kept
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    inlined = jsonschema_rs.dereference(schema)
    return strip({k: v for k, v in inlined.items() if k not in ("$defs", "$id")})


@pytest.mark.parametrize(("name", "model", "examples"), [("customer", CustomerFile, 100), ("config", Config, 30)])
def test_schema_and_models_agree(name: SchemaName, model: type[BaseModel], examples: int) -> None:
    valid = from_schema(_validation_only(load_schema(name)))

    @settings(max_examples=examples, deadline=None, suppress_health_check=_HEALTH)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        doc = data.draw(valid, label="valid")
        assert isinstance(doc, dict) and is_valid(name, doc)
        assert _model_accepts(model, doc), doc
        changed = data.draw(broken(doc), label="changed")
        assert is_valid(name, changed) == _model_accepts(model, changed), changed

    check()
