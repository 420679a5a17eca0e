"""``cspsync import``: write declarations for customers that already exist in Partner Center."""

from __future__ import annotations

import uuid
from pathlib import Path

import click

from cspsync.commands._options import check_writable, config_option, target_option
from cspsync.declarations import Repository, check, find_config, load_config
from cspsync.gitops.importer import Claimed, read_customers, write_files
from cspsync.pipeline import Target
from cspsync.render.words import target_name
from cspsync.target import connect
from cspsync.workspace import Workspace


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


@click.command("import")
@click.option(
    "--domain",
    "domains",
    multiple=True,
    metavar="DOMAIN",
    help="Import the customer with this tenant domain (repeatable; default: every customer).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("customers"),
    show_default=True,
    help="Folder to write <name>.yaml files into.",
)
@click.option("--force", is_flag=True, help="Overwrite a file of the same name that exists already.")
@config_option
@target_option
def import_(
    domains: tuple[str, ...], out_dir: Path, force: bool, config_path: Path | None, target: Target | None
) -> int:
    """Write an `existing`-mode declaration for each customer Partner Center has that no file declares.

    Each file holds the company (billing profile), the latest Microsoft Customer Agreement and the live
    subscriptions, so `cspsync plan` right after shows no changes. Customers already declared are
    skipped; existing files are kept unless --force. Exit 1 when a customer could not be read or
    written, or a written file needs an edit to be valid.
    """
    config_path = config_path or find_config([_existing_ancestor(out_dir)])
    config = load_config(config_path)
    repo = Repository(root=config_path.parent, config_path=config_path, config=config, customers=())
    folders = [config_path.parent] + ([out_dir] if out_dir.is_dir() else [])
    claimed = Claimed.scan(folders, config_path)
    check_writable(out_dir, "customer files", folder=True)
    chosen: Target = target or config.target
    workspace = Workspace.from_environment(repository=repo.root)
    connection = connect(repo, chosen, workspace, correlation_id=str(uuid.uuid4()))
    try:
        result = read_customers(connection.client, config, claimed, domains=domains)
    finally:
        connection.close()
    written, refused = write_files(result.customers, out_dir, force=force)
    click.echo(f"target: {target_name(chosen)}")
    for item in written:
        customer = item.customer
        verb = "overwrote" if item.overwritten else "wrote"
        click.echo(f"{verb} {item.path} ({customer.domain or customer.tenant_id}, tenant {customer.tenant_id})")
        for warning in customer.warnings:
            click.echo(f"  left out: {warning}")
    for skipped in result.skipped:
        click.echo(f"skipped {skipped.what}: {skipped.reason}")
    for failure in [*result.failed, *refused]:
        click.echo(f"not imported: {failure.what} {failure.reason}", err=True)
    invalid = 0
    if written:
        report = check([out_dir], config_path=config_path)
        mine = {str(item.path) for item in written}
        problems = [p for p in report.problems if p.file in mine]
        for problem in problems:
            click.echo(str(problem), err=True)
        invalid = len({p.file for p in problems})
    click.echo(f"Imported {len(written)} customer(s) into {out_dir}.")
    if invalid:
        click.echo(
            f"{invalid} imported file(s) need an edit to be valid (see above); then run: cspsync plan {out_dir}",
            err=True,
        )
    elif written:
        click.echo(
            f"Check them with: cspsync plan {out_dir} (it shows each imported customer as an adoption to review, "
            "and no other change)"
        )
    return 1 if result.failed or refused or invalid else 0
