"""The cyclic garbage collector paused while a plan is built.

A plan of 10,000 customers allocates about a million small objects that all stay alive (actions, their
payloads and money), and every such batch of survivors triggers a full collection that walks every
object of the process, the loaded declarations and the observation included: six full passes were half
of ``make_plan``'s time. What a plan builds holds no reference cycles to reclaim, so collection is paused
while it is built (reference counting still frees everything else at once). When it resumes, what is
alive then (declarations, observation, the plan: alive until the command ends) is frozen
(``gc.freeze``), or the first collection after the pause would walk all of it once more.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def collector_paused(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` runs with the cyclic collector off (unless the caller had already turned it off); what is alive
    when it returns is left out of later collections."""

    @functools.wraps(fn)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.freeze()
            gc.enable()

    return paused
