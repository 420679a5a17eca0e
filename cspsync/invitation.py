"""The reseller-relationship invitation: rendered from templates kept in the partner's repository.

Templates are Jinja2 in a sandbox with ``StrictUndefined`` (a typo in a template is an error before
anything is sent) and autoescaping for the HTML part (a company name cannot inject markup). The folder
is ``invitations.template`` of cspsync.yaml, relative to the config; cspsync's own copy is the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

from cspsync.errors import ConfigError

PARTS = ("subject.txt", "body.txt", "body.html")


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    to: str
    link: str


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
                hint="available: link, partner.name, reseller.name, customer.company, customer.domain, "
                "contact.firstName, contact.lastName, contact.email",
            ) from None
        except jinja2.TemplateError as err:
            raise ConfigError(f"{origin}: invitation template failed: {err}") from None
    subject = " ".join(rendered["subject.txt"].split())
    return Message(subject=subject, text=rendered["body.txt"], html=rendered["body.html"], to=to, link=link)
