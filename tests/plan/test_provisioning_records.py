"""The apply records a plan reads for orders still provisioning: a record damaged by hand (an action that is
not a mapping, actions that are not a list) is read around, never a traceback, and the orders the rest of it
names are still held back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cspsync.apply.provisioning import recent_orders
from cspsync.declarations.keys import subscription_key, tenant_key
from cspsync.plan.model import Kind

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
CUSTOMER = "6f8a3c2e-1b4d-4e5f-9a0b-7c6d5e4f3a2b"


def _order(order_id: str) -> dict[str, object]:
    return {
        "kind": Kind.ORDER_SUBSCRIPTION.value,
        "status": "done",
        "details": {"customerId": CUSTOMER, "friendlyName": "Azure plan", "orderId": order_id},
    }


@pytest.mark.parametrize(
    "damaged",
    [[1, "x", None, ["a"]], "actions", 7, {"kind": "order-subscription"}],
    ids=["entries-not-mappings", "a-text", "a-number", "a-mapping"],
)
def test_a_damaged_apply_record_is_read_around(tmp_path: Path, damaged: object) -> None:
    started = (NOW - dt.timedelta(minutes=5)).isoformat()
    good = {"started_at": started, "target": "emulator", "actions": [_order("order-1")]}
    entries = damaged if not isinstance(damaged, list) else [*damaged, _order("order-2")]
    bad = {"started_at": started, "target": "emulator", "actions": entries}
    (tmp_path / "2026-12-03T11-55-00Z-a.json").write_text(json.dumps(good), encoding="utf-8")
    (tmp_path / "2026-12-03T11-56-00Z-b.json").write_text(json.dumps(bad), encoding="utf-8")

    found = recent_orders(tmp_path, "emulator", NOW)

    held = found[(tenant_key(CUSTOMER) or "", subscription_key("Azure plan"))]
    assert held == (["order-2", "order-1"] if isinstance(damaged, list) else ["order-1"])
