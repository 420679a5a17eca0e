"""The streamed digests hash exactly the bytes of the one-call canonical JSON they replaced."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import uuid
from dataclasses import dataclass, fields
from typing import Any

import pytest

from cspsync.canonical import canonical_json, canonical_sha256, canonical_sha256_of_items


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


class Kind(enum.StrEnum):
    ORDER = "order-subscription"


class Level(enum.IntEnum):
    HIGH = 3


#: values where orjson and the standard encoder could part: every ASCII character (control characters, DEL,
#: quotes, slashes), text beyond ASCII, integers beyond 64 bits, keys that are not text, enums, dates and
#: dataclasses (handed to ``default``), a UUID, text subclasses
AWKWARD: list[Any] = [
    {"".join(map(chr, range(128))): "".join(map(chr, range(128)))},
    {"é": "ü", "a": "\u2028", "z": "😀", "ä": "\x7f", "\uffff": "\U0010ffff", "😀": "Grüße — «x»"},
    {"lone surrogate": "\ud800"},
    {"big": 2**64, "small": -(2**63) - 1, "edge": 2**63 - 1},
    {1: "int key", 2: "another"},
    {"kind": Kind.ORDER, "level": Level.HIGH, "flag": True, "none": None},
    {"day": dt.date(2026, 12, 2), "at": dt.datetime(2026, 12, 2, 10, 30, tzinfo=dt.UTC), "point": Point(1, "p")},
    {"id": uuid.UUID(int=7), "sub": type("Text", (str,), {})("subclass")},
    [[[[{"b": [], "a": {}}]]]],
]


@pytest.mark.parametrize("value", AWKWARD)
def test_the_fast_encoder_writes_what_json_dumps_writes(value: Any) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), default=encoded).encode()
    assert canonical_json(value, encoded) == expected
    assert canonical_sha256(value, default=encoded) == one_call(value)
