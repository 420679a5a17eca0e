"""Fixtures: a real SMTP server on loopback (STARTTLS with a certificate made here, AUTH), the examples
copied to a working folder, cspsync run through its CLI entry point, and cspsync.yaml switched to a
transport."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import re
import shutil
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.cli import Run, runner

REPO = Path(__file__).resolve().parents[2]
CUSTOMERS = "examples/customers"
#: the two invite customers of the examples (applying only them keeps tests fast)
INVITED = ("examples/customers/litware.yaml", "examples/customers/woodgrove-bank.yaml")
SMTP_USER = "invitations@fabrikam.example"
SMTP_PASSWORD = "sm7p-Pa55word-for-tests"
PASSWORD_ENV = "CSPSYNC_TEST_SMTP_PASSWORD"
FROM = "invitations@fabrikam.example"
MAILBOX = "invitations@fabrikam.example"
LINK = (
    "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship"
    "&partnerId=6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b&msppId=0&DAP=false#/BillingAccounts/partner-invitation"
)


# ------------------------------------------------------------------------------------------- smtp


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    authenticated: bool

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def part(message: EmailMessage, kind: str) -> str:
    """The ``plain`` or ``html`` part's text, with the line ends a reader sees."""
    body = message.get_body((kind,))
    assert body is not None, f"no {kind} part"
    return str(body.get_content()).replace("\r\n", "\n")


@dataclass
class Inbox:
    """What the test SMTP server accepted, in order."""

    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    bytes(envelope.original_content),
                    session.ssl is not None,
                    bool(session.authenticated),
                )
            )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]


class _LoopbackController(Controller):
    """aiosmtpd's controller on a free port (port 0), learning the port the system chose."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class SmtpServer:
    port: int
    inbox: Inbox


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def start_smtp(certificate: tuple[Path, Path]) -> Iterator[Callable[..., SmtpServer]]:
    """Start an SMTP server on 127.0.0.1: with STARTTLS and AUTH required unless told otherwise."""
    controllers: list[Controller] = []

    def start(*, tls: bool = True, auth: bool = True) -> SmtpServer:
        inbox = Inbox()
        options: dict[str, Any] = {}
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*certificate)
            options.update(tls_context=context, require_starttls=True)
        if auth:
            options.update(authenticator=_authenticator, auth_required=True, auth_require_tls=tls)
        controller = _LoopbackController(inbox, hostname="127.0.0.1", port=0, **options)
        controller.start()
        controllers.append(controller)
        return SmtpServer(controller.port, inbox)

    yield start
    for controller in controllers:
        controller.stop()


# ------------------------------------------------------------------------------------ working folder


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path]) -> Path:
    """The examples in an empty current folder with their own state; the test certificate is trusted."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CSPSYNC_STATE_DIR", str(tmp_path / ".cspsync"))
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    for name in ("CSPSYNC_EMULATOR_URL", "GITHUB_ACTIONS", PASSWORD_ENV):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def cspsync(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    return runner(capsys)


def set_invitations(workdir: Path, block: str) -> None:
    """Replace the ``invitations:`` section of the examples' cspsync.yaml."""
    path = workdir / "examples" / "cspsync.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^invitations:\n(?:  .*\n)*", "invitations:\n" + block, text)  # only its own lines
    path.write_text(text, encoding="utf-8")


def use_smtp(workdir: Path, monkeypatch: pytest.MonkeyPatch, port: int, *, starttls: bool = True) -> None:
    monkeypatch.setenv(PASSWORD_ENV, SMTP_PASSWORD)
    set_invitations(
        workdir,
        "  template: templates/invitation\n"
        "  transport: smtp\n"
        f"  fromAddress: {FROM}\n"
        "  smtp:\n"
        "    host: 127.0.0.1\n"
        f"    port: {port}\n"
        f"    starttls: {'true' if starttls else 'false'}\n"
        f"    username: {SMTP_USER}\n"
        f"    passwordEnv: {PASSWORD_ENV}\n",
    )


def use_graph(workdir: Path, *, reminder_after_days: int = 7, max_reminders: int = 2) -> None:
    set_invitations(
        workdir,
        "  template: templates/invitation\n"
        "  transport: graph\n"
        "  graph:\n"
        f"    mailbox: {MAILBOX}\n"
        f"  reminderAfterDays: {reminder_after_days}\n"
        f"  maxReminders: {max_reminders}\n",
    )
