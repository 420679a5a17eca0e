"""Microsoft Graph delivery: ``POST /v1.0/users/{mailbox}/sendMail`` with the message as MIME.

The MIME form (``Content-Type: text/plain``, the message base64-encoded) sends the very bytes the SMTP
transport would, both parts and the Message-ID included. Graph answers 202 with no body. The token is
app-only (client credentials, scope ``https://graph.microsoft.com/.default``, application permission
Mail.Send), from the same environment variables as Partner Center's app; a separate mail app can be named
with ``CSPSYNC_GRAPH_CLIENT_ID`` and its own secret or certificate. A request is never retried: Graph has
no idempotency key for sendMail, so a retry after a lost answer could send the invitation twice.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from cspsync.errors import ConfigError
from cspsync.mail.base import Delivery, DeliveryError, Outgoing, Transport
from cspsync.partnercenter.auth import Certificate, ConfidentialApp, confidential_app

GRAPH_URL = "https://graph.microsoft.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class GraphTokens(Protocol):
    def token(self) -> str: ...


class GraphAppToken:
    """App-only Graph tokens through msal (its in-memory cache serves a token until it nears expiry)."""

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: SecretStr | None = None,
        certificate: Certificate | None = None,
        app: ConfidentialApp | None = None,
    ) -> None:
        if app is None and (client_secret is None) == (certificate is None):
            raise ConfigError("give exactly one of a client secret or a client certificate for Microsoft Graph")
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._secret = client_secret
        self._certificate = certificate
        self._app = app
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GraphAppToken(tenant_id={self.tenant_id!r}, client_id={self.client_id!r})"

    def _secrets(self) -> list[str]:
        found = [self._secret.get_secret_value()] if self._secret is not None else []
        if self._certificate is not None:
            found.append(self._certificate.private_key_pem.get_secret_value())
        return [s for s in found if s]

    def _scrub(self, text: str) -> str:
        for secret in self._secrets():
            text = text.replace(secret, "***")
        return text

    def _msal_app(self) -> ConfidentialApp:
        if self._app is None:
            self._app = confidential_app(self.tenant_id, self.client_id, self._secret, self._certificate)
        return self._app

    def token(self) -> str:
        with self._lock:
            try:
                result = self._msal_app().acquire_token_for_client(scopes=[GRAPH_SCOPE])
            except Exception as exc:  # msal raises ValueError, requests errors, … at the edge
                detail = self._scrub(str(exc).splitlines()[0] if str(exc) else "")
                raise DeliveryError(
                    f"Could not get a Microsoft Graph token to send mail: {type(exc).__name__}: {detail}",
                    hint="check the network to login.microsoftonline.com and the app's credentials",
                ) from None
        if result and result.get("access_token"):
            return str(result["access_token"])
        result = result or {}
        error = str(result.get("error") or "no_token")
        description = str(result.get("error_description") or "msal returned no access token").strip()
        first = self._scrub(description.splitlines()[0]) if description else ""
        raise DeliveryError(
            f"Could not get a Microsoft Graph token to send mail: {error}: {first}",
            hint="the app needs the Mail.Send application permission with admin consent; check its id and "
            "secret or certificate",
        )


def graph_tokens_from_environment(env: Mapping[str, str]) -> GraphAppToken:
    """CSPSYNC_GRAPH_CLIENT_ID (+ CSPSYNC_GRAPH_CLIENT_SECRET or _CERTIFICATE[_PATH]) when a separate mail
    app is used, else Partner Center's CSPSYNC_CLIENT_ID and its secret or certificate; the tenant is
    CSPSYNC_GRAPH_TENANT_ID or CSPSYNC_TENANT_ID."""

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    prefix = "CSPSYNC_GRAPH_" if get("CSPSYNC_GRAPH_CLIENT_ID") else "CSPSYNC_"
    tenant = get("CSPSYNC_GRAPH_TENANT_ID") or get("CSPSYNC_TENANT_ID")
    client = get(prefix + "CLIENT_ID")
    secret = get(prefix + "CLIENT_SECRET")
    cert_text, cert_path = get(prefix + "CLIENT_CERTIFICATE"), get(prefix + "CLIENT_CERTIFICATE_PATH")
    missing = [n for n, v in (("CSPSYNC_TENANT_ID", tenant), (prefix + "CLIENT_ID", client)) if not v]
    if not (secret or cert_text or cert_path):
        missing.append(f"{prefix}CLIENT_SECRET or {prefix}CLIENT_CERTIFICATE(_PATH)")
    if missing:
        raise ConfigError(
            "Microsoft Graph credentials for invitations.transport graph are incomplete: missing " + ", ".join(missing),
            hint="set them in the environment (in CI, from the repository's secrets)",
        )
    if secret and (cert_text or cert_path):
        raise ConfigError(f"set either {prefix}CLIENT_SECRET or a client certificate, not both")
    certificate = None
    if cert_path and not cert_text:
        try:
            cert_text = Path(cert_path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {prefix}CLIENT_CERTIFICATE_PATH {cert_path}: {exc.strerror}") from None
    if cert_text:
        certificate = Certificate.from_pem(cert_text, get(prefix + "CLIENT_CERTIFICATE_THUMBPRINT"))
    assert tenant is not None and client is not None
    return GraphAppToken(
        tenant_id=tenant,
        client_id=client,
        client_secret=SecretStr(secret) if secret else None,
        certificate=certificate,
    )


def send_mail_path(mailbox: str) -> str:
    return f"/v1.0/users/{quote(mailbox, safe='@')}/sendMail"


class GraphTransport(Transport):
    """Sends from ``mailbox``; ``transport`` is httpx's (the emulator's in process)."""

    name = "graph"

    def __init__(
        self,
        *,
        mailbox: str,
        tokens: GraphTokens,
        base_url: str = GRAPH_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        on_close: list[Any] | None = None,
    ) -> None:
        self.mailbox = mailbox
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._transport = transport
        self._timeout = timeout
        self._on_close = list(on_close or [])

    def __repr__(self) -> str:
        return f"GraphTransport(mailbox={self.mailbox!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        for closer in self._on_close:
            closer()
        self._on_close.clear()

    def _deliver(self, outgoing: Outgoing, to: str) -> Delivery:
        body = base64.b64encode(bytes(outgoing.mail))
        headers = {"Authorization": f"Bearer {self._tokens.token()}", "Content-Type": "text/plain"}
        try:
            with httpx.Client(
                base_url=self.base_url, transport=self._transport, timeout=self._timeout, follow_redirects=False
            ) as http:
                response = http.post(send_mail_path(self.mailbox), content=body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryError(
                f"Microsoft Graph did not answer in time sending from {self.mailbox}: the message may or may not "
                "have been sent",
                hint="check the mailbox's Sent Items before running again (a new run sends it again)",
            ) from None
        except httpx.HTTPError as err:
            raise DeliveryError(f"could not reach Microsoft Graph at {self.base_url}: {type(err).__name__}") from None
        if response.status_code != 202:
            raise DeliveryError(self._refusal(response), hint=self._hint(response.status_code))
        return Delivery(self.name, outgoing.message_id, to, detail=f"graph mailbox {self.mailbox}")

    def _refusal(self, response: httpx.Response) -> str:
        code, message = "", ""
        try:
            error = response.json().get("error", {})
            code, message = str(error.get("code", "")), str(error.get("message", ""))
        except (ValueError, AttributeError):
            message = response.text[:200]
        text = f"Microsoft Graph refused to send from {self.mailbox}: {response.status_code}"
        text += f" {code}" if code else ""
        text += f": {' '.join(message.split())}" if message else ""
        retry_after = response.headers.get("Retry-After")
        if response.status_code == 429 and retry_after:
            text += f" (retry after {retry_after} s)"
        return text

    @staticmethod
    def _hint(status: int) -> str:
        if status in (401, 403):
            return "the app needs the Mail.Send application permission, and may send only as its mailbox"
        if status == 404:
            return "invitations.graph.mailbox must be an existing mailbox of the partner's tenant"
        return "nothing is recorded as sent; run the command again later"
