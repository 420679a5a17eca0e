"""``cspsync history``: one customer's declaration commits and apply records, oldest first."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from cspsync.commands._options import format_option
from cspsync.declarations.repository import find_config
from cspsync.errors import ConfigError
from cspsync.gitops.history import history as build_history
from cspsync.render.history import render_history_json, render_history_text
from cspsync.workspace import Workspace


@click.command("history")
@click.argument("customer")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--applies",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=(
        "Folder of apply records, searched recursively (default: .cspsync/applies next to cspsync.yaml; or "
        "downloaded CI artifacts)."
    ),
)
@format_option(("text", "json"), "text for people, json for machines.")
def history(customer: str, paths: tuple[Path, ...], applies: Path | None, fmt: Literal["text", "json"]) -> int:
    """The audit trail of CUSTOMER (its metadata.name or its file), searched for in PATHS (default: .).

    Joins `git log --follow` of the customer's file (commit, author, date, pull request) with the
    actions applied to it (result, request ids, correlation id) in time order.
    """
    searched = list(paths) or [Path(".")]
    folder = applies if applies is not None else Workspace.from_environment(repository=_root(searched)).applies
    timeline = build_history(customer, paths=searched, applies=folder)
    click.echo(render_history_json(timeline) if fmt == "json" else render_history_text(timeline), nl=False)
    return 0


def _root(paths: list[Path]) -> Path | None:
    """The folder of the declarations' cspsync.yaml, whose .cspsync/applies apply wrote (it was the working
    folder's, so `cspsync history NAME examples/customers` from above the repository found no record)."""
    try:
        return find_config(paths).parent
    except ConfigError:  # no cspsync.yaml: records may still be named with --applies or CSPSYNC_STATE_DIR
        return None
