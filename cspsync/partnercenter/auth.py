"""Access tokens for Partner Center, through msal.

Two kinds of token (partner-center-api.md section 1):

* **App-only** (client credentials of the Partner Center web app): enough for customer create/read,
  domain check, address validation, carts and subscriptions.
* **App+User** (a partner user's delegated token): needed for relationship links and lists, indirect
  resellers, customers of indirect resellers and every Microsoft Customer Agreement call. In CI it comes
  from a stored refresh token (the "Secure Application Model"); locally from a device-code sign-in.

Providers answer ``token(user=False)``. msal failures become :class:`AuthenticationError` whose text never
holds a secret or a token (msal's correlation ids are kept: support needs them).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from pydantic import SecretStr

from cspsync.errors import AuthenticationError, ConfigError, unwritable_reason

log = logging.getLogger("cspsync.partnercenter")
R = TypeVar("R")

#: Token audiences: Partner Center, the pricing API (price sheets) and Microsoft Graph are separate resources
#: (https://learn.microsoft.com/en-us/partner-center/developer/get-a-price-sheet: "App+User" with the
#: api.partner.microsoft.com resource).
PARTNER_CENTER_AUDIENCE = "https://api.partnercenter.microsoft.com"
PRICING_AUDIENCE = "https://api.partner.microsoft.com"
GRAPH_AUDIENCE = "https://graph.microsoft.com"
#: Azure Resource Manager: the Azure subscriptions under an Azure plan are created and renamed there
ARM_AUDIENCE = "https://management.azure.com"
APP_SCOPE = PARTNER_CENTER_AUDIENCE + "/.default"
USER_SCOPE = PARTNER_CENTER_AUDIENCE + "/user_impersonation"
AUTHORITY_HOST = "https://login.microsoftonline.com"
#: Where ``cspsync login`` keeps the encrypted msal token cache (override: CSPSYNC_TOKEN_CACHE).
TOKEN_CACHE_ENV = "CSPSYNC_TOKEN_CACHE"  # noqa: S105 (a variable name)
ROTATED_WARNING = (
    "warning: Entra ID rotated the refresh token in {name} (refresh tokens are replaced on every use and "
    "die after 90 days unused). cspsync does not print the new one. Replace the stored secret before it "
    "expires: run `cspsync login` where you can complete MFA and update the {name} secret."
)


#: what a token failure names: the service the token was for
SERVICES = {
    PARTNER_CENTER_AUDIENCE: "Partner Center",
    PRICING_AUDIENCE: "Partner Center pricing",
    GRAPH_AUDIENCE: "Microsoft Graph",
    ARM_AUDIENCE: "Azure Resource Manager",
}


#: the token a partner user's sign-in (device code) gives
PARTNER_USER_TOKEN = "Partner Center App+User"  # noqa: S105 (the name of a kind of token)


def app_scope(audience: str) -> str:
    return audience + "/.default"


def user_scope(audience: str) -> str:
    return audience + "/user_impersonation"


def default_token_cache(env: Mapping[str, str]) -> Path:
    given = env.get(TOKEN_CACHE_ENV, "").strip()
    if given:
        return Path(given)
    base = env.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "cspsync" / "token-cache.bin"


#: Opt-in to a plain-file token cache when no encrypted store (keyring, libsecret, DPAPI) exists.
PLAINTEXT_CACHE_ENV = "CSPSYNC_ALLOW_PLAINTEXT_TOKEN_CACHE"
#: Refresh delegated tokens this long before they expire.
EXPIRY_MARGIN = 300.0


class TokenProvider(Protocol):
    def token(self, user: bool = False) -> str:
        """A bearer token; ``user=True`` asks for an App+User (delegated) token."""
        ...


class ConfidentialApp(Protocol):
    """The part of ``msal.ConfidentialClientApplication`` used here."""

    def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any] | None: ...

    def acquire_token_by_refresh_token(self, refresh_token: str, scopes: list[str]) -> dict[str, Any] | None: ...


class PublicApp(Protocol):
    """The part of ``msal.PublicClientApplication`` used here."""

    def get_accounts(self) -> list[dict[str, Any]]: ...

    def acquire_token_silent(self, scopes: list[str], account: dict[str, Any] | None) -> dict[str, Any] | None: ...

    def initiate_device_flow(self, scopes: list[str]) -> dict[str, Any]: ...

    def acquire_token_by_device_flow(self, flow: dict[str, Any]) -> dict[str, Any]: ...


class StaticToken:
    """A fixed token for the emulator (not a secret: the emulator accepts ``emulator``)."""

    def __init__(self, value: str = "emulator") -> None:
        self._value = value

    def token(self, user: bool = False) -> str:
        return self._value

    def __repr__(self) -> str:
        return "StaticToken()"


@dataclass(frozen=True)
class Certificate:
    """A client certificate: the PEM with the private key, and the SHA-1 thumbprint (hex)."""

    private_key_pem: SecretStr
    thumbprint: str

    @classmethod
    def from_pem(cls, pem: str, thumbprint: str | None = None) -> Certificate:
        """Read the thumbprint from the PEM's CERTIFICATE block when it is not given."""
        if "PRIVATE KEY-----" not in pem:
            raise ConfigError("the client certificate PEM has no private key block")
        if not thumbprint:
            thumbprint = pem_thumbprint(pem)
        return cls(private_key_pem=SecretStr(pem), thumbprint=thumbprint.replace(":", "").upper())


def pem_thumbprint(pem: str) -> str:
    match = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem, re.DOTALL)
    if not match:
        raise ConfigError(
            "the client certificate PEM holds no CERTIFICATE block to compute its thumbprint from",
            hint="set CSPSYNC_CLIENT_CERTIFICATE_THUMBPRINT or append the certificate to the PEM",
        )
    der = base64.b64decode("".join(match.group(1).split()))
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _token_from(result: dict[str, Any] | None, what: str, secrets: list[str]) -> dict[str, Any]:
    """The msal result if it holds an access token, else an AuthenticationError that explains it."""
    if result and result.get("access_token"):
        return result
    result = result or {}
    error = str(result.get("error") or "no_token")
    description = str(result.get("error_description") or "msal returned no access token")
    first_line = _scrub(description.strip().splitlines()[0], secrets) if description.strip() else ""
    correlation = result.get("correlation_id")
    message = f"Could not get a {what} token: {error}: {first_line}"
    if correlation:
        message += f" (correlation id {correlation})"
    raise AuthenticationError(message, hint=_auth_hint(error))


def _auth_hint(error: str) -> str:
    if error == "invalid_grant":
        return "the refresh token is expired or revoked: sign in again (device code) and store the new one"
    if error in ("invalid_client", "unauthorized_client"):
        return "check CSPSYNC_CLIENT_ID and the client secret or certificate of the Partner Center app"
    return "check CSPSYNC_TENANT_ID, CSPSYNC_CLIENT_ID and the app's credentials"


def _msal_call(call: Callable[[], R], what: str, secrets: list[str]) -> R:
    """Run an msal call; its exceptions (network, bad key) become AuthenticationError."""
    try:
        return call()
    except AuthenticationError:
        raise
    except Exception as exc:  # msal raises ValueError, requests errors, … at the edge
        detail = _scrub(str(exc).splitlines()[0] if str(exc) else "", secrets)
        raise AuthenticationError(
            f"Could not get a {what} token: {type(exc).__name__}: {detail}",
            hint="check the network to login.microsoftonline.com and the app's credentials",
        ) from None


def _guard(call: Callable[[], dict[str, Any] | None], what: str, secrets: list[str]) -> dict[str, Any]:
    """An msal token call whose failures, raised or returned, become AuthenticationError."""
    return _token_from(_msal_call(call, what, secrets), what, secrets)


def confidential_app(
    tenant_id: str,
    client_id: str,
    secret: SecretStr | None,
    certificate: Certificate | None,
    assertion_file: Path | None = None,
    *,
    authority_host: str = AUTHORITY_HOST,
    http_client: Any = None,
    token_cache: Any = None,
) -> ConfidentialApp:
    """An msal confidential client for app-only tokens: a client secret, a certificate, or a federated
    client assertion (OIDC: a JWT in ``assertion_file``, read again for every token because CI rotates it)."""
    import msal

    credential: Any
    if assertion_file is not None:
        path = assertion_file
        credential = {"client_assertion": lambda: read_assertion(path)}
    elif certificate is not None:
        credential = {
            "private_key": certificate.private_key_pem.get_secret_value(),
            "thumbprint": certificate.thumbprint,
        }
    else:
        assert secret is not None
        credential = secret.get_secret_value()
    app: ConfidentialApp = msal.ConfidentialClientApplication(
        client_id,
        authority=f"{authority_host}/{tenant_id}",
        client_credential=credential,
        http_client=http_client,
        token_cache=token_cache,
    )
    return app


def read_assertion(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read CSPSYNC_CLIENT_ASSERTION_FILE {path}: {exc.strerror}") from None
    except UnicodeDecodeError:  # nothing of it in the message: it is a credential
        raise ConfigError(
            f"CSPSYNC_CLIENT_ASSERTION_FILE {path} is not text", hint="write the CI's OIDC token (a JWT) to it"
        ) from None
    if not token:
        raise ConfigError(f"CSPSYNC_CLIENT_ASSERTION_FILE {path} is empty", hint="write the CI's OIDC token to it")
    return token


class RefreshToken:
    """The App+User refresh token and where it came from, shared by the credentials of every audience.

    Entra ID replaces the refresh token on every use. From the token cache (``cspsync login``) msal writes
    the new one back to the cache itself; from the environment (CI) it cannot be written back, so the first
    rotation logs :data:`ROTATED_WARNING` (never the token) and the run goes on with the new one.
    """

    def __init__(self, value: SecretStr | None, *, source: str, on_rotate: Callable[[], None] | None = None) -> None:
        self.value = value
        self.source = source  # "environment" or "token cache"
        self.rotated = False
        self._on_rotate = on_rotate

    def replace(self, value: str) -> None:
        if self.value is not None and value == self.value.get_secret_value():
            return
        self.value = SecretStr(value)
        if not self.rotated:
            self.rotated = True
            if self._on_rotate is not None:
                self._on_rotate()


def warn_rotated(env: Mapping[str, str] = os.environ, name: str = "CSPSYNC_REFRESH_TOKEN") -> None:
    """To stderr (and as a GitHub annotation in Actions): never the token, only what to do."""
    prefix = "::warning title=cspsync refresh token::" if env.get("GITHUB_ACTIONS") == "true" else ""
    sys.stderr.write(prefix + ROTATED_WARNING.format(name=name) + "\n")


class AppCredentials:
    """Client credentials (secret, certificate or federated assertion) for app-only calls, plus an App+User
    identity for the calls that need one: a stored refresh token (``refresh_token``, CI) or the account
    ``cspsync login`` left in the msal token cache (``token_cache``, local). One object per audience;
    :meth:`for_audience` gives the sibling for the pricing API or Graph, sharing the msal app and the
    refresh token. The msal application is built on first use (building it contacts the authority)."""

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: SecretStr | None = None,
        certificate: Certificate | None = None,
        refresh_token: SecretStr | RefreshToken | None = None,
        assertion_file: Path | None = None,
        app: ConfidentialApp | None = None,
        clock: Callable[[], float] = time.time,
        audience: str = PARTNER_CENTER_AUDIENCE,
        authority_host: str = AUTHORITY_HOST,
        http_client: Any = None,
        token_cache: Any = None,
    ) -> None:
        given = sum(x is not None for x in (client_secret, certificate, assertion_file))
        if app is None and given != 1:
            raise ConfigError("give exactly one of a client secret, a client certificate or a client assertion file")
        self._assertion_file = assertion_file
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.audience = audience
        self._secret = client_secret
        self._certificate = certificate
        if isinstance(refresh_token, SecretStr):
            refresh_token = RefreshToken(refresh_token, source="environment", on_rotate=warn_rotated)
        self.refresh = refresh_token
        self._app = app
        self._clock = clock
        self._authority_host = authority_host
        self._http_client = http_client
        self._token_cache = token_cache
        self._lock = threading.Lock()
        self._user_token: tuple[str, float] | None = None

    def __repr__(self) -> str:
        extra = "" if self.audience == PARTNER_CENTER_AUDIENCE else f", audience={self.audience!r}"
        return f"AppCredentials(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}{extra})"

    def for_audience(self, audience: str) -> AppCredentials:
        """The same identity for another resource (pricing API, Graph); shares app and refresh token."""
        sibling = AppCredentials.__new__(AppCredentials)
        sibling.__dict__.update(self.__dict__)
        sibling.audience = audience
        sibling._lock = self._lock
        sibling._user_token = None
        return sibling

    def _what(self, kind: str) -> str:
        """The token's name in a failure: ``Microsoft Graph app``, ``Partner Center App+User``."""
        return f"{SERVICES.get(self.audience, self.audience)} {kind}"

    @property
    def has_user(self) -> bool:
        if self.refresh is not None and self.refresh.value is not None:
            return True
        return self._cached_account() is not None

    @property
    def user_source(self) -> str | None:
        if self.refresh is not None and self.refresh.value is not None:
            return self.refresh.source
        return "token cache" if self._cached_account() is not None else None

    def _cached_account(self) -> dict[str, Any] | None:
        if self._token_cache is None:
            return None
        accounts = list(self._token_cache.search("Account"))
        for account in accounts:
            if str(account.get("realm", "")).lower() == self.tenant_id.lower():
                return dict(account)
        return None

    def _secrets(self) -> list[str]:
        found = [self._secret.get_secret_value()] if self._secret is not None else []
        if self.refresh is not None and self.refresh.value is not None:
            found.append(self.refresh.value.get_secret_value())
        if self._certificate is not None:
            found.append(self._certificate.private_key_pem.get_secret_value())
        return found

    def _msal_app(self) -> ConfidentialApp:
        if self._app is None:
            self._app = _msal_call(
                lambda: confidential_app(
                    self.tenant_id,
                    self.client_id,
                    self._secret,
                    self._certificate,
                    self._assertion_file,
                    authority_host=self._authority_host,
                    http_client=self._http_client,
                    token_cache=self._token_cache,
                ),
                self._what("app"),
                self._secrets(),
            )
        assert self._app is not None
        return self._app

    def token(self, user: bool = False) -> str:
        with self._lock:
            return self._user() if user else self._app_only()

    def _app_only(self) -> str:
        app = self._msal_app()  # msal serves its in-memory cache until the token nears expiry
        scope = app_scope(self.audience)
        result = _guard(lambda: app.acquire_token_for_client(scopes=[scope]), self._what("app"), self._secrets())
        return str(result["access_token"])

    def _user(self) -> str:
        now = self._clock()
        if self._user_token is not None and now < self._user_token[1] - EXPIRY_MARGIN:
            return self._user_token[0]
        app = self._msal_app()
        scope = user_scope(self.audience)
        if self.refresh is not None and self.refresh.value is not None:
            refresh = self.refresh.value.get_secret_value()
            result = _guard(
                lambda: app.acquire_token_by_refresh_token(refresh, scopes=[scope]),
                self._what("App+User"),
                self._secrets(),
            )
            if result.get("refresh_token"):
                self.refresh.replace(str(result["refresh_token"]))  # rotated by Entra ID
        else:
            account = self._cached_account()
            if account is None:
                raise AuthenticationError(
                    "This Partner Center call needs a partner user's delegated (App+User) token",
                    hint="run `cspsync login` (device code with MFA), or set CSPSYNC_REFRESH_TOKEN in CI "
                    "(Secure Application Model)",
                )
            silent = cast(Any, app)
            result = _guard(
                lambda: silent.acquire_token_silent_with_error([scope], account=account),
                self._what("App+User"),
                self._secrets(),
            )
        self._user_token = (str(result["access_token"]), now + float(result.get("expires_in", 3600)))
        return self._user_token[0]


def plaintext_cache_opted_in(env: Mapping[str, str]) -> bool:
    return env.get(PLAINTEXT_CACHE_ENV, "").strip().lower() in {"1", "true", "yes"}


def open_token_cache(
    path: Path,
    *,
    allow_plaintext: bool,
    build_encrypted: Callable[[str], Any] | None = None,
) -> Any:
    """An msal token cache persisted encrypted (DPAPI, Keychain, libsecret) at ``path``.

    Where no encrypted store exists (a headless Linux without libsecret), the cache falls back to a plain
    file readable by the user only, and only if the user opted in with CSPSYNC_ALLOW_PLAINTEXT_TOKEN_CACHE=1:
    a refresh token in a plain file lets anyone who can read it act as that partner user.
    """
    import msal_extensions

    build = build_encrypted or msal_extensions.build_encrypted_persistence
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _cache_unusable(path, err) from None
    try:
        persistence = build(str(path))
    except Exception as exc:  # ImportError (no gi), RuntimeError, PersistenceError, …
        if not allow_plaintext:
            raise ConfigError(
                f"No encrypted token store is available on this machine ({type(exc).__name__})",
                hint=f"set {PLAINTEXT_CACHE_ENV}=1 to keep the sign-in cache in a plain file at {path} "
                "(readable by you only), or use app credentials (CSPSYNC_CLIENT_SECRET)",
            ) from None
        log.warning("token cache at %s is NOT encrypted (opted in with %s)", path, PLAINTEXT_CACHE_ENV)
        if not path.exists():
            try:
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            except OSError as err:
                raise _cache_unusable(path, err) from None
        persistence = msal_extensions.FilePersistence(str(path))
    return msal_extensions.PersistedTokenCache(persistence)


def _cache_unusable(path: Path, err: OSError) -> ConfigError:
    return ConfigError(
        f"cannot keep the sign-in cache at {path}: {unwritable_reason(path.parent, err)}",
        hint=f"set {TOKEN_CACHE_ENV} to a file in a folder you can write to",
    )


class DeviceCodeLogin:
    """Interactive App+User sign-in for local use: device code once, then the persisted cache.

    ``prompt`` receives msal's instruction ("open https://microsoft.com/devicelogin and enter …"); the CLI
    prints it. Native apps can only get App+User tokens, so app-only calls use the same token.
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        cache_path: Path,
        prompt: Callable[[str], None],
        allow_plaintext_cache: bool = False,
        app: PublicApp | None = None,
        build_encrypted: Callable[[str], Any] | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._cache_path = cache_path
        self._prompt = prompt
        self._allow_plaintext = allow_plaintext_cache
        self._app = app
        self._build_encrypted = build_encrypted
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DeviceCodeLogin(tenant_id={self.tenant_id!r}, client_id={self.client_id!r})"

    def _public_app(self) -> PublicApp:
        if self._app is None:
            import msal

            cache = open_token_cache(
                self._cache_path, allow_plaintext=self._allow_plaintext, build_encrypted=self._build_encrypted
            )

            authority = f"{AUTHORITY_HOST}/{self.tenant_id}"
            self._app = _msal_call(
                lambda: msal.PublicClientApplication(self.client_id, authority=authority, token_cache=cache),
                PARTNER_USER_TOKEN,
                [],
            )
        assert self._app is not None
        return self._app

    def token(self, user: bool = False) -> str:
        with self._lock:
            app = self._public_app()
            accounts = _msal_call(app.get_accounts, PARTNER_USER_TOKEN, [])
            if accounts:
                first = accounts[0]
                silent = _msal_call(
                    lambda: app.acquire_token_silent([USER_SCOPE], account=first), PARTNER_USER_TOKEN, []
                )
                if silent and silent.get("access_token"):
                    return str(silent["access_token"])
            flow = _msal_call(lambda: app.initiate_device_flow(scopes=[USER_SCOPE]), PARTNER_USER_TOKEN, [])
            if "user_code" not in flow:
                _token_from(flow, PARTNER_USER_TOKEN, [])
            self._prompt(str(flow.get("message", "")))
            result = _guard(lambda: app.acquire_token_by_device_flow(flow), PARTNER_USER_TOKEN, [])
            return str(result["access_token"])


def from_environment(
    env: Mapping[str, str],
    *,
    prefix: str = "CSPSYNC_",
    http_client: Any = None,
    authority_host: str = AUTHORITY_HOST,
    token_cache: Any = None,
    audience: str = PARTNER_CENTER_AUDIENCE,
    tenant_from: Sequence[str] = (),
    named: str = "Partner Center credentials",
    docs: str = "docs/partner-center.md",
) -> AppCredentials:
    """App credentials from {prefix}TENANT_ID, {prefix}CLIENT_ID, and {prefix}CLIENT_SECRET or
    {prefix}CLIENT_CERTIFICATE (PEM text) / {prefix}CLIENT_CERTIFICATE_PATH (+ optional
    {prefix}CLIENT_CERTIFICATE_THUMBPRINT) or {prefix}CLIENT_ASSERTION_FILE (OIDC federation: a file the CI
    keeps a fresh token in); {prefix}REFRESH_TOKEN, or the account ``cspsync login`` left in
    ``token_cache``, enables App+User calls. The prefix is CSPSYNC_ for Partner Center and
    CSPSYNC_SANDBOX_ for the integration sandbox (its own account, app and tokens).

    ``tenant_from`` names the variables read for the tenant, the first set wins (a missing tenant is
    reported as the last); ``named`` and ``docs`` say whose credentials are incomplete and where to read.
    """

    def name(short: str) -> str:
        return prefix + short

    def get(short: str) -> str | None:
        value = env.get(name(short), "").strip()
        return value or None

    tenant_variables = tuple(tenant_from) or (name("TENANT_ID"),)
    tenant = next((value for v in tenant_variables if (value := env.get(v, "").strip())), None)
    client = get("CLIENT_ID")
    secret = get("CLIENT_SECRET")
    cert_text, cert_path = get("CLIENT_CERTIFICATE"), get("CLIENT_CERTIFICATE_PATH")
    assertion = get("CLIENT_ASSERTION_FILE")
    missing = [n for n, value in ((tenant_variables[-1], tenant), (name("CLIENT_ID"), client)) if not value]
    if not (secret or cert_text or cert_path or assertion):
        missing.append(
            f"{name('CLIENT_SECRET')}, {name('CLIENT_CERTIFICATE')}(_PATH) or {name('CLIENT_ASSERTION_FILE')}"
        )
    if assertion and (secret or cert_text or cert_path):
        raise ConfigError(f"set either {name('CLIENT_ASSERTION_FILE')} (OIDC) or a client secret/certificate, not both")
    if missing:
        raise ConfigError(
            f"{named} are incomplete: missing " + ", ".join(missing),
            hint=f"set them in the environment (in CI, from the repository's secrets); see {docs}",
        )
    if secret and (cert_text or cert_path):
        raise ConfigError(f"set either {name('CLIENT_SECRET')} or a client certificate, not both")
    if cert_text and cert_path:
        raise ConfigError(f"set either {name('CLIENT_CERTIFICATE')} or {name('CLIENT_CERTIFICATE_PATH')}, not both")
    certificate = None
    if cert_path:
        try:
            cert_text = Path(cert_path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {name('CLIENT_CERTIFICATE_PATH')} {cert_path}: {exc.strerror}") from None
        except UnicodeDecodeError:  # a .pfx / .p12 is binary; nothing of it in the message: it holds a key
            raise ConfigError(
                f"{name('CLIENT_CERTIFICATE_PATH')} {cert_path} is not a PEM text file (a .pfx or .p12 is binary)",
                hint="export the certificate and its private key as PEM, for example "
                "`openssl pkcs12 -in app.pfx -out app.pem -nodes`, and point the variable at that file",
            ) from None
    if cert_text:
        certificate = Certificate.from_pem(cert_text, get("CLIENT_CERTIFICATE_THUMBPRINT"))
    refresh_text = get("REFRESH_TOKEN")
    refresh = None
    if refresh_text:
        variable = name("REFRESH_TOKEN")
        refresh = RefreshToken(
            SecretStr(refresh_text), source="environment", on_rotate=lambda: warn_rotated(env, variable)
        )
    assert tenant is not None and client is not None
    if assertion:
        read_assertion(Path(assertion))  # fail now, with a clear message, not at the first call
    return AppCredentials(
        tenant_id=tenant,
        client_id=client,
        client_secret=SecretStr(secret) if secret and not assertion else None,
        certificate=certificate if not assertion else None,
        assertion_file=Path(assertion) if assertion else None,
        refresh_token=refresh,
        http_client=http_client,
        authority_host=authority_host,
        token_cache=token_cache,
        audience=audience,
    )
