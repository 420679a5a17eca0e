"""Run ``cspsync`` in a real child process that a test can SIGKILL, without paying for imports each time.

Children come from a multiprocessing *forkserver*: one single-threaded process that imported cspsync
once and forks a fresh child per run. Each child is a separate process with its own working folder,
environment and output files, running the console entry point ``cspsync.cli.main(argv)`` exactly as
``python -m cspsync`` does (the caller's environment lifts the client's pacing: ``CSPSYNC_EMULATOR_UNPACED``).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import sys
from dataclasses import dataclass
from pathlib import Path

#: imported once by the forkserver (missing ones are skipped), so a child starts in milliseconds
PRELOAD = [
    "cspsync.cli",
    "cspsync.commands.apply",
    "cspsync.commands.plan",
    "cspsync.emulator",
    "cspsync.pricing",
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "certifi",
    "email.policy",
    "phonenumbers",
    "babel.numbers",
    "pyrage",
]
_context: multiprocessing.context.ForkServerContext | None = None


def _forkserver() -> multiprocessing.context.ForkServerContext:
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _context = context
    return _context


def _child(argv: list[str], cwd: str, env: dict[str, str], out: str, err: str) -> None:
    """The child's whole life: become a cspsync run in ``cwd`` with ``env``, output to files."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.stdout = open(out, "w", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives as long as the child
    sys.stderr = open(err, "w", encoding="utf-8", buffering=1)  # noqa: SIM115
    from cspsync.cli import main

    os.fsync = os.fstat  # type: ignore[assignment]  # as in tests/conftest.py: a kill leaves the page cache intact
    main(argv)


@dataclass
class CliProcess:
    """A running ``cspsync`` child; ``exitcode`` is negative (-9) when it was killed."""

    process: multiprocessing.process.BaseProcess
    out: Path
    err: Path

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def wait(self, timeout: float = 120.0) -> int:
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
            raise TimeoutError(f"cspsync did not finish within {timeout} s")
        return self.process.exitcode

    @property
    def stdout(self) -> str:
        return self.out.read_text(encoding="utf-8") if self.out.exists() else ""

    @property
    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8") if self.err.exists() else ""

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def start(argv: list[str], *, cwd: Path, env: dict[str, str], logs: Path) -> CliProcess:
    """Start ``cspsync ARGV`` in a new child process; its output goes to files under ``logs``."""
    logs.mkdir(parents=True, exist_ok=True)
    index = len(list(logs.glob("*.out")))
    out, err = logs / f"run{index}.out", logs / f"run{index}.err"
    process = _forkserver().Process(target=_child, args=(argv, str(cwd), env, str(out), str(err)), daemon=True)
    process.start()
    return CliProcess(process, out, err)
