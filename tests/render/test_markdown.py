"""The Markdown that lands in pull requests and issues, rendered by GitHub's own cmark-gfm.

Rendering uses CMARK_OPT_UNSAFE, so raw HTML would pass through as it does before GitHub's sanitiser: the
test sees the worst case. User text (company names, partner names from Partner Center, file names) must
come out as text: no tag, no emphasis, no link, and the table must stay a table.
"""

from __future__ import annotations

import json
from pathlib import Path

import cmarkgfm
import httpx
from cmarkgfm.cmark import Options

from cspsync.apply.run import ApplyRecord
from cspsync.emulator import EmulatorApp
from cspsync.gitops.scope import DeletedFile, Scope
from cspsync.render.drift import render_drift
from cspsync.render.scope import render_scope_notes
from tests.cli import Run
from tests.gitops.test_drift import Handler, _detect

INJECTION = "<img src=x onerror=alert(1)> | **bold** [x](http://evil)"


def html_of(markdown: str) -> str:
    rendered: str = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    return rendered


def assert_inert(html: str) -> None:
    assert "<img" not in html
    assert "<strong>bold</strong>" not in html
    assert 'href="http://evil' not in html  # neither a Markdown link nor a GFM autolink


def test_plan_comment_renders_its_table_and_escapes_a_company_name(cspsync: Run, declarations: Path) -> None:
    contoso = declarations / "customers/contoso-bikes.yaml"
    contoso.write_text(contoso.read_text().replace("name: Contoso Bikes Ltd", f'name: "{INJECTION}"'))

    result = cspsync("plan", "customers", "--format", "markdown")

    assert result.code == 0, result.err
    html = html_of(result.out)
    assert "<table>" in html
    assert "<th>customer</th>" in html
    assert "<td>contoso-bikes</td>" in html
    assert_inert(html)
    assert "<a " not in html
    assert "&lt;img src=x onerror=alert(1)&gt; | **bold** [x](http://evil)" in html  # shown, as text


def test_merged_shard_plans_render_the_same_way(cspsync: Run, declarations: Path) -> None:
    contoso = declarations / "customers/contoso-bikes.yaml"
    contoso.write_text(contoso.read_text().replace("name: Contoso Bikes Ltd", f'name: "{INJECTION}"'))
    for index in (1, 2):
        assert cspsync("plan", "customers", "--shard", f"{index}/2", "--out", f"s{index}.json").code == 0

    result = cspsync("merge-plans", "s1.json", "s2.json", "--format", "markdown")

    html = html_of(result.out)
    assert html.count("<th>customer</th>") == 1
    assert_inert(html)


def test_drift_issue_escapes_partner_names_from_partner_center(applied: ApplyRecord, emulator: EmulatorApp) -> None:
    def renamed_incumbent(request: httpx.Request, app: Handler) -> httpx.Response:
        response = app(request)
        if request.url.path.endswith("/relationships") and response.status_code == 200:
            body = json.loads(response.content)
            for item in body["items"]:
                if item["name"] == "Contoso Legacy IT":
                    item["name"] = INJECTION
            return httpx.Response(200, json=body)
        return response

    report = _detect(emulator, renamed_incumbent)
    markdown = render_drift(report, "markdown")

    html = html_of(markdown)
    # the customers waiting for their invitations, and the relationships: a customer row, not split by the "|"
    assert html.count("<table>") == 2
    assert "<td>adatum</td>" in html
    assert_inert(html)


def test_scope_notes_escape_file_names() -> None:
    scope = Scope(
        (),
        False,
        "lookup",
        ("scope: 0 of 7 customer file(s), changed since origin/main",),
        (DeletedFile(f"customers/{INJECTION}.yaml", "x-y"),),
        "origin/main",
    )

    notes = render_scope_notes(scope, "markdown")

    html = html_of(notes)
    assert_inert(html)
    assert "<a " not in html
    assert "<li>customers/&lt;img src=x onerror=alert(1)&gt; | **bold** [x](http://evil).yaml (x-y)</li>" in html


def test_scope_notes_stay_within_the_room_the_plan_leaves() -> None:
    deleted = tuple(DeletedFile(f"customers/customer-{n:05d}.yaml", f"customer-{n:05d}") for n in range(2000))
    scope = Scope(
        (), False, "lookup", ("scope: 0 of 2000 customer file(s), changed since origin/main",), deleted, "origin/main"
    )

    notes = render_scope_notes(scope, "markdown")

    assert len(notes) <= 700
    assert notes.rstrip().endswith("more")
