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
from cspsync.mail.graph import GraphTransport, graph_tokens_from_environment
from cspsync.partnercenter.auth import GRAPH_AUDIENCE, AppCredentials, StaticToken
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
    """Microsoft Graph sendMail with application permissions: client credentials for ``.default``
    (learn.microsoft.com/graph/auth-v2-service), never the partner user's refresh token."""
    app = FakeMsal({"access_token": "tok", "expires_in": 3600})
    tokens = AppCredentials(tenant_id="t", client_id="c", app=app, audience=GRAPH_AUDIENCE)
    assert tokens.token() == "tok"
    assert app.scopes == [["https://graph.microsoft.com/.default"]]


def test_a_token_failure_fails_the_delivery_and_never_shows_the_secret(secret_registry: Any) -> None:
    secret = "graph-Client-secret-42"
    secret_registry.add(secret)
    failing = FakeMsal({"error": "invalid_client", "error_description": f"AADSTS7000215: bad secret {secret}\nTrace"})
    tokens = AppCredentials(
        tenant_id="t", client_id="c", client_secret=SecretStr(secret), app=failing, audience=GRAPH_AUDIENCE
    )
    app = EmulatorApp()
    graph = GraphTransport(mailbox=MAILBOX, tokens=tokens, transport=transport(app))
    with pytest.raises(DeliveryError) as caught:
        graph.send(_outgoing())
    assert str(caught.value).splitlines() == [
        "Could not get a Microsoft Graph app token: invalid_client: AADSTS7000215: bad secret *** (to send mail "
        f"from {MAILBOX})",
        "  hint: the app needs the Mail.Send application permission with admin consent; check its id and secret "
        "or certificate",
    ]
    assert secret not in repr(tokens) and secret not in repr(graph)
    assert sent_mail(app.store) == []


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
            "CSPSYNC_GRAPH_TENANT_ID": "mail-tenant",
        }
    )
    assert (shared.client_id, own.client_id) == ("pc-app", "mail-app")
    assert (shared.tenant_id, own.tenant_id) == ("tenant", "mail-tenant")
    assert shared.audience == own.audience == GRAPH_AUDIENCE
    with pytest.raises(ConfigError) as caught:
        graph_tokens_from_environment({"CSPSYNC_GRAPH_CLIENT_ID": "mail-app"})
    assert str(caught.value).splitlines()[0] == (
        "Microsoft Graph credentials for invitations.transport graph are incomplete: missing CSPSYNC_TENANT_ID, "
        "CSPSYNC_GRAPH_CLIENT_SECRET, CSPSYNC_GRAPH_CLIENT_CERTIFICATE(_PATH) or CSPSYNC_GRAPH_CLIENT_ASSERTION_FILE"
    )
