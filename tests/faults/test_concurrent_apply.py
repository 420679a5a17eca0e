"""Two applies at once against the same target: the second refuses (or, asked to, waits); nothing twice.

Both are real child processes sharing one working folder and one emulator. The emulator holds the first
apply's first write until the second has made its plan, so the two truly overlap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from cspsync.emulator import EmulatorApp, serve

from .conftest import CREATED_DOMAINS, World, cli_environment, duplicates, is_write, ready_actions, stored_passwords
from .launcher import start


class HoldFirstWrite:
    """The emulator, but the first write waits until the test releases it."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.faults = app.faults
        self.holding = threading.Event()
        self.release = threading.Event()
        self._first = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if is_write(request) and self._first.acquire(blocking=False):
            self.holding.set()
            assert self.release.wait(120), "the test never released the first write"
        return self.app(request)


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Poll a real process's progress (its output file), a little at a time, for at most ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_second_apply_refuses_while_the_first_runs(world: World) -> None:
    gate = HoldFirstWrite(world.app())
    with serve(gate) as server:  # type: ignore[arg-type]
        first = world.start_cli("apply", "customers", "--yes", "--workers", "1", url=server.url)
        try:
            assert gate.holding.wait(60), first.output
            second = world.run_cli("apply", "customers", "--yes", url=server.url)
        finally:
            gate.release.set()
        assert first.wait() == 0, first.output
    assert second.process.exitcode == 1
    assert "Error: another cspsync apply against the emulator is running (pid " in second.stderr
    assert "hint: wait for it to finish, or pass --wait-for-lock to queue behind it" in second.stderr
    assert "✓" not in second.stdout  # it applied nothing
    assert not list((world.root / "logs").glob("*.err")) or "Traceback" not in second.stderr
    assert duplicates(world.store) == []
    assert ready_actions(world.plan()) == []


def test_a_second_apply_that_waits_for_the_lock_plans_after_it_and_does_nothing_twice(world: World) -> None:
    """The lock is taken before the plan: the second apply plans what the first left, so its plan is true
    (a plan made before the first finished would create tenants the first had created, issue 13)."""
    gate = HoldFirstWrite(world.app())
    with serve(gate) as server:  # type: ignore[arg-type]
        first = world.start_cli("apply", "customers", "--yes", "--workers", "1", url=server.url)
        try:
            assert gate.holding.wait(60), first.output
            second = world.start_cli("apply", "customers", "--yes", "--wait-for-lock", url=server.url)
            time.sleep(1.0)
            assert second.process.is_alive()  # it waits for the lock, before planning
            assert "Plan:" not in second.stdout and "create customer" not in second.stdout, second.output
        finally:
            gate.release.set()
        assert first.wait() == 0, first.output
        assert second.wait() == 0, second.output
    assert "✓" in first.stdout
    # everything had been done by the first: the second's plan is empty but for the invitations' wait and
    # Litware's admin relationship waiting for approval (with its two assignments)
    assert "create customer" not in second.stdout, second.stdout
    assert "✓ " not in second.stdout, second.stdout
    assert "Plan: 0 to create, 0 to update, 0 to cancel, 9 waiting." in second.stdout
    assert duplicates(world.store) == []
    assert set(stored_passwords(world)) == set(CREATED_DOMAINS)
    assert ready_actions(world.plan()) == []


def _folder_env(world: World, url: str) -> dict[str, str]:
    """No CSPSYNC_STATE_DIR: each apply finds its state folder itself, as on a partner's machine."""
    env = cli_environment(world.root, url)
    del env["CSPSYNC_STATE_DIR"]
    return env


def test_two_applies_from_different_folders_of_one_repository_share_the_lock(world: World) -> None:
    """Version 0.1 kept a state folder per working folder: the second apply took its own lock and ordered
    every subscription a second time."""
    gate = HoldFirstWrite(world.app())
    with serve(gate) as server:  # type: ignore[arg-type]
        env = _folder_env(world, server.url)
        logs = world.root.parent / "logs"
        first = start(["apply", "customers", "--yes", "--workers", "1"], cwd=world.root, env=env, logs=logs)
        try:
            assert gate.holding.wait(60), first.output
            second = start(["apply", ".", "--yes"], cwd=world.root / "customers", env=env, logs=logs)
            second.wait(120)
        finally:
            gate.release.set()
        assert first.wait() == 0, first.output
    assert second.process.exitcode == 1, second.output
    assert "Error: another cspsync apply against the emulator is running (pid " in second.stderr
    assert f"state folder {(world.root / '.cspsync').resolve()}" in second.stderr
    assert duplicates(world.store) == []
    assert not (world.root / "customers" / ".cspsync").exists()


def test_an_apply_from_another_folder_does_not_send_the_invitations_again(world: World) -> None:
    with serve(world.app()) as server:
        env = _folder_env(world, server.url)
        logs = world.root.parent / "logs"
        first = start(["apply", "customers", "--yes"], cwd=world.root, env=env, logs=logs)
        assert first.wait() == 0, first.output
        second = start(["apply", ".", "--yes"], cwd=world.root / "customers", env=env, logs=logs)
        assert second.wait() == 0, second.output
    assert first.stdout.count("request-invitation: done") == 2
    assert "request-invitation" not in second.stdout
    assert sorted(p.name for p in (world.root / ".cspsync" / "outbox").iterdir()) == [
        "litware.eml",
        "woodgrove-bank.eml",
    ]
