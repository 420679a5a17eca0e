"""``cspsync renewals``: what renews in the next N days, with auto-renew, any change scheduled for it and what
the next term costs."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Literal

import click

from cspsync.commands._options import config_option, format_option, paths_argument, target_option
from cspsync.declarations.pricebooks import load_pricebooks
from cspsync.observe.read import observe
from cspsync.pipeline import Target, load
from cspsync.plan.renewals import price_renewals
from cspsync.plan.renewals import renewals as renewal_report
from cspsync.pricing import price_sheets
from cspsync.render.renewals import render_renewals, render_renewals_json
from cspsync.target import connect
from cspsync.workspace import Workspace


@click.command("renewals")
@paths_argument
@config_option
@target_option
@click.option("--days", type=click.IntRange(1, 1100), default=30, show_default=True, help="How far ahead to look.")
@format_option(("text", "json"), "text for people, json for a billing system or CRM.")
def renewals(
    paths: tuple[Path, ...], config_path: Path | None, target: Target | None, days: int, fmt: Literal["text", "json"]
) -> int:
    """List the subscriptions of the customers in PATHS (default: .) that renew in the next DAYS days.

    Exit 0, or 1 when some customer could not be read (it is listed as unknown, never as "nothing renews").
    """
    repo = load(list(paths) or [Path(".")], config_path)
    chosen: Target = target or repo.config.target
    workspace = Workspace.from_environment(repository=repo.root)  # the emulator and price sheets apply used
    connection = connect(repo, chosen, workspace, correlation_id=str(uuid.uuid4()))
    try:
        observation = observe(connection.client, repo.customers, strategy="list", config=repo.config)
        report = renewal_report(repo.customers, observation, days=days, now=dt.datetime.now(dt.UTC))
        report = price_renewals(report, repo.customers, price_sheets(connection, workspace), load_pricebooks(repo.root))
    finally:
        connection.close()
    click.echo(render_renewals_json(report) if fmt == "json" else render_renewals(report), nl=False)
    return 1 if report.unknown else 0
