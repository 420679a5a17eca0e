"""JSON Schema validation of declarations; ``schemas/*.schema.json`` are the single source of truth.

Validation is jsonschema-rs (Rust, draft 2020-12, formats checked). A valid document costs one
``is_valid`` call; only an invalid one has its errors walked and turned into messages a person can act on:
``oneOf`` failures are narrowed to the branch the document meant (by ``mode``, or by being text or a
mapping), unknown fields get "did you mean", and a number where text is expected says how to quote it.
Messages may use the schema's ``patternErrorMessage``/``errorMessage`` (the keywords VS Code shows too).
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Callable, Iterable
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import jsonschema_rs

from cspsync.declarations.problems import Finding, JsonPath, did_you_mean

SchemaName = Literal["customer", "config", "pricebook"]
PlainScalar = Callable[[JsonPath], str | None]

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}
_YAML11_BOOLEANS = frozenset({"yes", "no", "on", "off", "y", "n"})


def schema_dir() -> Traversable:
    """The installed package data ``cspsync.schemas``, else ``schemas/`` next to the package."""
    try:
        packaged = importlib.resources.files("cspsync.schemas")
        if packaged.joinpath("customer.schema.json").is_file():
            return packaged
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "schemas"


@cache
def load_schema(name: SchemaName) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_dir().joinpath(f"{name}.schema.json").read_text(encoding="utf-8"))
    return loaded


@cache
def _validator(name: SchemaName) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(load_schema(name), validate_formats=True)


def is_valid(name: SchemaName, data: object) -> bool:
    """The fast path: one call into Rust. False also for values JSON has no word for (a set, a number key)."""
    try:
        return bool(_validator(name).is_valid(data))
    except ValueError:
        return False


def schema_findings(name: SchemaName, data: object, plain_scalar: PlainScalar) -> list[Finding]:
    """Every way ``data`` breaks the schema; ``plain_scalar(path)`` gives a value's text as written."""
    try:
        errors = list(_validator(name).iter_errors(data))
    except ValueError:
        return _not_json(data)
    return _Translator(load_schema(name), data, plain_scalar).translate(errors)


def _not_json(data: object) -> list[Finding]:
    """Keys that are not text (``1:``, ``null:``, ``[a, b]:``) and values JSON cannot hold."""
    found: list[Finding] = []
    stack: list[tuple[JsonPath, object]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    stack.append(((*path, key), item))
                else:
                    found.append(
                        Finding(
                            (*path, _show(key)),
                            f"field names must be text; YAML reads this one as {_kind(key)}: quote it",
                            at_key=True,
                        )
                    )
        elif isinstance(value, list):
            stack.extend(((*path, index), item) for index, item in enumerate(value))
        elif not isinstance(value, str | int | float | bool | type(None)):
            found.append(Finding(path, f"unsupported value ({type(value).__name__})"))
    return sorted(found, key=lambda f: [str(p) for p in f.path]) or [Finding((), "not a JSON-compatible document")]


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {_show(value)}"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return "text"


def _show(value: object) -> str:
    """A value as a message shows it: JSON-ish, short."""
    if isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        return shown if len(shown) <= 62 else shown[:58] + '…"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _one_of_quoted(values: Iterable[object]) -> str:
    return ", ".join(_show(v) for v in values if v is not None)


class _Translator:
    """jsonschema-rs errors -> findings, using the schema to find branch, property and message hints."""

    def __init__(self, schema: dict[str, Any], data: object, plain_scalar: PlainScalar) -> None:
        self.schema = schema
        self.data = data
        self.plain_scalar = plain_scalar

    # ---------------------------------------------------------------------------------------- lookups

    def _node(self, schema_path: Iterable[str | int]) -> Any:
        node: Any = self.schema
        for part in schema_path:
            node = node[part]
        return node

    def _resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = self._node(node["$ref"].removeprefix("#/").split("/"))
        return node

    def _path(self, error: jsonschema_rs.ValidationError) -> JsonPath:
        """``error``'s instance path with the data's own keys: jsonschema-rs reports a key made of digits
        (``"0"``, ``"01"``) as the number, so ``"1"`` and ``"01"`` look alike; the one holding the failing
        value is meant."""
        reported = tuple(error.instance_path)
        candidates: list[tuple[JsonPath, Any]] = [((), self.data)]
        for part in reported:
            found: list[tuple[JsonPath, Any]] = []
            for path, value in candidates:
                if isinstance(value, dict):
                    if isinstance(part, int):
                        keys = [
                            k for k in value if isinstance(k, str) and k.isascii() and k.isdigit() and int(k) == part
                        ]
                    else:
                        keys = [part] if part in value else []
                    found += [((*path, key), value[key]) for key in keys]
                elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
                    found.append(((*path, part), value[part]))
            if not found:
                return reported
            candidates = found
        failing = error.instance
        meant = [path for path, value in candidates if type(value) is type(failing) and value == failing]
        return meant[0] if meant else candidates[0][0]

    def _value(self, path: JsonPath) -> Any:
        value: Any = self.data
        for part in path:
            # jsonschema-rs reports a mapping key that reads as a number ("0") as an int
            value = value[str(part)] if isinstance(value, dict) and isinstance(part, int) else value[part]
        return value

    # ------------------------------------------------------------------------------------- translation

    def translate(self, errors: list[jsonschema_rs.ValidationError]) -> list[Finding]:
        flat: list[jsonschema_rs.ValidationError] = []
        findings: list[Finding] = []
        self._flatten(errors, flat, findings)
        # A typo'd field is one problem ("unknown field nmae; did you mean name?"), not two.
        typos: set[tuple[JsonPath, str]] = set()
        for error in flat:
            kind: Any = error.kind
            if kind.name == "additionalProperties":
                allowed = self._node(error.schema_path[:-1]).get("properties", {})
                guesses = (did_you_mean(key, allowed) for key in kind.unexpected)
                typos.update((self._path(error), guess) for guess in guesses if guess)
        # "01/10/2026" breaks both pattern and format: the pattern's message says it all.
        patterned = {self._path(e) for e in flat if e.kind.name == "pattern"}
        for error in flat:
            kind = error.kind
            path = self._path(error)
            if kind.name == "required" and (path, kind.property) in typos:
                continue
            if kind.name == "format" and path in patterned:
                continue
            findings.extend(self._findings(error))
        return findings

    def _flatten(
        self,
        errors: Iterable[jsonschema_rs.ValidationError],
        flat: list[jsonschema_rs.ValidationError],
        findings: list[Finding],
    ) -> None:
        """Replace each ``oneOf`` error by the errors of the branch the document meant."""
        for error in errors:
            if error.kind.name != "oneOf":
                flat.append(error)
                continue
            path = self._path(error)
            owner = self._node(error.schema_path[:-1])
            branches = [self._resolve(b) for b in owner["oneOf"]]
            value = self._value(path)
            chosen = self._branch(branches, value)
            if chosen is not None:
                context: Any = error.kind
                self._flatten(context.context[chosen], flat, findings)
            else:
                findings.append(self._no_branch(path, owner, branches, value))

    @staticmethod
    def _discriminators(branches: list[Any]) -> dict[str, list[Any]]:
        """Properties that hold a ``const`` in every object branch, e.g. ``mode`` -> [create, invite, ...]."""
        objects = [b for b in branches if b.get("type") == "object"]
        if not objects:
            return {}
        names = set.intersection(*({k for k, v in b.get("properties", {}).items() if "const" in v} for b in objects))
        return {name: [b["properties"][name]["const"] for b in objects] for name in sorted(names)}

    def _branch(self, branches: list[Any], value: object) -> int | None:
        """The one branch ``value`` is meant for: same JSON type, and same discriminator values."""
        matches = []
        for index, branch in enumerate(branches):
            if "const" in branch:
                if branch["const"] == value:
                    matches.append(index)
                continue
            if branch.get("type") == "object" and isinstance(value, dict):
                consts = {k: v["const"] for k, v in branch.get("properties", {}).items() if "const" in v}
                if all(value.get(k) == c for k, c in consts.items()):
                    matches.append(index)
        return matches[0] if len(matches) == 1 else None

    def _no_branch(self, path: JsonPath, owner: dict[str, Any], branches: list[Any], value: object) -> Finding:
        for name, choices in self._discriminators(branches).items():
            if isinstance(value, dict):
                listed = _one_of_quoted(choices)
                if name not in value:
                    return Finding(path, f'missing required field "{name}" (one of {listed})', at_key=True)
                found = value[name]
                guess = did_you_mean(found, [str(c) for c in choices]) if isinstance(found, str) else None
                hint = f'; did you mean "{guess}"?' if guess else ""
                return Finding((*path, name), f"must be one of {listed} (got {_show(found)}){hint}")
        message = owner.get("errorMessage") or "does not match any of the allowed forms"
        consts = [str(b["const"]) for b in branches if isinstance(b.get("const"), str)]
        guess = did_you_mean(value, consts) if isinstance(value, str) else None
        hint = f'; did you mean "{guess}"?' if guess else ""
        return Finding(path, f"{message} (got {_show(value)}){hint}")

    def _findings(self, error: jsonschema_rs.ValidationError) -> list[Finding]:
        kind: Any = error.kind
        name = kind.name
        path = self._path(error)
        value = error.instance
        if name == "required":
            return [Finding(path, f'missing required field "{kind.property}"', at_key=True)]
        if name == "additionalProperties":
            allowed = list(self._node(error.schema_path[:-1]).get("properties", {}))
            findings = []
            for key in kind.unexpected:
                guess = did_you_mean(key, allowed)
                hint = f'; did you mean "{guess}"?' if guess else f" (allowed here: {', '.join(allowed)})"
                findings.append(Finding((*path, key), f'unknown field "{key}"{hint}', at_key=True))
            return findings
        if name == "propertyNames":
            inner = kind.error
            node = self._node(inner.schema_path[:-1])
            message = node.get("patternErrorMessage") or f"does not match {node.get('pattern')}"
            return [Finding((*path, str(inner.instance)), f"{message} (got {_show(inner.instance)})", at_key=True)]
        return [Finding(path, self._message(error, path, value))]

    def _message(self, error: jsonschema_rs.ValidationError, path: JsonPath, value: object) -> str:
        kind: Any = error.kind
        name = kind.name
        if name == "type":
            return self._type_message(list(kind.types), path, self._value(path))
        if name == "const":
            return f"must be {_show(kind.expected_value)} (got {_show(value)})"
        if name == "enum":
            options = [o for o in kind.options if o is not None]
            guess = did_you_mean(value, [str(o) for o in options]) if isinstance(value, str) else None
            hint = f'; did you mean "{guess}"?' if guess else ""
            return f"must be one of {_one_of_quoted(options)} (got {_show(value)}){hint}"
        if name == "pattern":
            node = self._node(error.schema_path[:-1])
            hint = node.get("patternErrorMessage") or f"must match the pattern {kind.pattern}"
            return f"{hint} (got {_show(value)})"
        if name == "format":
            if kind.format == "date":
                return f"must be a real date written YYYY-MM-DD (got {_show(value)})"
            return f"must be a valid {kind.format} (got {_show(value)})"
        if name == "minLength":
            if kind.limit == 1:
                return "must not be empty"
            return f"must be at least {kind.limit} characters long (got {len(str(value))})"
        if name == "maxLength":
            return f"must be at most {kind.limit} characters long (got {len(str(value))})"
        if name == "minimum":
            return f"must be at least {_show(kind.limit)} (got {_show(self._value(path))})"
        if name == "maximum":
            return f"must be at most {_show(kind.limit)} (got {_show(self._value(path))})"
        if name == "not":
            node = self._node(error.schema_path[:-1])
            return f"{node.get('errorMessage') or 'is not allowed here'} (got {_show(value)})"
        if name == "minItems":
            return "must list at least one item" if kind.limit == 1 else f"must list at least {kind.limit} items"
        return str(error.message)

    def _type_message(self, expected: list[str], path: JsonPath, value: object) -> str:
        wanted = [t for t in expected if t != "null"] or expected
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in wanted)
        raw = self.plain_scalar(path)
        if "string" in wanted and raw is not None and isinstance(value, int | float | bool):
            return f'must be a string, but YAML reads {raw} as {_kind(value)}; write "{raw}"'
        if value is None:
            return f"must be {words}, not empty" if raw in (None, "") else f"must be {words} (got null)"
        if wanted == ["boolean"] and isinstance(value, str) and value.lower() in _YAML11_BOOLEANS:
            return f"must be true or false (got {_show(value)}: in YAML 1.2 {value} is text)"
        if wanted == ["integer"] and isinstance(value, str) and value.strip().isdigit():
            return f"must be an integer (got the text {_show(value)}); write {value.strip()} without quotes"
        return f"must be {words} (got {_show(value)})"
