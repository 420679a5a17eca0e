"""Safe YAML loading: bytes of one file -> a mapping of plain values, or located problems.

Values come from one parser only: yaml-rs (Rust, YAML 1.2 core schema). So ``country: NO`` is the text
"NO" (Norway), ``yes``/``on`` are text, ``2026-10-01`` is the text "2026-10-01", and ``0001`` is the
integer 1 (the schema then asks for a string and the message says to write "0001"). yaml-rs also refuses
duplicate keys and bounds alias expansion. Before it runs, the file must be at most 256 KiB of UTF-8 with
no control characters.

Line and column come from a second parser, PyYAML's C composer, and only for files that have a problem:
composing keeps a mark on every node, which is what a loader that reports lines pays on *every* file
(15.7 s for 10,000 files here, against 0.5 s for yaml-rs). PyYAML is YAML 1.1, so its values are never
used; its marks, its event stream and its structure are. Files whose text holds what the two parsers can
read differently (a tag ``!``, an anchor ``&x`` or alias ``*x``, a ``%`` directive, an explicit key ``?``,
flow ``{``/``[``, a line starting with ``:``) are also read by PyYAML before they are accepted: yaml-rs
silently drops unknown tags (``!foo x`` reads as "x"), reads a recursive alias as null and takes ``{?x}``
as the key "?x"; such a file is refused unless both parsers see the same structure (mappings, keys,
lists). Property tests (tests/declarations/test_load.py) hold the loader to that.

Costs: two YAML parsers (both wheels); for the common block-style file one yaml-rs parse, a byte-size
check, a UTF-8 decode and two regular-expression passes; PyYAML runs twice (events, then nodes) on the
files with the characters above and once (nodes) on files that have a problem to place. The accepted
language is YAML 1.2 (core schema), and none of YAML 1.1's extras: no tags but the core ones (``!!str``
...), no merge keys (``<<`` is an unknown field), no timestamps.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml_rs

from cspsync.declarations.locate import Locator, Spot, scan_events
from cspsync.declarations.problems import Finding, JsonPath, Problem, format_path
from cspsync.errors import undecodable_byte

MAX_BYTES = 256 * 1024
_FIRST_READ = 16 * 1024  # a customer file is a few KiB
ALIAS_BUDGET = 1_000  # nodes all aliases of a file may replay together
_ALIAS_LIMITS = yaml_rs.AliasLimits(
    max_total_replayed_events=ALIAS_BUDGET, max_replay_stack_depth=16, max_alias_expansions_per_anchor=None
)

# Worth a look with the second parser: a tag (!), an explicit key (?), flow collections ({ [), an anchor
# or alias (& or * before a name), or a line that starts with % (a directive) or : (where the parsers
# disagree). Plain substring tests first: one regular expression for all of it costs as much as yaml-rs.
_SCAN_CHARACTERS = ("!", "?", "{", "[")
_ANCHOR_OR_ALIAS = re.compile(r"[&*][^\s,\[\]{}]")
_INDICATOR_LINE = re.compile(r"\n[ \t]*[%:]")
# What is not one of YAML's printable characters (spec 5.1: tab, line feed, carriage return, x20-x7E, x85,
# xA0-xD7FF, xE000-xFFFD, x10000-x10FFFF) is refused before parsing. Written as the characters refused: the
# negated class of the printable ones took 3.4 ms to compile, at every start of cspsync.
_NOT_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_PRINTABLE_ASCII = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])  # the same, for text that is all ASCII
_PARSE_ERROR = re.compile(r"YAML parse error at line (\d+), column (\d+)")
_TYPE_NAMES = {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number", bool: "a boolean"}


@dataclass
class Document:
    """One parsed YAML file: its name as the user gave it, its text and its values."""

    file: str
    text: str
    data: dict[str, Any]
    _locator: Locator | None = field(default=None, repr=False)

    @property
    def locator(self) -> Locator:
        if self._locator is None:
            self._locator = Locator(self.text)
        return self._locator

    def problem(self, finding: Finding) -> Problem:
        line, column = self.locator.locate(finding.path, at_key=finding.at_key)
        return Problem(self.file, line, column, format_path(finding.path), finding.message)

    def where(self, path: JsonPath) -> str:
        line, column = self.locator.locate(path)
        return f"{self.file}:{line}:{column}"


def _at(file: str, spots: list[Spot]) -> list[Problem]:
    return [Problem(file, s.line, s.column, format_path(s.path), s.message) for s in spots]


def _needs_second_reading(text: str) -> bool:
    if any(character in text for character in _SCAN_CHARACTERS):
        return True
    if ("&" in text or "*" in text) and _ANCHOR_OR_ALIAS.search(text):
        return True
    if text.lstrip(" \t")[:1] in ("%", ":"):
        return True
    # an indicator at a line's start follows a line break, a space or a tab. A "%" or a tab is rare: a
    # one-character test (memchr) rules both out, and then only ":" after a line break or a space can be
    # one. Each two-character test is a pass of ~1 us over the text, the search ~3.5 us
    if "%" in text or "\t" in text:
        return _INDICATOR_LINE.search(text) is not None
    return ("\n:" in text or " :" in text) and _INDICATOR_LINE.search(text) is not None


def read_document(path: str | Path, file: str | None = None) -> Document | list[Problem]:
    """Read and parse ``path``; problems are reported against ``file`` (default: ``str(path)``)."""
    name = str(path) if file is None else file
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # half the cost of a Python file object
        try:
            raw = _read_to_limit(descriptor)
        finally:
            os.close(descriptor)
    except OSError as err:
        return [Problem(name, 1, 1, "", f"cannot read the file: {err.strerror or err}")]
    return parse_document(name, raw)


def _read_to_limit(descriptor: int) -> bytes:
    """The file's bytes, up to one past MAX_BYTES. A first read of _FIRST_READ takes a whole customer file:
    ``os.read(descriptor, MAX_BYTES + 1)`` makes a buffer of that size for every file, 256 KiB alive at once
    with whatever the check holds (the peak of a load that keeps the other process's results as it goes)."""
    raw = os.read(descriptor, _FIRST_READ)
    if len(raw) < _FIRST_READ:
        return raw
    pieces, size = [raw], len(raw)
    while size <= MAX_BYTES and (piece := os.read(descriptor, min(_FIRST_READ, MAX_BYTES + 1 - size))):
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces)


def parse_document(file: str, raw: bytes) -> Document | list[Problem]:
    """Parse the bytes of one file into a mapping of plain values, or say where and why it cannot be."""
    if len(raw) > MAX_BYTES:
        limit = f"{MAX_BYTES // 1024} KiB"
        return _at(
            file,
            [
                Spot(
                    1,
                    1,
                    f"the file is larger than {limit}, the limit for a declaration file (a customer takes a few KiB)",
                )
            ],
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _at(file, [Spot(1, 1, "the file is UTF-16; save it as UTF-8")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        column = len(raw[line_start : err.start].decode("utf-8", errors="replace")) + 1
        line = raw.count(b"\n", 0, err.start) + 1
        return _at(file, [Spot(line, column, f"not valid UTF-8: {undecodable_byte(err)}; save the file as UTF-8")])
    text = text.removeprefix("\ufeff")
    if text.isascii() and not raw.translate(None, _PRINTABLE_ASCII):
        return parse_text(file, text)  # the common case, in one pass over the bytes instead of a search
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - text.rfind("\n", 0, bad.start())
        character = f"U+{ord(bad.group()):04X}"
        return _at(file, [Spot(line, column, f"control character {character} is not allowed in YAML; remove it")])
    return parse_text(file, text)


def parse_text(file: str, text: str) -> Document | list[Problem]:
    try:
        data = yaml_rs.loads(
            text,
            parse_datetime=False,
            alias_limits=_ALIAS_LIMITS,
            duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error,
        )
    except (yaml_rs.YAMLDecodeError, ValueError, RecursionError) as err:
        return _at(file, _decode_error(text, str(err)))
    except TypeError:  # yaml-rs on a key that is itself a mapping or list (``? company:``)
        return _at(file, [_complex_key(text)])
    locator = None
    if isinstance(data, list) or _needs_second_reading(text):
        locator = Locator(text)
        spots = scan_events(text, alias_budget=ALIAS_BUDGET)
        if not spots and isinstance(data, dict):
            different = locator.mismatch(data)
            spots = [different] if different else []
        if spots:
            return _at(file, spots)
    if not isinstance(data, dict):
        return _at(file, [_not_a_mapping(locator or Locator(text), data)])
    return Document(file, text, data, locator)


def _complex_key(text: str) -> Spot:
    """Where a key that is a mapping or list starts (an explicit ``?`` key), for yaml-rs's TypeError."""
    found = re.search(r"^([ \t-]*)\?(?:[ \t]|$)", text, re.MULTILINE)
    line = text.count("\n", 0, found.start()) + 1 if found else 1
    column = len(found.group(1)) + 1 if found else 1
    return Spot(line, column, "a key must be a plain name, not a mapping or list: remove the '?' and write `name:`")


def read_values(text: str) -> dict[str, Any] | None:
    """The mapping a file holds as ``validate`` reads it, or None when it cannot be read (for lenient scans).

    Every reader of declarations goes through here or :func:`parse_document`, so no command sees other
    values than validation does (PyYAML would read ``name: on`` as true, yaml-rs reads the text "on").
    """
    parsed = parse_text("<scan>", text.removeprefix("\ufeff"))
    return parsed.data if isinstance(parsed, Document) else None


def _decode_error(text: str, message: str) -> list[Spot]:
    """yaml-rs refused the text; say where, with PyYAML's marks when yaml-rs gives no position."""
    reason = message.strip().splitlines()[-1] if message.strip() else "unreadable YAML"
    positioned = _PARSE_ERROR.match(message)
    if positioned:
        return [Spot(int(positioned.group(1)), int(positioned.group(2)), f"invalid YAML: {reason}")]
    if message.startswith("duplicate mapping key"):
        found = Locator(text).duplicate_keys()
        if found:
            return found
        return [Spot(1, 1, f"duplicate key: {message.removeprefix('duplicate mapping key: ')}")]
    spots = scan_events(text, alias_budget=ALIAS_BUDGET)
    return spots or [Spot(1, 1, f"invalid YAML: {reason}")]


def _not_a_mapping(locator: Locator, data: object) -> Spot:
    if data is None:
        return Spot(1, 1, "the file is empty: a declaration is a mapping of apiVersion, kind, metadata and spec")
    line, column = locator.locate(())
    kind = _TYPE_NAMES.get(type(data), "a value")
    return Spot(
        line, column, f"the file holds {kind}; a declaration is a mapping of apiVersion, kind, metadata and spec"
    )
