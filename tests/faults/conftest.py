"""A world for fault tests: the example repository in tmp_path and an emulator over a SQLite file in it.

The emulator lives in the test process (served on loopback for applies run as real subprocesses, or
called in process), so the test can read its store, wrap it, and the suite-wide secret guard sees every
admin password it generates.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cspsync.cli import main
from cspsync.declarations import Repository, load_repository
from cspsync.emulator import EmulatorApp, Faults, Store, load_seed, transport
from cspsync.partnercenter import Limits, PartnerCenterClient, StaticToken
from cspsync.partnercenter.retry import UNPACED
from cspsync.pipeline import observe_and_plan
from cspsync.plan.model import Plan
from cspsync.secrets import decrypt
from cspsync.target import UNPACED_ENV
from cspsync.workspace import Workspace

from .launcher import CliProcess, start

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
DEMO_IDENTITY = EXAMPLES / "keys" / "demo-identity.agekey"
BASE_URL = "https://api.partnercenter.microsoft.com"
CREATED_DOMAINS = {
    "alpine-ski-house": "alpineskihouse.onmicrosoft.com",
    "contoso-bikes": "contosobikes.onmicrosoft.com",
    "fourth-coffee": "fourthcoffeefr.onmicrosoft.com",
}


class FakeClock:
    """Time that moves only when someone sleeps: retries, back-off and throttling cost nothing real."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@dataclass
class World:
    """The example repository under ``root`` and the emulator's store next to it."""

    root: Path
    store: Store

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.root / ".cspsync")

    @property
    def credentials(self) -> Path:
        return self.root / ".cspsync" / "credentials"

    def repository(self) -> Repository:
        return load_repository([self.root / "customers"], config_path=self.root / "cspsync.yaml")

    def app(self, faults: Faults | None = None) -> EmulatorApp:
        return EmulatorApp(self.store, faults=faults)

    def client(
        self, app: EmulatorApp, clock: FakeClock | None = None, *, limits: Limits = UNPACED
    ) -> PartnerCenterClient:
        clock = clock or FakeClock()
        return PartnerCenterClient(
            base_url=BASE_URL,
            transport=transport(app),
            tokens=StaticToken(),
            limits=limits,
            clock=clock,
            sleep=clock.sleep,
        )

    def plan(self, app: EmulatorApp | None = None) -> Plan:
        """A fresh full plan of the repository against the emulator, made in process without faults."""
        repo = self.repository()
        with self.client(app or self.app()) as client:
            return observe_and_plan(
                repo, repo.customers, client, target="emulator", workspace=self.workspace, full_scope=True
            )

    def start_cli(self, *args: str, url: str) -> CliProcess:
        """``cspsync ARGS`` in a real child process (see launcher.py) against the emulator at ``url``."""
        return start(list(args), cwd=self.root, env=cli_environment(self.root, url), logs=self.root.parent / "logs")

    def run_cli(self, *args: str, url: str, timeout: float = 120.0) -> CliProcess:
        process = self.start_cli(*args, url=url)
        process.wait(timeout)
        return process


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


class InProcessCli:
    """``cspsync ARGS`` through ``cspsync.cli.main`` in this process, against a served emulator."""

    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.world = world
        self.monkeypatch = monkeypatch
        self.capsys = capsys

    def __call__(self, *args: str, url: str) -> Result:
        with self.monkeypatch.context() as patch:
            patch.chdir(self.world.root)
            for key in [k for k in os.environ if k.startswith("CSPSYNC_")]:
                patch.delenv(key)
            patch.setenv("CSPSYNC_EMULATOR_URL", url)
            patch.setenv("CSPSYNC_STATE_DIR", str(self.world.root / ".cspsync"))
            patch.setenv(UNPACED_ENV, "1")
            self.capsys.readouterr()
            try:
                main(list(args))
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            else:  # pragma: no cover - main always exits
                code = 0
            captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> InProcessCli:
    return InProcessCli(world, monkeypatch, capsys)


def cli_environment(root: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSPSYNC_", "GITHUB_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["CSPSYNC_EMULATOR_URL"] = url
    env[UNPACED_ENV] = "1"  # the client's pacing is not under test here (crashes and retries are)
    env["CSPSYNC_STATE_DIR"] = str(root / ".cspsync")
    return env


def make_world(tmp: Path) -> World:
    """The examples copied to ``tmp/repo``; the emulator's store in ``tmp/emulator.db``, seeded."""
    root = tmp / "repo"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".cspsync"))
    store = Store(tmp / "emulator.db")
    store.seed(load_seed(root / "emulator-seed.yaml"))
    return World(root, store)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path)
    try:
        yield made
    finally:
        made.store.close()


# ------------------------------------------------------------------------------------------ checks


def ready_actions(plan: Plan) -> list[str]:
    return [a.id for a in plan.actions if a.status == "ready"]


def duplicates(store: Store) -> list[str]:
    """Anything Partner Center holds twice that cspsync must create at most once."""
    problems: list[str] = []
    customers = store.list_customers(limit=100_000)
    domains = Counter(c.domain.lower() for c in customers)
    problems += [f"customer {d} x{n}" for d, n in domains.items() if n > 1]
    for customer in customers:
        live = [s for s in store.subscriptions(customer.id) if (s.get("status") or "").lower() != "deleted"]
        names = Counter((s.get("friendlyName") or "").lower() for s in live)
        problems += [f"{customer.domain}: subscription {n} x{k}" for n, k in names.items() if k > 1]
        agreements = Counter(a["type"] for a in store.agreements(customer.id))
        problems += [f"{customer.domain}: agreement {t} x{k}" for t, k in agreements.items() if k > 1]
    return problems


def stored_passwords(world: World) -> dict[str, str]:
    """customer name -> password, decrypted with the demo identity from every credentials file."""
    found: dict[str, str] = {}
    for path in sorted(world.credentials.glob("*.age")):
        credentials = decrypt(path, DEMO_IDENTITY)
        assert credentials.customer not in found, f"two credentials files for {credentials.customer}"
        tenant = world.store.tenant_by_domain(credentials.domain)
        assert tenant is not None and tenant.id == credentials.tenant_id, f"{path.name}: no such tenant"
        found[credentials.customer] = credentials.password.get_secret_value()
    return found


WriteFilter = Callable[[httpx.Request], bool]


def is_write(request: httpx.Request) -> bool:
    """A request that changes Partner Center (address validation is a POST that changes nothing)."""
    path = request.url.path
    return (
        request.method in ("POST", "PUT", "PATCH")
        and path.startswith("/v1/")
        and not path.startswith("/v1/validations/")
    )
