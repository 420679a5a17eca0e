"""Money in the plan: pricebooks, Partner Center's price sheet, and the cost of every change.

:func:`price_plan` is the pass that adds money to a plan; :func:`price_sheets` gives it the costs of a
connection's target, cached under ``.cspsync/pricesheets/<target>/`` (see :mod:`cspsync.pricing.cache`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cspsync.pricing.annotate import CostSource, price_plan
    from cspsync.pricing.cache import PriceSheetCache
    from cspsync.pricing.currency import format_money, market_currency, round_money
    from cspsync.pricing.pricebook import OfferKey, Pricebook, load_pricebooks
    from cspsync.target import Connection
    from cspsync.workspace import Workspace

#: imported on first use: ``cspsync validate`` reaches cspsync.pricing.rules through this package and must
#: not pay for the planner, deepdiff and the price-sheet machinery it never uses
_LAZY = {
    "CostSource": "cspsync.pricing.annotate",
    "price_plan": "cspsync.pricing.annotate",
    "PriceSheetCache": "cspsync.pricing.cache",
    "format_money": "cspsync.pricing.currency",
    "market_currency": "cspsync.pricing.currency",
    "round_money": "cspsync.pricing.currency",
    "OfferKey": "cspsync.pricing.pricebook",
    "Pricebook": "cspsync.pricing.pricebook",
    "load_pricebooks": "cspsync.pricing.pricebook",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cspsync.pricing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def price_sheets(connection: Connection, workspace: Workspace) -> PriceSheetCache:
    """The price sheets of ``connection``'s target, downloaded through its client once per market and month."""
    from cspsync.pricing.cache import PriceSheetCache

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
