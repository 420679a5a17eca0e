"""Partner Center's price sheets: download once per market and month, cache, parse the rows a plan needs.

What the plan does with the costs is :mod:`cspsync.plan.money`; pricebooks (the customer's prices) are
declarations (:mod:`cspsync.declarations.pricebooks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cspsync.pricing.cache import PriceSheetCache
    from cspsync.target import Connection
    from cspsync.workspace import Workspace


def price_sheets(connection: Connection, workspace: Workspace) -> PriceSheetCache:
    """The price sheets of ``connection``'s target, downloaded through its client once per market and month."""
    from cspsync.pricing.cache import PriceSheetCache

    client = connection.client
    return PriceSheetCache(
        workspace.price_sheets(connection.target),
        lambda market, view: client.price_sheet(market, view),
    )


__all__ = ["price_sheets"]
