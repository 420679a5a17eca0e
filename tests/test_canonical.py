"""The streamed digests hash exactly the bytes of the one-call canonical JSON they replaced."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from typing import Any

import pytest

from cspsync.canonical import canonical_sha256, canonical_sha256_of_items


@dataclass
class Point:
    x: int
    label: str


def encoded(value: Any) -> Any:
    if isinstance(value, Point):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    return str(value)


def one_call(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=encoded)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


DOCUMENTS: list[Any] = [
    {},
    [],
    {"b": {}, "a": [], "c": None},
    {"customers": {"zeta": Point(1, "ü"), "alpha": Point(2, '\u2028 "quoted"')}, "unknown": ["b", "a"]},
    {"admin": {"t1": (Point(3, "x"), Point(4, "y"))}, "entra": {"t2": ("id", None)}, "n": {1: "int key", 2: "x"}},
    [{"k": [1, 2, {"z": 1, "a": 2}]}, (3, 4), "é"],
    {"deep": {"deeper": {"deepest": {"b": 1, "a": 2}}}},
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_streamed_digest_is_the_one_call_digest(document: Any) -> None:
    for depth in (0, 1, 2, 5):
        assert canonical_sha256(document, default=encoded, depth=depth) == one_call(document)


def test_the_digest_of_items_made_one_at_a_time_is_the_digest_of_their_list() -> None:
    items = [{"id": "a-1", "money": {"total": "1.00"}}, {"id": "a-2", "payload": ["x", "y"]}]
    assert canonical_sha256_of_items(iter(items)) == one_call(items)
    assert canonical_sha256_of_items(iter([])) == one_call([])
