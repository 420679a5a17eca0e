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
from cspsync.declarations.keys import find_subscription
from cspsync.observe.per_subscription import Wanted, read_per_subscription
from cspsync.observe.state import Observation, ObservedAzureSubscription, ObservedSubscription
from cspsync.partnercenter.client import PartnerCenterClient


def read_azure_subscriptions(
    client: PartnerCenterClient, observation: Observation, declared: Sequence[Declared], workers: int = 8
) -> None:
    """Fill ``azure_subscriptions`` of each live Azure plan whose declaration lists Azure subscriptions."""
    wanted: list[Wanted] = []
    for item in declared:
        name = item.customer.metadata.name
        customer = observation.customers.get(name)
        if customer is None or customer.subscriptions is None or name in observation.unknown:
            continue
        for sub in item.customer.spec.subscriptions:
            if sub.offer != "azure-plan" or not sub.azureSubscriptions:
                continue
            live = find_subscription(sub.subscriptionId, sub.friendlyName, customer.subscriptions)
            if live is not None:
                wanted.append((name, customer.id, live))

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
