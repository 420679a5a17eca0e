"""Microsoft Graph delivery: ``POST /v1.0/users/{mailbox}/sendMail`` with the message as MIME.

The MIME form (``Content-Type: text/plain``, the message base64-encoded) sends the very bytes the SMTP
transport would, both parts and the Message-ID included. Graph answers 202 with no body. The token is
app-only (client credentials, scope ``https://graph.microsoft.com/.default``, application permission
Mail.Send), from the same environment variables as Partner Center's app and read by the same code
(``AppCredentials``); a separate mail app can be named with ``CSPSYNC_GRAPH_CLIENT_ID`` and its own secret,
certificate or OIDC assertion file. A request is never retried: Graph has
no idempotency key for sendMail, so a retry after a lost answer could send the invitation twice.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from cspsync.errors import AuthenticationError
from cspsync.mail.base import Delivery, DeliveryError, Outgoing, Transport
from cspsync.partnercenter.auth import GRAPH_AUDIENCE, AppCredentials, from_environment

GRAPH_URL = "https://graph.microsoft.com"


class GraphTokens(Protocol):
    def token(self) -> str: ...


def graph_tokens_from_environment(env: Mapping[str, str]) -> AppCredentials:
    """CSPSYNC_GRAPH_CLIENT_ID (+ CSPSYNC_GRAPH_CLIENT_SECRET, _CERTIFICATE[_PATH] or _ASSERTION_FILE) when a
    separate mail app is used, else Partner Center's CSPSYNC_CLIENT_ID and its credential; the tenant is
    CSPSYNC_GRAPH_TENANT_ID or CSPSYNC_TENANT_ID. The same credentials as Partner Center's, read by the same
    code, for the Graph audience (app-only: :meth:`AppCredentials.token` asks for ``.default``)."""
    own_app = bool(env.get("CSPSYNC_GRAPH_CLIENT_ID", "").strip())
    return from_environment(
        env,
        prefix="CSPSYNC_GRAPH_" if own_app else "CSPSYNC_",
        audience=GRAPH_AUDIENCE,
        tenant_from=("CSPSYNC_GRAPH_TENANT_ID", "CSPSYNC_TENANT_ID"),
        named="Microsoft Graph credentials for invitations.transport graph",
        docs="docs/invitations.md",
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
        headers = {"Authorization": f"Bearer {self._token()}", "Content-Type": "text/plain"}
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

    def _token(self) -> str:
        """The app-only token, or the delivery failed: the invitation stays unsent and is tried next run."""
        try:
            return self._tokens.token()
        except AuthenticationError as err:
            raise DeliveryError(
                f"{err.message} (to send mail from {self.mailbox})",
                hint="the app needs the Mail.Send application permission with admin consent; check its id and "
                "secret or certificate",
            ) from None

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
