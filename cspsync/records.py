"""The base of cspsync's records: frozen, slotted pydantic dataclasses that answer pydantic's model API.

A plan of 100,000 customers is about 1.2 million objects (its actions, their payloads, their money, the
customers' plans), and its declarations another million (each customer file's tree of ~10). As pydantic
models each kept its fields in a dict of its own (pydantic-core makes one per instance, so Python's
key-sharing never applies): 544 bytes for an action, a customer's plan or a Money with its dict, 352 for a
payload. A slotted record keeps its fields in the instance: 168 bytes for a Money, 136 for an action. A full
plan of 100,000 customers peaked at 1,955 MiB before, 985 MiB after it and what it uncovered
(bench/README.md, ninth round).

The records are still pydantic's: made with the fields checked and coerced as a model's are (a list given for
a tuple field becomes a tuple, an unknown field is refused), serialized and validated by the same core, so
the saved plan's JSON and its schema are unchanged.

:class:`Record` gives them the few model methods cspsync uses (``model_copy``, ``model_dump``,
``model_validate``...), so a record reads as a model does; declare one with :func:`record`.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, ClassVar, Self, TypeVar, cast, dataclass_transform, overload

import pydantic
import pydantic.dataclasses
from pydantic import ConfigDict
from pydantic_core import SchemaSerializer, SchemaValidator

_CONFIG = ConfigDict(extra="forbid")
#: the declarations' records are built from parsed YAML, nested mappings and all: a strict dataclass takes only
#: an instance of itself, so strictness is on their field types (cspsync/declarations/models.py)
_DECLARED = ConfigDict(extra="forbid", defer_build=True)
T = TypeVar("T")


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, slots: bool = True, declared: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(pydantic.Field, dataclasses.field))
def record(
    cls: type[T] | None = None, /, *, slots: bool = True, declared: bool = False
) -> type[T] | Callable[[type[T]], type[T]]:
    """``cls`` as a frozen pydantic dataclass, fields given by keyword, unknown fields refused; slotted unless
    it caches what it works out (a plan, of which there is one); ``declared``: made from parsed YAML, its
    schema built when first used (``cspsync validate`` may never need it)."""

    def make(target: type[T]) -> type[T]:
        config = _DECLARED if declared else _CONFIG
        made = pydantic.dataclasses.dataclass(target, frozen=True, slots=slots, kw_only=True, config=config)
        return cast(type[T], made)

    return make if cls is None else make(cls)


class Record:
    """What every record answers: pydantic's model methods, on a dataclass."""

    __slots__ = ()
    __pydantic_serializer__: ClassVar[SchemaSerializer]
    __pydantic_validator__: ClassVar[SchemaValidator]

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy with ``update``'s fields replaced, not checked again (as pydantic's ``model_copy``): the
        values are the planner's own. A name that is not a field is refused (AttributeError)."""
        kind: type = type(self)
        names = _fields(kind)
        copied: Self = object.__new__(kind)
        for name in names:
            object.__setattr__(copied, name, getattr(self, name))
        for name, value in (update or {}).items():
            if name not in names:
                raise AttributeError(f"{kind.__name__} has no field {name!r}")
            object.__setattr__(copied, name, value)
        return copied

    def model_dump(self, **options: Any) -> dict[str, Any]:
        dumped: dict[str, Any] = self.__pydantic_serializer__.to_python(self, **options)
        return dumped

    def model_dump_json(self, *, indent: int | None = None, **options: Any) -> str:
        return self.__pydantic_serializer__.to_json(self, indent=indent, **options).decode()

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        result: Self = cls.__pydantic_validator__.validate_python(data)
        return result

    @classmethod
    def model_validate_json(cls, text: str | bytes) -> Self:
        result: Self = cls.__pydantic_validator__.validate_json(text)
        return result

    @classmethod
    def model_json_schema(cls, *, mode: str = "validation") -> dict[str, Any]:
        return pydantic.TypeAdapter(cls).json_schema(mode=mode)  # type: ignore[arg-type]


def shared_text(value: T) -> T:
    """``value``, when it is a text, as the one object every equal text interned before it is (``sys.intern``):
    for what thousands of records repeat (a market, a culture, an offer id); anything else as it is."""
    # exactly str (sys.intern refuses a subclass, an enum's member); isinstance is what mypy narrows on
    return cast(T, sys.intern(value)) if isinstance(value, str) and type(value) is str else value


@cache
def _fields(cls: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(cls))
