"""The examples' world in one process: the emulator's store, a clock the test moves, and plan and apply
called as the commands call them (observe, remember, make_plan; Applier) but with that clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cspsync.apply.run import Applier, ApplyRecord
from cspsync.declarations import Repository, load_repository
from cspsync.emulator import EmulatorApp, Store, load_seed, transport
from cspsync.emulator.handlers import gdap
from cspsync.emulator.handlers.gdap import GdapTiming
from cspsync.invitations.ledger import sent_approvals, sent_invitations
from cspsync.observe.applied import remember
from cspsync.observe.read import observe
from cspsync.partnercenter.auth import StaticToken
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.retry import Limits
from cspsync.plan.build import make_plan
from cspsync.plan.model import Plan
from cspsync.target import EMULATOR_BASE_URL
from cspsync.workspace import Workspace

CUSTOMERS = "examples/customers"


class Clock:
    """The emulator's and the applier's time, moved by the test (it starts at the real now, because the
    planner compares end dates with the day it plans)."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@dataclass
class World:
    root: Path
    store: Store
    clock: Clock
    timing: GdapTiming

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.root / ".cspsync")

    def repository(self) -> Repository:
        return load_repository([self.root / CUSTOMERS])

    def client(self, handler: Callable[[httpx.Request], httpx.Response] | None = None) -> PartnerCenterClient:
        app = EmulatorApp(self.store, clock=self.clock, gdap_timing=self.timing)
        return PartnerCenterClient(
            base_url=EMULATOR_BASE_URL,
            transport=httpx.MockTransport(handler) if handler is not None else transport(app),
            tokens=StaticToken(),
            limits=Limits(requests_per_second=1e6, burst=1_000_000),
        )

    def plan(self, client: PartnerCenterClient | None = None, days: float = 0) -> Plan:
        repo = self.repository()
        with client or self.client() as pc:
            observation = observe(pc, repo.customers, full_scope=True, config=repo.config)
            observation.sent_invitations = sent_invitations(self.workspace)
            observation.sent_approvals = sent_approvals(self.workspace)
            remember(observation, repo, self.workspace, "emulator")  # the tenants earlier applies created
            now = self.clock.now + dt.timedelta(days=days)
            return make_plan(repo, repo.customers, observation, target="emulator", correlation_id="t", now=now)

    def apply(self, *, timeout: float = 120.0) -> ApplyRecord:
        """Plan now and apply that plan."""
        return self.apply_plan(self.plan(), timeout=timeout)

    def apply_plan(self, plan: Plan, *, timeout: float = 120.0) -> ApplyRecord:
        """Apply ``plan`` as it was reviewed, whatever happened in Partner Center since it was made."""
        self.clock.sleep(1)  # each apply its own record: records are named by their start time
        with self.client() as pc:
            applier = Applier(
                plan,
                self.repository(),
                pc,
                self.workspace,
                clock=self.clock,
                sleep=self.clock.sleep,
                assignment_timeout=timeout,
            )
            return applier.run()

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.root / name
        text = path.read_text()
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new))

    def relationship(self, name: str) -> dict[str, Any]:
        found = [r for r in gdap.relationships_of(self.store, self.clock.now, self.timing) if r["displayName"] == name]
        assert len(found) == 1, name
        return found[0]


def seeded_world(workdir: Path) -> World:
    """The examples' emulator seed in ``workdir``'s state folder; close its store when done."""
    store = Store(workdir / ".cspsync" / "emulator.db")
    store.seed(load_seed(workdir / "examples" / "emulator-seed.yaml"))
    return World(workdir, store, Clock(), GdapTiming())
