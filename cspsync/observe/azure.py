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
from concurrent.futures import ThreadPoolExecutor

from cspsync.declarations import Declared
from cspsync.declarations.keys import find_subscription
from cspsync.errors import PartnerCenterError
from cspsync.observe.state import Observation, ObservedAzureSubscription, ObservedSubscription
from cspsync.partnercenter.client import PartnerCenterClient


def read_azure_subscriptions(
    client: PartnerCenterClient, observation: Observation, declared: Sequence[Declared], workers: int = 8
) -> None:
    """Fill ``azure_subscriptions`` of each live Azure plan whose declaration lists Azure subscriptions."""
    wanted: list[tuple[str, str, ObservedSubscription]] = []
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
    if not wanted:
        return

    def one(job: tuple[str, str, ObservedSubscription]) -> tuple[str, ObservedSubscription, object]:
        name, customer_id, live = job
        try:
            found = client.azure_entitlements(customer_id, live.id)
        except PartnerCenterError as err:
            return name, live, err
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
        return name, live, dataclasses.replace(live, azure_subscriptions=azure)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(wanted)))) as pool:
        results = list(pool.map(one, wanted))
    for name, live, result in results:
        if isinstance(result, PartnerCenterError):
            observation.unknown[name] = (
                f"the Azure subscriptions of {live.friendly_name} could not be read: {result.message}"
            )
            observation.customers.pop(name, None)
            continue
        assert isinstance(result, ObservedSubscription)
        customer = observation.customers.get(name)
        if customer is None or customer.subscriptions is None:
            continue
        subs = tuple(result if s.id == live.id else s for s in customer.subscriptions)
        observation.customers[name] = dataclasses.replace(customer, subscriptions=subs)
