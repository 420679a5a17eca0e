"""Money in the plan: pricebooks, Partner Center's price sheet, and the cost of every change.

:func:`price_plan` is the pass that adds money to a plan; :func:`price_sheets` gives it the costs of a
connection's target, cached under ``.cspsync/pricesheets/<target>/`` (see :mod:`cspsync.pricing.cache`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cspsync.pricing.annotate import CostSource, price_plan
from cspsync.pricing.cache import PriceSheetCache
from cspsync.pricing.currency import format_money, market_currency, round_money
from cspsync.pricing.pricebook import OfferKey, Pricebook, load_pricebooks

if TYPE_CHECKING:
    from cspsync.target import Connection
    from cspsync.workspace import Workspace


def price_sheets(connection: Connection, workspace: Workspace) -> PriceSheetCache:
    """The price sheets of ``connection``'s target, downloaded through its client once per market and month."""
    client = connection.client
    return PriceSheetCache(
        workspace.root / "pricesheets" / connection.target,
        lambda market, view: client.price_sheet(market, view),
    )


__all__ = [
    "CostSource",
    "OfferKey",
    "PriceSheetCache",
    "Pricebook",
    "format_money",
    "load_pricebooks",
    "market_currency",
    "price_plan",
    "price_sheets",
    "round_money",
]
