"""Microsoft Graph sendMail as a mail transport: its refusals and its app-only token (msal faked at its edge,
as in tests/partnercenter). Invitations sent through it end to end: tests/invitations/test_graph.py."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from pydantic import SecretStr

from cspsync.emulator import EmulatorApp, transport
from cspsync.emulator.handlers.graph import sent_mail
from cspsync.errors import ConfigError
from cspsync.mail import DeliveryError, Outgoing
from cspsync.mail.graph import GRAPH_SCOPE, GraphAppToken, GraphTransport, graph_tokens_from_environment
from cspsync.partnercenter.auth import StaticToken
from tests.invitations.conftest import MAILBOX


def _outgoing(sender: str = MAILBOX) -> Outgoing:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "it.admin@litware.ie"
    mail["Subject"] = "hello"
    mail["Message-ID"] = "<1@fabrikam.example>"
    mail.set_content("text")
    return Outgoing("litware", mail, "it.admin@litware.ie", "examples/customers/litware.yaml:27:22", "litware")


def test_graph_refuses_to_send_as_another_mailbox() -> None:
    app = EmulatorApp()
    graph = GraphTransport(mailbox=MAILBOX, tokens=StaticToken(), transport=transport(app))

    with pytest.raises(DeliveryError) as caught:
        graph.send(_outgoing(sender="ceo@fabrikam.example"))

    assert str(caught.value).startswith(
        f"Microsoft Graph refused to send from {MAILBOX}: 403 ErrorSendAsDenied: The user account which was used "
        "to submit this request does not have the right to send mail on behalf of the specified sending account."
    )
    assert sent_mail(app.store) == []


class FakeMsal:
    def __init__(self, result: dict[str, Any] | None = None, error: Exception | None = None) -> None:
        self.result, self.error, self.scopes = result, error, []  # type: ignore[var-annotated]

    def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any] | None:
        self.scopes.append(scopes)
        if self.error is not None:
            raise self.error
        return self.result

    def acquire_token_by_refresh_token(self, refresh_token: str, scopes: list[str]) -> dict[str, Any] | None:
        raise AssertionError("Graph mail uses app-only tokens")


def test_the_graph_token_is_app_only_with_the_graph_scope() -> None:
    app = FakeMsal({"access_token": "tok", "expires_in": 3600})
    tokens = GraphAppToken(tenant_id="t", client_id="c", app=app)
    assert tokens.token() == "tok"
    assert app.scopes == [[GRAPH_SCOPE]]


def test_a_token_failure_never_shows_the_secret(secret_registry: Any) -> None:
    secret = "graph-Client-secret-42"
    secret_registry.add(secret)
    failing = FakeMsal({"error": "invalid_client", "error_description": f"AADSTS7000215: bad secret {secret}\nTrace"})
    tokens = GraphAppToken(tenant_id="t", client_id="c", client_secret=SecretStr(secret), app=failing)
    with pytest.raises(DeliveryError) as caught:
        tokens.token()
    assert str(caught.value).splitlines()[0] == (
        "Could not get a Microsoft Graph token to send mail: invalid_client: AADSTS7000215: bad secret ***"
    )
    assert secret not in repr(tokens)


def test_graph_credentials_come_from_the_partner_center_variables_or_a_mail_app_of_their_own() -> None:
    shared = graph_tokens_from_environment(
        {"CSPSYNC_TENANT_ID": "tenant", "CSPSYNC_CLIENT_ID": "pc-app", "CSPSYNC_CLIENT_SECRET": "s"}
    )
    own = graph_tokens_from_environment(
        {
            "CSPSYNC_TENANT_ID": "tenant",
            "CSPSYNC_CLIENT_ID": "pc-app",
            "CSPSYNC_CLIENT_SECRET": "s",
            "CSPSYNC_GRAPH_CLIENT_ID": "mail-app",
            "CSPSYNC_GRAPH_CLIENT_SECRET": "m",
        }
    )
    assert (shared.client_id, own.client_id) == ("pc-app", "mail-app")
    with pytest.raises(ConfigError) as caught:
        graph_tokens_from_environment({"CSPSYNC_GRAPH_CLIENT_ID": "mail-app"})
    assert str(caught.value).splitlines()[0] == (
        "Microsoft Graph credentials for invitations.transport graph are incomplete: missing CSPSYNC_TENANT_ID, "
        "CSPSYNC_GRAPH_CLIENT_SECRET or CSPSYNC_GRAPH_CLIENT_CERTIFICATE(_PATH)"
    )
