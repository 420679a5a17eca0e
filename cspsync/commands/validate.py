"""``cspsync validate``: every problem in every declaration file, as lines editors and CI understand.

Imports only the declarations package (no httpx, msal or rich), so it starts fast in pre-commit hooks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

import click

from cspsync.commands._options import config_option, paths_argument
from cspsync.declarations import Problem, Report, check
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


@click.command("validate")
@paths_argument
@config_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one `file:line:col: path: message` line per problem and a summary; json: for machines.",
)
@click.pass_context
def validate(
    ctx: click.Context, paths: tuple[Path, ...], config_path: Path | None, fmt: Literal["text", "json"]
) -> None:
    """Check the customer files in PATHS (files or folders, default: .) and cspsync.yaml.

    Prints every problem in every file, not only the first. Exit 0 when all are valid, 1 otherwise.
    Under GitHub Actions the problems are also written as annotations on the changed lines.
    """
    report = check(list(paths) or [Path(".")], config_path=config_path)
    click.echo(format_json(report) if fmt == "json" else format_text(report), nl=False)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for problem in report.problems:
            escape.workflow_command(github_annotation(problem), err=fmt == "json")
    ctx.exit(0 if report.valid else 1)
