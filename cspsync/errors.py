"""The one exception hierarchy of cspsync.

Foreign exceptions (httpx, msal, yaml, jsonschema) are translated at the edge into these, so the CLI has
one place that turns them into a message and an exit code::

    CspsyncError                  anything a user can cause or fix; exit 1, never a traceback
    ├── DeclarationError          a customer file or cspsync.yaml is invalid (carries located problems)
    ├── ConfigError               the repository config or the environment is wrong
    ├── PlanError                 a saved plan cannot be used (stale, wrong version, tampered)
    ├── BlockedError              actions are blocked or refused: they can never succeed as declared
    ├── CredentialsError          one-time tenant credentials cannot be stored or read
    ├── ApplyError                one or more actions failed; the apply record says which
    │   └── ApplyStopped          an action failed so that nothing else may run (a password at risk)
    └── PartnerCenterError        the API (or emulator) refused or failed a call
        ├── AuthenticationError   no token could be obtained
        ├── ThrottledError        429 after the retry budget
        ├── TransientError        5xx, timeout or dropped connection after the retry budget
        ├── NotFoundError         404
        ├── ConflictError         409 (domain taken, duplicate agreement, cart submitted)
        └── RequestRejectedError  400/403 and other refusals with a Partner Center error code
"""

from __future__ import annotations

from pathlib import Path


class CspsyncError(Exception):
    """Base of every error a user can cause or act on. The CLI prints ``str(err)`` and exits 1."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class DeclarationError(CspsyncError):
    """Invalid declarations; ``problems`` holds every located problem, not just the first."""

    def __init__(self, message: str, problems: list[object] | None = None, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []


class ConfigError(CspsyncError):
    """The repository config, the environment or the command line is wrong."""


class OutputError(CspsyncError):
    """A file the user named for output (``--out``, ``--db``, a folder to import into) cannot be written."""


class PlanError(CspsyncError):
    """A saved plan cannot be applied as it is."""


class BlockedError(CspsyncError):
    """The plan has blocked or refused actions: printed in full, then exit 1 (a pull request goes red)."""


class CredentialsError(CspsyncError):
    """One-time credentials cannot be encrypted, written or decrypted."""


class ApplyError(CspsyncError):
    """An apply finished with failed actions (the others were done)."""


class ApplyStopped(ApplyError):
    """Raised by an action whose failure must stop the whole apply before any other action (a credentials
    write failed: the next create would lose its password too). The message says how to recover."""


class InternalApplyError(ApplyError):
    """A bug stopped an apply; its record still holds every action done so far. Exit 3, like any bug."""

    exit_code = 3


class PartnerCenterError(CspsyncError):
    """A Partner Center (or emulator) call failed.

    ``code`` is Partner Center's error code when the body had one, ``request_id`` the ``MS-RequestId`` of
    the call so support can trace it.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        description: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.description = description
        self.request_id = request_id

    def __str__(self) -> str:
        text = super().__str__()
        if self.request_id:
            text += f"\n  MS-RequestId: {self.request_id}"
        return text


class AuthenticationError(PartnerCenterError):
    """No access token could be obtained."""


class ThrottledError(PartnerCenterError):
    """Still throttled (429) after the retry budget."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class TransientError(PartnerCenterError):
    """5xx, timeout or dropped connection, still failing after the retry budget."""


class NotFoundError(PartnerCenterError):
    """404 Not Found."""


class ConflictError(PartnerCenterError):
    """409 Conflict: the thing exists already or is being processed."""


class RequestRejectedError(PartnerCenterError):
    """400/403 and other refusals that retrying cannot fix."""


def unwritable_reason(folder: Path, err: OSError) -> str:
    """Why a file cannot be made in ``folder``, for a person: a file standing where a folder of the path
    should be is named (the system says only "File exists" or "Not a directory")."""
    blocking = next((f for f in (folder, *folder.parents) if f.exists() and not f.is_dir()), None)
    if blocking is not None:
        return f"{blocking} is a file, not a folder"
    return err.strerror or type(err).__name__


def undecodable_byte(err: UnicodeDecodeError) -> str:
    """Where a file stops being UTF-8, for a person: the byte and its offset (never the text around it, which
    may be a secret)."""
    return f"byte 0x{err.object[err.start]:02x} at offset {err.start}"
