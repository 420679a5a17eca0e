"""The JSON Schema of a saved plan, generated from :class:`cspsync.plan.model.Plan` (schemas/plan.schema.json).

The model is the source here (a plan is produced by cspsync, not written by people); a test checks that
the committed schema file is what this function produces, so the two never drift.
"""

from __future__ import annotations

import json
from typing import Any

from cspsync.plan.model import FORMAT_VERSION, Plan

SCHEMA_ID = "https://cspsync.io/schemas/plan.schema.json"


def plan_schema() -> dict[str, Any]:
    schema = Plan.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "cspsync plan",
        "description": (
            f"A saved cspsync plan (format {FORMAT_VERSION}): the ordered actions that take Partner Center from "
            "the observed state (fingerprinted) to the declared one. Made by `cspsync plan --out`, applied by "
            "`cspsync apply PLAN.json`, which refuses it when the observed state has changed since."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def plan_schema_text() -> str:
    return json.dumps(plan_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # python -m cspsync.plan.schema > schemas/plan.schema.json
    print(plan_schema_text(), end="")
