"""``cspsync plan``: what apply would change, as text, Markdown or JSON; optionally saved for apply."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cspsync.commands._options import (
    OutputFile,
    blocked_error,
    check_writable,
    config_option,
    full_read_options,
    paths_argument,
    plan_format_option,
    refuse_replacing,
    stdout_is_tty,
    target_option,
    writing,
)
from cspsync.commands.shards import scope_options
from cspsync.gitops.scope import Shard, scope_of
from cspsync.pipeline import Target, load_scoped, plan_for
from cspsync.render import Format, render_pieces
from cspsync.render.scope import render_scope_notes
from cspsync.workspace import Workspace


@click.command()
@paths_argument
@config_option
@target_option
@plan_format_option
@click.option("--out", type=OutputFile("plan.json"), help="Also save the plan as JSON for `apply`.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are (1 is always an error, or blocked actions).",
)
@scope_options
@full_read_options
def plan(
    paths: tuple[Path, ...],
    config_path: Path | None,
    target: Target | None,
    fmt: Format,
    out: Path | None,
    detailed_exitcode: bool,
    changed_since: str | None,
    shard: Shard | None,
    full_read: bool,
    full_read_every: float,
) -> int:
    """Show what `cspsync apply` would do for the customer files in PATHS (default: .).

    A full plan re-reads only the customers Partner Center's audit records name since the last full plan (the
    state folder remembers what was read, and when); the plan says which customers a read confirmed now and
    which earlier. Apply never acts on a remembered customer: it reads again what it would change.
    """
    repo, shard_files = load_scoped(list(paths) or [Path(".")], config_path, shard)
    workspace = Workspace.from_environment(repository=repo.root)
    if out is not None:
        refuse_replacing(
            out,
            "--out",
            inputs=[d.path for d in repo.customers],
            inputs_are="customer files",
            state=workspace.root,
            json_only=True,
        )
        check_writable(out, "the plan")
    scope = scope_of(repo, list(paths), changed_since_ref=changed_since, shard=shard)
    planned = plan_for(
        repo,
        scope.declared,
        target=target,
        workspace=workspace,
        full_scope=scope.full_scope,
        strategy=scope.strategy,
        deleted=scope.deleted_declarations,
        shard=shard_files,
        full_read=full_read,
        full_read_every=dt.timedelta(hours=full_read_every),
    )
    planned.connection.close()
    result = planned.plan
    if out is not None:
        with writing(out, "the plan"):
            result.write_json(out)
    for piece in render_pieces(result, fmt, color=stdout_is_tty() and fmt == "text"):
        click.echo(piece, nl=False)
    click.echo(render_scope_notes(scope, fmt), nl=False)
    if out is not None and fmt == "text":
        click.echo(f"Saved the plan to {out}; apply exactly it with: cspsync apply {out}")
    if result.unknown:
        return 1
    blocked = blocked_error(result)
    if blocked is not None:
        raise blocked
    if detailed_exitcode and result.has_changes:
        return 2
    return 0
