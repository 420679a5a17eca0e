"""The state folder ``.cspsync/``: emulator state, apply records, outbox, ledger, price-sheet cache.

There is one per repository: next to cspsync.yaml (found from the declarations, or upwards from the
working folder), never per working folder, so two applies started from different folders of one
repository share the ledger and the lock. ``CSPSYNC_STATE_DIR`` puts it elsewhere (CI keeps it outside
the checkout). None of it is the source of truth for Partner Center state (natural keys are); it holds
what Partner Center cannot tell us again. Nothing in it may come from git: a committed file there (a
price-sheet cache, a ledger) is whatever a pull request wrote, so cspsync refuses to run with one.

The apply lock against Partner Center is one per partner tenant for the whole machine (in the user's
cache folder), whichever state folder an apply uses; against the emulator it is the state folder's, as
the emulator's world is.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cspsync.errors import ConfigError, CspsyncError, OutputError, unwritable_reason
from cspsync.git import git_output

STATE_FOLDER = ".cspsync"
CONFIG_NAMES = ("cspsync.yaml", "cspsync.yml")


class LockedError(CspsyncError):
    """Another apply holds the lock."""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None, *, repository: Path | None = None) -> Workspace:
        """``CSPSYNC_STATE_DIR``, else ``.cspsync`` next to cspsync.yaml of ``repository`` (its folder), else
        next to the cspsync.yaml found from the working folder upwards; refused when git tracks files in it."""
        env = os.environ if env is None else env
        configured = env.get("CSPSYNC_STATE_DIR")
        if configured:
            workspace = cls(Path(configured))
        else:
            workspace = cls((repository if repository is not None else _repository_root(Path("."))) / STATE_FOLDER)
        workspace.refuse_committed()
        return workspace

    def refuse_committed(self) -> None:
        """Refuse a state folder whose files git tracks: they are what a commit wrote, not what cspsync did."""
        root = self.root if self.root.is_dir() else self.root.parent
        if not root.is_dir():
            return
        listed = git_output(["ls-files", "-z", "--full-name", "--", str(self.root.resolve())], root, timeout=30)
        tracked = [name for name in (listed or "").split("\0") if name]  # no git: nothing can be committed
        if tracked:
            shown = ", ".join(tracked[:3]) + (f" and {len(tracked) - 3} more" if len(tracked) > 3 else "")
            raise ConfigError(
                f"the state folder {self.root} holds files committed to git ({shown}): cspsync never reads "
                "its state (price-sheet cache, invitations ledger, apply records) from a commit",
                hint=f"remove them from git (git rm -r --cached {self.root}) and keep {STATE_FOLDER}/ ignored",
            )

    @property
    def emulator_db(self) -> Path:
        return self.root / "emulator.db"

    @property
    def applies(self) -> Path:
        return self.root / "applies"

    def price_sheets(self, target: str) -> Path:
        """The month's price sheets downloaded from ``target``, one file per market."""
        return self.root / "pricesheets" / target

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def invitations_ledger(self) -> Path:
        return self.root / "invitations.json"

    @property
    def approvals_ledger(self) -> Path:
        """GDAP approval links already sent, by relationship id (Graph keeps no record of a message)."""
        return self.root / "admin-approvals.json"

    def ensure(self) -> None:
        """The folder and its .gitignore; OSError when they cannot be made (callers that can do without the
        state, like a plan saving its memory, go on without it)."""
        self.root.mkdir(parents=True, exist_ok=True)
        gitignore = self.root / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# cspsync working state: never commit\n*\n", encoding="utf-8")

    def required(self) -> None:
        """:meth:`ensure` for work that cannot go on without the state (the emulator's database, apply's lock):
        a folder that cannot be made or written is the user's to fix, said as such."""
        try:
            self.ensure()
        except OSError as err:
            raise OutputError(
                f"cannot use the state folder {self.root}: {unwritable_reason(self.root, err)}",
                hint="set CSPSYNC_STATE_DIR to a folder you can write to",
            ) from None

    def lock_path(self, target: str, partner_tenant: str, env: Mapping[str, str] | None = None) -> Path:
        """The emulator's lock is its state folder's; Partner Center's one per partner tenant, machine-wide."""
        if target == "emulator":
            return self.root / "apply-emulator.lock"
        env = os.environ if env is None else env
        if not re.fullmatch(r"[0-9A-Za-z.-]{1,64}", partner_tenant):
            raise ConfigError(f"partner.tenantId {partner_tenant!r} cannot name a lock")
        cache = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return cache / "cspsync" / "locks" / f"apply-{target}-{partner_tenant.lower()}.lock"

    @contextlib.contextmanager
    def apply_lock(self, target: str, *, partner_tenant: str, wait: bool = False) -> Iterator[None]:
        """One apply per partner tenant at a time, from any folder; the second refuses (or waits with ``wait``)."""
        self.required()
        path = self.lock_path(target, partner_tenant)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("a+", encoding="utf-8")
        except OSError as err:  # Partner Center's lock is in the user's cache folder, not the state folder
            raise OutputError(
                f"cannot open the apply lock {path}: {unwritable_reason(path.parent, err)}",
                hint="set XDG_CACHE_HOME to a folder you can write to (the lock is one per partner tenant there)",
            ) from None
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
            handle.write(f"pid {os.getpid()}, state folder {self.root.resolve()}")
            handle.flush()
            yield
        finally:
            handle.close()


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX: the directory entry is data too)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, document: Any) -> None:
    """Write JSON so a reader (or a crash) never sees half a file."""
    text = json.JSONEncoder(indent=2, default=str).iterencode(document)
    write_bytes_atomic(path, (piece.encode() for piece in text))


def write_bytes_atomic(path: Path, pieces: Iterable[bytes], *, private: bool = True, durable: bool = True) -> None:
    """Write the text made of ``pieces`` (UTF-8, and a final newline) so a reader (or a crash) never sees half
    a file, and a failure leaves the old file as it was; the pieces are written as they come, so a large
    document is never one string.

    ``private`` files (state: records, ledgers, the observation's memory) are the owner's alone (0600); the
    others (a saved plan, which a workflow uploads and a reviewer opens) get the mode a new file gets
    (0666 less the umask).

    ``durable`` files are flushed to the disk (fsync) before they replace the old one, so a crash leaves one
    or the other; a cache whose loss costs only work (the observation's memory: a full read) is not, so a plan
    never waits on a busy disk for it (a reader of a cut-off file must then refuse it, as the memory's does).
    """
    if is_stream(path):
        with path.open("wb") as stream:
            stream.writelines(pieces)
            stream.write(b"\n")
        return
    path = Path(os.path.realpath(path))  # a symlink to a file stays a symlink: its file is replaced
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temporary(path.parent, 0o600 if private else 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
            handle.write(b"\n")
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_stream(path: Path) -> bool:
    """A device, pipe or socket (``--out /dev/stdout``, a FIFO) is written straight, as ``> FILE`` would: a
    rename over it replaced the device node or the symlink with a regular file (as root, /dev/full became
    one)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _temporary(folder: Path, mode: int) -> tuple[int, str]:
    """A new file of a name no one else has in ``folder``, created with ``mode`` less the umask (as
    ``tempfile.mkstemp`` does for 0600); it lives next to its final name so the rename stays on one disk."""
    while True:
        name = os.path.join(folder, f".tmp-{os.urandom(8).hex()}.json")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode), name
        except FileExistsError:
            continue


def _repository_root(start: Path) -> Path:
    """The folder of the cspsync.yaml at or above ``start``; ``start`` itself when there is none."""
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        if any((candidate / name).is_file() for name in CONFIG_NAMES):
            return candidate
    return start
