"""Templates: a template that fails is an error before anything is sent; customer text cannot inject
markup into the HTML part or headers into the message; the sandbox holds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from cspsync.declarations import load_repository
from cspsync.errors import ConfigError, CspsyncError
from cspsync.invitations.sending import compose
from tests.cli import Run

from .conftest import LINK, SmtpServer, part, use_smtp

TEMPLATES = "examples/templates/invitation"
LITWARE = "examples/customers/litware.yaml"


def test_a_template_that_fails_to_render_stops_before_anything_is_sent(
    cspsync: Run, workdir: Path, start_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_smtp()
    use_smtp(workdir, monkeypatch, server.port)
    body = workdir / TEMPLATES / "body.txt"
    body.write_text(body.read_text() + "\nYour account manager: {{ contact.nickname }}\n")

    result = cspsync("apply", LITWARE, "--yes")

    assert result.code == 1
    assert (
        "✗ litware/request-invitation: failed — examples/templates/invitation/body.txt: invitation template uses "
        "an unknown value: 'dict object' has no attribute 'nickname'   hint: available: link, partner.name, "
        in result.out
    )
    assert server.inbox.messages == []
    assert not (workdir / ".cspsync" / "invitations.json").exists()


def test_a_template_that_is_not_utf8_names_the_file(cspsync: Run, workdir: Path) -> None:
    """A template saved by an editor in another encoding: an error naming the file (it was an internal error)."""
    (workdir / TEMPLATES / "subject.txt").write_bytes("Invitation für {{ customer.company }}\n".encode("latin-1"))
    result = cspsync("invitations", "preview", "litware", "examples/customers")
    assert result.code == 1, result.out + result.err
    assert result.err.startswith(
        "Error: examples/templates/invitation/subject.txt: the invitation template is not UTF-8 text (byte 0xfc at "
        "offset 12)"
    )
    assert "Traceback" not in result.err


def test_a_syntax_error_names_the_template_line(cspsync: Run, workdir: Path) -> None:
    (workdir / TEMPLATES / "subject.txt").write_text("Invitation for {{ customer.company }\n")
    result = cspsync("invitations", "preview", "litware", "examples/customers")
    assert result.code == 1
    assert result.err.startswith(
        "Error: examples/templates/invitation/subject.txt:1: invitation template syntax error: unexpected '}'"
    )


def test_the_sandbox_refuses_to_reach_python_internals(cspsync: Run, workdir: Path) -> None:
    (workdir / TEMPLATES / "body.txt").write_text("{{ link.__class__.__mro__[1].__subclasses__() }}\n")
    result = cspsync("invitations", "preview", "litware", "examples/customers")
    assert result.code == 1
    assert result.err == (
        "Error: examples/templates/invitation/body.txt: invitation template failed: access to attribute "
        "'__class__' of 'str' object is unsafe.\n"
    )


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("templates/invite", "the folder examples/templates/invite does not exist"),
        # it said "the folder examples/cspsync.yaml does not exist" of a file that is there
        ("cspsync.yaml", "examples/cspsync.yaml is a file, not a folder\n"),
    ],
    ids=["missing", "a-file"],
)
def test_a_named_template_folder_that_is_not_one_is_an_error(
    cspsync: Run, workdir: Path, setting: str, said: str
) -> None:
    config = workdir / "examples" / "cspsync.yaml"
    config.write_text(config.read_text().replace("template: templates/invitation", f"template: {setting}"))
    result = cspsync("invitations", "preview", "litware", "examples/customers")
    assert result.code == 1
    assert result.err.startswith(f"Error: examples/cspsync.yaml: invitations.template: {said}")


def test_customer_names_cannot_inject_markup_into_the_html_part(cspsync: Run, workdir: Path) -> None:
    path = workdir / LITWARE
    hostile = '<script>alert("x")</script> & [Accept here](https://evil.example) Ltd'
    path.write_text(path.read_text().replace("name: Litware Ireland Ltd", f"name: '{hostile}'"))
    contact = "firstName: Siobhan"
    path.write_text(path.read_text().replace(contact, "firstName: '<b>Siobhan</b>'", 1))

    html = cspsync("invitations", "preview", "litware", "examples/customers", "--html")
    text = cspsync("invitations", "preview", "litware", "examples/customers")

    assert html.code == 0, html.err
    body = html.out.split("\n\n", 1)[1]  # after the headers (a Subject is text, not markup)
    assert (
        "<strong>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; [Accept here](https://evil.example) Ltd"
        "</strong>" in body
    )
    assert "<p>Dear &lt;b&gt;Siobhan&lt;/b&gt; Murphy,</p>" in body
    assert "<script>" not in body and 'href="https://evil' not in body and "<b>" not in body
    links = re.findall(r'<a href="([^"]*)"', body)
    # the invitation's link and its admin access request's approval link, no other
    assert len(links) == body.count("<a ") == 2
    assert links[0].startswith("https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&amp;")
    assert (
        links[1]
        == "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/NEW-RELATIONSHIP-ID"
    )
    assert f"Provider for {hostile} (litware.ie)" in text.out  # the text part is text: shown as written


def test_a_line_break_in_a_name_cannot_add_headers(workdir: Path) -> None:
    repo = load_repository([Path(LITWARE)])
    declared = repo.customers[0]
    spec = declared.customer.spec
    company = spec.company.model_copy(update={"name": "Litware\r\nBcc: spy@evil.example"})
    customer = declared.customer.model_copy(update={"spec": spec.model_copy(update={"company": company})})
    outgoing = compose(
        repo, dataclasses.replace(declared, customer=customer), link=LINK, when=dt.datetime(2026, 11, 5, tzinfo=dt.UTC)
    )
    mail = outgoing.mail
    assert mail["Bcc"] is None
    assert mail["Subject"] == (
        "Fabrikam Cloud Distribution invite Litware Bcc: spy@evil.example to a Microsoft Cloud Solution Provider "
        "relationship"
    )
    assert "Bcc: spy@evil.example\n" not in bytes(mail).decode().split("\n\n")[0]
    assert part(mail, "plain").startswith("Dear Siobhan Murphy,")


def test_a_non_https_link_is_never_sent(workdir: Path) -> None:
    repo = load_repository([Path(LITWARE)])
    with pytest.raises(CspsyncError) as caught:
        compose(repo, repo.customers[0], link="javascript:alert(1)", when=dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    assert str(caught.value) == (
        "the relationship request link is not an https URL (javascript:alert(1)); nothing was sent"
    )
    assert not isinstance(caught.value, ConfigError)
