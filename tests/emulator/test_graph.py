"""The emulator's Microsoft Graph sendMail endpoint answers like Graph."""

from __future__ import annotations

import base64

import httpx

from cspsync.emulator import EmulatorApp, transport
from cspsync.emulator.handlers.graph import sent_mail
from cspsync.mail.graph import GRAPH_URL
from tests.invitations.conftest import MAILBOX


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
