"""Running git: the one place cspsync starts it, so every caller gets the same flags and failure rules.

``core.quotepath=off`` keeps non-ASCII file names as they are (git would print them as octal escapes).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when git runs: `cspsync validate` never starts it
    import subprocess


class GitUnavailable(Exception):
    """git could not be run at all (not installed) or did not finish in time."""


def run_git(args: Sequence[str], cwd: Path, *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """git's result, whatever its exit code; :class:`GitUnavailable` when git cannot run or hangs."""
    import subprocess

    try:
        return subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitUnavailable(f"git {' '.join(args)} did not finish in {timeout:g} s") from None
    except (OSError, subprocess.SubprocessError) as err:
        raise GitUnavailable(f"git cannot run ({type(err).__name__})") from None


def git_output(args: Sequence[str], cwd: Path, *, timeout: float = 120) -> str | None:
    """git's output when it succeeded; None when git is missing, hangs or fails (not a work tree, …)."""
    try:
        done = run_git(args, cwd, timeout=timeout)
    except GitUnavailable:
        return None
    return done.stdout if done.returncode == 0 else None
