"""Where one-time tenant credentials go: encrypted to the partner's age recipients, never in clear.

Partner Center returns a new tenant's admin password exactly once, in the create-customer response.
Losing it means a new tenant (seed 003), so it is encrypted and written (atomically, fsynced) before
the apply starts its next action. Only the holder of an age identity can read it back
(``cspsync credentials show``). The clear password exists only in memory, inside a ``SecretStr``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets as _random
import string
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
from pydantic import SecretStr

from cspsync.errors import ConfigError, CredentialsError

random = _random.SystemRandom()

#: the public key of examples/keys/demo-identity.agekey, whose private half is in the repository
DEMO_RECIPIENT = "age1lpkwk9hjx7l8vyfmkepfmmcnrulum6xhskmhqe8q0vnxuzgteqxs0y05cf"

_SAFE_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def credentials_directory(repository_root: Path, configured: str) -> Path:
    """``credentials.directory`` of cspsync.yaml: relative paths are relative to the repository (its folder)."""
    path = Path(configured).expanduser()
    return path if path.is_absolute() else repository_root / path


def prepare_directory(directory: Path) -> None:
    """Make the credentials folder, ignored by git from the start (a custom credentials.directory lies inside
    the repository, where no .gitignore of cspsync's state folder covers it)."""
    directory.mkdir(parents=True, exist_ok=True)
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# encrypted one-time admin credentials (cspsync): never commit\n*\n", encoding="utf-8")


def parse_recipients(recipients: list[str]) -> list[Any]:
    """age (``age1…``) or SSH public keys -> pyrage recipients; a clear error names a bad one."""
    if not recipients:
        raise ConfigError(
            "cspsync.yaml: credentials.ageRecipients is empty, so new tenants' admin passwords could not be stored",
            hint="add the age public key (age1…) of whoever may read them; `age-keygen` makes one",
        )
    parsed: list[Any] = []
    for index, text in enumerate(recipients):
        try:
            if text.startswith("age1"):
                parsed.append(pyrage.x25519.Recipient.from_str(text))
            else:
                parsed.append(pyrage.ssh.Recipient.from_str(text))
        except Exception as err:  # pyrage raises its own RecipientError
            raise ConfigError(
                f"cspsync.yaml: credentials.ageRecipients[{index}] is not an age or SSH public key ({err})"
            ) from None
    return parsed


def refuse_demo_key_for_real_target(recipients: list[str], target: str) -> None:
    """The demo key's private half is public: never let it guard real tenants' passwords."""
    if target.startswith("partner-center") and DEMO_RECIPIENT in recipients:
        raise ConfigError(
            "cspsync.yaml lists the demo age key (examples/keys/demo-identity.agekey) as a credentials recipient "
            "while the target is Partner Center; anyone could decrypt real admin passwords",
            hint="replace it with your own age public key (age-keygen -o key.txt) before targeting Partner Center",
        )


@dataclass(frozen=True)
class TenantCredentials:
    customer: str
    tenant_id: str
    domain: str
    user_name: str
    password: SecretStr
    created_at: dt.datetime

    def __repr__(self) -> str:  # dataclass repr would still hide it (SecretStr), but be explicit
        return f"TenantCredentials(customer={self.customer!r}, user_name={self.user_name!r}, password=**********)"


def _file_for(directory: Path, customer: str, tenant_id: str) -> Path:
    if not _SAFE_NAME.fullmatch(customer):
        raise CredentialsError(f"refusing to store credentials under the unsafe name {customer!r}")
    path = (directory / f"{customer}.{tenant_id}.age").resolve()
    if directory.resolve() not in path.parents:
        raise CredentialsError(f"refusing to write credentials outside {directory}")
    return path


def store(directory: Path, credentials: TenantCredentials, recipients: list[str]) -> Path:
    """Encrypt and durably write ``credentials``; returns the file. Never overwrites an older file."""
    parsed = parse_recipients(recipients)
    document = {
        "customer": credentials.customer,
        "tenantId": credentials.tenant_id,
        "domain": credentials.domain,
        "userName": credentials.user_name,
        "password": credentials.password.get_secret_value(),
        "createdAt": credentials.created_at.isoformat(),
        "signIn": "https://portal.azure.com",
    }
    ciphertext = pyrage.encrypt(json.dumps(document).encode(), parsed)
    del document
    path = _file_for(directory, credentials.customer, credentials.tenant_id)  # refuses a traversing name first
    tmp: str | None = None
    try:  # every filesystem step: a folder that is a file, mkstemp, a full disk at write or fsync
        prepare_directory(directory)
        if path.exists():
            stamp = credentials.created_at.strftime("%Y%m%dT%H%M%S")
            path = path.with_name(f"{credentials.customer}.{credentials.tenant_id}.{stamp}.age")
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".age")
        with os.fdopen(fd, "wb") as handle:
            handle.write(ciphertext)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        reason = err.strerror or type(err).__name__
        raise CredentialsError(f"could not write encrypted credentials to {path}: {reason}") from None
    return path


def files_for(directory: Path, customer: str) -> list[Path]:
    """Every credentials file of one customer, oldest first."""
    if not _SAFE_NAME.fullmatch(customer):
        raise CredentialsError(f"{customer!r} is not a customer name (metadata.name)")
    return sorted(directory.glob(f"{customer}.*.age"), key=lambda p: p.stat().st_mtime)


def load_identities(identity_file: Path) -> list[Any]:
    try:
        lines = identity_file.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise CredentialsError(f"cannot read identity file {identity_file}: {err.strerror}") from None
    except UnicodeDecodeError:  # not text: no age identity in it (an SSH key is text too; tried below all the same)
        lines = []
    identities = []
    for line in lines:
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                identities.append(pyrage.x25519.Identity.from_str(line))
            except Exception:
                raise CredentialsError(f"{identity_file}: a line is not a valid age identity") from None
    if not identities:
        try:
            identities.append(pyrage.ssh.Identity.from_buffer(identity_file.read_bytes()))
        except Exception:
            message = f"{identity_file} holds no age identity (AGE-SECRET-KEY-…) or SSH private key"
            raise CredentialsError(message) from None
    return identities


def decrypt(path: Path, identity_file: Path) -> TenantCredentials:
    identities = load_identities(identity_file)
    try:
        plaintext = pyrage.decrypt(path.read_bytes(), identities)
    except OSError as err:
        raise CredentialsError(f"cannot read {path}: {err.strerror}") from None
    except Exception:
        raise CredentialsError(f"{identity_file} cannot decrypt {path}: it was encrypted to other recipients") from None
    try:  # nothing of what it holds goes into the error: it may be a password
        document = json.loads(plaintext)
        return TenantCredentials(
            customer=str(document["customer"]),
            tenant_id=str(document["tenantId"]),
            domain=str(document["domain"]),
            user_name=str(document["userName"]),
            password=SecretStr(str(document["password"])),
            created_at=dt.datetime.fromisoformat(document["createdAt"]),
        )
    except (ValueError, KeyError, TypeError):
        raise CredentialsError(
            f"{path} decrypts, but is not a credentials file cspsync wrote (customer, tenantId, domain, "
            "userName, password and createdAt in JSON)",
            hint="keep the file cspsync wrote for this tenant; a file encrypted to these recipients by hand "
            "is not read",
        ) from None


# ------------------------------------------------------------------------------ before and after a create
#
# The create intent and a lost password are recorded in the apply record (the state folder CI keeps, see
# cspsync.observe.applied), not here: this folder holds only ciphertext.


def check_writable(directory: Path) -> None:
    """Prove that an encrypted file can be written and fsynced in ``directory`` before a tenant is created.

    A credentials path that is a file, a folder that cannot be created or written (mkstemp), or a disk that
    refuses the fsync would otherwise be found only after Partner Center issued the one-time password.
    """
    try:
        prepare_directory(directory)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".probe-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(b"cspsync checks it can write here before creating a tenant\n")
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError as err:
        raise CredentialsError(
            f"the credentials folder {directory} cannot be written ({err.strerror or type(err).__name__}), so a "
            "new tenant's one-time admin password could not be stored: no tenant is created",
            hint="make credentials.directory of cspsync.yaml a writable folder with free space, then run apply again",
        ) from None


_FILE_NAME = re.compile(r"^(?P<customer>[a-z0-9][a-z0-9-]*)\.(?P<tenant>[0-9a-fA-F-]{36})(\.\d{8}T\d{6})?\.age$")


def stored_tenants(directory: Path) -> dict[str, frozenset[str]]:
    """Tenant ids with a credentials file, by customer, from the file names alone (nothing is decrypted)."""
    found: dict[str, set[str]] = {}
    for path in directory.glob("*.age") if directory.is_dir() else []:
        match = _FILE_NAME.fullmatch(path.name)
        if match:
            found.setdefault(match["customer"], set()).add(match["tenant"].lower())
    return {customer: frozenset(ids) for customer, ids in found.items()}


def new_password(length: int = 20) -> SecretStr:
    """A password for a reset: upper and lower case letters, digits and symbols (Microsoft Entra's rules)."""
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits, "!#$%&*+-=?@^_")
    chars = [random.choice(pool) for pool in pools]
    chars += [random.choice("".join(pools)) for _ in range(length - len(pools))]
    random.shuffle(chars)
    return SecretStr("".join(chars))


def recovery_steps(customer: str, domain: str) -> str:
    """What a person does about a lost one-time password, in one sentence."""
    return (
        f"the admin password of {domain} is lost (Partner Center shows it only once): reset it and store the new "
        f"one encrypted with `cspsync credentials reset {customer}`, or reset it in the Microsoft 365 admin center"
    )
