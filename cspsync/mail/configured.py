"""The transport cspsync.yaml asks for (``invitations.transport``), and the sender it sends as.

The SMTP password comes only from the environment variable ``invitations.smtp.passwordEnv`` names.
Graph goes to Microsoft Graph for the real Partner Center and to the emulator's Graph endpoint for the
emulator target (in process, or the server ``CSPSYNC_EMULATOR_URL`` points at).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from email.utils import formataddr
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from cspsync.declarations.models import Config
from cspsync.errors import ConfigError
from cspsync.mail.addresses import is_loopback
from cspsync.mail.base import Transport
from cspsync.mail.eml import OutboxTransport
from cspsync.mail.graph import GraphTransport, graph_tokens_from_environment
from cspsync.mail.smtp import SmtpTransport
from cspsync.workspace import Workspace

#: the outbox's From when cspsync.yaml names no sender (the person sending it uses their own)
OUTBOX_SENDER = "no-reply@cspsync.invalid"


def sender_address(config: Config) -> str:
    invitations = config.invitations
    if invitations.fromAddress:
        return invitations.fromAddress
    if invitations.transport == "graph" and invitations.graph is not None:
        return invitations.graph.mailbox
    return OUTBOX_SENDER


def sender(config: Config) -> str:
    """The From header: ``fromName`` (default: the partner's name) and the sender address."""
    return formataddr((config.invitations.fromName or config.partner.name, sender_address(config)))


def transport_for(
    config: Config,
    *,
    target: Literal["emulator", "partner-center", "partner-center-sandbox"],
    workspace: Workspace,
    env: Mapping[str, str] | None = None,
    emulator: Any = None,
) -> Transport:
    """The configured transport; ConfigError (before anything is sent) when its settings are incomplete.

    ``emulator`` is the in-process emulator app of the emulator target, when the caller has one open.
    """
    env = os.environ if env is None else env
    invitations = config.invitations
    if invitations.transport == "smtp":
        smtp = invitations.smtp
        if smtp is None or invitations.fromAddress is None:
            raise ConfigError("invitations.transport smtp needs invitations.smtp and invitations.fromAddress")
        password = None
        if smtp.passwordEnv is not None:
            value = env.get(smtp.passwordEnv, "")
            if not value:
                raise ConfigError(
                    f"the SMTP password variable {smtp.passwordEnv} is not set "
                    "(invitations.smtp.passwordEnv in cspsync.yaml names it)",
                    hint=f"export {smtp.passwordEnv} (in CI, from the repository's secrets)",
                )
            password = SecretStr(value)
        return SmtpTransport(
            host=smtp.host,
            port=smtp.port,
            sender=invitations.fromAddress,
            starttls=smtp.starttls,
            username=smtp.username,
            password=password,
        )
    if invitations.transport == "graph":
        if invitations.graph is None:
            raise ConfigError("invitations.transport graph needs invitations.graph.mailbox")
        mailbox = invitations.graph.mailbox
        if target != "emulator":
            return GraphTransport(mailbox=mailbox, tokens=graph_tokens_from_environment(env))
        return _emulator_graph(mailbox, workspace, env, emulator)
    return OutboxTransport(workspace)


def _emulator_graph(mailbox: str, workspace: Workspace, env: Mapping[str, str], emulator: Any) -> GraphTransport:
    from cspsync.partnercenter.auth import StaticToken
    from cspsync.target import open_emulator

    served = env.get("CSPSYNC_EMULATOR_URL")
    if served:
        host = httpx.URL(served).host
        if not is_loopback(host):
            raise ConfigError(f"CSPSYNC_EMULATOR_URL must point to loopback (127.0.0.1), not {host!r}")
        return GraphTransport(mailbox=mailbox, tokens=StaticToken(), base_url=served, transport=httpx.HTTPTransport())
    closers: list[Any] = []
    if emulator is None:
        emulator = open_emulator(workspace, None)
        closers.append(emulator.close)
    return GraphTransport(
        mailbox=mailbox, tokens=StaticToken(), transport=httpx.MockTransport(emulator), on_close=closers
    )
