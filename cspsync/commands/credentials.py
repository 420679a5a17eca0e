"""``cspsync credentials``: read back a new tenant's admin credentials, for the holder of the key only."""

from __future__ import annotations

from pathlib import Path

import click

from cspsync.commands._options import config_option
from cspsync.declarations import find_config, load_config
from cspsync.errors import CredentialsError
from cspsync.secrets import credentials_directory, decrypt, files_for


def _directory(config_path: Path | None) -> Path:
    path = config_path or find_config([Path(".")])
    return credentials_directory(path.parent, load_config(path).credentials.directory)


@click.group()
def credentials() -> None:
    """Encrypted one-time admin credentials of tenants cspsync created."""


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
        raise CredentialsError(
            f"no stored credentials for {customer} in {directory}",
            hint="credentials exist only for tenants created by `cspsync apply` from this working folder "
            "(or downloaded from the apply job's artifacts)",
        )
    for path in files:
        creds = decrypt(path, identity)
        click.echo(f"customer:  {creds.customer}")
        click.echo(f"tenant:    {creds.domain} ({creds.tenant_id})")
        click.echo(f"created:   {creds.created_at.isoformat()}")
        click.echo(f"user name: {creds.user_name}")
        click.echo(f"password:  {creds.password.get_secret_value()}")
        click.echo("sign in:   https://portal.azure.com (the password must be changed at first sign-in)")


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
def list_(config_path: Path | None) -> None:
    """List the encrypted credentials files (no secrets are read)."""
    directory = _directory(config_path)
    for path in sorted(directory.glob("*.age")):
        click.echo(str(path))
