"""``cspsync login``: device-code sign-in with MFA to the partner's app (the Secure Application Model)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Literal

import click

from cspsync.commands._options import check_writable, writing
from cspsync.errors import ConfigError


@click.command("login")
@click.option(
    "--target",
    type=click.Choice(["partner-center", "partner-center-sandbox"]),
    default="partner-center",
    show_default=True,
    help="Whose app to sign in to: production (CSPSYNC_TENANT_ID, CSPSYNC_CLIENT_ID) or the integration "
    "sandbox (CSPSYNC_SANDBOX_TENANT_ID, CSPSYNC_SANDBOX_CLIENT_ID).",
)
@click.option(
    "--allow-plaintext-cache",
    is_flag=True,
    help="Where no encrypted store exists (headless Linux without libsecret), keep the token cache in a plain "
    "file readable by you only. Anyone who can read it can act as you in Partner Center.",
)
@click.option(
    "--refresh-token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the refresh token to this new file (mode 600) to store as the CI secret "
    "CSPSYNC_REFRESH_TOKEN; it is never printed.",
)
def login(
    target: Literal["partner-center", "partner-center-sandbox"],
    allow_plaintext_cache: bool,
    refresh_token_file: Path | None,
) -> None:
    """Sign in as a partner user (an Admin agent) with MFA, by device code.

    The refresh token goes to the encrypted msal token cache (CSPSYNC_TOKEN_CACHE, default
    ~/.cache/cspsync/token-cache.bin), from which plan and apply on this machine take App+User tokens.
    See docs/partner-center.md.
    """
    from cspsync.partnercenter.auth import default_token_cache, open_token_cache, plaintext_cache_opted_in
    from cspsync.partnercenter.msalhttp import LoopbackTransport, MsalHttpClient
    from cspsync.partnercenter.signin import device_code_sign_in, no_mfa_error, record_sign_in, write_private
    from cspsync.target import CREDENTIAL_PREFIX, REHEARSAL_ENV, _loopback_url

    env = os.environ
    prefix = CREDENTIAL_PREFIX[target]
    tenant, client = env.get(prefix + "TENANT_ID", "").strip(), env.get(prefix + "CLIENT_ID", "").strip()
    missing = [prefix + n for n, v in (("TENANT_ID", tenant), ("CLIENT_ID", client)) if not v]
    if missing:
        raise ConfigError(
            f"cspsync login needs {' and '.join(missing)}: the partner tenant and the app's id",
            hint="see docs/partner-center.md, step 1 (app registration)",
        )
    if refresh_token_file is not None and refresh_token_file.exists():
        raise ConfigError(f"{refresh_token_file} exists; give a new file for the refresh token")
    if refresh_token_file is not None:  # known before the sign-in, not after the user has signed in
        check_writable(refresh_token_file, "the refresh token")
    cache_path = default_token_cache(env)
    cache = open_token_cache(cache_path, allow_plaintext=allow_plaintext_cache or plaintext_cache_opted_in(env))
    rehearsal = env.get(REHEARSAL_ENV, "").strip()
    http = MsalHttpClient(LoopbackTransport(_loopback_url(rehearsal, REHEARSAL_ENV)) if rehearsal else None)
    signed = device_code_sign_in(
        tenant_id=tenant,
        client_id=client,
        token_cache=cache,
        prompt=lambda m: click.echo(m, err=True),
        http_client=http,
    )
    if not signed.mfa:
        raise no_mfa_error(signed.user)
    today = dt.datetime.now(dt.UTC)
    record_sign_in(cache_path, tenant, client, signed.user, today)
    click.echo(f"Signed in to {target} as {signed.user} (tenant {tenant}), with MFA.")
    click.echo(f"Refresh token kept in the token cache at {cache_path}; plan and apply here use it.")
    if refresh_token_file is not None and signed.refresh_token is not None:
        with writing(refresh_token_file, "the refresh token"):
            write_private(refresh_token_file, signed.refresh_token)
        name = prefix + "REFRESH_TOKEN"
        click.echo(f"Refresh token written to {refresh_token_file} (mode 600, not shown). For CI:")
        click.echo(f"  gh secret set {name} < {refresh_token_file} && rm {refresh_token_file}")
        click.echo(f"  gh variable set {prefix}REFRESH_TOKEN_ISSUED --body {today.date().isoformat()}")
        click.echo("It dies after 90 days unused; `cspsync auth status` says when to sign in again.")
    else:
        click.echo("For CI, run again with --refresh-token-file FILE and store it as a secret.")
