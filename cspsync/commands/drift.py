"""``cspsync drift``: where Partner Center differs from the declarations (for a schedule or a person)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Literal

import click

from cspsync.commands._options import (
    config_option,
    format_option,
    full_read_options,
    paths_argument,
    target_option,
)
from cspsync.gitops.drift import detect
from cspsync.invitations.ledger import sent_approvals, sent_invitations
from cspsync.pipeline import Target, load
from cspsync.render.drift import render_drift
from cspsync.target import connect
from cspsync.workspace import Workspace


@click.command("drift")
@paths_argument
@config_option
@target_option
@format_option(
    ("text", "markdown", "json"), "text for a terminal, markdown for an issue or job summary, json for machines."
)
@full_read_options
def drift(
    paths: tuple[Path, ...],
    config_path: Path | None,
    target: Target | None,
    fmt: Literal["text", "markdown", "json"],
    full_read: bool,
    full_read_every: float,
) -> int:
    """Compare Partner Center with the customer files in PATHS (default: .) and report every difference.

    Each customer is in sync, drifted, or unknown (a read failed: never reported as either). Partner
    relationships that lack your company or the customer's reseller, and incumbent partners still
    related to a tenant, are reported too; cspsync never changes them. A second drift re-reads only the
    customers Partner Center's audit records name since the last one (the state folder remembers what was
    read, and when); the report says which customers a read confirmed now and which earlier. Exit 0 in
    sync, 2 drift found (or a relationship to fix, or an incumbent partner to review), 1 when part of the
    state is unknown or on error.
    """
    repo = load(list(paths) or [Path(".")], config_path)
    chosen: Target = target or repo.config.target
    workspace = Workspace.from_environment(repository=repo.root)
    connection = connect(repo, chosen, workspace, correlation_id=str(uuid.uuid4()))
    try:
        report = detect(
            repo,
            repo.customers,
            connection.client,
            target=chosen,
            sent_invitations=sent_invitations(workspace),
            sent_approvals=sent_approvals(workspace),
            workspace=workspace,
            full_read=full_read,
            full_read_every=dt.timedelta(hours=full_read_every),
        )
    finally:
        connection.close()
    click.echo(render_drift(report, fmt), nl=False)
    return report.exit_code
