"""``cspsync apply``: plan and apply (after a yes), or apply exactly a saved, reviewed plan."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cspsync.apply.run import ActionResult, Applier, ApplyRecord
from cspsync.commands._options import config_option, refuse_another_partner, stdout_is_tty, target_option
from cspsync.commands.shards import refuse_with_saved_plan, scope_options
from cspsync.declarations import Repository
from cspsync.errors import ApplyError, ConfigError
from cspsync.gitops.scope import Shard, scope_of
from cspsync.mail import Transport
from cspsync.mail.configured import transport_for
from cspsync.pipeline import Planned, Target, check_saved_plan, load, load_saved_plan, plan_for
from cspsync.plan.model import Kind, Plan
from cspsync.plan.totals import refuse_over_budget
from cspsync.render import escape, render
from cspsync.secrets import parse_recipients, refuse_demo_key_for_real_target
from cspsync.workspace import Workspace

SYMBOL = {
    "done": "✓",
    "already-done": "=",
    "failed": "✗",
    "skipped": "·",
    "waiting": "!",
    "blocked": "!",
    "refused": "!",
}


def _is_saved_plan(paths: tuple[Path, ...]) -> bool:
    return len(paths) == 1 and paths[0].is_file() and paths[0].suffix == ".json"


def _summary(record: ApplyRecord) -> str:
    counts = record.counts()
    parts = [f"{counts.get(k, 0)} {k}" for k in ("done", "already-done", "failed", "skipped") if counts.get(k)]
    waiting = sum(counts.get(k, 0) for k in ("waiting", "blocked", "refused"))
    if waiting:
        parts.append(f"{waiting} waiting or blocked")
    return "Apply complete: " + (", ".join(parts) if parts else "nothing to do") + "."


def _mailer(plan: Plan, repo: Repository, planned: Planned, workspace: Workspace) -> Transport | None:
    """The invitation transport, built before anything is applied (a missing SMTP password stops the
    apply here), and only when the plan sends an invitation."""
    if not any(a.kind is Kind.REQUEST_INVITATION and a.status == "ready" for a in plan.actions):
        return None
    return transport_for(repo.config, target=plan.target, workspace=workspace, emulator=planned.connection.emulator)


def _run(
    planned: Planned,
    plan_to_apply: Plan,
    repo: Repository,
    workers: int,
    wait_for_lock: bool,
    mailer: Transport | None = None,
    resend: bool = False,
) -> int:
    workspace = Workspace.from_environment(repository=repo.root)
    show_progress = sys.stderr.isatty()
    lines: list[str] = []

    def report(result: ActionResult) -> None:
        if result.status in ("waiting", "blocked", "refused") and not result.request_ids:
            return
        line = escape.terminal(
            f"{SYMBOL[result.status]} {result.id}: {result.status}" + (f" — {result.message}" if result.message else "")
        )
        lines.append(line)
        click.echo(line)

    with workspace.apply_lock(plan_to_apply.target, partner_tenant=plan_to_apply.partner_tenant_id, wait=wait_for_lock):
        applier = Applier(
            plan_to_apply,
            repo,
            planned.connection.client,
            workspace,
            workers=workers,
            on_progress=report,
            mailer=mailer,
            resend=resend,
        )
        if show_progress:
            from rich.progress import Progress

            total = sum(1 for a in plan_to_apply.actions if a.status == "ready")
            with Progress(transient=True, redirect_stdout=False) as progress:
                task = progress.add_task("applying", total=total)

                def advance(result: ActionResult) -> None:
                    report(result)
                    if result.status not in ("waiting", "blocked", "refused"):
                        progress.advance(task)

                applier.on_progress = advance
                record = applier.run()
        else:
            record = applier.run()
    click.echo()
    for warning in record.warnings:
        click.echo(f"! {escape.terminal(warning)}", err=False)
    click.echo(_summary(record))
    click.echo(f"Apply record: {record.path} (correlation id {record.correlation_id})")
    if record.failed:
        order = {action.id: index for index, action in enumerate(plan_to_apply.actions)}  # not finish order
        failed = ", ".join(r.id for r in sorted(record.failed, key=lambda r: order.get(r.id, len(order))))
        raise ApplyError(
            f"{len(record.failed)} action(s) failed: {failed}",
            hint="the other customers were applied; fix the cause and run apply again (it resumes, never duplicates)",
        )
    return 0


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))
@config_option
@target_option
@click.option("--yes", "-y", is_flag=True, help="Apply without asking (required when stdin is not a terminal).")
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Actions run at once (Partner Center's rate limit still applies).",
)
@click.option("--wait-for-lock", is_flag=True, help="Queue behind a running apply instead of refusing.")
@click.option(
    "--allow-over-budget", is_flag=True, help="Apply a plan that is over a ceiling of budget in cspsync.yaml."
)
@click.option(
    "--resend",
    is_flag=True,
    help="Send the invitations of customers still waiting again, although the ledger says they were sent.",
)
@scope_options
def apply(
    paths: tuple[Path, ...],
    config_path: Path | None,
    target: Target | None,
    yes: bool,
    workers: int,
    wait_for_lock: bool,
    allow_over_budget: bool,
    resend: bool,
    changed_since: str | None,
    shard: Shard | None,
) -> int:
    """Apply the customer files in PATHS (default: .), or exactly the saved plan PLAN.json."""
    if _is_saved_plan(paths):
        refuse_with_saved_plan(changed_since, shard)
        if resend:
            raise ConfigError(
                "--resend plans invitations again, so it cannot apply a saved plan",
                hint="run `cspsync apply PATHS --resend`: the plan it shows is what it applies",
            )
        saved = load_saved_plan(paths[0])
        if not saved.has_changes:
            click.echo(f"{paths[0]} has no changes to apply.")
            return 0
        repo = load([Path(p) for p in saved.scope], config_path)
        if target is not None and target != saved.target:
            raise ConfigError(f"the saved plan is for the {saved.target}; --target {target} does not match")
        workspace = Workspace.from_environment(repository=repo.root)
        planned = plan_for(
            repo,
            repo.customers,
            target=saved.target,
            workspace=workspace,
            full_scope=False,
            correlation_id=saved.correlation_id,
        )
        try:
            check_saved_plan(saved, planned.plan, repo.customers)
        except BaseException:
            planned.connection.close()
            raise
        to_apply = planned.plan  # equal to the saved one, action by action: what was reviewed
    else:
        repo = load(list(paths) or [Path(".")], config_path)
        scope = scope_of(repo, list(paths), changed_since_ref=changed_since, shard=shard)
        workspace = Workspace.from_environment(repository=repo.root)
        planned = plan_for(
            repo,
            scope.declared,
            target=target,
            workspace=workspace,
            full_scope=scope.full_scope,
            strategy=scope.strategy,
            resend=resend,
            deleted=scope.deleted_declarations,
        )
        to_apply = planned.plan
        for note in scope.notes:
            click.echo(note)
    try:
        refuse_another_partner(repo.config.partner.tenantId)
        refuse_demo_key_for_real_target(repo.config.credentials.ageRecipients, to_apply.target)
        parse_recipients(repo.config.credentials.ageRecipients)
        click.echo(render(to_apply, "text", color=stdout_is_tty()), nl=False)
        refuse_over_budget(to_apply, allowed=allow_over_budget)
        if to_apply.unknown:
            raise ApplyError(
                "part of Partner Center's state could not be read; nothing was applied",
                hint="fix the read errors above and run apply again",
            )
        if not to_apply.has_changes:
            return 0
        if not any(a.status == "ready" for a in to_apply.actions):
            click.echo("Nothing can be applied now: every change waits for a person or is blocked.")
            return 0
        mailer = _mailer(to_apply, repo, planned, workspace)
        try:
            if not yes:
                if not sys.stdin.isatty():
                    raise ConfigError(
                        "stdin is not a terminal, so apply cannot ask for confirmation",
                        hint="review the plan above and pass --yes to apply it",
                    )
                click.confirm(f"Apply these changes to the {to_apply.target}?", abort=True)
            return _run(planned, to_apply, repo, workers, wait_for_lock, mailer=mailer, resend=resend)
        finally:
            if mailer is not None:
                mailer.close()
    finally:
        planned.connection.close()
