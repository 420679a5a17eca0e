"""``cspsync auth status``: which identity each credential gives and what the declarations need of them."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Literal

import click

from cspsync.commands._options import config_option, paths_argument
from cspsync.render.words import target_name


@click.group("auth")
def auth() -> None:
    """Partner Center identities: check them before a plan (run `cspsync auth status` first in CI)."""


@auth.command("status")
@paths_argument
@config_option
@click.option(
    "--target",
    type=click.Choice(["partner-center", "partner-center-sandbox"]),
    default=None,
    help="Which credentials to check (default: cspsync.yaml's target when it is a Partner Center one).",
)
def status(
    paths: tuple[Path, ...],
    config_path: Path | None,
    target: Literal["partner-center", "partner-center-sandbox"] | None,
) -> None:
    """Say which identity each configured credential gives (app-only, App+User), whether the App+User token
    carries the MFA claim, how old the refresh token is, and whether each operation the declarations in
    PATHS need can be done. Exit 1 when a plan would fail for lack of an identity."""
    from cspsync.errors import ConfigError
    from cspsync.partnercenter.auth import default_token_cache
    from cspsync.partnercenter.signin import read_sign_ins
    from cspsync.partnercenter.status import check, needed_operations
    from cspsync.pipeline import load
    from cspsync.render.auth_status import format_status
    from cspsync.target import CREDENTIAL_PREFIX, credentials_for

    repo = load(list(paths) or [Path(".")], config_path)
    chosen = target or repo.config.target
    if chosen == "emulator":
        raise ConfigError(
            f"the target is the emulator ({repo.config_path}: target: emulator), which needs no sign-in",
            hint="set target: partner-center (or partner-center-sandbox) in cspsync.yaml before the workflows run "
            "with Partner Center credentials, or give --target partner-center or --target partner-center-sandbox",
        )
    env = os.environ
    prefix = CREDENTIAL_PREFIX[chosen]
    tokens, _ = credentials_for(chosen, env)
    sign_ins = read_sign_ins(default_token_cache(env))
    entry = sign_ins.get(f"{tokens.tenant_id.lower()}/{tokens.client_id.lower()}", {})
    operations = needed_operations(repo.config, [declared.customer for declared in repo.customers])
    result = check(
        chosen,
        tokens,
        operations,
        prefix=prefix,
        signed_in=entry.get("signed_in"),
        issued=env.get(prefix + "REFRESH_TOKEN_ISSUED"),
        now=dt.datetime.now(dt.UTC),
    )
    click.echo(f"target: {target_name(chosen)} · tenant {tokens.tenant_id} · app {tokens.client_id}")
    click.echo(format_status(result), nl=False)
    if result.failing:
        sys.exit(1)
