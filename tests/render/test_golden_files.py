"""The golden-file machinery (tests/golden.py) catches what it is for, and only that."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.golden import FixedIds, Golden, check_github_markdown

CLEAN = (
    "<!-- cspsync-plan -->\n### Plan\n\n| customer | changes |\n|---|---:|\n| contoso | 2 |\n\n"
    "<details><summary>contoso</summary>\n\n```diff\n+ | not a table row, inside a fence\n```\n\n</details>\n"
    "See [the docs](https://learn.microsoft.com/partner-center/).\n"
)


def failure(markdown: str) -> str:
    with pytest.raises(pytest.fail.Exception) as caught:
        check_github_markdown(markdown)
    return str(caught.value)


def test_clean_markdown_passes() -> None:
    check_github_markdown(CLEAN)


@pytest.mark.parametrize(
    ("markdown", "problem"),
    [
        ("a <img src=x onerror=alert(1)> b\n", "raw HTML <img>"),
        ("<details><summary>x</summary>\n\ntext\n", "<details> never closed"),
        ("<summary>x</summary>\n", "<summary> outside a <details>"),
        ("[x](http://evil.example)\n", "a link to 'http://evil.example'"),
        ("<!-- hidden instructions -->\n", "is not a cspsync marker"),
        # a table right after <summary> without a blank line stays raw HTML: its rows are lost
        ("<details><summary>x</summary>\n| a | b |\n|---|---|\n| 1 | 2 |\n</details>\n", "2 table line(s)"),
    ],
)
def test_what_github_would_show_wrongly_fails(markdown: str, problem: str) -> None:
    assert problem in failure(markdown)


def test_a_mismatch_fails_with_a_diff_and_the_command_that_rewrites(tmp_path: Path) -> None:
    (tmp_path / "golden").mkdir()
    (tmp_path / "golden" / "x.txt").write_text("one\ntwo\n", encoding="utf-8")
    golden = Golden(tmp_path / "golden", update=False, test_path=tmp_path / "test_x.py", invoked_from=tmp_path)
    golden.check("x.txt", "one\ntwo\n")
    with pytest.raises(pytest.fail.Exception) as caught:
        golden.check("x.txt", "one\nthree\n")
    message = str(caught.value)
    assert "-two\n+three\n" in message
    assert message.endswith("If the change is intended: python -m pytest test_x.py --update-golden")
    with pytest.raises(pytest.fail.Exception, match=r"no golden file y\.txt"):
        golden.check("y.txt", "new")


def test_update_writes_only_what_changed(tmp_path: Path) -> None:
    golden = Golden(tmp_path / "golden", update=True, test_path=tmp_path / "test_x.py", invoked_from=tmp_path)
    golden.check("x.txt", "first\n")
    golden.check("x.txt", "second\n")
    assert (tmp_path / "golden" / "x.txt").read_text(encoding="utf-8") == "second\n"
    with pytest.raises(pytest.fail.Exception, match="raw HTML <div>"):
        golden.check("x.md", "<div>x</div>\n")  # Markdown is checked when updating too


def test_fixed_ids_repeat_per_calling_function_and_differ_between_them() -> None:
    def mint(ids: FixedIds) -> tuple[uuid.UUID, uuid.UUID]:
        return ids.uuid4(), ids.uuid4()

    def other(ids: FixedIds) -> uuid.UUID:
        return ids.uuid4()

    first, second = FixedIds(), FixedIds()
    assert mint(first) == mint(second)
    assert len(set(mint(first))) == 2 and other(first) not in mint(FixedIds())
    assert mint(first)[0].version == 4
