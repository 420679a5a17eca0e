"""SMTP delivery: STARTTLS first (a server that does not offer it is refused), then AUTH, then the message.

The password is a :class:`~pydantic.SecretStr` read from the environment variable cspsync.yaml names; it
is never logged, never part of an error, and never sent unencrypted except to a server on loopback.
"""

from __future__ import annotations

import smtplib
import socket
import ssl

from pydantic import SecretStr

from cspsync.errors import ConfigError
from cspsync.mail.addresses import is_loopback
from cspsync.mail.base import Delivery, DeliveryError, Outgoing, Transport


class SmtpTransport(Transport):
    """One connection per message (invitations are few); ``ssl_context`` defaults to the system's CAs."""

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        sender: str,
        starttls: bool = True,
        username: str | None = None,
        password: SecretStr | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
    ) -> None:
        if (username is None) != (password is None):
            raise ConfigError("SMTP needs both a username and a password, or neither")
        if password is not None and not starttls and not is_loopback(host):
            raise ConfigError(
                f"refusing to send the SMTP password unencrypted to {host}",
                hint="set invitations.smtp.starttls: true (only a server on loopback may do without it)",
            )
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self._password = password
        self._ssl_context = ssl_context
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SmtpTransport(host={self.host!r}, port={self.port}, username={self.username!r})"

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    def _scrub(self, text: str) -> str:
        if self._password is not None and self._password.get_secret_value():
            text = text.replace(self._password.get_secret_value(), "***")
        return text

    def _deliver(self, outgoing: Outgoing, to: str) -> Delivery:
        try:
            self._session(outgoing, to)
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as err:
            raise DeliveryError(
                f"{self.server} refused the login of {self.username}: {err.smtp_code} {self._reply(err.smtp_error)}",
                hint="check invitations.smtp.username and the password in the variable passwordEnv names",
            ) from None
        except smtplib.SMTPRecipientsRefused as err:
            code, reply = next(iter(err.recipients.values()), (0, b""))
            raise DeliveryError(f"{self.server} refused the recipient {to}: {code} {self._reply(reply)}") from None
        except smtplib.SMTPSenderRefused as err:
            raise DeliveryError(
                f"{self.server} refused the sender {self.sender}: {err.smtp_code} {self._reply(err.smtp_error)}"
            ) from None
        except smtplib.SMTPResponseException as err:
            raise DeliveryError(
                f"{self.server} refused the message: {err.smtp_code} {self._reply(err.smtp_error)}"
            ) from None
        except ssl.SSLError as err:
            raise DeliveryError(
                f"TLS with {self.server} failed: {self._scrub(err.reason or str(err))}",
                hint="the server's certificate must be valid for its name (SSL_CERT_FILE adds a private CA)",
            ) from None
        except (smtplib.SMTPException, OSError) as err:
            detail = self._scrub(str(err)) or type(err).__name__
            if isinstance(err, socket.timeout | TimeoutError):
                detail = "timed out"
            raise DeliveryError(
                f"could not send through {self.server}: {detail}",
                hint="nothing is recorded as sent; run the command again once the server is reachable",
            ) from None
        return Delivery(self.name, outgoing.message_id, to, detail=self.server)

    def _reply(self, reply: bytes | str) -> str:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        return self._scrub(" ".join(text.split()))

    def _session(self, outgoing: Outgoing, to: str) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.ehlo()
            if self.starttls:
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"{self.server} does not offer STARTTLS; refusing to send without encryption",
                        hint="use the server's submission port (587), or starttls: false for a relay on loopback",
                    )
                smtp.starttls(context=self._ssl_context or ssl.create_default_context())
                smtp.ehlo()
            if self.username is not None and self._password is not None:
                if not smtp.has_extn("auth"):
                    raise DeliveryError(f"{self.server} does not offer AUTH, so the login cannot be used")
                smtp.login(self.username, self._password.get_secret_value())
            refused = smtp.send_message(outgoing.mail, from_addr=self.sender, to_addrs=[to])
        if refused:
            code, reply = refused.get(to, (0, b""))
            raise DeliveryError(f"{self.server} refused the recipient {to}: {code} {self._reply(reply)}")
