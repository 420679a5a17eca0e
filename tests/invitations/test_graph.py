"""Invitations through Microsoft Graph sendMail: the emulator's Graph endpoint end to end, and the
transport the partner-center target picks. The transport itself: tests/mail/test_graph.py."""

from __future__ import annotations

import json
from pathlib import Path

from cspsync.emulator import Store
from cspsync.emulator.handlers.graph import sent_mail
from cspsync.mail.configured import transport_for
from cspsync.mail.graph import GRAPH_URL, GraphTransport
from cspsync.workspace import Workspace
from tests.cli import Run

from .conftest import INVITED, LINK, MAILBOX, part, use_graph


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


def test_the_partner_center_target_sends_to_microsoft_graph(workdir: Path) -> None:
    from cspsync.declarations import load_config

    use_graph(workdir)
    config = load_config(workdir / "examples" / "cspsync.yaml")
    env = {"CSPSYNC_TENANT_ID": "tenant", "CSPSYNC_CLIENT_ID": "app", "CSPSYNC_CLIENT_SECRET": "s"}
    graph = transport_for(config, target="partner-center", workspace=Workspace(workdir / ".cspsync"), env=env)
    assert isinstance(graph, GraphTransport)
    assert (graph.base_url, graph.mailbox) == (GRAPH_URL, MAILBOX)
