"""Golden files: a rendering compared exactly with the file that holds what it must be.

A test asks for the ``golden`` fixture (tests/conftest.py) and calls ``golden.check("plan-new.txt", text)``;
the file is ``golden/plan-new.txt`` next to the test module. A mismatch fails with a diff. Goldens change
only when asked::

    python -m pytest tests/render --update-golden     # rewrite the goldens those tests check

then review ``git diff tests/**/golden/`` like any other change. Every ``.md`` golden is also rendered by
GitHub's own cmark-gfm and checked (:func:`check_github_markdown`), in both modes.

Renderings are made deterministic by fixed inputs, not by scrubbing: a frozen clock (freezegun) and
:class:`FixedIds` in place of ``uuid.uuid4``.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import sys
import threading
import uuid
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

UPDATE_OPTION = "--update-golden"


class Golden:
    """The golden files of one test module's folder."""

    def __init__(self, folder: Path, *, update: bool, test_path: Path, invoked_from: Path) -> None:
        self.folder = folder
        self.update = update
        self.test_path = test_path
        self.invoked_from = invoked_from

    def check(self, name: str, actual: str) -> None:
        path = self.folder / name
        if name.endswith(".md"):
            check_github_markdown(actual, where=name)
        if self.update:
            if not path.is_file() or path.read_text(encoding="utf-8") != actual:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(actual, encoding="utf-8")
            return
        rerun = f"python -m pytest {os.path.relpath(self.test_path, self.invoked_from)} {UPDATE_OPTION}"
        if not path.is_file():
            pytest.fail(f"no golden file {path.name} in {self.folder}; write it with: {rerun}", pytrace=False)
        expected = path.read_text(encoding="utf-8")
        if actual != expected:
            diff = difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{name}",
                tofile="rendered now",
            )
            shown = "".join(list(diff)[:200])
            pytest.fail(
                f"{name} differs from its golden file:\n{shown}\nIf the change is intended: {rerun}", pytrace=False
            )


# ------------------------------------------------------------------------------------- GitHub Markdown

#: the elements cmark-gfm makes from Markdown syntax (plus <details>/<summary>, cspsync's folds)
_ALLOWED = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
    "code", "pre", "em", "strong", "del", "blockquote", "hr", "br", "a", "details", "summary",
}  # fmt: skip
_VOID = {"br", "hr"}
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.open: list[str] = []
        self.rows = 0
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED:
            self.problems.append(f"raw HTML <{tag}> in the rendering")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not href.startswith("https://"):
                self.problems.append(f"a link to {href!r} (only https links are made)")
        if tag == "summary" and (not self.open or self.open[-1] != "details"):
            self.problems.append("<summary> outside a <details>")
        if tag == "tr":
            self.rows += 1
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1] if self.open else 'nothing'}")
            if tag in self.open:
                del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]
            return
        self.open.pop()

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _table_rows(markdown: str) -> int:
    """Rows of the pipe tables in ``markdown`` (header and body lines, not the delimiter), outside fences."""
    rows, fence = 0, None
    for line in markdown.splitlines():
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        if line.startswith("|") and not re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", line):
            rows += 1
    return rows


def check_github_markdown(markdown: str, *, where: str = "markdown") -> None:
    """What GitHub makes of ``markdown`` (cmark-gfm, raw HTML let through as before GitHub's sanitiser):

    - no element but those Markdown syntax makes and cspsync's ``<details>``/``<summary>`` folds;
    - every element closed where it was opened (nothing escapes a ``<details>`` block);
    - every pipe-table line outside a code fence is a row of a rendered table;
    - links only to https, and HTML comments only cspsync's hidden markers.
    """
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    tags = _Tags()
    tags.feed(html)
    tags.close()
    problems = list(tags.problems)
    problems += [f"<{tag}> never closed" for tag in tags.open]
    problems += [
        f"HTML comment <!--{c}--> is not a cspsync marker" for c in tags.comments if not c.strip().startswith("cspsync")
    ]
    expected_rows = _table_rows(markdown)
    if tags.rows != expected_rows:
        problems.append(f"{expected_rows} table line(s) in the Markdown, {tags.rows} row(s) rendered")
    if problems:
        pytest.fail(f"{where} does not render cleanly on GitHub:\n  " + "\n  ".join(problems), pytrace=False)


# ----------------------------------------------------------------------------------------- fixed ids


class FixedIds:
    """Stands in for ``uuid.uuid4``: the n-th id asked for by a function is the same in every run.

    Ids are keyed by the calling function (module file name and qualified name, not line numbers, so
    editing a module elsewhere does not change them) and a per-function count. Calls from concurrent
    threads get their ids in any order, so a rendering is deterministic when each function that mints
    an id shown in it runs its calls in one order (``--workers 1`` for applies); reads made
    concurrently only mint request ids, which no rendering shows.
    """

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def uuid4(self) -> uuid.UUID:
        code = sys._getframe(1).f_code
        site = f"{Path(code.co_filename).stem}.{code.co_qualname}"
        with self._lock:
            count = self._counts[site]
            self._counts[site] += 1
        digest = hashlib.sha256(f"{site}#{count}".encode()).digest()
        return uuid.UUID(bytes=digest[:16], version=4)
