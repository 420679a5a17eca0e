"""docs/subscriptions.md shows a valid declaration and the plan lines cspsync really prints (the goldens)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml_rs

from cspsync.declarations.models import CustomerSpec
from cspsync.declarations.schema import load_schema

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "subscriptions.md").read_text(encoding="utf-8")
GOLDEN = REPO / "tests" / "render" / "golden"


def test_the_documented_azure_subscriptions_are_the_schemas() -> None:
    block = yaml_rs.loads(re.findall(r"```yaml\n(.*?)```", DOC, re.DOTALL)[0])
    assert isinstance(block, dict)
    plan = block["spec"]["subscriptions"][0]
    keys = load_schema("customer")["$defs"]["azureSubscription"]["properties"]
    assert all(set(entry) <= set(keys) for entry in plan["azureSubscriptions"])
    CustomerSpec.model_validate(
        {
            **block["spec"],
            "company": {
                "name": "Adatum GmbH",
                "billingEmail": "a@adatum.de",
                "culture": "de-DE",
                "language": "de",
                "address": {"addressLine1": "x", "city": "Berlin", "country": "DE"},
                "primaryContact": {"firstName": "J", "lastName": "B", "email": "j@adatum.de"},
            },
            "tenant": {"mode": "existing", "tenantId": "7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12"},
        }
    )


def test_the_sample_plans_are_the_golden_renderings() -> None:
    samples = [b for _, b in re.findall(r"```(\w*)\n(.*?)```", DOC, re.DOTALL) if b.startswith("adatum  (")]
    assert len(samples) == 2
    assert samples[0] in (GOLDEN / "plan-azure-create.txt").read_text(encoding="utf-8")
    assert samples[1] in (GOLDEN / "plan-azure.txt").read_text(encoding="utf-8")
