"""``cspsync history``: one customer's declaration commits and apply records, oldest first."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import click

from cspsync.commands._options import config_option, format_option
from cspsync.declarations.repository import find_config
from cspsync.errors import ConfigError
from cspsync.gitops.history import customer_files_declaring
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
@config_option
@format_option(("text", "json"), "text for people, json for machines.")
def history(
    customer: str,
    paths: tuple[Path, ...],
    applies: Path | None,
    config_path: Path | None,
    fmt: Literal["text", "json"],
) -> int:
    """The audit trail of CUSTOMER (its metadata.name or its file), searched for in PATHS (default: .).

    Joins `git log --follow` of the customer's file (commit, author, date, pull request) with the
    actions applied to it (result, request ids, correlation id) in time order.
    """
    searched = list(paths) or [Path(".")]
    found = customer_files_declaring(customer, searched)
    if len(found) > 1:
        listed = "\n".join(f"  {path}" for path in found)
        raise ConfigError(
            f"{len(found)} customer files declare {customer}:\n{listed}",
            hint=f"name the folder of the one you mean: cspsync history {customer} {found[0].parent}",
        )
    folder = applies if applies is not None else _applies(found or searched, config_path)
    timeline = build_history(customer, paths=found or searched, applies=folder)
    click.echo(render_history_json(timeline) if fmt == "json" else render_history_text(timeline), nl=False)
    return 0


def _applies(paths: list[Path], config_path: Path | None) -> Path:
    """The apply records of the customer's repository: the .cspsync/applies next to ``config_path`` or the
    cspsync.yaml of its file (the working folder's was read before, so history from above the repository
    showed nothing)."""
    if os.environ.get("CSPSYNC_STATE_DIR"):  # the state is kept elsewhere (CI): that is where apply wrote
        return Workspace.from_environment().applies
    if config_path is not None:  # as every other command: the state folder is the one next to it
        if not config_path.is_file():
            raise ConfigError(f"config file {config_path} does not exist", hint="pass --config FILE or leave it out")
        return Workspace.from_environment(repository=config_path.resolve().parent).applies
    try:
        config = find_config(paths)
    except ConfigError as err:
        raise ConfigError(
            err.message,
            hint=(
                "name the repository's customer files in PATHS, its cspsync.yaml with --config, or the records' "
                "folder with --applies"
            ),
        ) from None
    return Workspace.from_environment(repository=config.parent).applies
