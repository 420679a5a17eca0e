"""Drawing documents from cspsync's JSON Schemas with hypothesis-jsonschema (parity and fuzz suites).

Importing this module also mends hypothesis-jsonschema 0.23.1 (the latest), which still calls
``many.more()``, an API Hypothesis replaced by iteration, and memoises its schema -> strategy step: it
rebuilds (canonicalises and merges) the strategy of a property's schema for every key of every object it
draws, which was most of the time of the parity and fuzz suites. Strategies are immutable, so sharing
one per schema draws the same documents.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs
from hypothesis.internal.conjecture import utils as conjecture_utils
from hypothesis_jsonschema import _from_schema
from hypothesis_jsonschema._encode import encode_canonical_json

PathT = tuple[str | int, ...]

ANNOTATIONS = {"title", "description", "examples", "default", "patternErrorMessage", "errorMessage", "$comment"}


def _more(self: Any) -> bool:
    """Drive the new ``with many(...) as elements: for _ in elements`` protocol the old way."""
    if getattr(self, "_cspsync_iterator", None) is None:
        self.__enter__()
        self._cspsync_iterator = iter(self)
    try:
        next(self._cspsync_iterator)
    except StopIteration:
        self.__exit__(None)
        return False
    return True


if not hasattr(conjecture_utils.many, "more"):
    conjecture_utils.many.more = _more  # type: ignore[attr-defined]


def _memoised(build: Callable[..., Any]) -> Callable[..., Any]:
    """``build(schema, *, alphabet, custom_formats)`` once per (schema as canonical JSON, alphabet)."""
    built: dict[tuple[str, Any], Any] = {}

    @functools.wraps(build)
    def cached(schema: Any, *, alphabet: Any, custom_formats: Any) -> Any:
        if custom_formats is not None:
            return build(schema, alphabet=alphabet, custom_formats=custom_formats)
        key = (encode_canonical_json(schema), alphabet)
        if key not in built:
            built[key] = build(schema, alphabet=alphabet, custom_formats=None)
        return built[key]

    cached.__wrapped_by_cspsync__ = True  # type: ignore[attr-defined]
    return cached


for _name in ("__from_schema", "merged_as_strategies"):
    _build = vars(_from_schema)[_name]
    if not getattr(_build, "__wrapped_by_cspsync__", False):
        setattr(_from_schema, _name, _memoised(_build))


def validation_only(schema: Any) -> Any:
    """The schema to draw from: every $ref inlined, annotations dropped, lists of at most 3 items.

    The same documents (but for long lists, which add nothing here) and far faster to draw.
    """

    def strip(node: Any, *, in_properties: bool = False) -> Any:
        if isinstance(node, dict):
            kept = {
                k: strip(v, in_properties=k == "properties" and not in_properties)
                for k, v in node.items()
                if in_properties or k not in ANNOTATIONS
            }
            if not in_properties and kept.get("type") == "array":
                kept.setdefault("maxItems", 3)
            return kept
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    inlined = jsonschema_rs.dereference(schema)
    return strip({k: v for k, v in inlined.items() if k not in ("$defs", "$id")})


def document_paths(value: Any, path: PathT = ()) -> Iterator[PathT]:
    """Every key and index path in a JSON document, parents before children."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from document_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from document_paths(item, (*path, index))
