"""``cspsync validate``: every problem in every declaration file, as lines editors and CI understand.

Imports only the declarations package (no httpx, msal or rich), so it starts fast in pre-commit hooks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import click

from cspsync.cli import nothing_to_tear_down
from cspsync.commands._options import config_option, format_option, paths_argument
from cspsync.declarations import check
from cspsync.render import escape
from cspsync.render.validation import format_json, format_text, github_annotation


@click.command("validate")
@paths_argument
@config_option
@format_option(
    ("text", "json"), "text: one `file:line:col: path: message` line per problem and a summary; json: for machines."
)
@click.pass_context
def validate(
    ctx: click.Context, paths: tuple[Path, ...], config_path: Path | None, fmt: Literal["text", "json"]
) -> None:
    """Check the customer files in PATHS (files or folders, default: .) and cspsync.yaml.

    Prints every problem in every file, not only the first. Exit 0 when all are valid, 1 otherwise.
    Under GitHub Actions the problems are also written as annotations on the changed lines.
    """
    report = check(list(paths) or [Path(".")], config_path=config_path, models=False)
    click.echo(format_json(report) if fmt == "json" else format_text(report), nl=False)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for problem in report.problems:
            escape.workflow_command(github_annotation(problem), err=fmt == "json")
    nothing_to_tear_down()
    ctx.exit(0 if report.valid else 1)
