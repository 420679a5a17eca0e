"""Where plans and applies go: the built-in emulator, Partner Center, or its integration sandbox.

The client never knows which: it only sees an httpx transport. For the emulator that transport calls
the emulator in process (state in ``.cspsync/emulator.db``, seeded on first use from
``emulator-seed.yaml`` next to cspsync.yaml), or a served emulator on loopback when
``CSPSYNC_EMULATOR_URL`` is set (``cspsync emulator serve`` prints it). For ``partner-center`` and
``partner-center-sandbox`` it is httpx's own, with tokens from msal: credentials ``CSPSYNC_*`` for
production, ``CSPSYNC_SANDBOX_*`` for the sandbox (a separate account with its own app and tokens), and
the account ``cspsync login`` left in the encrypted token cache for App+User calls.

``CSPSYNC_REHEARSAL_URL`` (loopback only) sends a Partner Center target's API calls *and* its sign-in to a
served emulator: the whole identity path (msal, MFA, rotation) runs for real without leaving the machine.

The client paces itself (:class:`~cspsync.partnercenter.retry.Limits`: 10 requests per second) whatever
the target, so that a run against the emulator behaves like one against Partner Center. Setting
``CSPSYNC_EMULATOR_UNPACED=1`` lifts the pacing for the emulator target only (in process or served); the
test suite sets it for every test but those about pacing (tests/conftest.py). Partner Center is always
paced.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from cspsync.declarations import Repository
from cspsync.errors import ConfigError
from cspsync.partnercenter.auth import (
    ARM_AUDIENCE,
    GRAPH_AUDIENCE,
    PRICING_AUDIENCE,
    AppCredentials,
    StaticToken,
    default_token_cache,
    from_environment,
    open_token_cache,
    plaintext_cache_opted_in,
)
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.retry import UNPACED, Limits
from cspsync.workspace import Workspace

PARTNER_CENTER_URL = "https://api.partnercenter.microsoft.com"
EMULATOR_BASE_URL = "https://api.partnercenter.microsoft.com"  # in process: the same URL, never leaves it
SEED_FILE = "emulator-seed.yaml"
#: ``1`` lifts the client's pacing against the emulator (never against Partner Center); ``0`` or unset keeps it
UNPACED_ENV = "CSPSYNC_EMULATOR_UNPACED"
REHEARSAL_ENV = "CSPSYNC_REHEARSAL_URL"
Target = Literal["emulator", "partner-center", "partner-center-sandbox"]
#: The environment prefix of each real target's credentials.
CREDENTIAL_PREFIX = {"partner-center": "CSPSYNC_", "partner-center-sandbox": "CSPSYNC_SANDBOX_"}


@dataclass
class Connection:
    target: Target
    client: PartnerCenterClient
    #: the in-process emulator, when the target is it (tests and the CLI's emulator commands use it)
    emulator: Any = None
    _closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        self.client.close()
        for closer in self._closers:
            closer()


def open_emulator(workspace: Workspace, seed_file: Path | None) -> Any:
    """The in-process emulator over ``workspace``'s database, seeded from ``seed_file`` when new."""
    from cspsync.emulator import EmulatorApp, Store, faults_from_environment, load_seed
    from cspsync.emulator.handlers.gdap import timing_from_environment
    from cspsync.emulator.rules import rules_from_environment

    workspace.required()
    new = not workspace.emulator_db.exists()
    store = Store(workspace.emulator_db)
    if new and seed_file is not None and seed_file.is_file():
        store.seed(load_seed(seed_file))
    return EmulatorApp(
        store,
        faults=faults_from_environment(os.environ),
        rules=rules_from_environment(os.environ),
        gdap_timing=timing_from_environment(),
    )


def _loopback_url(url: str, variable: str = "CSPSYNC_EMULATOR_URL") -> str:
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(f"{variable} must point to loopback (127.0.0.1), not {host!r}")
    return url.rstrip("/")


def emulator_limits(env: Mapping[str, str]) -> Limits:
    """The client's limits against the emulator: paced like Partner Center unless ``CSPSYNC_EMULATOR_UNPACED=1``."""
    flag = env.get(UNPACED_ENV, "").strip()
    if flag in ("", "0"):
        return Limits()
    if flag == "1":
        return UNPACED
    raise ConfigError(f"{UNPACED_ENV} must be 1 (unpaced) or 0 (paced), not {flag!r}")


def connect(
    repo: Repository,
    target: Target,
    workspace: Workspace,
    *,
    correlation_id: str,
    env: Mapping[str, str] | None = None,
) -> Connection:
    env = os.environ if env is None else env
    if target == "emulator":
        limits = emulator_limits(env)
        served = env.get("CSPSYNC_EMULATOR_URL")
        if served:
            client = PartnerCenterClient(
                base_url=_loopback_url(served),
                transport=httpx.HTTPTransport(),
                tokens=StaticToken(),
                correlation_id=correlation_id,
                limits=limits,
            )
            return Connection(target, client)
        from cspsync.emulator import transport as emulator_transport

        app = open_emulator(workspace, repo.root / SEED_FILE)
        client = PartnerCenterClient(
            base_url=EMULATOR_BASE_URL,
            transport=emulator_transport(app),
            tokens=StaticToken(),
            correlation_id=correlation_id,
            limits=limits,
        )
        return Connection(target, client, emulator=app, _closers=[app.close])
    tokens, api_transport = credentials_for(target, env)
    client = PartnerCenterClient(
        base_url=PARTNER_CENTER_URL,
        transport=api_transport,
        tokens=tokens,
        pricing_tokens=tokens.for_audience(PRICING_AUDIENCE),
        correlation_id=correlation_id,
        graph_tokens=tokens.for_audience(GRAPH_AUDIENCE),  # GDAP: app-only Graph tokens of the same app
        arm_tokens=tokens.for_audience(ARM_AUDIENCE),  # Azure subscriptions under the Azure plan
    )
    return Connection(target, client)


def credentials_for(target: Target, env: Mapping[str, str]) -> tuple[AppCredentials, httpx.BaseTransport | None]:
    """The credentials of a real target (and the transport, when rehearsing on loopback)."""
    from cspsync.partnercenter.msalhttp import LoopbackTransport, MsalHttpClient

    rehearsal = env.get(REHEARSAL_ENV, "").strip()
    transport: httpx.BaseTransport | None = None
    if rehearsal:
        transport = LoopbackTransport(_loopback_url(rehearsal, REHEARSAL_ENV))
    tokens = from_environment(
        env,
        prefix=CREDENTIAL_PREFIX[target],
        http_client=MsalHttpClient(LoopbackTransport(_loopback_url(rehearsal, REHEARSAL_ENV)) if rehearsal else None),
        token_cache=existing_token_cache(env),
    )
    return tokens, transport


def existing_token_cache(env: Mapping[str, str]) -> Any:
    """The encrypted msal token cache ``cspsync login`` wrote, when there is one (never created here)."""
    path = default_token_cache(env)
    if not path.exists():
        return None
    return open_token_cache(path, allow_plaintext=plaintext_cache_opted_in(env))
