"""Scoping flags of ``plan`` and ``apply`` (``--changed-since``, ``--shard``) and ``cspsync merge-plans``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cspsync.commands._options import (
    OutputFile,
    check_writable,
    plan_format_option,
    refuse_replacing,
    writing,
)
from cspsync.errors import ConfigError
from cspsync.gitops.scope import Shard
from cspsync.gitops.shards import ARTIFACT_NAME, merge_plans, run_url
from cspsync.pipeline import load_saved_plan
from cspsync.render import Format, render
from cspsync.render.fitted import COMMENT_LIMIT, MIN_LIMIT, WHOLE, Budget, Elsewhere, render_fitted, summary_budget

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
        help="Only the customer files of shard I of N (stable hash of the path relative to cspsync.yaml's folder; "
        "only they are read), for a CI matrix.",
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
@plan_format_option
@click.option("--out", type=OutputFile("merged-plan.json"), help="Also save the merged plan as JSON.")
@click.option(
    "--markdown-out",
    type=OutputFile("merged-plan.md"),
    help="Also save the whole merged plan as Markdown (no size limit: for the artifact).",
)
@click.option(
    "--job-summary",
    type=OutputFile("summary.md"),
    help="Append the merged plan to this file within GitHub's 1 MiB per step (give it $GITHUB_STEP_SUMMARY).",
)
@click.option(
    "--artifact",
    default=None,
    metavar="NAME",
    help="The artifact the workflow uploads the whole plan in (--out, --markdown-out): named where the comment "
    "and job summary say what they leave out.",
)
@click.option(
    "--comment-limit",
    type=click.IntRange(min=MIN_LIMIT, max=COMMENT_LIMIT),
    default=COMMENT_LIMIT,
    show_default=True,
    help="Characters the Markdown comment may take (GitHub refuses more than 65,536).",
)
def merge_plans_command(
    plans: tuple[Path, ...],
    fmt: Format,
    out: Path | None,
    markdown_out: Path | None,
    job_summary: Path | None,
    artifact: str | None,
    comment_limit: int,
) -> int:
    """Merge the shard plans PLANS (from `plan --shard I/N --out FILE`) into one plan to review.

    The merged plan is for reading (one pull-request comment); apply the shard plans, or apply afresh.
    Refused (exit 1) unless PLANS are shards 1 to N of one N, each once, planned from one commit, the same
    declarations and one CI run. Exit 1 also when a shard could not read part of Partner Center's state.
    With --format markdown the comment stays within --comment-limit: the summary, blocked actions, adoptions,
    cancellations and money first, then as many folded customer sections as fit, and a line saying what was
    left out and where the whole plan is.
    """
    if artifact is not None and not ARTIFACT_NAME.fullmatch(artifact):
        raise ConfigError(
            f"--artifact {artifact!r}: an artifact name of letters, digits, '.', '_' and '-' (as the workflow "
            "uploads it)"
        )
    outputs = (
        ("--out", out, "the merged plan"),
        ("--markdown-out", markdown_out, "the merged plan's Markdown"),
        ("--job-summary", job_summary, "the job summary"),
    )
    for option, path, what in outputs:
        if path is not None:
            refuse_replacing(path, option, inputs=plans, inputs_are="plans", json_only=option == "--out")
            check_writable(path, what)
    merged = merge_plans([(str(path), load_saved_plan(path)) for path in plans])
    run = run_url(os.environ)
    if out is not None:
        with writing(out, "the merged plan"):
            merged.write_json(out)
    if markdown_out is not None:
        with writing(markdown_out, "the merged plan's Markdown"):
            markdown_out.write_text(render_fitted(merged, WHOLE), encoding="utf-8")
    if job_summary is not None:
        with writing(job_summary, "the job summary"):
            used = job_summary.stat().st_size if job_summary.is_file() else 0
            text = render_fitted(merged, summary_budget(used), Elsewhere(artifact=artifact, run_url=run))
            with job_summary.open("a", encoding="utf-8") as summary:
                summary.write(text)
    if fmt == "markdown":
        budget = Budget(comment_limit, "characters", "comment")
        elsewhere = Elsewhere(artifact=artifact, run_url=run, job_summary=job_summary is not None)
        click.echo(render_fitted(merged, budget, elsewhere), nl=False)
    else:
        click.echo(render(merged, fmt), nl=False)
    return 1 if merged.unknown else 0
