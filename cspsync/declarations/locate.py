"""Where things are in a YAML text, read with PyYAML's C parser: marks and structure, never values.

cspsync takes every value from yaml-rs (YAML 1.2, see ``load.py``). PyYAML is a YAML 1.1 parser, so its
values could differ (``NO`` is false there); its *marks* do not, so it is used only to answer "at which
line and column is ``spec.subscriptions[1].quantity``?" for files that have a problem, and to scan the
event stream of files whose text could hold tags, anchors, aliases or directives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from cspsync.declarations.problems import JsonPath

if TYPE_CHECKING:
    import yaml


@cache
def _loader() -> type[yaml.SafeLoader]:
    """PyYAML's C loader. PyYAML is imported where it is used: a valid block-style file never needs it."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


# The YAML 1.2 core schema's tags: they only say what the value already looks like, or that it is text.
CORE_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq"))


# YAML 1.2 core schema: plain scalars that are null, booleans or numbers (yaml-rs reads them so), not text.
YAML12_NOT_TEXT = re.compile(
    r"|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)


@dataclass(frozen=True)
class Spot:
    """A 1-based line and column and what is wrong there."""

    line: int
    column: int
    message: str
    path: JsonPath = ()


class _Mark(Protocol):
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


def _position(mark: _Mark | None) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def yaml_error_spot(err: yaml.YAMLError) -> Spot:
    """PyYAML's error, at the place of the problem (not of the context it started in)."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    line, column = _position(mark)
    return Spot(line, column, f"invalid YAML: {problem}")


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def scan_events(text: str, *, alias_budget: int) -> list[Spot]:
    """Tags, directives, document count and alias expansion, from the event stream.

    ``alias_budget`` bounds the nodes that aliases may replay in total (the "billion laughs" guard): each
    alias costs the size of the node it repeats, aliases inside it included.
    """
    import yaml

    spots: list[Spot] = []
    sizes: dict[str, int] = {}  # anchor -> nodes its alias replays
    open_nodes: list[tuple[str | None, int]] = []  # collections being read: (anchor, weight at start)
    weight = 0  # nodes read so far, alias replays counted in full
    replayed = 0
    documents = 0
    try:
        for event in yaml.parse(text, Loader=_loader()):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents == 2:
                    line, column = _position(event.start_mark)
                    spots.append(Spot(line, column, "a second YAML document starts here: one customer per file"))
                if event.version is not None and tuple(event.version) != (1, 2):
                    version = ".".join(str(v) for v in event.version)
                    line, column = _position(event.start_mark)
                    spots.append(
                        Spot(
                            line,
                            column,
                            f"%YAML {version} directive: cspsync reads YAML 1.2 (yes, no, on and "
                            "off are text); remove the directive",
                        )
                    )
                if event.tags:
                    line, column = _position(event.start_mark)
                    spots.append(Spot(line, column, "%TAG directives are not allowed: declarations are plain YAML"))
            elif isinstance(event, yaml.AliasEvent):
                name = event.anchor or ""
                line, column = _position(event.start_mark)
                if any(anchor == name for anchor, _ in open_nodes):
                    spots.append(Spot(line, column, f"alias *{name} refers to the node that contains it"))
                    continue
                size = sizes.get(name, 1)
                weight += size
                replayed += size
                if replayed > alias_budget and replayed - size <= alias_budget:
                    spots.append(
                        Spot(
                            line,
                            column,
                            f"aliases expand to more than {alias_budget} nodes; write the "
                            "values out instead (this guards against 'billion laughs' files)",
                        )
                    )
            elif isinstance(event, yaml.NodeEvent):
                tag = getattr(event, "tag", None)
                if tag is not None and tag not in CORE_TAGS:
                    line, column = _position(event.start_mark)
                    spots.append(
                        Spot(
                            line,
                            column,
                            f"tag {_show_tag(tag)} is not allowed: declarations are plain YAML "
                            "(quote a value to make it text)",
                        )
                    )
                weight += 1
                if isinstance(event, yaml.CollectionStartEvent):
                    open_nodes.append((event.anchor, weight - 1))
                elif event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, start = open_nodes.pop()
                if anchor:
                    sizes[anchor] = weight - start
    except yaml.YAMLError as err:
        spots.append(yaml_error_spot(err))
    return spots


class Locator:
    """Line and column of a field path in one YAML text; composes the text on first use only."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._root: yaml.Node | None = None
        self._composed = False

    def _tree(self) -> yaml.Node | None:
        import yaml

        if not self._composed:
            self._composed = True
            try:
                for node in yaml.compose_all(self._text, Loader=_loader()):
                    self._root = node
                    break
            except yaml.YAMLError:
                self._root = None
        return self._root

    def _walk(self, path: JsonPath) -> tuple[yaml.Node | None, yaml.Node | None]:
        """The deepest (key node, value node) on ``path`` that exists."""
        import yaml

        node = self._tree()
        key: yaml.Node | None = None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                match = next(
                    ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)),
                    None,
                )
                if match is None:
                    break
                key, node = match
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                key, node = None, node.value[part]
            else:
                break
        return key, node

    def locate(self, path: JsonPath, *, at_key: bool = False) -> tuple[int, int]:
        key, node = self._walk(path)
        target = key if at_key and key is not None else node
        return _position(target.start_mark) if target is not None else (1, 1)

    def plain_scalar(self, path: JsonPath) -> str | None:
        """The text of the value at ``path`` as written, when it is an unquoted scalar."""
        import yaml

        _, node = self._walk(path)
        if isinstance(node, yaml.ScalarNode) and not node.style:  # plain: None (Python) or "" (libyaml)
            return str(node.value)
        return None

    def mismatch(self, data: Any) -> Spot | None:
        """Where PyYAML's reading of the text has another structure than ``data`` (yaml-rs's reading).

        Compares mappings (their text keys), lists and scalars; None when they agree. Aliases are followed,
        so call this only after :func:`scan_events` has bounded and checked them.
        """
        root = self._tree()
        if root is None:
            return Spot(
                1, 1, "invalid YAML: PyYAML cannot read this file although yaml-rs can; write it in plain block style"
            )
        return _mismatch(root, data, ())

    def duplicate_keys(self) -> list[Spot]:
        """Every key that repeats a key of the same mapping, with where it was first written."""
        import yaml

        spots: list[Spot] = []
        seen_nodes: set[int] = set()
        stack: list[tuple[yaml.Node | None, JsonPath]] = [(self._tree(), ())]
        while stack:
            node, path = stack.pop()
            if node is None or id(node) in seen_nodes:
                continue
            seen_nodes.add(id(node))
            if isinstance(node, yaml.MappingNode):
                first: dict[str, yaml.Node] = {}
                for key, value in node.value:
                    if not isinstance(key, yaml.ScalarNode):
                        continue
                    if key.value in first:
                        line, column = _position(key.start_mark)
                        earlier, _ = _position(first[key.value].start_mark)
                        spots.append(
                            Spot(line, column, f"duplicate key (first written on line {earlier})", (*path, key.value))
                        )
                    else:
                        first[key.value] = key
                        stack.append((value, (*path, key.value)))
            elif isinstance(node, yaml.SequenceNode):
                stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
        return sorted(spots, key=lambda s: (s.line, s.column))


def _mismatch(node: yaml.Node, value: Any, path: JsonPath) -> Spot | None:
    import yaml

    line, column = _position(node.start_mark)
    differs = Spot(line, column, "YAML parsers read this differently; write it in plain block style", path)
    if isinstance(node, yaml.MappingNode):
        if not isinstance(value, dict) or len(node.value) != len(value):
            return differs
        not_text: list[yaml.Node] = []
        for key, item in node.value:
            if not isinstance(key, yaml.ScalarNode) or (not key.style and YAML12_NOT_TEXT.fullmatch(key.value)):
                # a complex, null, boolean or number key: the schema refuses it as not text, provided yaml-rs
                # does not read it as text (``{?}`` is the null key to PyYAML and the key "?" to yaml-rs)
                not_text.append(key)
                continue
            if key.value not in value:
                line, column = _position(key.start_mark)
                return Spot(line, column, "YAML parsers read this key differently; write it in plain block style", path)
            found = _mismatch(item, value[key.value], (*path, key.value))
            if found:
                return found
        if not_text and sum(isinstance(k, str) for k in value) != len(node.value) - len(not_text):
            line, column = _position(not_text[0].start_mark)
            return Spot(line, column, "YAML parsers read this key differently; write it in plain block style", path)
        return None
    if isinstance(node, yaml.SequenceNode):
        if not isinstance(value, list) or len(node.value) != len(value):
            return differs
        for index, (item, item_value) in enumerate(zip(node.value, value, strict=True)):
            found = _mismatch(item, item_value, (*path, index))
            if found:
                return found
        return None
    return differs if isinstance(value, dict | list) else None
