"""Where a subscription whose declaration names another offer can go: now (an upgrade) or at renewal.

Read only for those subscriptions, after the subscriptions themselves ("Transition a new commerce
subscription": ``transitionEligibilities?eligibilityType=immediate`` and ``scheduled``), so a plan with
no offer change costs no extra call. A failed read makes the customer unknown, like every other read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from cspsync.declarations import Declared
from cspsync.declarations.keys import live_offer_key, same_offer
from cspsync.declarations.models import LicenseOffer
from cspsync.observe.per_subscription import read_per_subscription, wanted_subscriptions
from cspsync.observe.state import Observation, ObservedSubscription
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.models import TransitionEligibility


def _eligible(items: list[TransitionEligibility]) -> tuple[str, ...]:
    return tuple(sorted({live_offer_key(i.catalog_item_id) for i in items if i.catalog_item_id and i.eligible()}))


def read_offer_changes(
    client: PartnerCenterClient, observation: Observation, declared: Sequence[Declared], workers: int = 8
) -> None:
    """Fill ``upgrades`` and ``renewal_offers`` of each live subscription a declaration moves to another offer."""
    wanted = wanted_subscriptions(
        observation,
        declared,
        lambda sub: isinstance(sub.offer, LicenseOffer),
        lambda sub, live: not same_offer(sub, live.offer_id),
    )

    def eligibilities(customer_id: str, live: ObservedSubscription) -> ObservedSubscription:
        now = client.transition_eligibilities(customer_id, live.id, "immediate")
        later = client.transition_eligibilities(customer_id, live.id, "scheduled")
        return dataclasses.replace(live, upgrades=_eligible(now), renewal_offers=_eligible(later))

    read_per_subscription(observation, wanted, eligibilities, "transition eligibilities", workers)
