"""``cspsync apply``: plan and apply (after a yes), or apply exactly a saved, reviewed plan."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from cspsync.apply.run import ActionResult, Applier, ApplyRecord
from cspsync.commands._options import (
    blocked_error,
    config_option,
    full_read_options,
    refuse_another_partner,
    stdout_is_tty,
    target_option,
)
from cspsync.commands.shards import refuse_with_saved_plan, scope_options
from cspsync.declarations import Repository
from cspsync.errors import ApplyError, ConfigError, InternalApplyError
from cspsync.gitops.scope import Shard, head_commit, scope_of, with_waiting
from cspsync.mail import Transport
from cspsync.mail.configured import transport_for
from cspsync.observe.applied import Baseline, last_successful_apply
from cspsync.pipeline import (
    Planned,
    Target,
    check_saved_plan,
    load,
    load_saved_plan,
    load_scoped,
    plan_for,
    saved_declarations,
)
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
    "started": "?",  # its calls were in flight when the apply stopped: outcome not known
}


def _is_saved_plan(paths: tuple[Path, ...]) -> bool:
    return len(paths) == 1 and paths[0].is_file() and paths[0].suffix == ".json"


def _summary(record: ApplyRecord, heading: str = "Apply complete") -> str:
    counts = record.counts()
    shown = ("done", "already-done", "failed", "skipped", "started")
    parts = [f"{counts.get(k, 0)} {k}" for k in shown if counts.get(k)]
    waiting = sum(counts.get(k, 0) for k in ("waiting", "blocked", "refused"))
    if waiting:
        parts.append(f"{waiting} waiting or blocked")
    return f"{heading}: " + (", ".join(parts) if parts else "nothing to do") + "."


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
    mailer: Transport | None = None,
    resend: bool = False,
    scope: str | None = None,
    baseline: bool = False,
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

    applier = Applier(
        plan_to_apply,
        repo,
        planned.connection.client,
        workspace,
        workers=workers,
        on_progress=report,
        mailer=mailer,
        resend=resend,
        scope=scope,
        baseline=baseline,
    )
    applier.on_stopping = _say_stopping
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
            record = _run_recorded(applier)
    else:
        record = _run_recorded(applier)
    click.echo()
    for warning in record.warnings:
        click.echo(f"! {escape.terminal(warning)}", err=False)
    if record.uncommitted:
        files = escape.terminal(", ".join(record.uncommitted[:5])) + (" …" if len(record.uncommitted) > 5 else "")
        click.echo(f"! applied from a working tree with uncommitted changes ({files}): the apply record says so")
    click.echo(_summary(record))
    if record.save_error is not None:
        click.echo(
            f"The apply record could not be written ({record.save_error}); here it is, keep it:\n"
            + json.dumps(record.document(), indent=2, default=str),
            err=True,
        )
    else:
        click.echo(f"Apply record: {record.path} (correlation id {record.correlation_id})")
    _raise_for(record, plan_to_apply)
    return 0


def _raise_for(record: ApplyRecord, plan: Plan) -> None:
    """Exit 1 (3 for a bug) when anything did not happen as declared; every reason is in the message."""
    if any(r.details.get("internalError") for r in record.results.values()):
        raise InternalApplyError(
            f"the apply stopped: {record.stopped}",
            hint=f"every action done so far is in the apply record {record.path}; this is a bug in cspsync",
        )
    lines: list[str] = []
    hint = None
    order = {action.id: index for index, action in enumerate(plan.actions)}
    failed = sorted(record.failed, key=lambda r: order.get(r.id, len(order)))
    if failed:
        lines.append(f"{len(failed)} action(s) failed: {', '.join(r.id for r in failed)}")
        hint = "the other customers were applied; fix the cause and run apply again (it resumes, never duplicates)"
    if record.stopped is not None:
        lines.append(f"the apply stopped before its other actions: {record.stopped}")
        hint = "nothing after the stop was run; once it is fixed, run apply again (it resumes, never duplicates)"
    lines += [f"{note.customer}: {note.recovery}" for note in record.lost_passwords]
    stuck = [r for r in record.results.values() if r.status in ("blocked", "refused")]
    if stuck:
        lines.append(
            f"{len(stuck)} action(s) are blocked or refused, so they cannot be applied as declared: "
            + ", ".join(r.id for r in stuck[:5])
            + (f" and {len(stuck) - 5} more" if len(stuck) > 5 else "")
        )
        hint = hint or "each one says in the plan above why, and what to change"
    lines += [f"not applied, its state is unknown: {problem}" for problem in plan.unknown]
    if record.save_error is not None:
        lines.append(f"the apply record could not be written ({record.save_error}): it is printed above; keep it")
    if lines:
        raise ApplyError("\n".join(lines), hint=hint)


def _nothing_to_apply(plan: Plan) -> None:
    """No ready action: exit 0 when everything waits (for a person, or for Partner Center to provision an
    order already placed), 1 when something is blocked or unknown."""
    if plan.actions and not plan.stuck and not plan.unknown:
        click.echo("Nothing can be applied now: every change waits (for a person, or for an order to be provisioned).")
    blocked = blocked_error(plan)
    if plan.unknown:
        lines = [f"not applied, its state is unknown: {problem}" for problem in plan.unknown]
        if blocked is not None:
            lines.append(blocked.message)
        raise ApplyError("\n".join(lines), hint="fix the read errors above and run apply again")
    if blocked is not None:
        raise blocked


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
@click.option(
    "--since-last-apply",
    is_flag=True,
    help="Apply only the customer files changed since the commit of the last successful apply (from the apply "
    "records): what the merged pull requests were reviewed for. Other differences stay drift.",
)
@scope_options
@full_read_options
def apply(
    paths: tuple[Path, ...],
    config_path: Path | None,
    target: Target | None,
    yes: bool,
    workers: int,
    wait_for_lock: bool,
    allow_over_budget: bool,
    resend: bool,
    since_last_apply: bool,
    changed_since: str | None,
    shard: Shard | None,
    full_read: bool,
    full_read_every: float,
) -> int:
    """Apply the customer files in PATHS (default: .), or exactly the saved plan PLAN.json.

    A full apply plans from the memory of the last plan like `cspsync plan`, but reads again every remembered
    customer it would change before it shows the plan: it never acts on state it did not read itself.

    The apply lock is taken before planning, so an apply that waited for another one plans what is left.
    Exit 0 when everything declared is applied (or waits for a customer), 1 when an action failed, was
    blocked or refused, or a customer's state could not be read (the others are still applied); 3 for a bug.
    """
    if _is_saved_plan(paths):
        refuse_with_saved_plan(changed_since, shard)
        if resend:
            raise ConfigError(
                "--resend plans invitations again, so it cannot apply a saved plan",
                hint="run `cspsync apply PATHS --resend`: the plan it shows is what it applies",
            )
        if since_last_apply:
            raise ConfigError(
                "--since-last-apply chooses the files to plan, so it cannot apply a saved plan",
                hint="run `cspsync apply PATHS --since-last-apply`: the plan it shows is what it applies",
            )
        saved = load_saved_plan(paths[0])
        if not saved.has_changes:
            if saved.stuck:  # the error below points to each one's reason: show them
                click.echo(render(saved, "text", color=stdout_is_tty()), nl=False)
            click.echo(f"{paths[0]} has no changes to apply.")
            _nothing_to_apply(saved)
            return 0
        repo = load(saved_declarations(saved, paths[0]), config_path)
        if target is not None and target != saved.target:
            raise ConfigError(f"the saved plan is for the {saved.target}; --target {target} does not match")
        refuse_another_partner(repo.config.partner.tenantId)
        workspace = Workspace.from_environment(repository=repo.root)
        with workspace.apply_lock(saved.target, partner_tenant=saved.partner_tenant_id, wait=wait_for_lock):
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
            # equal to the saved one, action by action: what was reviewed
            return _confirm_and_apply(planned, planned.plan, repo, workspace, yes, workers, allow_over_budget, False)
    # an apply acts, so it validates every file even for --shard: two files claiming one customer in two shards
    # must stop it before anything is done (a plan leaves that to the unsharded validate and merge-plans)
    repo, shard_files = load_scoped(list(paths) or [Path(".")], config_path, shard, every_file=True)
    chosen: Target = target or repo.config.target
    refuse_another_partner(repo.config.partner.tenantId)
    workspace = Workspace.from_environment(repository=repo.root)
    with workspace.apply_lock(chosen, partner_tenant=repo.config.partner.tenantId, wait=wait_for_lock):
        scope_words = None
        last: Baseline | None = None
        if since_last_apply:
            if changed_since is not None:
                raise ConfigError("--since-last-apply and --changed-since both choose the files: give one")
            if head_commit(repo.root) is None:
                raise ConfigError(
                    f"--since-last-apply plans the files changed since the commit of the last successful apply, "
                    f"and {repo.root} is not in a git work tree with a commit, so there is nothing to compare with",
                    hint="run it in the repository's git checkout (as the apply workflow does); outside git, apply "
                    "PATHS without it, after reviewing the plan it shows",
                )
            baseline = last_successful_apply(
                workspace.applies, target=chosen, partner_tenant_id=repo.config.partner.tenantId
            )
            if baseline is None:
                raise ConfigError(
                    f"no successful apply against the {chosen} is recorded in {workspace.applies}, so nothing says "
                    "which changes were already applied",
                    hint="make the first apply of the whole repository explicitly (cspsync apply PATHS, after "
                    "reviewing its plan); later ones can use --since-last-apply",
                )
            last, changed_since = baseline, baseline.commit
            scope_words = f"since-last-apply {baseline.commit} ({baseline.record})"
        scope = scope_of(repo, list(paths), changed_since_ref=changed_since, shard=shard)
        if last is not None:
            scope = with_waiting(scope, repo, last.waiting, last.commit, shard=shard)
        if scope_words is None and (changed_since or shard):
            scope_words = f"changed-since {changed_since}" if changed_since else f"shard {shard}"
        elif scope_words is None and not scope.full_scope:
            scope_words = "files " + ", ".join(str(p) for p in paths)
        planned = plan_for(
            repo,
            scope.declared,
            target=chosen,
            workspace=workspace,
            full_scope=scope.full_scope,
            strategy=scope.strategy,
            resend=resend,
            deleted=scope.deleted_declarations,
            shard=shard_files,
            acting=True,
            full_read=full_read,
            full_read_every=dt.timedelta(hours=full_read_every),
        )
        if since_last_apply:
            click.echo(f"scope: the files changed since the last successful apply ({scope_words})")
        for note in scope.notes:
            click.echo(note)
        return _confirm_and_apply(
            planned,
            planned.plan,
            repo,
            workspace,
            yes,
            workers,
            allow_over_budget,
            resend,
            scope=scope_words,
            baseline=(scope.full_scope or since_last_apply) and shard is None,
        )


def _run_recorded(applier: Applier) -> ApplyRecord:
    """The apply; stopped by Ctrl-C or SIGTERM, it still says where its record is before exiting 130."""
    try:
        return applier.run()
    except KeyboardInterrupt:
        record = applier.record
        heading = "Apply stopped" + (f" ({record.stopped})" if record.stopped else "")
        click.echo(_summary(record, heading), err=True)
        click.echo(f"Apply record: {record.path} (correlation id {record.correlation_id})", err=True)
        raise


def _say_stopping(in_flight: int) -> None:
    click.echo(
        f"Stopping: no new action starts; waiting for {in_flight} action(s) whose calls were already sent, so "
        "the apply record says what they did (Ctrl-C again stops waiting; their outcome is then unknown)",
        err=True,
    )


def _confirm_and_apply(
    planned: Planned,
    to_apply: Plan,
    repo: Repository,
    workspace: Workspace,
    yes: bool,
    workers: int,
    allow_over_budget: bool,
    resend: bool,
    *,
    scope: str | None = None,
    baseline: bool = False,
) -> int:
    """Show the plan, check what must hold before any write, ask, then apply; the connection is closed after."""
    try:
        refuse_demo_key_for_real_target(repo.config.credentials.ageRecipients, to_apply.target)
        parse_recipients(repo.config.credentials.ageRecipients)
        click.echo(render(to_apply, "text", color=stdout_is_tty()), nl=False)
        refuse_over_budget(to_apply, allowed=allow_over_budget)
        if not to_apply.has_changes:
            _nothing_to_apply(to_apply)
            return 0
        mailer = _mailer(to_apply, repo, planned, workspace)
        try:
            if not yes:
                if not sys.stdin.isatty():
                    raise ConfigError(
                        "stdin is not a terminal, so apply cannot ask for confirmation",
                        hint="review the plan above and pass --yes to apply it",
                    )
                # declining is not an interrupt: nothing was applied, exit 1 as a failed apply (Ctrl-C or the end
                # of input at the prompt is one, and exits 130)
                if not click.confirm(f"Apply these changes to the {to_apply.target}?"):
                    click.echo("Apply cancelled: nothing was applied.", err=True)
                    return 1
            return _run(planned, to_apply, repo, workers, mailer=mailer, resend=resend, scope=scope, baseline=baseline)
        finally:
            if mailer is not None:
                mailer.close()
    finally:
        planned.connection.close()
