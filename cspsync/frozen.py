"""The base of cspsync's frozen pydantic models: the declarations (the plan's are records, cspsync/records.py).

pydantic keeps, on every instance, the set of the field names it was given (``model_fields_set``): a set of
5 to 18 names takes 728 bytes, more than the instance's own values. In the declarations those sets were 38 %
of the memory (38 of 100 MiB at 10,000 customers). A frozen model never changes its set, so every instance
given the same fields shares one: the sets are made once per distinct combination.

Only a model that can never be changed may share: pydantic changes the set in place only on assignment
(refused here: ``frozen``), and ``model_copy`` gives the copy a set of its own before it adds the updated
names, which is then shared again.

A customer file's tree of ~10 models is made in one ``model_validate`` call, where a post-init hook would
cost a call back into Python per instance (~6 us of a file's ~18 us, bench/README.md): ``cspsync validate``
never keeps the models, so only the checks that keep them share, once per tree, with
:func:`share_fields_sets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Self, get_args

from pydantic import BaseModel, ConfigDict

#: one set per distinct combination of given fields, kept for the life of the process (a few hundred at most:
#: a combination per model and kind of declaration, not per instance)
_SHARED: dict[frozenset[str], set[str]] = {}


def share_fields_set(model: BaseModel) -> None:
    """Point ``model`` at the shared set equal to its own (registering its own when it is the first)."""
    fields = model.__pydantic_fields_set__
    shared = _SHARED.setdefault(frozenset(fields), fields)
    if shared is not fields:
        object.__setattr__(model, "__pydantic_fields_set__", shared)


def share_fields_sets(model: BaseModel) -> None:
    """Share the sets of ``model`` and of every model under it (in fields, lists and mappings).

    Only the fields whose type can hold a model are visited (found once per class): a walk over every
    field's value took 19 us per customer file, more than building its models; this one takes ~9 us."""
    share_fields_set(model)
    values = model.__dict__
    for name in _nested_fields(type(model)):
        value = values[name]
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else (value,)
        for item in items:
            if isinstance(item, BaseModel):
                share_fields_sets(item)


@cache
def _nested_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The names of ``model``'s fields whose type mentions a model (directly, in a union, list or mapping)."""
    return tuple(name for name, field in model.model_fields.items() if _mentions_model(field.annotation))


def _mentions_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_mentions_model(argument) for argument in get_args(annotation))


class FrozenModel(BaseModel):
    """A model no one can change, unknown fields refused; copies share their set of given fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        share_fields_set(copied)
        return copied
