"""Validation problems as editors and CI read them: ``file:line:col: path: message``, GitHub annotations, JSON.

Light on purpose (no rich, no httpx): ``cspsync validate`` runs in pre-commit hooks and must start fast.
"""

from __future__ import annotations

import json

from cspsync.declarations import Problem, Report
from cspsync.render import escape


def _escape_data(text: str) -> str:
    """GitHub workflow-command escaping of a message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """GitHub workflow-command escaping of a property value (file=...), which also escapes : and ,."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(problem: Problem) -> str:
    """``::error file=F,line=L,col=C::path: message``: GitHub shows it on the line of the pull request."""
    message = f"{problem.path}: {problem.message}" if problem.path else problem.message
    return (
        f"::error file={_escape_property(problem.file)},line={problem.line},col={problem.column}::"
        f"{_escape_data(message)}"
    )


def format_text(report: Report) -> str:
    return "".join(f"{escape.terminal(str(problem))}\n" for problem in report.problems) + report.summary() + "\n"


def format_json(report: Report) -> str:
    body = {
        "valid": report.valid,
        "files": len(report.files),
        "problems": [
            {"file": p.file, "line": p.line, "column": p.column, "path": p.path, "message": p.message}
            for p in report.problems
        ],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
