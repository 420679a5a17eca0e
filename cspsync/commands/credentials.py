"""``cspsync credentials``: read back a new tenant's admin credentials (for the holder of the key only),
list them and the passwords that were lost, and reset a lost one through Partner Center."""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from itertools import pairwise
from pathlib import Path

import click

from cspsync.apply.record import ActionResult, ApplyRecord
from cspsync.commands._options import config_option, target_option
from cspsync.declarations import Repository, find_config, load_config, load_repository
from cspsync.declarations.keys import customer_domain, domain_key
from cspsync.errors import ConfigError, CredentialsError
from cspsync.observe.applied import RESET, AppliedIdentities, applied_identities
from cspsync.plan.model import Target
from cspsync.render import escape
from cspsync.secrets import (
    TenantCredentials,
    credentials_directory,
    decrypt,
    files_for,
    new_password,
    parse_recipients,
    refuse_demo_key_for_real_target,
    store,
)
from cspsync.workspace import Workspace, write_json_atomic


def _config_path(config_path: Path | None) -> Path:
    return config_path or find_config([Path(".")])


def _directory(config_path: Path | None) -> Path:
    path = _config_path(config_path)
    return credentials_directory(path.parent, load_config(path).credentials.directory)


def _identities(config_path: Path | None, target: Target | None) -> AppliedIdentities:
    path = _config_path(config_path)
    config = load_config(path)
    return applied_identities(
        Workspace.from_environment(repository=path.parent).applies,
        target=target or config.target,
        partner_tenant_id=config.partner.tenantId,
    )


@click.group()
def credentials() -> None:
    """Encrypted one-time admin credentials of tenants cspsync created, and the ones that were lost."""


@credentials.command("show")
@click.argument("customer")
@click.option(
    "--identity",
    "-i",
    required=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="age identity file (AGE-SECRET-KEY-…) or SSH private key that the credentials were encrypted to.",
)
@config_option
def show(customer: str, identity: Path, config_path: Path | None) -> None:
    """Decrypt and print the admin user name and password of CUSTOMER's tenant (metadata.name)."""
    directory = _directory(config_path)
    files = files_for(directory, customer)
    if not files:
        lost = _identities(config_path, None).lost.get(customer)
        if lost is not None:
            raise CredentialsError(
                f"the admin password of {customer} ({lost.domain}) was never stored: it was lost on {lost.since[:10]} "
                f"(apply record {lost.record})",
                hint=f"reset it and store the new one encrypted: cspsync credentials reset {customer}",
            )
        raise CredentialsError(
            f"no stored credentials for {customer} in {directory}",
            hint="credentials exist only for tenants cspsync created or reset; in CI they are the apply job's "
            "cspsync-credentials-* artifact (download it into that folder). For a tenant cspsync did not create, "
            f"cspsync credentials reset {customer} sets a new admin password and stores it",
        )
    stored = sorted((decrypt(path, identity) for path in files), key=lambda c: c.created_at)
    current = {creds.tenant_id: creds for creds in stored}  # per tenant, the newest: a reset replaced the rest
    for index, creds in enumerate(current.values()):
        if index:
            click.echo()
        click.echo(f"customer:  {creds.customer}")
        click.echo(f"tenant:    {escape.terminal(creds.domain)} ({escape.terminal(creds.tenant_id)})")
        click.echo(f"created:   {creds.created_at.isoformat()}")
        click.echo(f"user name: {escape.terminal(creds.user_name)}")  # Partner Center's words, as it answered
        click.echo(f"password:  {creds.password.get_secret_value()}")
        click.echo("sign in:   https://portal.azure.com (the password must be changed at first sign-in)")
        history = [c for c in stored if c.tenant_id == creds.tenant_id]
        for older, newer in pairwise(history):
            click.echo(
                f"replaced:  the password stored {older.created_at.isoformat()} no longer works: a reset on "
                f"{newer.created_at.isoformat()} replaced it (not shown)"
            )


@credentials.command("directory")
@config_option
def directory(config_path: Path | None) -> None:
    """Print the folder new tenants' encrypted credentials go to (credentials.directory), for CI to keep it."""
    folder = _directory(config_path).resolve()
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in str(folder)):
        raise CredentialsError("credentials.directory holds a control character", hint="name a plain folder")
    click.echo(str(folder))


@credentials.command("list")
@config_option
@target_option
def list_(config_path: Path | None, target: Target | None) -> None:
    """List the encrypted credentials files (no secrets are read) and every password that was lost."""
    directory = _directory(config_path)
    for path in sorted(directory.glob("*.age")):
        click.echo(str(path))
    for name, lost in sorted(_identities(config_path, target).lost.items()):
        tenant = f" (tenant {lost.tenant_id})" if lost.tenant_id else ""
        click.echo(
            escape.terminal(
                f"LOST {name}  {lost.domain}{tenant} since {lost.since[:19]}: the one-time admin password was never "
                f"stored (apply record {lost.record}); recover with: cspsync credentials reset {name}"
            )
        )


def _tenant_of(repo: Repository, customer: str, identities: AppliedIdentities) -> tuple[str, str | None]:
    """(tenant id, domain) of ``customer`` as this repository's applies know it: created or adopted only."""
    tenant_id = identities.tenant_of(customer)
    if tenant_id is None:
        raise ConfigError(
            f"no apply of this repository created or adopted {customer}, so cspsync cannot prove which tenant "
            "is its own: nothing was reset",
            hint="apply the customer's file first (a plan shows the adoption for review), or reset the password "
            "in the Microsoft 365 admin center",
        )
    declared = next((d for d in repo.customers if d.customer.metadata.name == customer), None)
    lost = identities.lost.get(customer)
    domain = (lost.domain if lost else None) or (customer_domain(declared.customer) if declared else None)
    return tenant_id, domain


@credentials.command("reset")
@click.argument("customer")
@config_option
@target_option
@click.option("--user", "user_name", default=None, help="The user to reset (default: admin@ the tenant's domain).")
@click.option("--yes", "-y", is_flag=True, help="Reset without asking (required when stdin is not a terminal).")
def reset(customer: str, config_path: Path | None, target: Target | None, user_name: str | None, yes: bool) -> None:
    """Give CUSTOMER's tenant admin a new password through Partner Center and store it encrypted.

    The recovery of a lost one-time password: the new password is encrypted to cspsync.yaml's age recipients
    and written (fsynced) before Partner Center is asked to set it, so it cannot be lost in between; the
    user must change it at the next sign-in. Read it with `cspsync credentials show CUSTOMER`.
    """
    from cspsync.target import connect

    path = _config_path(config_path)
    repo = load_repository([path.parent], config_path=path)
    chosen: Target = target or repo.config.target
    recipients = repo.config.credentials.ageRecipients
    refuse_demo_key_for_real_target(recipients, chosen)
    parse_recipients(recipients)
    workspace = Workspace.from_environment(repository=repo.root)
    identities = applied_identities(workspace.applies, target=chosen, partner_tenant_id=repo.config.partner.tenantId)
    tenant_id, domain = _tenant_of(repo, customer, identities)
    connection = connect(repo, chosen, workspace, correlation_id=str(uuid.uuid4()))
    try:
        client = connection.client
        found = client.get_customer(tenant_id)
        domain = domain or found.domain or ""
        wanted = (user_name or f"admin@{found.domain or domain}").casefold()
        users = client.list_customer_users(tenant_id)
        user = next((u for u in users if (u.user_principal_name or "").casefold() == wanted), None)
        if user is None:
            raise ConfigError(
                f"tenant {tenant_id} has no user {wanted}",
                hint="name the global admin to reset with --user",
            )
        if not yes:
            if not sys.stdin.isatty():
                raise ConfigError("stdin is not a terminal, so reset cannot ask for confirmation", hint="pass --yes")
            click.confirm(f"Reset the password of {user.user_principal_name} (tenant {tenant_id})?", abort=True)
        password = new_password()
        when = _now()
        stored = store(
            credentials_directory(repo.root, repo.config.credentials.directory),
            TenantCredentials(
                customer=customer,
                tenant_id=tenant_id,
                domain=domain_key(found.domain or domain) or domain,
                user_name=user.user_principal_name or wanted,
                password=password,
                created_at=when,
            ),
            recipients,
        )
        with client.calls() as log:
            try:
                client.reset_user_password(tenant_id, user.id, password)
            except BaseException:
                stored.unlink(missing_ok=True)  # the tenant still has the old password: keep no wrong one
                raise
        del password
        record = ApplyRecord(
            path=workspace.applies / f"{when.strftime('%Y%m%dT%H%M%S%fZ')}-reset.json",
            started_at=when.isoformat(),
            target=chosen,
            correlation_id=client.correlation_id,
            git_commit=None,
            plan_fingerprint="",
            declarations_fingerprint="",
            partner_tenant_id=repo.config.partner.tenantId,
            finished_at=_now().isoformat(),
        )
        record.results[f"{customer}/{RESET}"] = ActionResult(
            f"{customer}/{RESET}",
            customer,
            RESET,
            "done",
            f"reset the password of {user.user_principal_name}; the new one is encrypted to {stored}",
            request_ids=list(dict.fromkeys(log.request_ids)),
            details={
                "tenantId": tenant_id,
                "domain": domain,
                "user": user.user_principal_name,
                "credentials": str(stored),
            },
        )
        write_json_atomic(record.path, record.document())
    finally:
        connection.close()
    click.echo(f"target: {chosen}")
    click.echo(
        f"Reset the password of {user.user_principal_name} (tenant {tenant_id}); it must be changed at the next "
        f"sign-in. The new one is encrypted to {stored}: read it with `cspsync credentials show {customer} -i KEY`."
    )
    click.echo(f"Record: {record.path}")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
