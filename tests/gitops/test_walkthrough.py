"""docs/gitops.md's walkthrough, run as written: every shell line and every ``$ `` command of its blocks, in
order, in one shell, against the emulator; each output line the page shows (ids, commits and dates aside,
``…`` standing for what is cut) must be in what the command printed. The page says its outputs are real."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import cmarkgfm
import pytest

from .conftest import REPO

DOC = (REPO / "docs" / "gitops.md").read_text(encoding="utf-8")
WALKTHROUGH = DOC.split("## Walkthrough", 1)[1].split("\n## Reference", 1)[0]
#: what differs on every run: ids, commits, record names and dates
VARYING = re.compile(r"\d{8}T\d{6,12}Z-[0-9a-f]{8}|\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?Z?)?|\b[0-9a-f]{7,40}\b")


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """The fenced blocks of ``text`` as CommonMark reads them: a fence closes only on a bare run of at least as
    many backticks, so a console block may show Markdown output with fences of its own."""
    found: list[tuple[str, list[str]]] = []
    lines = iter(text.splitlines())
    for line in lines:
        opening = re.match(r"^(`{3,})(\w*)$", line)
        if not opening:
            continue
        fence, body = opening.group(1), []
        for inner in lines:
            if re.fullmatch("`{" + str(len(fence)) + ",}", inner):
                break
            body.append(inner)
        found.append((opening.group(2), body))
    return found


def _commands(body: list[str]) -> list[tuple[str, list[str]]]:
    """``(command, shown output)`` of a console block; a command runs on while its quotes are open."""
    found: list[tuple[str, list[str]]] = []
    open_command: list[str] = []
    for line in body:
        if open_command:
            open_command.append(line)
            if "\n".join(open_command).count("'") % 2 == 0:
                found.append(("\n".join(open_command), []))
                open_command = []
        elif line.startswith("$ "):
            command = line[2:]
            if command.count("'") % 2:
                open_command = [command]
            else:
                found.append((command, []))
        elif found:
            found[-1][1].append(line)
    return found


def _pattern(line: str) -> re.Pattern[str]:
    parts = [re.escape(VARYING.sub("#", part)) for part in line.split("…")]
    return re.compile(".*".join(parts))


def test_the_pages_fences_are_the_blocks_github_shows() -> None:
    html = cmarkgfm.github_flavored_markdown_to_html(DOC)

    assert html.count("<pre") == len(blocks(DOC))


def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is needed")
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for name, run in (("cspsync", f'exec {sys.executable} -m cspsync "$@"'), ("python", f'exec {sys.executable} "$@"')):
        (bin_ / name).write_text(f"#!/usr/bin/env bash\n{run}\n")
        (bin_ / name).chmod(0o755)
    (tmp_path / "gitconfig").write_text("[user]\n\tname = Amelia Hughes\n\temail = amelia@fabrikam.example\n")
    script = ["set -u", "last=0"]
    shown: list[tuple[str, list[str]]] = []
    for kind, body in blocks(WALKTHROUGH):
        if kind == "sh":
            # `git push` needs GitHub: the step it stands for (the pull request's plan) is shown locally after it
            script += [line for line in body if not line.startswith("git push")]
            script.append("last=$?")
        elif kind == "console":
            for command, output in _commands(body):
                out = tmp_path / f"out-{len(shown)}.txt"
                script.append(f'(exit "$last"); {command} > {out} 2>&1; last=$?')
                shown.append((command, output))
    env = {
        "PATH": f"{bin_}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CSPSYNC": str(REPO),
        "PYTHONPATH": str(REPO),
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "COLUMNS": "200",
    }
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr

    assert [command.split("\n")[0] for command, _ in shown][:4] == [
        "cspsync import",
        "cspsync validate customers",
        "cspsync plan customers",
        "cspsync apply customers --yes",
    ]
    compared = 0
    for index, (command, output) in enumerate(shown):
        printed = [VARYING.sub("#", line) for line in (tmp_path / f"out-{index}.txt").read_text().splitlines()]
        for line in output:
            if not line.strip() or line.strip() == "…":
                continue
            pattern = _pattern(line)
            assert any(pattern.fullmatch(p) for p in printed), (command, line, printed)
            compared += 1
    assert len(shown) >= 18 and compared >= 70, (len(shown), compared)
