"""docs/pricing.md shows a valid pricebook and budget, real flags, and the money lines the plan prints."""

from __future__ import annotations

import re
from typing import Any

import yaml_rs
from click.testing import CliRunner

from cspsync.cli import cli
from cspsync.declarations import Repository
from cspsync.declarations.models import Budget
from cspsync.declarations.pricebooks import PricebookFile
from cspsync.declarations.schema import is_valid, load_schema
from cspsync.observe.state import Observation
from cspsync.plan.money import price_plan
from cspsync.render import render

from .conftest import REPO
from .test_plan_money import ORDER, Sheet, _plan

DOC = (REPO / "docs" / "pricing.md").read_text(encoding="utf-8")


def _yaml_blocks() -> list[Any]:
    return [yaml_rs.loads(block) for block in re.findall(r"```yaml\n(.*?)```", DOC, re.DOTALL)]


def test_the_documented_pricebook_is_valid_and_is_the_examples() -> None:
    documented = next(block for block in _yaml_blocks() if block.get("kind") == "Pricebook")
    assert is_valid("pricebook", documented)
    example = yaml_rs.loads((REPO / "examples" / "pricebooks" / "retail-gbp.yaml").read_text())
    assert PricebookFile.model_validate(documented).rules == PricebookFile.model_validate(example).rules


def test_the_documented_budget_and_customer_keys_are_the_schemas() -> None:
    budget = next(block["budget"] for block in _yaml_blocks() if "budget" in block)
    assert set(budget) == set(load_schema("config")["properties"]["budget"]["properties"])
    Budget.model_validate(budget)
    spec = next(block["spec"] for block in _yaml_blocks() if "spec" in block)
    customer_spec = load_schema("customer")["$defs"]["customerSpec"]["properties"]
    assert set(spec) <= set(customer_spec)


def test_the_apply_flag_exists() -> None:
    assert "--allow-over-budget" in DOC
    assert "--allow-over-budget" in CliRunner().invoke(cli, ["apply", "--help"]).output


def test_the_sample_lines_are_what_the_renderer_writes(repo: Repository) -> None:
    sample = DOC.split("```\n", 2)[1].splitlines()[1:]
    priced = price_plan(_plan(ORDER), repo, repo.customers, Observation(), Sheet())
    rendered = render(priced, "text").splitlines()
    start = rendered.index(sample[0])
    assert rendered[start : start + len(sample)] == sample
