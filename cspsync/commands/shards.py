"""Scoping flags of ``plan`` and ``apply`` (``--changed-since``, ``--shard``) and ``cspsync merge-plans``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cspsync.commands._options import format_option
from cspsync.errors import ConfigError
from cspsync.gitops.scope import Shard
from cspsync.gitops.shards import merge_plans
from cspsync.pipeline import load_saved_plan
from cspsync.render import Format, render

F = TypeVar("F", bound=Callable[..., Any])


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> Shard | None:
    if value is None:
        return None
    try:
        return Shard.parse(value)
    except ConfigError as err:
        raise click.BadParameter(err.message) from None


def scope_options(fn: F) -> F:
    """``--changed-since REF`` and ``--shard I/N``: which customers a plan or apply covers."""
    fn = click.option(
        "--shard",
        default=None,
        metavar="I/N",
        callback=_shard,
        help="Only the customers of shard I of N (stable hash of metadata.name), for a CI matrix.",
    )(fn)
    return click.option(
        "--changed-since",
        "changed_since",
        default=None,
        metavar="REF",
        help="Only the customer files changed since the merge base of REF and HEAD (uncommitted work included); "
        "a changed cspsync.yaml plans every customer.",
    )(fn)


def refuse_with_saved_plan(changed_since: str | None, shard: Shard | None) -> None:
    if changed_since is not None or shard is not None:
        raise ConfigError(
            "--changed-since and --shard choose customers for a new plan; a saved plan already names its scope"
        )


@click.command("merge-plans")
@click.argument("plans", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@format_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Also save the merged plan as JSON.")
def merge_plans_command(plans: tuple[Path, ...], fmt: Format, out: Path | None) -> int:
    """Merge the shard plans PLANS (from `plan --shard I/N --out FILE`) into one plan to review.

    The merged plan is for reading (one pull-request comment); apply the shard plans, or apply afresh.
    Refused (exit 1) unless PLANS are shards 1 to N of one N, each once, planned from one commit, the same
    declarations and one CI run. Exit 1 also when a shard could not read part of Partner Center's state.
    """
    merged = merge_plans([(str(path), load_saved_plan(path)) for path in plans])
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(merged.to_json(), encoding="utf-8")
    click.echo(render(merged, fmt), nl=False)
    return 1 if merged.unknown else 0
