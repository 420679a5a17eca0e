"""The Azure subscriptions under each declared Azure plan, read once per customer that declares some.

Read after the subscriptions ("Get a list of Azure entitlements for a subscription": ``GET
…/subscriptions/{azure-plan-id}/azureEntitlements``), only for a live Azure plan whose declaration lists
``azureSubscriptions``, so a plan without them costs no extra call. Azure Resource Manager creates and
renames them, which Partner Center's activity log does not show: they are never taken from the observe
memory. A failed read makes the customer unknown, like every other read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from cspsync.declarations import Declared
from cspsync.observe.per_subscription import read_per_subscription, wanted_subscriptions
from cspsync.observe.state import Observation, ObservedAzureSubscription, ObservedSubscription
from cspsync.partnercenter.client import PartnerCenterClient


def read_azure_subscriptions(
    client: PartnerCenterClient, observation: Observation, declared: Sequence[Declared], workers: int = 8
) -> None:
    """Fill ``azure_subscriptions`` of each live Azure plan whose declaration lists Azure subscriptions."""
    wanted = wanted_subscriptions(
        observation, declared, lambda sub: sub.offer == "azure-plan" and bool(sub.azureSubscriptions)
    )

    def entitlements(customer_id: str, live: ObservedSubscription) -> ObservedSubscription:
        found = client.azure_entitlements(customer_id, live.id)
        azure = tuple(
            sorted(
                (
                    ObservedAzureSubscription(
                        id=e.id, friendly_name=e.friendly_name or "", status=(e.status or "none").lower()
                    )
                    for e in found
                ),
                key=lambda a: a.id,
            )
        )
        return dataclasses.replace(live, azure_subscriptions=azure)

    read_per_subscription(observation, wanted, entitlements, "the Azure subscriptions", workers)
