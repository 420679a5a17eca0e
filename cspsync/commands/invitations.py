"""``cspsync invitations``: preview an invitation, send due reminders, and see where each one stands.

``remind`` is what the scheduled drift workflow runs: it sends a reminder only while Partner Center
still does not list the customer, ``invitations.reminderAfterDays`` after the last message, at most
``invitations.maxReminders`` times. Only reads reach Partner Center (the customer lookup and the
relationship request link).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from cspsync.apply.gdap import approval_link_of
from cspsync.commands._options import config_option, paths_argument, refuse_another_partner, target_option
from cspsync.declarations import Declared, Repository
from cspsync.errors import ConfigError
from cspsync.invitations.followup import FollowUp, follow_up
from cspsync.invitations.sending import compose
from cspsync.invitations.template import ApprovalLink
from cspsync.mail import DeliveryError
from cspsync.mail.configured import transport_for
from cspsync.partnercenter.gdap import approval_link
from cspsync.pipeline import Target, load, observe_and_plan
from cspsync.plan.payloads import RequestInvitation
from cspsync.render import escape
from cspsync.target import Connection, connect
from cspsync.workspace import Workspace

SYMBOL = {
    "sent": "✓",
    "linked": "=",
    "not-due": "·",
    "not-sent": "·",
    "due": "→",
    "no-reminders-left": "!",
    "readdressed": "!",
    "unknown": "✗",
    "failed": "✗",
}
STATE_WORDS = {
    "not-sent": "not sent",
    "linked": "accepted",
    "unknown": "unknown",
    "readdressed": "address changed",
    "not-due": "waiting",
    "due": "waiting, reminder due",
    "sent": "waiting, reminded now",
    "no-reminders-left": "waiting",
    "failed": "waiting, reminder failed",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@contextmanager
def _connected(repo: Repository, target: Target | None, workspace: Workspace) -> Iterator[Connection]:
    connection = connect(repo, target or repo.config.target, workspace, correlation_id=str(uuid.uuid4()))
    try:
        yield connection
    finally:
        connection.close()


#: in a preview, the id of an admin relationship that does not exist yet (apply requests it, then sends its link)
NEW_RELATIONSHIP_ID = "NEW-RELATIONSHIP-ID"


def _approvals(
    repo: Repository, declared: Declared, connection: Connection, workspace: Workspace
) -> tuple[ApprovalLink, ...]:
    """The admin relationships whose approval links the invitation would carry now: those the plan of this
    customer puts in its invitation action, sent again if it was sent (a read of Partner Center; nothing is
    written)."""
    plan = observe_and_plan(
        repo,
        [declared],
        connection.client,
        target=connection.target,
        workspace=workspace,
        full_scope=False,
        resend=True,
    )
    name = declared.customer.metadata.name
    invitation = next(
        (a.payload for a in plan.actions if a.customer == name and isinstance(a.payload, RequestInvitation)), None
    )
    if invitation is None:
        return ()
    return tuple(
        approval_link_of(a, approval_link(a.relationship_id or NEW_RELATIONSHIP_ID)) for a in invitation.admin_approvals
    )


def _delivery_words(repo: Repository, name: str) -> str:
    settings = repo.config.invitations
    if settings.transport == "smtp" and settings.smtp is not None:
        return f"SMTP through {settings.smtp.host}:{settings.smtp.port}"
    if settings.transport == "graph" and settings.graph is not None:
        return f"Microsoft Graph sendMail from {settings.graph.mailbox}"
    return f"no transport: written to .cspsync/outbox/{name}.eml for a person to send"


def _find(repo: Repository, customer: str) -> Declared:
    for declared in repo.customers:
        if customer in (declared.customer.metadata.name, str(declared.path)) or (
            Path(customer).is_file() and Path(customer).resolve() == declared.path.resolve()
        ):
            return declared
    invited = (d.customer.metadata.name for d in repo.customers if d.customer.spec.tenant.mode == "invite")
    names = ", ".join(sorted(invited))
    raise ConfigError(f"no customer {customer!r} in the declarations", hint=f"invite customers: {names or 'none'}")


@click.group()
def invitations() -> None:
    """Reseller-relationship invitations: preview, reminders, and where each one stands."""


@invitations.command()
@click.argument("customer")
@paths_argument
@config_option
@target_option
@click.option("--html", "show_html", is_flag=True, help="Show the HTML part instead of the text part.")
def preview(
    customer: str, paths: tuple[Path, ...], config_path: Path | None, target: Target | None, show_html: bool
) -> None:
    """Show the invitation of CUSTOMER (metadata.name or file) exactly as the next apply sends it (as --resend
    would, once it was sent): headers and text, with the admin access requests it carries.

    The link is the real one from Partner Center (or the emulator): a read, nothing is sent or recorded.
    """
    chosen = list(paths) or ([Path(customer)] if Path(customer).is_file() else [Path(".")])
    repo = load(chosen, config_path)
    declared = _find(repo, customer)
    if declared.customer.spec.tenant.mode != "invite":
        raise ConfigError(
            f"{declared.path}: {declared.customer.metadata.name} has tenant.mode "
            f"{declared.customer.spec.tenant.mode}: only invite customers get an invitation"
        )
    reseller = next((r for r in repo.config.partner.resellers if r.name == declared.customer.spec.reseller), None)
    workspace = Workspace.from_environment(repository=repo.root)
    with _connected(repo, target, workspace) as connection:
        link = connection.client.relationship_request_link(reseller.tenantId if reseller else None)
        approvals = _approvals(repo, declared, connection, workspace)
        outgoing = compose(repo, declared, link=link, when=_now(), approvals=approvals)
    name = declared.customer.metadata.name
    click.echo(
        f"Invitation of {name} ({connection.target}); delivery: {_delivery_words(repo, name)}. "
        "Date and Message-ID are set anew when it is sent.",
        err=True,
    )
    if any(NEW_RELATIONSHIP_ID in a.link for a in approvals):
        click.echo(
            f"{NEW_RELATIONSHIP_ID} stands for the id of an admin relationship apply requests with the invitation: "
            "its approval link is known once the relationship exists.",
            err=True,
        )
    mail = outgoing.mail
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        click.echo(f"{header}: {mail[header]}")
    part = mail.get_body(preferencelist=("html",) if show_html else ("plain",))
    assert part is not None
    click.echo()
    click.echo(part.get_content(), nl=False)


def _line(result: FollowUp, dry_run: bool) -> str:
    message = result.message
    if result.state == "due" and dry_run:
        message = f"would send a reminder to {result.to}: {message}"
    # the message can carry a mail server's or Partner Center's words (a refusal): escaped for the terminal
    return f"{SYMBOL[result.state]} {result.customer}: {escape.terminal(message)}"


@invitations.command()
@paths_argument
@config_option
@target_option
@click.option("--dry-run", is_flag=True, help="Say which reminders are due; send and record nothing.")
def remind(paths: tuple[Path, ...], config_path: Path | None, target: Target | None, dry_run: bool) -> None:
    """Send the reminders that are due for invitations still waiting (PATHS default: .).

    Run it on a schedule: a reminder goes out invitations.reminderAfterDays after the last message, at
    most invitations.maxReminders times, and never once Partner Center lists the customer.
    """
    repo = load(list(paths) or [Path(".")], config_path)
    refuse_another_partner(repo.config.partner.tenantId)
    workspace = Workspace.from_environment(repository=repo.root)
    with _connected(repo, target, workspace) as connection:
        factory = (
            None
            if dry_run
            else functools.partial(
                transport_for, repo.config, target=connection.target, workspace=workspace, emulator=connection.emulator
            )
        )
        results = follow_up(repo, repo.customers, connection.client, workspace=workspace, now=_now(), transport=factory)
    for result in results:
        click.echo(_line(result, dry_run))
    counts: dict[str, int] = {}
    for result in results:
        counts[result.state] = counts.get(result.state, 0) + 1
    words = [
        ("sent", "sent"),
        ("due", "due"),
        ("not-due", "not due"),
        ("linked", "accepted"),
        ("no-reminders-left", "without reminders left"),
        ("readdressed", "readdressed"),
        ("not-sent", "not sent yet"),
        ("unknown", "unknown"),
        ("failed", "failed"),
    ]
    summary = ", ".join(f"{counts[k]} {w}" for k, w in words if counts.get(k))
    click.echo(f"\nReminders{' (dry run: nothing sent)' if dry_run else ''}: {summary or 'no invite customers'}.")
    bad = [r.customer for r in results if r.state in ("failed", "unknown")]
    if bad:
        raise DeliveryError(
            f"{len(bad)} invitation(s) could not be followed up: {', '.join(bad)}",
            hint="the reasons are above; nothing was recorded for them, so the next run tries again",
        )


@invitations.command()
@paths_argument
@config_option
@target_option
def status(paths: tuple[Path, ...], config_path: Path | None, target: Target | None) -> int:
    """Where each invitation stands: not sent, waiting (since when, reminders), or accepted.

    Exit 0, or 1 when where some invitation stands could not be read (it is listed as unknown).
    """
    repo = load(list(paths) or [Path(".")], config_path)
    workspace = Workspace.from_environment(repository=repo.root)
    with _connected(repo, target, workspace) as connection:
        results = follow_up(repo, repo.customers, connection.client, workspace=workspace, now=_now())
    if not results:
        click.echo("No invite customers (tenant.mode: invite) in the declarations.")
        return 0
    for result in results:
        head = f"{result.customer} ({result.domain} → {result.to}): {STATE_WORDS[result.state]}"
        entry = result.entry
        sent = ""
        if entry is not None:
            how = "via the outbox (sent by hand)" if entry.sent.delivery == "outbox" else f"by {entry.sent.delivery}"
            sent = f"; invitation sent {entry.sent.at[:10]} {how}, Message-ID {entry.sent.message_id}"
        click.echo(f"{head}{sent}")
        click.echo(f"    {result.message}")
    return 1 if any(result.state == "unknown" for result in results) else 0
