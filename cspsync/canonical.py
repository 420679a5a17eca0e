"""sha256 of canonical JSON (sorted keys, no spaces), streamed into the hash piece by piece.

A digest over a whole plan or observation used to build the entire JSON text (and, for the actions, a
list of every action as a dict) before hashing it: at 100,000 customers that was over a gigabyte held at
the plan's peak only to be hashed. Here the outer containers (a dict with text keys, a list or a tuple) are
written by hand and each of their values is encoded on its own, so at most one value's text is alive at a
time. The bytes hashed are exactly ``json.dumps(value, sort_keys=True, separators=(",", ":"),
default=default)``: the digests stay what they were.

Each value is encoded by orjson (sorted keys, compact: five to ten times faster than the standard encoder,
which was a tenth of a plan's local work); where its text has DEL or anything beyond ASCII, which
``json.dumps`` escapes and orjson does not, those characters are escaped as ``json.dumps`` escapes them. A
value orjson refuses (an integer beyond 64 bits, a key that is not text) goes through ``json.dumps``. Dates
and dataclasses are handed to ``default`` as ``json.dumps`` hands them. Floats are the one difference left
(their exponents are written differently): nothing hashed here holds one (the plan's and the observation's
models have none, money is Decimal text).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson

Default = Callable[[Any], Any] | None

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def canonical_sha256(value: Any, *, default: Default = None, depth: int = 2) -> str:
    """``"sha256:"`` + the hex digest of ``value``'s canonical JSON; containers down to ``depth`` levels are
    streamed, what is below them is encoded in one call each."""
    digest = hashlib.sha256()
    for piece in _pieces(value, default, depth):
        digest.update(piece)
    return "sha256:" + digest.hexdigest()


def canonical_sha256_of_items(items: Iterable[Any], *, default: Default = None) -> str:
    """The digest of ``list(items)`` as :func:`canonical_sha256` gives it, ``items`` made one at a time."""
    digest = hashlib.sha256()
    digest.update(b"[")
    for index, item in enumerate(items):
        if index:
            digest.update(b",")
        digest.update(_dumps(item, default))
    digest.update(b"]")
    return "sha256:" + digest.hexdigest()


def canonical_pieces(value: Any, *, default: Default = None, depth: int = 2) -> Iterable[bytes]:
    """``value``'s canonical JSON text in pieces (as :func:`canonical_sha256` hashes it), for a writer that
    streams a large document to a file: each piece below ``depth`` is one call of the C encoder."""
    return _pieces(value, default, depth)


def canonical_json(value: Any, default: Default = None) -> bytes:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), default=default)``, encoded, in one call."""
    return _dumps(value, default)


def _dumps(value: Any, default: Default) -> bytes:
    try:
        text = orjson.dumps(value, default=default, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: what the standard encoder may still write (big integers)
        pass
    else:
        if text.isascii() and b"\x7f" not in text:
            return text
        # outside its strings the text is ASCII: escaping every other character anywhere is escaping in them
        return _BEYOND_ASCII.sub(_escaped, text.decode()).encode()
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=default).encode()


#: what ``json.dumps`` (``ensure_ascii``) writes as ``\uXXXX``: DEL and everything beyond ASCII
_BEYOND_ASCII = re.compile("[\x7f-\U0010ffff]")


def _escaped(match: re.Match[str]) -> str:
    """One character as ``json.dumps`` escapes it: lowercase hex, a surrogate pair beyond the first plane."""
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}"


def _pieces(value: Any, default: Default, depth: int) -> Iterable[bytes]:
    if depth > 0 and isinstance(value, dict) and all(isinstance(key, str) for key in value):
        yield b"{"
        for index, key in enumerate(sorted(value)):
            yield (b"," if index else b"") + _dumps(key, None) + b":"
            yield from _pieces(value[key], default, depth - 1)
        yield b"}"
    elif depth > 0 and isinstance(value, list | tuple):
        yield b"["
        for index, item in enumerate(value):
            if index:
                yield b","
            yield from _pieces(item, default, depth - 1)
        yield b"]"
    else:
        yield _dumps(value, default)
