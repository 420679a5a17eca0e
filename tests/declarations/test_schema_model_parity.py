"""The schemas and the pydantic models accept and reject the same documents.

hypothesis-jsonschema draws valid documents from each schema; each is then also broken in one place
(a field dropped, a value replaced by another JSON value, an unknown field added) and both judges must
still agree. The schemas are the source of truth; this test is what keeps the models honest.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import BaseModel, ValidationError

from cspsync.declarations.models import Config, CustomerFile
from cspsync.declarations.schema import SchemaName, is_valid, load_schema
from tests.schema_drawing import PathT, document_paths, validation_only

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


def _parent(doc: Any, path: PathT) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def broken(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` changed in one place; the change may or may not keep it valid."""
    doc = copy.deepcopy(doc)
    paths = list(document_paths(doc))
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


@pytest.mark.parametrize(("name", "model", "examples"), [("customer", CustomerFile, 100), ("config", Config, 30)])
def test_schema_and_models_agree(name: SchemaName, model: type[BaseModel], examples: int) -> None:
    valid = from_schema(validation_only(load_schema(name)))

    @settings(max_examples=examples, deadline=None, suppress_health_check=_HEALTH)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        doc = data.draw(valid, label="valid")
        assert isinstance(doc, dict) and is_valid(name, doc)
        assert _model_accepts(model, doc), doc
        changed = data.draw(broken(doc), label="changed")
        assert is_valid(name, changed) == _model_accepts(model, changed), changed

    check()
