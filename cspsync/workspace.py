"""The local working folder ``.cspsync/``: emulator state, apply records, outbox, credentials, lock.

It lives in the current directory (like ``.terraform``), or where ``CSPSYNC_STATE_DIR`` points. None of
it is the source of truth for Partner Center state (natural keys are); it holds what Partner Center
cannot tell us again: the audit trail of applies, invitations already sent, and encrypted one-time
credentials.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cspsync.errors import CspsyncError


class LockedError(CspsyncError):
    """Another apply holds the lock."""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Workspace:
        env = os.environ if env is None else env
        return cls(Path(env.get("CSPSYNC_STATE_DIR") or ".cspsync"))

    @property
    def emulator_db(self) -> Path:
        return self.root / "emulator.db"

    @property
    def applies(self) -> Path:
        return self.root / "applies"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def invitations_ledger(self) -> Path:
        return self.root / "invitations.json"

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        gitignore = self.root / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# cspsync working state: never commit\n*\n", encoding="utf-8")

    @contextlib.contextmanager
    def apply_lock(self, target: str, *, wait: bool = False) -> Iterator[None]:
        """One apply per workspace and target at a time; the second refuses (or waits with ``wait``)."""
        self.ensure()
        path = self.root / f"apply-{target}.lock"
        handle = path.open("a+", encoding="utf-8")
        try:
            flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
            try:
                fcntl.flock(handle, flags)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise LockedError(
                    f"another cspsync apply against the {target} is running ({holder})",
                    hint="wait for it to finish, or pass --wait-for-lock to queue behind it",
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            yield
        finally:
            handle.close()


def write_json_atomic(path: Path, document: Any) -> None:
    """Write JSON so a reader (or a crash) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, sort_keys=False, default=str)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
