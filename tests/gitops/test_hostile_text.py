"""A hostile company name goes through every renderer and command output: terminal text, the GitHub log,
the plan comment / job summary (Markdown) and the drift issue body.

Version 0.1 passed it raw: a newline started a line with ``::`` (a workflow command) in the log, ESC and
OSC-8 sequences reached the terminal, and a blank line ended the comment's ``<summary>`` so the rest
rendered as live Markdown (links, images, @-mentions).
"""

from __future__ import annotations

import re
from pathlib import Path

import cmarkgfm
import pytest
import yaml
from cmarkgfm.cmark import Options

from cspsync.render import escape
from tests.cli import Run

HOSTILE = (
    "Contoso\\n::error::forged\\n\\n[click](https://evil.example) ![x](https://evil.example/p.png) @everyone #12 "
    "\\u001b[2J\\u001b]8;;https://evil.example\\u0007link\\u001b]8;;\\u0007 ##[warning]legacy \\u202eevil"
)
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]")


@pytest.fixture
def hostile(declarations: Path) -> Path:
    contoso = declarations / "customers" / "contoso-bikes.yaml"
    contoso.write_text(contoso.read_text().replace("    name: Contoso Bikes Ltd", f'    name: "{HOSTILE}"'))
    return declarations


def _log_safe(output: str) -> None:
    assert not RAW_CONTROL.search(output), repr(RAW_CONTROL.search(output))
    for line in output.splitlines():
        assert not line.lstrip().startswith("::"), line
        assert "##[" not in line, line


def test_a_hostile_name_in_a_file_is_refused_and_reaches_no_channel_raw(cspsync: Run, hostile: Path) -> None:
    for command in (("validate", "customers"), ("plan", "customers"), ("plan", "customers", "--format", "markdown")):
        result = cspsync(*command)

        assert result.code == 1 and "Traceback" not in result.err
        _log_safe(result.out + result.err)
        assert "spec.company.name: holds a line break (U+000A): write it on one line, without it" in (
            result.out + result.err
        )


@pytest.mark.parametrize(
    "command",
    [
        ("plan", "customers"),
        ("apply", "customers", "--yes"),
        ("drift", "customers"),
        ("plan", "customers", "--format", "markdown"),
        ("drift", "customers", "--format", "markdown"),
    ],
    ids=" ".join,
)
def test_hostile_names_reach_no_channel_raw(cspsync: Run, from_partner_center: Path, command: tuple[str, ...]) -> None:
    result = cspsync(*command)

    assert "Traceback" not in result.err
    _log_safe(result.out + result.err)
    if "markdown" in command:
        html = cmarkgfm.github_flavored_markdown_to_html(result.out, options=Options.CMARK_OPT_UNSAFE)
        assert "<a " not in html and "<img" not in html
        assert html.count("<details>") == html.count("</details>")
        text = re.sub(r"<[^>]+>", "", re.sub(r"<pre.*?</pre>|<code>.*?</code>", "", html, flags=re.S))
        assert not re.search(r"(?<![\w.])@\w|(?<!\w)#\d", text)  # no mention, no issue reference
    else:
        assert "Contoso\\n::error::forged\\n\\n[click]" in result.out  # shown, escaped


def test_the_log_guard_breaks_workflow_commands_but_lets_cspsyncs_own_through(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sys

    guarded = escape.GitHubLogGuard(sys.stdout)
    guarded.write("  ::error::from a file\nok ##[warning]x\n")
    guarded.write("::add-")
    guarded.write("mask::split across writes\n")
    guarded.flush()
    escape.workflow_command("::error file=a.yaml,line=1::cspsync's own")

    assert capsys.readouterr().out == (
        "  :\\:error::from a file\nok #\\#[warning]x\n:\\:add-mask::split across writes\n"
        "::error file=a.yaml,line=1::cspsync's own\n"
    )


def test_terminal_shows_control_characters_escaped() -> None:
    assert escape.terminal("a\x1b]8;;u\x07b\nc\u202e\x9b") == "a\\x1b]8;;u\\x07b\\nc\\u202e\\x9b"
    assert escape.fence("``` ````") == "`````"
    assert escape.markdown_html("x\n\n<b>@you</b>") == "x\\n\\n&lt;b&gt;@\u2060you&lt;/b&gt;"


def test_terminal_escapes_controls_in_text_beyond_ascii_and_leaves_the_rest_as_it_is() -> None:
    assert escape.terminal("Zürich Straße 5, Łódź") == "Zürich Straße 5, Łódź"
    assert escape.terminal("Zürich\u202egnp.exe\u2028x\x85") == "Zürich\\u202egnp.exe\\u2028x\\x85"
    # text Python calls printable passes without the search: nothing the search escapes is printable
    every = map(chr, range(0x110000))
    assert [c for c in every if c.isprintable() and escape._CONTROL.match(c)] == []


# the same text coming from Partner Center (a company name and an incumbent partner's name as Partner Center
# serves them), and through the renderers the list above leaves out: history, merge-plans, import


@pytest.fixture
def from_partner_center(declarations: Path) -> Path:
    """Adatum's company and its incumbent partner's name, in Partner Center (the emulator's seed), hostile."""
    seed = declarations / "emulator-seed.yaml"
    text = seed.read_text(encoding="utf-8")
    for name in ("companyName: Adatum GmbH", "- name: Contoso Legacy IT"):
        assert name in text
        text = text.replace(name, name.split(":")[0] + f': "{HOSTILE}"')
    seed.write_text(text, encoding="utf-8")
    return declarations


def _markdown_safe(output: str) -> None:
    html = cmarkgfm.github_flavored_markdown_to_html(output, options=Options.CMARK_OPT_UNSAFE)
    assert "<a " not in html and "<img" not in html
    assert html.count("<details>") == html.count("</details>")
    text = re.sub(r"<[^>]+>", "", re.sub(r"<pre.*?</pre>|<code>.*?</code>", "", html, flags=re.S))
    assert not re.search(r"(?<![\w.])@\w|(?<!\w)#\d", text)


@pytest.mark.parametrize(
    "command",
    [
        ("drift", "customers"),
        ("drift", "customers", "--format", "markdown"),
        ("import", "--out", "imported"),
    ],
    ids=" ".join,
)
def test_hostile_text_from_partner_center_reaches_no_channel_raw(
    cspsync: Run, from_partner_center: Path, command: tuple[str, ...]
) -> None:
    if command[0] == "import":
        (from_partner_center / "customers" / "adatum.yaml").unlink()  # so that import reads it from Partner Center
    result = cspsync(*command)

    assert "Traceback" not in result.err
    _log_safe(result.out + result.err)
    if "markdown" in command:
        _markdown_safe(result.out)
    if command[0] == "import":
        # written as Partner Center has it, and flagged: a company name is one line of text
        flagged = "imported/adatum.yaml:9:13: spec.company.name: holds a line break (U+000A)"
        assert result.code == 1 and flagged in result.err
        assert "1 imported file(s) need an edit to be valid" in result.err
        written = (from_partner_center / "imported" / "adatum.yaml").read_text(encoding="utf-8")
        assert not RAW_CONTROL.search(written)  # YAML escapes in the file
        assert not [line for line in written.splitlines() if line.lstrip().startswith("::")]
        again = cspsync("validate", "imported")
        assert again.code == 1 and flagged in again.out
        as_served = yaml.safe_load(f'"{HOSTILE}"')
        assert yaml.safe_load(written)["spec"]["company"]["name"] == as_served  # reads back as Partner Center had it
    else:
        assert "Contoso\\n::error::forged" in result.out  # shown, escaped


def test_hostile_names_through_history_and_merged_shard_plans(cspsync: Run, from_partner_center: Path) -> None:
    assert cspsync("apply", "customers", "--yes").code == 0
    for index in (1, 2):
        assert cspsync("plan", "customers", "--shard", f"{index}/2", "--out", f"s{index}.json").code in (0, 1)

    history = cspsync("history", "adatum")
    merged_text = cspsync("merge-plans", "s1.json", "s2.json")
    merged_markdown = cspsync("merge-plans", "s1.json", "s2.json", "--format", "markdown")

    for result in (history, merged_text, merged_markdown):
        assert "Traceback" not in result.err
        _log_safe(result.out + result.err)
    assert history.code == 0 and "adatum/adopt-customer: done — adopted Contoso\\n::error::forged" in history.out
    _markdown_safe(merged_markdown.out)
