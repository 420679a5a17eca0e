"""Invitations through Microsoft Graph sendMail: the emulator's Graph endpoint end to end, the transport's
refusals, and the app-only token (msal faked at its edge, as in tests/partnercenter)."""

from __future__ import annotations

import base64
import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from cspsync.emulator import EmulatorApp, Store, transport
from cspsync.emulator.handlers.graph import sent_mail
from cspsync.errors import ConfigError
from cspsync.mail import DeliveryError, Outgoing
from cspsync.mail.configured import transport_for
from cspsync.mail.graph import GRAPH_SCOPE, GRAPH_URL, GraphAppToken, GraphTransport, graph_tokens_from_environment
from cspsync.partnercenter.auth import StaticToken
from cspsync.workspace import Workspace

from .conftest import INVITED, LINK, MAILBOX, Run, part, use_graph


def _store(workdir: Path) -> Store:
    return Store(workdir / ".cspsync" / "emulator.db")


def test_apply_sends_through_the_emulators_graph_once(cspsync: Run, workdir: Path) -> None:
    use_graph(workdir)

    first = cspsync("apply", *INVITED, "--yes")
    second = cspsync("apply", *INVITED, "--yes")

    assert first.code == 0 and second.code == 0, first.out + first.err
    with _store(workdir) as store:
        sent = sent_mail(store)
    assert sorted((m.mailbox, m.recipients) for m in sent) == [
        (MAILBOX, ("beheer@woodgrovebank.nl",)),
        (MAILBOX, ("it.admin@litware.ie",)),
    ]
    litware = next(m for m in sent if m.recipients == ("it.admin@litware.ie",))
    message = litware.message()
    assert message["From"] == f"Fabrikam Cloud Distribution <{MAILBOX}>"
    assert message["Subject"].startswith("Fabrikam Cloud Distribution invite Litware Ireland Ltd")
    assert LINK in part(message, "plain")
    assert "<html" in part(message, "html") or "<p>" in part(message, "html")
    ledger = json.loads((workdir / ".cspsync" / "invitations.json").read_text())["invitations"]["litware"]
    assert ledger["messageId"] == litware.message_id == message["Message-ID"]
    assert ledger["delivery"] == "graph"
    assert (
        f"invitation for litware.ie sent to it.admin@litware.ie by graph (graph mailbox {MAILBOX}, Message-ID "
        f"{litware.message_id})" in first.out
    )


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


def test_the_emulated_graph_answers_like_graph() -> None:
    app = EmulatorApp()
    client = httpx.Client(base_url=GRAPH_URL, transport=transport(app))
    auth = {"Authorization": "Bearer emulator"}
    path = f"/v1.0/users/{MAILBOX}/sendMail"

    bad64 = client.post(path, content=b"not base64!", headers={**auth, "Content-Type": "text/plain"})
    nobody = client.post(
        path, content=base64.b64encode(b"Subject: x\r\n\r\nbody"), headers={**auth, "Content-Type": "text/plain"}
    )
    unauthenticated = client.post(path, content=b"", headers={"Content-Type": "text/plain"})
    as_json = client.post(
        path,
        json={
            "message": {
                "subject": "Hi",
                "body": {"contentType": "Text", "content": "Hello"},
                "toRecipients": [{"emailAddress": {"address": "it.admin@litware.ie"}}],
            },
            "saveToSentItems": True,
        },
        headers=auth,
    )

    assert (bad64.status_code, bad64.json()["error"]["code"]) == (400, "ErrorMimeContentInvalidBase64String")
    assert (nobody.status_code, nobody.json()["error"]["message"]) == (
        400,
        "At least one recipient is required, but none were found.",
    )
    assert unauthenticated.status_code == 401
    assert (as_json.status_code, as_json.content) == (202, b"")
    [stored] = sent_mail(app.store)
    assert (stored.mailbox, stored.recipients, stored.subject) == (MAILBOX, ("it.admin@litware.ie",), "Hi")


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


def test_the_partner_center_target_sends_to_microsoft_graph(workdir: Path) -> None:
    from cspsync.declarations import load_config

    use_graph(workdir)
    config = load_config(workdir / "examples" / "cspsync.yaml")
    env = {"CSPSYNC_TENANT_ID": "tenant", "CSPSYNC_CLIENT_ID": "app", "CSPSYNC_CLIENT_SECRET": "s"}
    graph = transport_for(config, target="partner-center", workspace=Workspace(workdir / ".cspsync"), env=env)
    assert isinstance(graph, GraphTransport)
    assert (graph.base_url, graph.mailbox) == (GRAPH_URL, MAILBOX)
