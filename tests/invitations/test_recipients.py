"""Nothing is ever sent to an address the customer file does not declare, and a malformed address is
refused with the place it is written — checked again at every transport's boundary."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from cspsync.declarations import Declared, Repository, load_repository
from cspsync.emulator import EmulatorApp, transport
from cspsync.emulator.handlers.graph import sent_mail
from cspsync.invitations.sending import compose
from cspsync.mail import DeliveryError, Outgoing, Transport
from cspsync.mail.eml import OutboxTransport
from cspsync.mail.graph import GraphTransport
from cspsync.mail.smtp import SmtpTransport
from cspsync.partnercenter.auth import StaticToken
from cspsync.workspace import Workspace
from tests.cli import Run

from .conftest import FROM, LINK, MAILBOX, SmtpServer, use_graph

WHERE = "examples/customers/litware.yaml:27:22"
WHEN = dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC)


def _repo(workdir: Path) -> Repository:
    use_graph(workdir)  # the From is the Graph mailbox, which every transport here accepts
    return load_repository([Path("examples/customers/litware.yaml")])


def _litware(repo: Repository, address: str | None = None) -> Declared:
    declared = repo.customers[0]
    if address is None:
        return declared
    spec = declared.customer.spec
    tenant = spec.tenant.model_copy(update={"invitationEmail": address})
    customer = declared.customer.model_copy(update={"spec": spec.model_copy(update={"tenant": tenant})})
    return dataclasses.replace(declared, customer=customer)


def _readdressed(outgoing: Outgoing, header: str, value: str) -> Outgoing:
    """The same message with ``header`` set to ``value`` (To replaced, Cc/Bcc added)."""
    mail = copy.deepcopy(outgoing.mail)
    del mail[header]
    mail[header] = value
    return dataclasses.replace(outgoing, mail=mail)


@pytest.fixture
def transports(workdir: Path, start_smtp: Callable[..., SmtpServer]) -> tuple[list[Transport], Callable[[], int]]:
    """SMTP (a live server), Graph (the emulator) and the outbox, and how many messages they delivered."""
    server = start_smtp(tls=False, auth=False)
    app = EmulatorApp()
    workspace = Workspace(workdir / ".cspsync")
    made: list[Transport] = [
        SmtpTransport(host="127.0.0.1", port=server.port, sender=FROM, starttls=False),
        GraphTransport(mailbox=MAILBOX, tokens=StaticToken(), transport=transport(app)),
        OutboxTransport(workspace),
    ]

    def delivered() -> int:
        files = list(workspace.outbox.glob("*.eml")) if workspace.outbox.exists() else []
        return len(server.inbox.messages) + len(sent_mail(app.store)) + len(files)

    return made, delivered


@pytest.mark.parametrize(
    ("header", "value", "shown"),
    [
        ("To", "ceo@litware.ie", "ceo@litware.ie"),
        ("Bcc", "spy@evil.example", "it.admin@litware.ie, spy@evil.example"),
        ("Cc", "it.admin@litware.ie", "it.admin@litware.ie, it.admin@litware.ie"),
    ],
)
def test_every_transport_refuses_an_undeclared_recipient(
    workdir: Path, transports: tuple[list[Transport], Callable[[], int]], header: str, value: str, shown: str
) -> None:
    made, delivered = transports
    outgoing = compose(_repo(workdir), _litware(_repo(workdir)), link=LINK, when=WHEN)
    changed = _readdressed(outgoing, header, value)
    for chosen in made:
        with pytest.raises(DeliveryError) as caught:
            chosen.send(changed)
        assert str(caught.value) == (
            f"{WHERE}: spec.tenant.invitationEmail: refusing to send litware's invitation to {shown}: only the "
            "declared address it.admin@litware.ie may receive it\n"
            "  hint: cspsync sends invitations only to the address in the customer file; change it there"
        )
    assert delivered() == 0
    for chosen in made:  # the declared message itself goes through every one of them
        assert chosen.send(outgoing).to == "it.admin@litware.ie"
    assert delivered() == 3


def test_a_malformed_address_is_refused_where_it_is_written(workdir: Path) -> None:
    repo = _repo(workdir)
    with pytest.raises(DeliveryError) as caught:
        compose(repo, _litware(repo, "it.admin@litware..ie"), link=LINK, when=WHEN)
    assert str(caught.value).splitlines()[0] == (
        f"{WHERE}: spec.tenant.invitationEmail: 'it.admin@litware..ie' is not an address an invitation can be sent "
        "to: An email address cannot have two periods in a row."
    )


def test_a_malformed_address_in_the_file_stops_the_apply_with_its_place(cspsync: Run, workdir: Path) -> None:
    path = workdir / "examples/customers/litware.yaml"
    path.write_text(path.read_text().replace("it.admin@litware.ie", "it.admin@litware..ie"))
    result = cspsync("apply", "examples/customers/litware.yaml", "--yes")
    assert result.code == 1
    assert f"{WHERE}: spec.tenant.invitationEmail: is not a valid email address" in result.err
    assert not (workdir / ".cspsync" / "outbox").exists()
