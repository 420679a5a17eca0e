"""One escaping layer per output channel, for text that a customer file or Partner Center controls.

Names, addresses, friendly names, error descriptions and commit subjects reach every output. Each channel
has its own rules, and every renderer and command uses these functions rather than its own:

- **terminal** (``terminal``): control characters (C0, DEL, C1, line and paragraph separators, bidi
  overrides) are shown escaped (``\\x1b``, ``\\n``, ``\\u202e``), so a value cannot move the cursor, open an
  OSC-8 link, forge a line or reorder what a reviewer reads. ``terminal_block`` keeps cspsync's own line breaks.
- **GitHub log** (``github_log``, ``GitHubLogGuard``): the runner reads a workflow command on any line that
  starts with ``::`` after its leading spaces, and a legacy ``##[`` command anywhere in a line; such text is
  broken (``:\\:``, ``#\\#[``) on every line cspsync prints. Only ``workflow_command`` (cspsync's own
  annotations) passes unchanged.
- **Markdown** for the pull-request comment, the job summary and the drift issue body (``markdown_inline``
  for cells and paragraphs, ``markdown_html`` inside ``<summary>``, ``fence`` for code blocks): no HTML,
  emphasis, link, image, autolink, @-mention or #-reference comes out of a value, no blank line can end a
  ``<details>``/``<summary>`` block, and a fence is longer than any run of backticks inside it.
"""

from __future__ import annotations

import html
import io
import re
import sys
from typing import Any, TextIO

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: what cannot be a line of a GitHub log: a workflow command after leading spaces, or a legacy one anywhere
_COMMAND_START = re.compile(r"^(\s*):(?=:)", re.M)
_LEGACY_COMMAND = re.compile(r"##\[")
#: Markdown's special characters (':' too: no autolinks), each with a backslash before it; one table (a regular
#: expression's substitution per character was most of the time of a comment listing thousands of actions)
_MD_ESCAPED = str.maketrans({character: "\\" + character for character in "\\`*_{}[]()#+-.!|~:"})
#: GitHub turns @name and #123 in rendered text into mentions and references; a word joiner breaks both
_WORD_JOINER = "\u2060"
_MENTION = re.compile(r"@(?=[\w-])")
_REFERENCE = re.compile(r"#(?=\d)")


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


# ----------------------------------------------------------------------------------------------- terminal


def terminal(text: str) -> str:
    """One value on one line of a terminal: every control character shown escaped."""
    if text.isprintable():  # the common case, checked in C: every character _CONTROL matches is unprintable
        return text
    return _CONTROL.sub(_visible, text)


def terminal_block(text: str) -> str:
    """cspsync's own multi-line text (an error and its hint): its line breaks kept, everything else escaped,
    and no line able to pass for a workflow command."""
    return github_log("\n".join(terminal(line) for line in text.split("\n")))


# ------------------------------------------------------------------------------------------------ GitHub log


def github_log(text: str) -> str:
    """``text`` with no line that GitHub's runner would read as a workflow command."""
    return _LEGACY_COMMAND.sub("#\\#[", _COMMAND_START.sub(r"\1:\\", text))


class GitHubLogGuard(io.TextIOBase):
    """A stream that passes everything through ``github_log``, line by line (partial lines are held until
    their end, or until a flush, so a command cannot be split across two writes)."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        complete, newline, rest = self._pending.rpartition("\n")
        if newline:
            self.inner.write(github_log(complete + newline))
            self._pending = rest
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.inner.write(github_log(self._pending))
            self._pending = ""
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.inner, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.inner.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def guard(stream: TextIO) -> TextIO:
    """``stream`` behind a GitHubLogGuard (once)."""
    return stream if isinstance(stream, GitHubLogGuard) else GitHubLogGuard(stream)  # type: ignore[return-value]


def workflow_command(line: str, *, err: bool = False) -> None:
    """Print one of cspsync's own workflow commands (an annotation): the only text that passes the guard."""
    stream = sys.stderr if err else sys.stdout
    stream.flush()
    inner = stream.inner if isinstance(stream, GitHubLogGuard) else stream
    inner.write(line + "\n")
    inner.flush()


# -------------------------------------------------------------- Markdown: comment, job summary, issue body


def _no_mentions(text: str) -> str:
    return _REFERENCE.sub("#" + _WORD_JOINER, _MENTION.sub("@" + _WORD_JOINER, text))


def markdown_inline(text: str) -> str:
    """A value in a Markdown table cell, list item or paragraph: nothing in it can format, link or mention."""
    text = terminal(text).translate(_MD_ESCAPED)
    return _no_mentions(html.escape(text, quote=True))


def markdown_html(text: str) -> str:
    """A value inside an HTML element of the Markdown (``<summary>``): one line, escaped HTML, no mentions."""
    return _no_mentions(html.escape(terminal(text), quote=True))


def code_line(text: str) -> str:
    """A line inside a fenced code block: one line, controls shown escaped."""
    return terminal(text)


def fence(body: str) -> str:
    """A backtick fence longer than any run of backticks in ``body``, so no line of it closes the block."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)
