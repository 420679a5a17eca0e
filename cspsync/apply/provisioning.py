"""Orders an earlier apply placed whose subscription Partner Center does not list yet.

Partner Center lists an order and its subscriptions up to 15 minutes after checkout ("Create an Azure
plan"), so the subscription list alone cannot prove that nothing was bought. The apply records of the last
day name the orders that were placed without learning their subscription; each is read back by id
(``GET /v1/customers/{customer}/orders/{order}``) before it counts, and a cancelled or unknown one does not.
A record can only hold an order back, never cause one. Apply uses this before it orders; the plan uses it
to show such an order as waiting for Partner Center, not as a new order that costs money again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

from cspsync.declarations.keys import subscription_key, tenant_key
from cspsync.errors import NotFoundError
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.plan.model import Kind

#: (customer tenant key, subscription key) -> ids of the orders placed for it, newest first
RecentOrders = Mapping[tuple[str, str], list[str]]


def still_provisioning(
    client: PartnerCenterClient, orders: RecentOrders, customer_id: str, friendly_name: str
) -> str | None:
    """The id of an order of ``orders`` for this subscription that Partner Center still has (not
    cancelled), else None."""
    for order_id in orders.get((tenant_key(customer_id) or "", subscription_key(friendly_name)), []):
        try:
            order = client.get_order(customer_id, order_id)
        except NotFoundError:
            continue
        if (order.status or "").lower() != "cancelled":
            return order_id
    return None


def recent_orders(folder: Path, target: str, now: dt.datetime, current: Path | None = None) -> RecentOrders:
    """The unprovisioned orders of the apply records (format 1.0 or 2.0) under ``folder`` of the last day,
    newest first; ``current``: the record of the apply asking, left out."""
    found: dict[tuple[str, str], list[str]] = {}
    since = now - dt.timedelta(days=1)
    for path in sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []:
        if path == current:
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            started = dt.datetime.fromisoformat(str(record.get("started_at") or record["startedAt"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if started < since or record.get("target") != target:
            continue
        actions = record.get("actions")
        for entry in actions if isinstance(actions, list) else []:  # a record edited by hand is read around
            if not isinstance(entry, dict):
                continue
            details = entry.get("details")
            if entry.get("kind") != Kind.ORDER_SUBSCRIPTION.value or entry.get("status") != "done":
                continue
            if not isinstance(details, dict) or details.get("subscriptionId") or not details.get("orderId"):
                continue
            key = (
                tenant_key(str(details.get("customerId", ""))) or "",
                subscription_key(str(details.get("friendlyName"))),
            )
            found.setdefault(key, []).append(str(details["orderId"]))
    return found
