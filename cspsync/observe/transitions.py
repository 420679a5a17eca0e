"""Where a subscription whose declaration names another offer can go: now (an upgrade) or at renewal.

Read only for those subscriptions, after the subscriptions themselves ("Transition a new commerce
subscription": ``transitionEligibilities?eligibilityType=immediate`` and ``scheduled``), so a plan with
no offer change costs no extra call. A failed read makes the customer unknown, like every other read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from cspsync.declarations import Declared
from cspsync.declarations.keys import find_subscription, live_offer_key, same_offer
from cspsync.declarations.models import LicenseOffer
from cspsync.errors import PartnerCenterError
from cspsync.observe.state import Observation, ObservedSubscription
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.models import TransitionEligibility


def _eligible(items: list[TransitionEligibility]) -> tuple[str, ...]:
    return tuple(sorted({live_offer_key(i.catalog_item_id) for i in items if i.catalog_item_id and i.eligible()}))


def read_offer_changes(
    client: PartnerCenterClient, observation: Observation, declared: Sequence[Declared], workers: int = 8
) -> None:
    """Fill ``upgrades`` and ``renewal_offers`` of each live subscription a declaration moves to another offer."""
    wanted: list[tuple[str, str, ObservedSubscription]] = []
    for item in declared:
        name = item.customer.metadata.name
        customer = observation.customers.get(name)
        if customer is None or customer.subscriptions is None:
            continue
        for sub in item.customer.spec.subscriptions:
            if not isinstance(sub.offer, LicenseOffer):
                continue
            live = find_subscription(sub.subscriptionId, sub.friendlyName, customer.subscriptions)
            if live is not None and not same_offer(sub, live.offer_id):
                wanted.append((name, customer.id, live))
    if not wanted:
        return

    def one(job: tuple[str, str, ObservedSubscription]) -> tuple[str, ObservedSubscription, object]:
        name, customer_id, live = job
        try:
            now = client.transition_eligibilities(customer_id, live.id, "immediate")
            later = client.transition_eligibilities(customer_id, live.id, "scheduled")
        except PartnerCenterError as err:
            return name, live, err
        return name, live, dataclasses.replace(live, upgrades=_eligible(now), renewal_offers=_eligible(later))

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(wanted)))) as pool:
        results = list(pool.map(one, wanted))
    for name, live, result in results:
        if isinstance(result, PartnerCenterError):
            observation.unknown[name] = (
                f"transition eligibilities of {live.friendly_name} could not be read: {result.message}"
            )
            observation.customers.pop(name, None)
            continue
        assert isinstance(result, ObservedSubscription)
        customer = observation.customers.get(name)
        if customer is None or customer.subscriptions is None:
            continue
        subs = tuple(result if s.id == live.id else s for s in customer.subscriptions)
        observation.customers[name] = dataclasses.replace(customer, subscriptions=subs)
