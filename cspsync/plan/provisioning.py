"""New orders an earlier apply already placed, while Partner Center still provisions them.

Partner Center lists an order's subscriptions up to 15 minutes after checkout, so a plan made meanwhile
finds the subscription missing. Without this it showed a new ``+ order`` and counted its money and budget
again, though apply would order nothing (it reads the same apply records before ordering). Such an order
is planned as waiting, for Partner Center rather than a person, with the order it waits for; it costs
nothing in the plan's money, and what depends on it waits too. The next plan, once the subscription is
listed, has nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from cspsync.plan import payloads
from cspsync.plan.builder import hold_dependents
from cspsync.plan.model import Action, Kind, Status

_READY: tuple[Status, ...] = ("ready",)  # what starts waiting with an order held

#: (customer tenant id, friendly name) of new orders -> the id of an earlier apply's order for it that
#: Partner Center still provisions (absent: none)
ProvisioningReader = Callable[[Collection[tuple[str, str]]], Mapping[tuple[str, str], str]]


def hold_provisioning(actions: list[Action], read: ProvisioningReader, tenants: Mapping[str, str | None]) -> set[str]:
    """Make, in ``actions`` (in place), each ready order Partner Center is still provisioning wait, and what
    depends on it; ``tenants``: the tenant id of each customer name. The ids of the orders held."""
    wanted: dict[int, tuple[str, str]] = {}
    for index, action in enumerate(actions):
        tenant = tenants.get(action.customer)
        if action.kind is Kind.ORDER_SUBSCRIPTION and action.status == "ready" and tenant:
            assert isinstance(action.payload, payloads.OrderSubscription)
            wanted[index] = (tenant, action.payload.friendly_name)
    found = read(set(wanted.values())) if wanted else {}
    held: set[str] = set()
    for index, key in wanted.items():
        order = found.get(key)
        if order is None:
            continue
        action = actions[index]
        reason = (
            f"already ordered (order {order} of an earlier apply), still being provisioned: Partner Center lists "
            "an order's subscriptions up to 15 minutes after checkout; plan again then (apply orders nothing twice)"
        )
        actions[index] = action.model_copy(update={"status": "waiting", "reason": reason})
        held.add(action.id)
    hold_dependents(actions, held, "waiting", "waits for", pending=_READY)
    return held
