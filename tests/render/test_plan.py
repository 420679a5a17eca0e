"""Renderings of a plan: symbols, summary line, Markdown limits and escaping, the plan schema."""

from __future__ import annotations

import datetime as dt
import errno
import html
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cmarkgfm
import jsonschema
import pytest

from cspsync.errors import PlanError
from cspsync.plan import payloads
from cspsync.plan.digest import actions_digest
from cspsync.plan.model import Action, Change, CustomerPlan, Kind, Plan, make_action
from cspsync.plan.saved import load_saved_plan
from cspsync.plan.schema import plan_schema, plan_schema_text
from cspsync.render import Format, render, render_pieces
from cspsync.render.markdown import LIMIT, escape_inline
from cspsync.workspace import write_json_atomic
from tests.golden import Golden

REPO = Path(__file__).resolve().parents[2]


_BILLING = payloads.BillingDetails(
    company_name="Contoso Bikes Ltd",
    email="billing@contoso.example",
    culture="en-GB",
    language="en",
    first_name="Amelia",
    last_name="Hughes",
    default_address=payloads.AddressDetails(country="GB"),
)
#: a payload for each kind these rendering tests use (renderers never read payloads)
_PAYLOADS: dict[Kind, payloads.Payload] = {
    Kind.CREATE_CUSTOMER: payloads.CreateCustomer(domain="c.onmicrosoft.com", billing_profile=_BILLING),
    Kind.UPDATE_SUBSCRIPTION: payloads.UpdateSubscription(subscription_id="s1", friendly_name="sub"),
    Kind.CANCEL_SUBSCRIPTION: payloads.CancelSubscription(subscription_id="s1", friendly_name="sub"),
    Kind.AWAIT_ACCEPTANCE: payloads.AwaitAcceptance(domain="c.example"),
}


def _action(customer: str, kind: Kind, summary: str, **kw: Any) -> Action:
    return make_action(kind, _PAYLOADS[kind], id=f"{customer}/{kind.value}/{summary[-12:]}", customer=customer,
                       summary=summary, **kw)  # fmt: skip


def _plan(customers: int = 1, name: str = "Contoso Bikes Ltd", friendly: str = "fabrikam-contoso-m365") -> Plan:
    plans, actions = [], []
    for i in range(customers):
        slug = f"customer-{i}"
        acts = [
            _action(slug, Kind.CREATE_CUSTOMER, f"create customer {name} with new tenant c{i}.onmicrosoft.com"),
            _action(
                slug,
                Kind.UPDATE_SUBSCRIPTION,
                f"update subscription {friendly}",
                changes=(Change(field="quantity", before=12, after=15),),
            ),
            _action(
                slug,
                Kind.CANCEL_SUBSCRIPTION,
                f"cancel subscription {friendly}-old",
                destructive=True,
                status="refused",
                reason="cancel needs destructive.allowCancel: true in cspsync.yaml",
            ),
            _action(slug, Kind.AWAIT_ACCEPTANCE, "wait for acceptance", status="waiting", reason="waits"),
        ]
        actions += acts
        plans.append(
            CustomerPlan(
                name=slug,
                file=f"customers/{slug}.yaml",
                company=name,
                mode="create",
                domain=f"c{i}.onmicrosoft.com",
                state="new",
                actions=tuple(a.id for a in acts),
            )
        )
    return Plan(
        cspsync_version="0.1.0",
        created_at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
        target="emulator",
        partner_tenant_id="6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
        correlation_id="c0ffee",
        scope=("customers",),
        observed_fingerprint="sha256:x",
        declarations_fingerprint="sha256:y",
        customers=tuple(plans),
        actions=tuple(actions),
    )


def test_a_plan_of_each_symbol_renders_as_its_golden_files(golden: Golden) -> None:
    """Create, update, a refused destructive cancel and a wait: text, Markdown (checked by cmark-gfm), JSON."""
    plan = _plan()
    formats: tuple[tuple[Format, str], ...] = (("text", "txt"), ("markdown", "md"), ("json", "json"))
    for fmt, extension in formats:
        golden.check(f"plan-crafted.{extension}", render(plan, fmt))
    assert "\x1b[" not in render(plan, "text")  # no colour unless asked


def test_colour_only_when_asked() -> None:
    assert "\x1b[" in render(_plan(), "text", color=True)


def test_markdown_escapes_user_text_and_renders_a_table(golden: Golden) -> None:
    hostile = "<img src=x onerror=alert(1)> | **bold** [x](http://evil.example) ``` @team"
    markdown = render(_plan(name=hostile, friendly="a```b"), "markdown")
    golden.check("plan-hostile.md", markdown)
    html = cmarkgfm.github_flavored_markdown_to_html(markdown)
    assert "<table>" in html
    assert "<img" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert 'href="http://evil.example"' not in html
    assert "<strong>bold</strong>" not in html
    assert "````diff" in markdown  # a fence longer than the content's backtick runs


def test_markdown_stays_under_the_comment_limit_and_says_what_was_cut() -> None:
    """The pull request's comment is render/fitted.py's layout, as a merged plan's: the table in half the room,
    then as many customer sections as fit, and a last line that counts exactly what is not there."""
    markdown = render(_plan(customers=400), "markdown")
    assert len(markdown) <= LIMIT
    rows, sections = markdown.count("| customer\\-"), markdown.count("<details>")
    refused = markdown.count("> - `!` customer\\-")  # each customer's cancellation is refused
    assert 0 < sections < rows < 400 and 0 < refused < 400
    assert f"| … and {400 - rows:,} more customer(s) |" in markdown
    assert markdown.endswith(
        f"_Not in this comment (GitHub's 65,536-character limit): {400 - refused:,} of 400 blocked or refused "
        f"action(s); {400 - rows:,} of 400 table row(s); {400 - sections:,} of 400 customer section(s). The whole "
        "plan is in `cspsync plan` output and plan.json._\n"
    )
    whole = render(_plan(customers=20), "markdown")  # what fits is all there, with no line about a cut
    assert whole.count("| customer\\-") == whole.count("<details>") == 20 and "_Not in this" not in whole


def test_markdown_table_itself_is_capped_for_huge_portfolios() -> None:
    markdown = render(_plan(customers=5000), "markdown")
    assert len(markdown) < LIMIT
    assert "more customer(s) |" in markdown


def test_escape_inline_neutralises_markdown() -> None:
    assert escape_inline("a|b*c_[d](e)") == "a\\|b\\*c\\_\\[d\\]\\(e\\)"
    assert escape_inline("<b>") == "&lt;b&gt;"


def test_escape_inline_puts_a_backslash_before_each_markdown_character_and_only_those() -> None:
    """Every printable ASCII character alone and all of them at once, against the definition as a pattern."""
    special = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:])")
    everything = "".join(chr(code) for code in range(0x20, 0x7F))
    for text in (*everything, everything, "a::b--c", "ünïcode · — ✓"):
        expected = re.sub(r"@(?=[\w-])", "@\u2060", html.escape(special.sub(r"\\\1", text), quote=True))
        assert escape_inline(text) == re.sub(r"#(?=\d)", "#\u2060", expected), text


def test_json_plan_round_trips_and_matches_the_committed_schema() -> None:
    plan = _plan()
    document = json.loads(render(plan, "json"))
    jsonschema.validate(document, plan_schema())
    assert Plan.from_json(plan.to_json()) == _sealed(plan)
    committed = (REPO / "schemas" / "plan.schema.json").read_text()
    assert committed == plan_schema_text(), "regenerate: python -m cspsync.plan.schema > schemas/plan.schema.json"


def test_urls_in_user_text_do_not_become_links() -> None:
    html = cmarkgfm.github_flavored_markdown_to_html(escape_inline("see http://evil.example/x and www.evil.example"))
    assert "<a " not in html


def test_the_plain_text_written_in_pieces_is_the_plan_text() -> None:
    """``cspsync plan`` writes the text piece by piece (a 100,000-customer plan is not held whole): the pieces
    end at line ends and make exactly the text, control characters stripped in every piece."""
    plan = _plan(customers=800, name="Contoso\x07 Bikes\x0d Ltd")
    pieces = list(render_pieces(plan, "text"))
    whole = render(plan, "text")
    assert len(pieces) > 1 and all(piece.endswith("\n") for piece in pieces)
    assert "".join(pieces) == whole
    assert "\x07" not in whole and "\x0d" not in whole
    assert list(render_pieces(plan, "markdown")) == [render(plan, "markdown")]


def test_the_plan_file_written_as_bytes_is_the_plan_json(tmp_path: Path) -> None:
    plan = _plan(customers=3, name="Contoso Bikes Ltd · Zürich")
    plan.write_json(tmp_path / "plan.json")
    assert (tmp_path / "plan.json").read_bytes() == plan.to_json().encode("utf-8")
    assert plan.to_json() == _sealed(plan).model_dump_json(indent=2) + "\n"


def _sealed(plan: Plan) -> Plan:
    """``plan`` as it is written: with its digest, which a plan made now works out only when it is written."""
    return plan.model_copy(update={"actions_digest": actions_digest(plan.actions)})


def test_every_plan_written_carries_the_digest_of_its_actions_and_reading_it_checks_it(tmp_path: Path) -> None:
    plan = _plan(customers=2)
    assert plan.actions_digest is None  # made now: not worked out until it is needed
    plan.write_json(tmp_path / "plan.json")
    written = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert written["actions_digest"] == actions_digest(plan.actions) == plan.digest
    written["actions"][0]["customer"] = "someone-else"
    (tmp_path / "plan.json").write_text(json.dumps(written), encoding="utf-8")
    with pytest.raises(PlanError, match="edited after it was made"):
        load_saved_plan(tmp_path / "plan.json")


def test_a_plan_that_cannot_be_written_whole_leaves_the_plan_saved_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``plan --out`` over a reviewed plan: a full disk mid-write used to leave half a plan where the reviewed
    one was. The old file must stay byte for byte, and no temporary file may be left beside it."""
    saved = tmp_path / "plan.json"
    before = _plan(customers=2)
    before.write_json(saved)
    reviewed = saved.read_bytes()

    def disk_full(self: Plan) -> Iterator[bytes]:
        yield b"{\n"
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Plan, "json_pieces", disk_full)
    with pytest.raises(OSError, match="No space left"):
        _plan(customers=5).write_json(saved)
    assert saved.read_bytes() == reviewed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_a_saved_plan_gets_the_mode_of_a_new_file_not_the_state_folders(tmp_path: Path) -> None:
    """A plan is uploaded by the workflow and opened by reviewers: 0666 less the umask, as before it was written
    through the atomic writer (the state folder's files stay the owner's alone)."""
    old = os.umask(0o022)
    try:
        _plan().write_json(tmp_path / "plan.json")
        write_json_atomic(tmp_path / "record.json", {"state": True})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "plan.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "record.json").stat().st_mode) == 0o600


def test_thousands_of_adoptions_and_failed_reads_keep_the_comment_under_githubs_limit() -> None:
    """GitHub refuses a comment over 65,536 characters whole (422), and the plan job fails: a first plan of a
    portfolio that adopts 5,000 existing customers listed every adoption at the top (~1 MB at 10,000)."""
    base = _plan(customers=50)
    adoptions = tuple(
        make_action(
            Kind.ADOPT_CUSTOMER,
            payloads.AdoptCustomer(
                tenant_id=f"00000000-0000-4000-8000-{i:012d}",
                company_name=f"Company {i} Ltd",
                domains=(f"c{i}.onmicrosoft.com",),
                found_by="domain",
                evidence="accepted-invitation",
            ),
            id=f"adopted-{i}/adopt-customer",
            customer=f"adopted-{i}",
            summary=f"adopt customer Company {i} Ltd",
        )
        for i in range(5_000)
    )
    failures = tuple(f"customer-{i}: read failed" for i in range(3_000))
    plan = base.model_copy(update={"actions": base.actions + adoptions, "unknown": failures})

    markdown = render(plan, "markdown")

    assert len(markdown) <= LIMIT
    shown = markdown.count("> - `@` adopted\\-")  # as escaped for Markdown
    assert 0 < shown < 5_000
    assert f"> - … and {5_000 - shown:,} more adoption(s): in the whole plan" in markdown
    assert f"{5_000 - shown:,} of 5,000 adoption(s)" in markdown.splitlines()[-1]
    failed = markdown.count("> - customer\\-")
    assert 0 < failed < 3_000
    assert f"> - … and {3_000 - failed:,} more failed read(s)" in markdown
    assert "| customer\\-0 |" in markdown  # the customer table still starts


@pytest.mark.parametrize("golden_name", ["plan-examples.json", "plan-changed.json", "plan-azure.json"])
def test_the_plan_json_written_an_action_at_a_time_is_the_serializers_whole(golden_name: str) -> None:
    """Priced actions, changes, money and text beyond ASCII: the pieces join to what pydantic writes in one."""
    plan = Plan.from_json((Path(__file__).parent / "golden" / golden_name).read_text(encoding="utf-8"))
    assert plan.actions
    whole = plan.model_dump_json(indent=2)
    assert b"".join(plan.json_pieces()) == whole.encode("utf-8")
    assert "".join(render_pieces(plan, "json")) == whole + "\n" == render(plan, "json")


def test_a_plan_without_actions_is_written_whole() -> None:
    plan = _plan(customers=0)
    assert not plan.actions
    assert plan.to_json() == _sealed(plan).model_dump_json(indent=2) + "\n"
    assert "".join(render_pieces(plan, "json")) == plan.to_json()
