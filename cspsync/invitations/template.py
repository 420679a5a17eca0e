"""The reseller-relationship invitation: rendered from templates kept in the partner's repository.

Templates are Jinja2 in a sandbox with ``StrictUndefined`` (a typo in a template is an error before
anything is sent) and autoescaping for the HTML part (a company name cannot inject markup). The folder
is ``invitations.template`` of cspsync.yaml, relative to the config; cspsync's own copy is the fallback
for the default folder and for any part the folder lacks. A reminder is the same templates rendered with
``reminder`` set (``reminder.number``, ``reminder.of``, ``reminder.firstSentOn``); it is None otherwise.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass
from email.message import EmailMessage
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

from cspsync.declarations import Declared, Repository
from cspsync.declarations.load import read_document
from cspsync.errors import ConfigError, CspsyncError

PARTS = ("subject.txt", "body.txt", "body.html")
VARIABLES = (
    "link, partner.name, reseller.name, customer.company, customer.domain, contact.firstName, "
    "contact.lastName, contact.email, reminder.number, reminder.of, reminder.firstSentOn"
)
RECIPIENT_PATH = ("spec", "tenant", "invitationEmail")


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    to: str
    link: str


@dataclass(frozen=True)
class Reminder:
    """The ``reminder`` of the templates: which reminder this is, of how many, for which invitation."""

    number: int
    of: int
    first_sent_on: str  # YYYY-MM-DD

    def context(self) -> dict[str, Any]:
        return {"number": self.number, "of": self.of, "firstSentOn": self.first_sent_on}


def _load_part(folder: Path | None, name: str) -> tuple[str, str]:
    if folder is not None and (folder / name).is_file():
        return (folder / name).read_text(encoding="utf-8"), str(folder / name)
    packaged = resources.files("cspsync.templates").joinpath("invitation", name)
    return packaged.read_text(encoding="utf-8"), f"cspsync default {name}"


def render_invitation(folder: Path | None, *, to: str, link: str, context: dict[str, Any]) -> Message:
    """Render the three parts; any template error names the template file and line."""
    rendered: dict[str, str] = {}
    for name in PARTS:
        source, origin = _load_part(folder, name)
        env = jinja2.sandbox.ImmutableSandboxedEnvironment(
            undefined=jinja2.StrictUndefined,
            autoescape=name.endswith(".html"),
            keep_trailing_newline=True,
        )
        try:
            rendered[name] = env.from_string(source).render(link=link, **context)
        except jinja2.TemplateSyntaxError as err:
            raise ConfigError(f"{origin}:{err.lineno}: invitation template syntax error: {err.message}") from None
        except jinja2.UndefinedError as err:
            raise ConfigError(
                f"{origin}: invitation template uses an unknown value: {err.message}",
                hint=f"available: {VARIABLES}",
            ) from None
        except jinja2.TemplateError as err:
            raise ConfigError(f"{origin}: invitation template failed: {err}") from None
    subject = " ".join(rendered["subject.txt"].split())
    if not subject:
        raise ConfigError(f"{_load_part(folder, 'subject.txt')[1]}: the invitation subject renders empty")
    return Message(subject=subject, text=rendered["body.txt"], html=rendered["body.html"], to=to, link=link)


def template_folder(repo: Repository) -> Path | None:
    """The repository's template folder; None (cspsync's copy) when the default folder does not exist."""
    invitations = repo.config.invitations
    folder = repo.root / invitations.template
    if folder.is_dir():
        return folder
    if "template" in invitations.model_fields_set:
        raise ConfigError(
            f"{repo.config_path}: invitations.template: the folder {folder} does not exist",
            hint="create it with subject.txt, body.txt and body.html, or remove the setting to use cspsync's",
        )
    return None


def recipient(declared: Declared) -> tuple[str, str]:
    """The declared invitation address and where it is written (``file:line:col``)."""
    tenant = declared.customer.spec.tenant
    address = getattr(tenant, "invitationEmail", None)
    if tenant.mode != "invite" or not isinstance(address, str):
        raise CspsyncError(
            f"{declared.path}: {declared.customer.metadata.name} is not an invite customer (spec.tenant.mode: "
            f"{tenant.mode}); only tenant.mode invite sends an invitation"
        )
    document = read_document(declared.path)
    where = document.where(RECIPIENT_PATH) if not isinstance(document, list) else str(declared.path)
    return address, where


def render_for(repo: Repository, declared: Declared, *, link: str, reminder: Reminder | None = None) -> Message:
    """The invitation (or reminder) of one invite customer, with the link Partner Center gave."""
    if not link.startswith("https://"):
        raise CspsyncError(f"the relationship request link is not an https URL ({link[:60]}); nothing was sent")
    config = repo.config
    spec = declared.customer.spec
    to, _ = recipient(declared)
    reseller = next((r for r in config.partner.resellers if r.name == spec.reseller), None)
    context = {
        "partner": {"name": config.partner.name},
        "reseller": {"name": reseller.name} if reseller else None,
        "customer": {"company": spec.company.name, "domain": getattr(spec.tenant, "domain", None)},
        "contact": spec.company.primaryContact.model_dump(),
        "reminder": reminder.context() if reminder else None,
    }
    return render_invitation(template_folder(repo), to=to, link=link, context=context)


def build_email(message: Message, *, sender: str, when: dt.datetime, in_reply_to: str | None = None) -> EmailMessage:
    """A multipart/alternative message (text and HTML) with a fresh Message-ID on the sender's domain;
    a reminder refers to the invitation (``In-Reply-To``) so mail clients thread them."""
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or "cspsync.invalid"
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Date"] = email.utils.format_datetime(when)
    mail["Message-ID"] = email.utils.make_msgid(domain=domain)
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail
