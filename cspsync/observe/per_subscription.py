"""Reads made for some live subscriptions after the subscriptions themselves, all in the same way.

Each is one or two calls per subscription (Azure entitlements, transition eligibilities), run in parallel,
and its answer replaces the subscription in the observation. A failed read makes the customer unknown,
like every other read: it is never planned from half of what was seen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from cspsync.declarations import Declared
from cspsync.declarations.keys import find_subscription
from cspsync.declarations.models import Subscription
from cspsync.errors import PartnerCenterError
from cspsync.observe.state import Observation, ObservedSubscription
from cspsync.threads import in_threads

#: (customer name, customer id, the live subscription to read more of)
Wanted = tuple[str, str, ObservedSubscription]


def wanted_subscriptions(
    observation: Observation,
    declared: Sequence[Declared],
    declares: Callable[[Subscription], bool],
    needs: Callable[[Subscription, ObservedSubscription], bool] = lambda _sub, _live: True,
) -> list[Wanted]:
    """The live subscriptions of found customers whose declaration ``declares`` what the read is for and
    whose live state ``needs`` it; a customer already unknown has no customer in the observation."""
    wanted: list[Wanted] = []
    for item in declared:
        name = item.customer.metadata.name
        customer = observation.customers.get(name)
        if customer is None or customer.subscriptions is None:
            continue
        for sub in item.customer.spec.subscriptions:
            if not declares(sub):
                continue
            live = find_subscription(sub.subscriptionId, sub.friendlyName, customer.subscriptions)
            if live is not None and needs(sub, live):
                wanted.append((name, customer.id, live))
    return wanted


def read_per_subscription(
    observation: Observation,
    wanted: Sequence[Wanted],
    read: Callable[[str, ObservedSubscription], ObservedSubscription],
    what: str,
    workers: int,
) -> None:
    """``read(customer_id, live)`` for each wanted subscription; its result takes the subscription's place.
    ``what`` names the read in the unknown customer's reason ("transition eligibilities")."""
    if not wanted:
        return

    def one(job: Wanted) -> tuple[str, ObservedSubscription, ObservedSubscription | PartnerCenterError]:
        name, customer_id, live = job
        try:
            return name, live, read(customer_id, live)
        except PartnerCenterError as err:
            return name, live, err

    for name, live, result in in_threads(one, wanted, workers):
        if isinstance(result, PartnerCenterError):
            observation.unknown[name] = f"{what} of {live.friendly_name} could not be read: {result.message}"
            observation.customers.pop(name, None)
            continue
        customer = observation.customers.get(name)
        if customer is None or customer.subscriptions is None:
            continue
        subs = tuple(result if s.id == live.id else s for s in customer.subscriptions)
        observation.customers[name] = dataclasses.replace(customer, subscriptions=subs)
