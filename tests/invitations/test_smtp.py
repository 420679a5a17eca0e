"""Invitations through a real SMTP server on loopback: STARTTLS with a certificate made by the tests,
then AUTH, exactly once per invitation; a re-run sends nothing and --resend sends again."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli import Run

from .conftest import CUSTOMERS, FROM, INVITED, LINK, PASSWORD_ENV, SMTP_PASSWORD, SmtpServer, part, use_smtp


def _ledger(workdir: Path) -> dict[str, dict[str, Any]]:
    document: dict[str, Any] = json.loads((workdir / ".cspsync" / "invitations.json").read_text())
    return dict(document["invitations"])


def _record_details(workdir: Path, action_id: str) -> dict[str, Any]:
    records = sorted((workdir / ".cspsync" / "applies").glob("*.json"))
    for path in reversed(records):
        for action in json.loads(path.read_text())["actions"]:
            if action["id"] == action_id:
                return dict(action)
    raise AssertionError(f"{action_id} is in no apply record")


def test_the_invitation_arrives_once_over_starttls_and_auth_with_the_link_and_headers(
    cspsync: Run,
    workdir: Path,
    start_smtp: Callable[..., SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
    secret_registry: Any,
) -> None:
    secret_registry.add(SMTP_PASSWORD)
    server = start_smtp()
    use_smtp(workdir, monkeypatch, server.port)

    result = cspsync("apply", *INVITED, "--yes")

    assert result.code == 0, result.out + result.err
    received = server.inbox.to("it.admin@litware.ie")
    assert len(received) == 1
    mail = received[0]
    assert (mail.tls, mail.authenticated) == (True, True)
    assert mail.mail_from == FROM
    assert mail.rcpt_tos == ["it.admin@litware.ie"]
    message = mail.message
    assert message["From"] == f"Fabrikam Cloud Distribution <{FROM}>"
    assert message["To"] == "it.admin@litware.ie"
    assert message["Subject"] == (
        "Fabrikam Cloud Distribution invite Litware Ireland Ltd to a Microsoft Cloud Solution Provider relationship"
    )
    assert message["Message-ID"].endswith("@fabrikam.example>")
    assert message["Cc"] is None and message["Bcc"] is None
    text = part(message, "plain")
    html = part(message, "html")
    assert f"\n{LINK}\n" in text
    assert f'<a href="{LINK.replace("&", "&amp;")}">' in html
    assert "Dear Siobhan Murphy," in text

    message_id = message["Message-ID"]
    assert (
        f"✓ litware/request-invitation: done — invitation for litware.ie sent to it.admin@litware.ie by smtp "
        f"(127.0.0.1:{server.port}, Message-ID {message_id})" in result.out
    )
    entry = _ledger(workdir)["litware"]
    assert (entry["to"], entry["messageId"], entry["delivery"], entry["link"]) == (
        "it.admin@litware.ie",
        message_id,
        "smtp",
        LINK,
    )
    details = _record_details(workdir, "litware/request-invitation")["details"]
    assert (details["to"], details["messageId"], details["delivery"], details["link"]) == (
        "it.admin@litware.ie",
        message_id,
        "smtp",
        LINK,
    )
    assert details["sentAt"] == entry["sentAt"]
    assert not (workdir / ".cspsync" / "outbox").exists()
    assert len(server.inbox.messages) == 2  # litware and woodgrove-bank, nobody else


def test_a_rerun_sends_nothing_and_resend_sends_again(
    cspsync: Run, workdir: Path, start_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_smtp()
    use_smtp(workdir, monkeypatch, server.port)
    assert cspsync("apply", *INVITED, "--yes").code == 0
    first_id = server.inbox.to("it.admin@litware.ie")[0].message["Message-ID"]

    plan = cspsync("plan", *INVITED)
    again = cspsync("apply", *INVITED, "--yes")

    assert again.code == 0
    assert len(server.inbox.messages) == 2
    assert "request-invitation" not in again.out
    sent_on = _ledger(workdir)["litware"]["sentAt"][:10]
    assert (
        f"    invitation sent to it.admin@litware.ie on {sent_on} by smtp; waiting since {sent_on}, reminded 0 "
        "times; next reminder on " in plan.out
    )

    resent = cspsync("apply", "examples/customers/litware.yaml", "--yes", "--resend")

    assert resent.code == 0, resent.out + resent.err
    assert (
        f"  ! request a reseller relationship: invitation to it.admin@litware.ie for litware.ie (again: --resend; "
        f"first sent on {sent_on})" in resent.out
    )
    litware = server.inbox.to("it.admin@litware.ie")
    assert len(litware) == 2 and len(server.inbox.messages) == 3
    second_id = litware[1].message["Message-ID"]
    assert second_id != first_id
    entry = _ledger(workdir)["litware"]
    assert entry["messageId"] == second_id
    assert [e["messageId"] for e in entry["earlier"]] == [first_id]


def test_apply_refuses_a_saved_plan_with_resend(cspsync: Run) -> None:
    assert cspsync("plan", CUSTOMERS, "--out", "plan.json").code == 0
    result = cspsync("apply", "plan.json", "--yes", "--resend")
    assert result.code == 1
    assert "Error: --resend plans invitations again, so it cannot apply a saved plan" in result.err


def test_a_wrong_password_is_reported_without_the_password_and_nothing_is_recorded(
    cspsync: Run,
    workdir: Path,
    start_smtp: Callable[..., SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
    secret_registry: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = "not-the-Right-pa55word"
    secret_registry.add(SMTP_PASSWORD)
    secret_registry.add(wrong)
    server = start_smtp()
    use_smtp(workdir, monkeypatch, server.port)
    monkeypatch.setenv(PASSWORD_ENV, wrong)

    result = cspsync("apply", *INVITED, "--yes")

    assert result.code == 1
    assert (
        f"✗ litware/request-invitation: failed — 127.0.0.1:{server.port} refused the login of "
        "invitations@fabrikam.example: 535 5.7.8 Authentication credentials invalid" in result.out
    )
    assert wrong not in result.out + result.err + caplog.text
    assert server.inbox.messages == []
    assert not (workdir / ".cspsync" / "invitations.json").exists()


def test_a_missing_password_variable_stops_apply_before_any_change(
    cspsync: Run, workdir: Path, start_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_smtp()
    use_smtp(workdir, monkeypatch, server.port)
    monkeypatch.delenv(PASSWORD_ENV)

    result = cspsync("apply", CUSTOMERS, "--yes")

    assert result.code == 1
    assert (
        f"Error: the SMTP password variable {PASSWORD_ENV} is not set (invitations.smtp.passwordEnv in "
        "cspsync.yaml names it)" in result.err
    )
    assert not (workdir / ".cspsync" / "applies").exists()


def test_a_server_without_starttls_is_refused_and_nothing_is_sent(
    cspsync: Run, workdir: Path, start_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_smtp(tls=False, auth=False)
    use_smtp(workdir, monkeypatch, server.port)

    result = cspsync("apply", "examples/customers/litware.yaml", "--yes")

    assert result.code == 1
    assert (
        f"✗ litware/request-invitation: failed — 127.0.0.1:{server.port} does not offer STARTTLS; refusing to send "
        "without encryption" in result.out
    )
    assert server.inbox.messages == []


def test_without_starttls_a_relay_on_loopback_takes_the_message_without_a_password(
    cspsync: Run, workdir: Path, start_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    from .conftest import set_invitations

    server = start_smtp(tls=False, auth=False)
    set_invitations(
        workdir,
        "  transport: smtp\n"
        f"  fromAddress: {FROM}\n"
        "  smtp:\n"
        "    host: 127.0.0.1\n"
        f"    port: {server.port}\n"
        "    starttls: false\n",
    )
    result = cspsync("apply", "examples/customers/litware.yaml", "--yes")

    assert result.code == 0, result.out + result.err
    [mail] = server.inbox.messages
    assert (mail.tls, mail.authenticated, mail.rcpt_tos) == (False, False, ["it.admin@litware.ie"])


def test_a_relay_that_cannot_be_reached_fails_the_invitation_and_records_nothing_as_sent(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    use_smtp(workdir, monkeypatch, port)

    result = cspsync("apply", "examples/customers/litware.yaml", "--yes")

    assert result.code == 1
    assert f"✗ litware/request-invitation: failed — could not send through 127.0.0.1:{port}: " in result.out
    assert "nothing is recorded as sent; run the command again once the server is reachable" in result.out
    assert SMTP_PASSWORD not in result.out + result.err
    assert not (workdir / ".cspsync" / "invitations.json").exists()
    again = cspsync("plan", "examples/customers/litware.yaml")
    assert "! request a reseller relationship: invitation to it.admin@litware.ie" in again.out  # still to send


def test_a_certificate_the_machine_does_not_trust_is_refused_before_the_password_is_sent(
    cspsync: Run, workdir: Path, start_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_smtp()
    use_smtp(workdir, monkeypatch, server.port)
    monkeypatch.delenv("SSL_CERT_FILE")  # the tests' own certificate is no longer trusted

    result = cspsync("apply", "examples/customers/litware.yaml", "--yes")

    assert result.code == 1
    assert f"✗ litware/request-invitation: failed — TLS with 127.0.0.1:{server.port} failed: " in result.out
    assert "CERTIFICATE_VERIFY_FAILED" in result.out
    assert "the server's certificate must be valid for its name (SSL_CERT_FILE adds a private CA)" in result.out
    assert server.inbox.messages == []
    assert not (workdir / ".cspsync" / "invitations.json").exists()
