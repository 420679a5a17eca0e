"""Problems in declaration files: a message at a place (file, line, column) and a field path.

Checks produce :class:`Finding` (a field path and a message, no place yet); the document that was checked
turns them into :class:`Problem` by looking the path up in its YAML (see ``locate.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

PathPart = str | int
JsonPath = tuple[PathPart, ...]

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def format_path(path: JsonPath) -> str:
    """``("spec", "subscriptions", 1, "quantity")`` -> ``spec.subscriptions[1].quantity``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return text


@dataclass(frozen=True)
class Problem:
    """One located problem; ``str()`` is the ``file:line:col: path: message`` line editors understand."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.column, self.path, self.message)


@dataclass(frozen=True)
class Finding:
    """A problem before it has a place: the field it is about and what is wrong.

    ``at_key`` points at the field's key (an unknown field, a mapping that misses a field) rather than at
    its value.
    """

    path: JsonPath
    message: str
    at_key: bool = False


def sort_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(set(problems), key=Problem.sort_key)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` was probably meant to be: same but for case, else the closest by difflib."""
    options = list(choices)
    for option in options:
        if option.casefold() == word.casefold() and option != word:
            return option
    import difflib  # only for a problem: 10 ms of start-up otherwise

    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close and close[0] != word else None
