"""Hostile customer text cannot take over the pull-request comment.

Company names, contact names, friendly names and file names come from declarations anyone with write
access to a branch can edit, and the plan comment is posted by a bot with the repository's token. The
plan is made through the real pipeline (declarations -> in-process emulator -> planner) and its Markdown
rendered with GitHub's own parser (cmark-gfm, raw HTML allowed as GitHub allows it before sanitising):
no element, link, image or heading comes out of user text, and the summary table keeps its shape.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from cspsync.declarations import load_repository
from cspsync.emulator import EmulatorApp, Store, transport
from cspsync.observe.read import observe
from cspsync.partnercenter import PartnerCenterClient, StaticToken
from cspsync.partnercenter.retry import UNPACED
from cspsync.plan.build import make_plan
from cspsync.plan.model import Plan
from cspsync.render import render

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[click me](https://evil.example/phish)",
    "![pixel](https://evil.example/p.png)",
    "https://evil.example/auto",
    "www.evil.example",
    "</details></summary><h1>owned</h1>",
    "| forged | row | 9 | 9 | 9 | 9 |",
    "```\n# fence break",
    "<!-- cspsync-plan -->",
    "<a href='https://evil.example'>x</a>",
]


def customer_file(index: int, hostile: str) -> str:
    flat = hostile.replace("\n", " ").replace('"', "'")
    return f"""\
apiVersion: cspsync.io/v1
kind: Customer
metadata:
  name: hostile-{index}
spec:
  company:
    name: "Acme {flat}"
    billingEmail: accounts@hostile{index}.co.uk
    culture: en-GB
    language: en
    address:
      addressLine1: "1 {flat}"
      city: Bristol
      postalCode: BS1 4DJ
      country: GB
    primaryContact:
      firstName: "Eve {flat[:34]}"
      lastName: Mallory
      email: eve@hostile{index}.co.uk
  tenant:
    mode: create
    domainPrefix: hostile{index}
  agreement:
    acceptedBy:
      firstName: "Eve {flat[:34]}"
      lastName: Mallory
      email: eve@hostile{index}.co.uk
    dateAgreed: "2026-10-01"
  subscriptions:
    - friendlyName: "sub {flat}"
      offer: azure-plan
"""


@pytest.fixture
def hostile_plan(tmp_path: Path) -> Plan:
    shutil.copytree(EXAMPLES, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("customers", ".cspsync"))
    config = tmp_path / "cspsync.yaml"
    text = config.read_text(encoding="utf-8")
    # no naming policy: friendly names are then free text, the worst case for the renderer
    config.write_text(re.sub(r"naming:\n(  .*\n)+", "", text), encoding="utf-8")
    customers = tmp_path / "customers"
    customers.mkdir()
    for index, hostile in enumerate(HOSTILE):
        (customers / f"hostile-{index}.yaml").write_text(customer_file(index, hostile), encoding="utf-8")
    repo = load_repository([customers], config_path=config)
    app = EmulatorApp(Store())
    with PartnerCenterClient(transport=transport(app), tokens=StaticToken(), limits=UNPACED) as client:
        observation = observe(client, repo.customers, strategy="list", full_scope=True)
        return make_plan(
            repo, repo.customers, observation, target="emulator", correlation_id=client.correlation_id, priced=False
        )


def github_html(markdown: str) -> str:
    html: str = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    return html


def test_every_hostile_string_reaches_the_plan(hostile_plan: Plan) -> None:
    """Guard: the hostile text really is in the plan the renderer gets (else the tests below prove nothing)."""
    companies = " ".join(c.company for c in hostile_plan.customers)
    summaries = " ".join(a.summary for a in hostile_plan.actions)
    for hostile in HOSTILE:
        flat = hostile.replace("\n", " ").replace('"', "'")
        assert flat in companies
        assert f"sub {flat}" in summaries


def test_hostile_names_make_no_html_elements_links_or_images(hostile_plan: Plan) -> None:
    html = github_html(render(hostile_plan, "markdown"))
    for tag in ("<img", "<script", "<h1", "<iframe", "<a ", "<a>"):
        assert tag not in html.lower(), tag
    assert "evil.example" not in re.sub(r"<pre.*?</pre>|<summary>.*?</summary>|<td>.*?</td>", "", html, flags=re.S), (
        "hostile text appears outside the code blocks, summaries and table cells"
    )
    attributes = re.findall(r"<[a-z][^<>]*?\b(href|src|on[a-z]+)\s*=", html, flags=re.I)
    assert attributes == []  # as escaped text only, never as an attribute of a real element


def test_the_summary_table_keeps_its_shape(hostile_plan: Plan) -> None:
    html = github_html(render(hostile_plan, "markdown"))
    tables = re.findall(r"<table>.*?</table>", html, flags=re.S)
    assert len(tables) == 1
    rows = re.findall(r"<tr>(.*?)</tr>", tables[0], flags=re.S)
    assert len(rows) == 1 + len(HOSTILE)  # the header and one row per customer: no forged row
    for row in rows[1:]:
        assert len(re.findall(r"<td[ >]", row)) == 6


def test_each_customer_section_stays_one_details_block(hostile_plan: Plan) -> None:
    markdown = render(hostile_plan, "markdown")
    html = github_html(markdown)
    assert html.count("<details>") == html.count("</details>") == len(HOSTILE)
    assert html.count("<summary>") == html.count("</summary>") == len(HOSTILE)
    assert markdown.startswith("<!-- cspsync-plan -->\n")
    assert html.count("<!-- cspsync-plan -->") == 1  # user text carries it only as escaped text
    assert html.count("<pre") == len(HOSTILE)  # every fence closed where the renderer closed it
