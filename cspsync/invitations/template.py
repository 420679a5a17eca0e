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
from cspsync.errors import ConfigError, CspsyncError, undecodable_byte

PARTS = ("subject.txt", "body.txt", "body.html")
VARIABLES = (
    "link, partner.name, reseller.name, customer.company, customer.domain, contact.firstName, "
    "contact.lastName, contact.email, reminder.number, reminder.of, reminder.firstSentOn, "
    "adminAccess[].name, adminAccess[].link, adminAccess[].roles, adminAccess[].days, adminAccess[].replaces, "
    "adminAccess[].replacesEndsOn"
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


@dataclass(frozen=True)
class ApprovalLink:
    """A GDAP relationship whose approval link a message carries (the ``adminAccess`` of the templates)."""

    name: str
    link: str
    roles: tuple[str, ...]  # role names
    days: int
    replaces: str | None = None
    replaces_ends_on: str | None = None  # YYYY-MM-DD

    def context(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "link": self.link,
            "roles": list(self.roles),
            "days": self.days,
            "replaces": self.replaces,
            "replacesEndsOn": self.replaces_ends_on,
        }


def _load_part(folder: Path | None, name: str, kind: str = "invitation") -> tuple[str, str]:
    if folder is not None and (folder / name).is_file():
        path = folder / name
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError as err:
            raise ConfigError(f"{path}: the {kind} template cannot be read: {err.strerror or err}") from None
        except UnicodeDecodeError as err:
            raise ConfigError(
                f"{path}: the {kind} template is not UTF-8 text ({undecodable_byte(err)})", hint="save it as UTF-8"
            ) from None
    packaged = resources.files("cspsync.templates").joinpath(kind, name)
    return packaged.read_text(encoding="utf-8"), f"cspsync default {kind}/{name}"


def render_invitation(
    folder: Path | None,
    *,
    to: str,
    link: str,
    context: dict[str, Any],
    kind: str = "invitation",
    approvals: tuple[ApprovalLink, ...] = (),
) -> Message:
    """Render the three parts; any template error names the template file and line. Every approval link
    must be in the text part: a template that drops one is an error before anything is sent."""
    rendered: dict[str, str] = {}
    context = {**context, "adminAccess": [a.context() for a in approvals]}
    for name in PARTS:
        source, origin = _load_part(folder, name, kind)
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
        raise ConfigError(f"{_load_part(folder, 'subject.txt', kind)[1]}: the {kind} subject renders empty")
    missing = [a.name for a in approvals if a.link not in rendered["body.txt"]]
    if missing:
        raise ConfigError(
            f"{_load_part(folder, 'body.txt', kind)[1]}: the template does not show the approval link of admin "
            f"relationship {', '.join(missing)}; nothing was sent",
            hint="render {% for request in adminAccess %}{{ request.link }}{% endfor %} (see cspsync's own template)",
        )
    return Message(subject=subject, text=rendered["body.txt"], html=rendered["body.html"], to=to, link=link)


def template_folder(repo: Repository, setting: str = "template") -> Path | None:
    """The repository's template folder (``invitations.template`` or ``invitations.adminApprovalTemplate``);
    None (cspsync's copy) when the default folder does not exist."""
    invitations = repo.config.invitations
    folder: Path = repo.root / str(getattr(invitations, setting))
    if folder.is_dir():
        return folder
    if setting in invitations.model_fields_set:
        raise ConfigError(
            f"{repo.config_path}: invitations.{setting}: "
            + (f"{folder} is a file, not a folder" if folder.exists() else f"the folder {folder} does not exist"),
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


def _context(repo: Repository, declared: Declared, reminder: Reminder | None) -> dict[str, Any]:
    config = repo.config
    spec = declared.customer.spec
    reseller = next((r for r in config.partner.resellers if r.name == spec.reseller), None)
    return {
        "partner": {"name": config.partner.name},
        "reseller": {"name": reseller.name} if reseller else None,
        "customer": {"company": spec.company.name, "domain": getattr(spec.tenant, "domain", None)},
        "contact": spec.company.primaryContact.model_dump(),
        "reminder": reminder.context() if reminder else None,
    }


def _https(link: str, what: str) -> None:
    if not link.startswith("https://"):
        raise CspsyncError(f"the {what} link is not an https URL ({link[:60]}); nothing was sent")


def render_for(
    repo: Repository,
    declared: Declared,
    *,
    link: str,
    reminder: Reminder | None = None,
    approvals: tuple[ApprovalLink, ...] = (),
) -> Message:
    """The invitation (or reminder) of one invite customer, with the link Partner Center gave, and the
    approval links of admin relationships requested with it."""
    _https(link, "relationship request")
    for approval in approvals:
        _https(approval.link, "admin relationship approval")
    to, _ = recipient(declared)
    context = _context(repo, declared, reminder)
    return render_invitation(template_folder(repo), to=to, link=link, context=context, approvals=approvals)


def render_admin_approval(
    repo: Repository, declared: Declared, *, to: str, approvals: tuple[ApprovalLink, ...]
) -> Message:
    """The message that carries approval links on their own (no reseller invitation goes with them)."""
    for approval in approvals:
        _https(approval.link, "admin relationship approval")
    context = _context(repo, declared, None)
    folder = template_folder(repo, "adminApprovalTemplate")
    link = approvals[0].link if approvals else ""
    return render_invitation(folder, to=to, link=link, context=context, kind="admin-approval", approvals=approvals)


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
