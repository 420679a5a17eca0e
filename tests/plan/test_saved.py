"""A file given to ``apply`` (or ``merge-plans``) that is no plan is refused with what is wrong with it, for a
person: cut off, not JSON, a plan of another format, or the first field that is wrong. The refusal used to
say only "1 validation error for Plan"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cspsync.errors import PlanError
from cspsync.plan.saved import load_saved_plan

GOLDEN = Path(__file__).resolve().parents[1] / "render" / "golden" / "plan-examples.json"


def _refusal(path: Path) -> str:
    with pytest.raises(PlanError) as caught:
        load_saved_plan(path)
    assert caught.value.hint == "make one with `cspsync plan --out FILE`"
    return caught.value.message


def test_a_plan_cut_off_mid_write_says_so(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(GOLDEN.read_bytes()[:500])
    assert _refusal(path).startswith(f"{path} is not a cspsync plan: it ends before its JSON does (EOF while parsing")
    assert _refusal(path).endswith("): cut off?")


def test_a_file_that_is_not_json_says_so(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("customers:\n  - contoso\n", encoding="utf-8")
    assert _refusal(path) == f"{path} is not a cspsync plan: not JSON (expected value at line 1 column 1)"


@pytest.mark.parametrize(
    "content", [b"\xff\xfe{}", '{"format_version": "1.0"}'.encode("utf-16")], ids=["binary", "utf-16"]
)
def test_a_file_that_is_not_utf8_text_says_so(tmp_path: Path, content: bytes) -> None:
    """A binary file or a plan saved as UTF-16 by an editor: refused (it was an internal error, exit 3)."""
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    assert _refusal(path) == f"{path} is not a cspsync plan: not UTF-8 text (byte 0xff at offset 0)"


def test_a_plan_of_another_format_names_it_and_the_cspsync_that_made_it(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "2.0", "cspsync_version": "2.3.0", "actions": "?"}))
    assert _refusal(path) == f"{path} is not a cspsync plan: plan format 2.0 (cspsync 2.3.0); this cspsync reads 1.0"


def test_a_missing_field_is_named_with_where_it_is(tmp_path: Path) -> None:
    document: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    order = next(a for a in document["actions"] if a["kind"] == "order-subscription")
    del order["payload"]["quantity"]
    index = document["actions"].index(order)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert _refusal(path) == (
        f"{path} is not a cspsync plan: actions.{index}.order-subscription.payload.quantity: Field required"
    )


def test_a_json_list_is_not_a_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("[]", encoding="utf-8")
    assert _refusal(path) == f"{path} is not a cspsync plan: the file: Input should be an object"
