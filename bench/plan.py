"""Benchmark: what a plan (and an apply) costs in Partner Center calls, time and memory.

    python bench/plan.py --sizes 1000,10000 [--repeat 3] [--apply-size 200] [--rate 50] [--latency 20-50]

For each size N it generates N customer files (bench/validate.py's generator) and an in-memory emulator
world where those customers exist with the billing profiles they declare, then prints, side by side:

1. validate: ``cspsync.declarations.check(..., models=False)`` on the N files, what ``cspsync validate``
   runs (in process; bench/validate.py compares the command with check-jsonschema), and for reference the
   same check keeping the models, which is a plan's load (figures saved before 2026-12-02 21:00 UTC timed
   only that one, as "validate");
2. full plan against the emulator, through ``pipeline.plan_for`` as ``cspsync plan`` runs it: API calls
   made (client stats and the emulator's request log) against the lower bound (customer list pages + one
   read per declared resource kind per customer), and local work (load + diff/plan + pricing + render:
   the text written piece by piece to the null device, as the command writes it, and the Markdown
   comment) against the validate time;
3. plan and apply of a smaller first-apply portfolio with emulated latency and a rate limit (the client's
   requests_per_second equal to the emulator's throttle), wall time against requests / rate;
4. plans scoped to k changed files (observe strategy "lookup", as ``--changed-since``): calls for k=1, 10,
   100 whatever N;
5. peak memory (ru_maxrss) of each step, each measured in its own fresh process.

``--emulator served`` (the default) runs the emulator world of the plan and scoped steps in a process of
its own, served on loopback HTTP (``cspsync.emulator.server``, as ``cspsync emulator serve``), so the
peak memory printed is the cspsync process's alone, as a plan against Partner Center would use;
``--emulator in-process`` hands requests to the emulator in the same process (no HTTP, its store counted
in the memory). ``--memory-profile FILE`` (with served) writes, per size, where the plan step's memory
goes: tracemalloc's largest allocation sites (file:line) at the end of each stage, and the sizes of the big
structures (declarations, observation, plan, rendered text, JSON).

Times are medians of --repeat runs. Nothing here is a test: it prints figures (see bench/README.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import portfolio  # noqa: E402

from cspsync import pipeline  # noqa: E402
from cspsync.apply.run import Applier  # noqa: E402
from cspsync.declarations import Declared, Repository, check  # noqa: E402
from cspsync.emulator import EmulatorApp, Faults, transport  # noqa: E402
from cspsync.emulator.server import serve  # noqa: E402
from cspsync.observe import read as observe_read  # noqa: E402
from cspsync.partnercenter import Limits, PartnerCenterClient, StaticToken  # noqa: E402
from cspsync.partnercenter.msalhttp import LoopbackTransport  # noqa: E402
from cspsync.plan import build as plan_build  # noqa: E402
from cspsync.render import render, render_pieces  # noqa: E402
from cspsync.target import Connection  # noqa: E402
from cspsync.workspace import Workspace  # noqa: E402

BASE_URL = "https://api.partnercenter.microsoft.com"
PAGE = 500  # customers per page of GET /v1/customers (the client asks for 500, Partner Center's maximum)
#: the endpoints of the lower bound: the customer list, the provider's reseller list and one read per
#: declared resource kind
BOUND_ENDPOINTS = {
    "GET /v1/customers",
    "GET /v1/customers (next page)",
    "GET /v1/relationships",
    "GET /v1/customers/{customer_id}/profiles/billing",
    "GET /v1/customers/{customer_id}/agreements",
    "GET /v1/customers/{customer_id}/subscriptions",
    "GET /v1/customers/{customer_id}/relationships",
}
PRICE_SHEETS = "GET /v1.0/sales/pricesheets"
UNLIMITED = Limits(requests_per_second=1_000_000.0, burst=1_000_000, max_concurrency=8)


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def lower_bound(declared: tuple[Declared, ...] | list[Declared], customers_in_world: int) -> int:
    """The fewest Partner Center reads that can show every declared customer's state, all of them found:

    - ``ceil(customers in Partner Center / 500)`` pages of ``GET /v1/customers`` (a scoped plan passes 0
      and adds one lookup per changed file);
    - one ``GET /v1/relationships`` (the provider's indirect resellers) when a file names a reseller:
      it shows whether Partner Center still lists the reseller as active (800016 otherwise);
    - per declared customer, one read per resource kind it declares: its billing profile (every file
      declares a company), its agreements when it declares an agreement, its subscriptions when it
      declares subscriptions, and its partner relationships when it is an invite-mode customer that names
      a reseller. That last one is the declared reseller association: an invited tenant's admin may accept
      the provider's relationship and not the reseller's, and only ``GET /v1/customers/{id}/relationships``
      ("Get indirect resellers of a customer") lists the resellers. The provider's own relationship needs
      no read: being in the customer list is that relationship, and identity rests on other evidence.

    Reads the observed state calls for are not in the bound and show as "beyond the bound" (none in this
    world): the create checks of a create-mode customer not found, the custom domains of an existing-mode
    file naming another domain, an address validation per changed address, GDAP for declared admin access,
    and one availabilities read per distinct (product, SKU, market) among the plan's ready orders (none
    when nothing is to be ordered).
    """
    reads = 0
    for item in declared:
        spec = item.customer.spec
        reads += 1  # billing profile: every declaration has a company
        reads += 1 if spec.agreement is not None else 0
        reads += 1 if spec.subscriptions else 0
        reads += 1 if spec.tenant.mode == "invite" and spec.reseller else 0
    resellers = 1 if any(item.customer.spec.reseller for item in declared) else 0
    return math.ceil(customers_in_world / PAGE) + resellers + reads


class Timers:
    """Wall time of named steps, accumulated per run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.step(name):
                return fn(*args, **kwargs)

        return timed


def client_for(app: EmulatorApp, limits: Limits = UNLIMITED) -> PartnerCenterClient:
    return PartnerCenterClient(base_url=BASE_URL, transport=transport(app), tokens=StaticToken(), limits=limits)


class InProcessWorld:
    """The emulator store in this process; each run gets a fresh app (and request log)."""

    def __init__(self, repo: Repository) -> None:
        self.store = portfolio.world_for(repo)
        self.customers = self.store.customer_count()
        self.app: EmulatorApp | None = None

    def client(self) -> PartnerCenterClient:
        self.app = EmulatorApp(self.store, page_size=PAGE)
        return client_for(self.app)

    def served(self) -> dict[str, int]:
        assert self.app is not None
        return self.app.request_counts()

    def close(self) -> None:
        self.store.close()


class ServedWorld:
    """The emulator world in a process of its own (``--worker emulator``), served on loopback HTTP: this
    process's peak memory is then cspsync's alone."""

    def __init__(self, folder: Path) -> None:
        command = [sys.executable, __file__, "--worker", "emulator", "--folder", str(folder)]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise SystemExit("the emulator worker did not start")
        started = json.loads(line)
        self.url: str = started["url"]
        self.customers: int = started["customers"]
        self.app = None

    def client(self) -> PartnerCenterClient:
        """A client of the served world; the world's request log starts again with it."""
        self._control_request("POST", "reset-log")
        return PartnerCenterClient(
            base_url=BASE_URL, transport=LoopbackTransport(self.url), tokens=StaticToken(), limits=UNLIMITED
        )

    def served(self) -> dict[str, int]:
        counts: dict[str, int] = self._control_request("GET", "requests").json()["counts"]
        return counts

    def _control_request(self, method: str, name: str) -> Any:
        import httpx

        with httpx.Client(transport=LoopbackTransport(self.url), timeout=60) as http:
            response = http.request(method, f"{BASE_URL}/_emulator/{name}")
        response.raise_for_status()
        return response

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()  # the worker stops when its stdin closes
        self._process.wait(timeout=60)


def task_emulator(folder: Path) -> dict[str, Any]:
    """Serve the portfolio's world on loopback until stdin closes (the plan worker's side of ServedWorld)."""
    repo = portfolio.load(folder)
    store = portfolio.world_for(repo)
    del repo
    server = serve(EmulatorApp(store, page_size=PAGE))
    print(json.dumps({"url": server.url, "customers": store.customer_count()}), flush=True)
    sys.stdin.read()
    server.shutdown()
    return {"maxrss_mib": maxrss_mib()}


World = InProcessWorld | ServedWorld


def open_world(kind: str, folder: Path, repo: Repository) -> World:
    return ServedWorld(folder) if kind == "served" else InProcessWorld(repo)


@contextmanager
def planning_against(app: EmulatorApp | None, client: PartnerCenterClient, timers: Timers) -> Iterator[None]:
    """``pipeline.plan_for`` as ``cspsync plan`` runs it, connected to ``client``; its steps timed.

    ``diff+plan`` is make_plan without its pricing (``price_actions`` is timed on its own, inside it) and
    ``association`` is the relationships read inside observe."""
    timed: list[tuple[Any, str, str]] = [
        (pipeline, "observe", "observe"),
        (pipeline, "make_plan", "diff+plan+pricing"),
        (plan_build, "price_actions", "pricing"),
        (observe_read, "read_associations", "association"),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in timed]
    saved.append((pipeline, "connect", getattr(pipeline, "connect")))  # noqa: B009 (not exported)
    for (module, name, step), (_, _, fn) in zip(timed, saved, strict=False):
        setattr(module, name, timers.wrap(step, fn))
    setattr(pipeline, "connect", lambda *a, **k: Connection("emulator", client, emulator=app))  # noqa: B010
    try:
        yield
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)


# ---------------------------------------------------------------------------------------- workers


def task_validate(folder: Path, repeat: int) -> dict[str, Any]:
    """``cspsync validate``'s check (no models kept) and the same check keeping them (a plan's load), in turns,
    after one check of a few files: the imports and compiled schemas are warm, as for the plan step's load."""
    customers, config = folder / "customers", folder / "cspsync.yaml"
    check([customers], config_path=config, files=sorted(customers.glob("*.yaml"))[:50])
    runs: list[float] = []
    with_models: list[float] = []
    for _ in range(repeat):
        for models, times in ((False, runs), (True, with_models)):
            start = time.perf_counter()
            report = check([customers], config_path=config, models=models)
            times.append(time.perf_counter() - start)
            assert report.valid, report.problems[:3]
            del report
    return {
        "validate_s": statistics.median(runs),
        "runs": runs,
        "with_models_s": statistics.median(with_models),
        "maxrss_mib": maxrss_mib(),
    }


def warm_price_sheets(world: World, repo: Repository, workspace: Workspace) -> int:
    """Plan one customer per market first, so the price-sheet cache holds every market's sheet (Partner
    Center's are downloaded once per market and month); returns the calls that took."""
    first: dict[str, Declared] = {}
    for item in repo.customers:
        first.setdefault(item.customer.spec.company.address.country.upper(), item)
    client = world.client()
    with planning_against(world.app, client, Timers()):
        pipeline.plan_for(repo, list(first.values()), target="emulator", workspace=workspace, full_scope=False)
    calls: int = client.stats.snapshot()["calls"].get(PRICE_SHEETS, 0)
    client.close()
    return calls


def task_plan(folder: Path, repeat: int, emulator: str, profile: Path | None, stages: bool = False) -> dict[str, Any]:
    repo: Repository | None = portfolio.load(folder)
    assert repo is not None
    world = open_world(emulator, folder, repo)
    in_world = world.customers
    bound = lower_bound(repo.customers, in_world)
    workspace = Workspace(folder / ".cspsync-plan")
    downloads = warm_price_sheets(world, repo, workspace)
    repo = None  # each run loads the files again, as ``cspsync plan`` does
    gc.collect()
    profiler = None if profile is None else StageMemory() if stages else MemoryProfile()
    results: list[dict[str, Any]] = []
    for _ in range(repeat):
        client = world.client()
        timers = Timers()
        if profiler is not None:
            profiler.start()
        with timers.step("load"):
            repo = portfolio.load(folder)
        if profiler is not None:
            profiler.stage("load", declarations=repo)
        with planning_against(world.app, client, timers), profiled(profiler), timers.step("plan_for"):
            # every run a full read: from the second on, the memory the first kept would make it an
            # incremental plan (the audit records only), which is bench/incremental.py's figure, not this one
            planned = pipeline.plan_for(
                repo, repo.customers, target="emulator", workspace=workspace, full_scope=True, full_read=True
            )
        if profiler is not None:
            profiler.stage("plan_for", plan=planned.plan)
        with timers.step("render"):
            text = write_text(planned.plan)
            markdown = render(planned.plan, "markdown")
        if profiler is not None:
            profiler.stage("render", markdown=markdown)
            profiler.stop()
        stats = client.stats.snapshot()
        served = world.served()
        client.close()
        results.append(
            {
                "seconds": timers.seconds,
                "calls": stats["total_calls"],
                "requests": sum(served.values()),
                "by_endpoint": stats["calls"],
                "actions": len(planned.plan.actions),
                "text_chars": text,
                "markdown_chars": len(markdown),
            }
        )
        del planned, repo, text, markdown  # the next run's peak memory is its own
    world.close()
    if profiler is not None and profile is not None:
        profile.parent.mkdir(parents=True, exist_ok=True)
        profile.write_text(json.dumps(profiler.stages, indent=1), encoding="utf-8")
    for r in results:  # the derived steps per run, then medians: medians of the parts do not add up (a run's
        # "other" came out at -0.40 s when it was the difference of four medians)
        seconds = r["seconds"]
        seconds["diff+plan"] = seconds.pop("diff+plan+pricing") - seconds["pricing"]
        # everything plan_for does but observe and make_plan: connect, the invitations ledger, the apply records
        # (remember), the price-sheet cache
        seconds["other"] = seconds["plan_for"] - seconds["observe"] - seconds["diff+plan"] - seconds["pricing"]
    steps = {name: statistics.median(r["seconds"][name] for r in results) for name in results[-1]["seconds"]}
    local = [
        r["seconds"]["load"] + r["seconds"]["plan_for"] - r["seconds"]["observe"] + r["seconds"]["render"]
        for r in results
    ]
    last = results[-1]
    return {
        "emulator": emulator,
        "customers_in_world": in_world,
        "lower_bound": bound,
        "calls": last["calls"],
        "requests": last["requests"],
        "cold_calls": last["calls"] + downloads,
        "by_endpoint": last["by_endpoint"],
        "steps_s": steps,
        "local_s": statistics.median(local),
        "local_runs": local,
        "actions": last["actions"],
        "text_chars": last["text_chars"],
        "markdown_chars": last["markdown_chars"],
        # with --memory-stages the kernel's high-water mark is reset at each stage: the peak is the stages' own
        "maxrss_mib": max(maxrss_mib(), profiler.peak_mib if isinstance(profiler, StageMemory) else 0.0),
    }


class MemoryProfile:
    """tracemalloc's view of a plan run: after each stage, the traced total and peak, the largest
    allocation sites still alive (file:line) and the deep sizes of the named structures."""

    TOP = 25

    def __init__(self) -> None:
        self.stages: list[dict[str, Any]] = []

    def start(self) -> None:
        self.stages = []
        tracemalloc.start(1)

    def stage(self, name: str, **structures: Any) -> None:
        current, peak = tracemalloc.get_traced_memory()
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        top = snapshot.statistics("lineno")[: self.TOP]
        self.stages.append(
            {
                "stage": name,
                "traced_mib": current / 2**20,
                "traced_peak_mib": peak / 2**20,
                "maxrss_mib": maxrss_mib(),
                "structures_mib": {key: deep_size(value) / 2**20 for key, value in structures.items()},
                "top": [
                    {"site": f"{s.traceback[0].filename}:{s.traceback[0].lineno}", "mib": s.size / 2**20, "n": s.count}
                    for s in top
                ],
            }
        )

    def stop(self) -> None:
        tracemalloc.stop()


class StageMemory(MemoryProfile):
    """The process's resident memory after each stage and its peak within it (Linux: /proc/self/status,
    the peak reset at each stage through /proc/self/clear_refs), at full speed: tracemalloc slows a plan
    several times and counts neither the allocator's overhead nor what it cannot give back."""

    #: the process's peak over every stage and before the first: resetting the peak for each stage also resets
    #: what ``ru_maxrss`` reports (the kernel's high-water mark), so this is the step's peak memory
    peak_mib = 0.0

    def start(self) -> None:
        self.stages = []
        self.peak_mib = max(self.peak_mib, self._status()["VmHWM"])
        self._reset_peak()

    def stage(self, name: str, **structures: Any) -> None:
        status = self._status()
        self.peak_mib = max(self.peak_mib, status["VmHWM"])
        self.stages.append({"stage": name, "rss_mib": status["VmRSS"], "peak_in_stage_mib": status["VmHWM"]})
        self._reset_peak()

    @staticmethod
    def _status() -> dict[str, float]:
        status = {}
        with open("/proc/self/status", encoding="ascii") as file:
            for line in file:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    status[key] = int(value.split()[0]) / 1024.0
        return status

    def stop(self) -> None:
        pass

    @staticmethod
    def _reset_peak() -> None:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as file:
            file.write("5")


@contextmanager
def profiled(profiler: MemoryProfile | None) -> Iterator[None]:
    """Inside plan_for: a stage after observe (its observation) and after make_plan (observation and plan
    both alive: the peak)."""
    if profiler is None:
        yield
        return
    observe, make_plan = vars(pipeline)["observe"], vars(pipeline)["make_plan"]

    def observed(*args: Any, **kwargs: Any) -> Any:
        observation = observe(*args, **kwargs)
        profiler.stage("observe", observation=observation)
        return observation

    def planned(*args: Any, **kwargs: Any) -> Any:
        plan = make_plan(*args, **kwargs)
        profiler.stage("make_plan", plan=plan)
        return plan

    with mock.patch.object(pipeline, "observe", observed), mock.patch.object(pipeline, "make_plan", planned):
        yield


def deep_size(root: Any) -> int:
    """Bytes of ``root`` and everything it reaches (objects counted once; classes and modules left out)."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type | types.ModuleType | types.FunctionType):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        stack.extend(gc.get_referents(item))
    return total


def write_text(plan: Any) -> int:
    """The plan's text written as ``cspsync plan`` writes it to its output (piece by piece; here to the null
    device); the characters written."""
    written = 0
    with open(os.devnull, "w", encoding="utf-8") as out:
        for piece in render_pieces(plan, "text"):
            written += out.write(piece)
    return written


def task_scoped(folder: Path, repeat: int, ks: list[int], emulator: str) -> dict[str, Any]:
    repo = portfolio.load(folder)
    world = open_world(emulator, folder, repo)
    workspace = Workspace(folder / ".cspsync-scoped")
    out: dict[str, Any] = {}
    warm_price_sheets(world, repo, workspace)
    for k in ks:
        step = max(1, len(repo.customers) // k)
        changed = list(repo.customers[::step][:k])  # changed files spread over the portfolio
        runs, calls = [], 0
        for _ in range(repeat):
            client = world.client()
            start = time.perf_counter()
            with planning_against(world.app, client, Timers()):
                pipeline.plan_for(
                    repo, changed, target="emulator", workspace=workspace, full_scope=False, strategy="lookup"
                )
            runs.append(time.perf_counter() - start)
            calls = client.stats.snapshot()["total_calls"]
            client.close()
        out[str(k)] = {"calls": calls, "bound": k + lower_bound(changed, 0), "seconds": statistics.median(runs)}
    world.close()
    out["maxrss_mib"] = maxrss_mib()
    return out


def task_apply(folder: Path, rate: float, burst: int, latency: tuple[float, float], workers: int) -> dict[str, Any]:
    repo = portfolio.load(folder)
    store = portfolio.world_for(repo, first_apply=True)
    faults = Faults(seed=7, latency_ms=latency, throttle_rate=rate, throttle_burst=burst * 2)
    app = EmulatorApp(store, faults=faults, page_size=PAGE)
    client = client_for(app, Limits(requests_per_second=rate, burst=burst, max_concurrency=8))
    workspace = Workspace(folder / ".cspsync-apply")
    os.chdir(folder)  # the credentials directory is relative to the working folder
    timers = Timers()
    with planning_against(app, client, timers), timers.step("plan"):
        planned = pipeline.plan_for(repo, repo.customers, target="emulator", workspace=workspace, full_scope=True)
    plan_stats = client.stats.snapshot()
    with timers.step("apply"):
        record = Applier(planned.plan, repo, client, workspace, workers=workers).run()
    stats = client.stats.snapshot()
    client.close()
    return {
        "customers": len(repo.customers),
        "ready_actions": sum(1 for a in planned.plan.actions if a.status == "ready"),
        "outcome": record.counts(),
        "plan_s": timers.seconds["plan"],
        "plan_requests": plan_stats["requests"],
        "apply_s": timers.seconds["apply"],
        "apply_requests": stats["requests"] - plan_stats["requests"],
        "requests": stats["requests"],
        "calls": stats["total_calls"],
        "throttles": stats["throttles"],
        "retries": stats["retries"],
        "served": sum(app.request_counts().values()),
        "maxrss_mib": maxrss_mib(),
    }


# ------------------------------------------------------------------------------------------- main


def worker(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if args.worker == "emulator":
        result = task_emulator(folder)
    elif args.worker == "validate":
        result = task_validate(folder, args.repeat)
    elif args.worker == "plan":
        profile = None if args.memory_profile is None else args.memory_profile.with_suffix(f".{folder.name}.json")
        result = task_plan(folder, args.repeat, args.emulator, profile, stages=args.memory_stages)
    elif args.worker == "scoped":
        result = task_scoped(folder, args.repeat, [int(k) for k in args.scoped.split(",")], args.emulator)
    else:
        low, high = (float(x) for x in args.latency.split("-"))
        result = task_apply(folder, args.rate, args.burst, (low, high), args.workers)
    print(json.dumps(result))
    return 0


def run_worker(task: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        task,
        "--folder",
        str(folder),
        "--repeat",
        str(args.repeat),
        "--scoped",
        args.scoped,
        "--rate",
        str(args.rate),
        "--burst",
        str(args.burst),
        "--latency",
        args.latency,
        "--workers",
        str(args.workers),
        "--emulator",
        args.emulator,
    ]
    if args.memory_profile is not None:
        command += ["--memory-profile", str(args.memory_profile.resolve())]
    if args.memory_stages:
        command += ["--memory-stages"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker {task} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def row(label: str, values: list[str], width: int = 26) -> str:
    return f"{label:<44}" + "".join(f"{v:>{width}}" for v in values)


def report(sizes: list[int], results: dict[int, dict[str, Any]], ks: list[int]) -> None:
    print()
    print(row("", [f"N = {n:,}" for n in sizes]))
    validated = all("validate" in results[n] for n in sizes)  # --only plan runs no validate
    if validated:
        report_validate(sizes, results)
    if not all("plan" in results[n] for n in sizes):
        return
    report_plan(sizes, results, validated)
    if not all("scoped" in results[n] for n in sizes):
        return
    report_scoped(sizes, results, ks)


def report_validate(sizes: list[int], results: dict[int, dict[str, Any]]) -> None:
    print(
        row(
            "validate (as cspsync validate, in process)",
            [f"{results[n]['validate']['validate_s']:.2f} s" for n in sizes],
        )
    )
    print(row("  runs", [", ".join(f"{r:.2f}" for r in results[n]["validate"]["runs"]) for n in sizes]))
    kept = [
        f"{v['with_models_s']:.2f} s" if "with_models_s" in v else "-" for v in (results[n]["validate"] for n in sizes)
    ]
    print(row("  the same check keeping the models (a load)", kept))
    print(row("  peak memory", [f"{results[n]['validate']['maxrss_mib']:.0f} MiB" for n in sizes]))


def report_plan(sizes: list[int], results: dict[int, dict[str, Any]], validated: bool) -> None:
    plans = {n: results[n]["plan"] for n in sizes}
    print(row("full plan: API calls (lower bound)", [f"{p['calls']:,} ({p['lower_bound']:,})" for p in plans.values()]))
    print(row("  calls / lower bound  [target 1.00]", [f"{p['calls'] / p['lower_bound']:.3f}" for p in plans.values()]))
    extra = sorted({e for p in plans.values() for e in p["by_endpoint"] if e not in BOUND_ENDPOINTS})
    for endpoint in extra:
        print(
            row(
                f"  beyond the bound: {endpoint.replace('{customer_id}', '{id}')}",
                [f"{p['by_endpoint'].get(endpoint, 0):,}" for p in plans.values()],
            )
        )
    print(row("  HTTP requests seen by the emulator", [f"{p['requests']:,}" for p in plans.values()]))
    print(row("  first plan (price sheets not cached yet)", [f"{p['cold_calls']:,} calls" for p in plans.values()]))
    for step in ("load", "observe", "association", "diff+plan", "pricing", "other", "render"):
        print(row(f"  {step}", [f"{p['steps_s'].get(step, 0.0):.2f} s" for p in plans.values()]))
    print(row("  local work (load + plan_for - observe + render)", [f"{p['local_s']:.2f} s" for p in plans.values()]))
    print(row("  runs", [", ".join(f"{r:.2f}" for r in p["local_runs"]) for p in plans.values()]))
    print(
        row(
            "  local / validate  [target <= 2.0]",
            [f"{plans[n]['local_s'] / results[n]['validate']['validate_s']:.2f}" if validated else "-" for n in sizes],
        )
    )
    print(
        row(
            "  actions planned; Markdown characters",
            [f"{p['actions']:,}; {p['markdown_chars']:,}" for p in plans.values()],
        )
    )
    print(row("  peak memory  [target < 1,024 MiB at 100,000]", [f"{p['maxrss_mib']:.0f} MiB" for p in plans.values()]))


def report_scoped(sizes: list[int], results: dict[int, dict[str, Any]], ks: list[int]) -> None:
    for k in ks:
        print(
            row(
                f"scoped plan, k = {k}: calls (bound); time",
                [
                    f"{results[n]['scoped'][str(k)]['calls']} ({results[n]['scoped'][str(k)]['bound']}); "
                    f"{results[n]['scoped'][str(k)]['seconds']:.2f} s"
                    for n in sizes
                ],
            )
        )
    print(row("  peak memory", [f"{results[n]['scoped']['maxrss_mib']:.0f} MiB" for n in sizes]))


def report_apply(result: dict[str, Any], rate: float, latency: str) -> None:
    print()
    print(
        f"plan + apply of a first-apply portfolio of {result['customers']} customers, "
        f"latency {latency} ms per call, rate {rate:g}/s (client limiter = emulator throttle):"
    )
    for phase, requests in (("plan", result["plan_requests"]), ("apply", result["apply_requests"])):
        seconds = result[f"{phase}_s"]
        floor = requests / rate
        print(
            f"  {phase:<6} {seconds:7.1f} s for {requests:,} requests; requests / rate = {floor:6.1f} s; "
            f"ratio {seconds / floor:.2f}  [target <= 1.10]"
        )
    total = result["plan_s"] + result["apply_s"]
    print(
        f"  total  {total:7.1f} s; requests / rate = {result['requests'] / rate:.1f} s; "
        f"ratio {total / (result['requests'] / rate):.2f}"
    )
    print(
        f"  {result['ready_actions']} actions ready: {result['outcome']}; throttled (429) {result['throttles']}, "
        f"retries {result['retries']}; peak memory {result['maxrss_mib']:.0f} MiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="portfolio sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; medians are printed")
    parser.add_argument("--scoped", default="1,10,100", help="changed-file counts k for scoped plans")
    parser.add_argument("--apply-size", type=int, default=200, help="customers in the plan+apply run (0: skip)")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second (client and emulator)")
    parser.add_argument("--burst", type=int, default=5, help="the client's burst (the emulator allows twice it)")
    parser.add_argument("--latency", default="20-50", help="emulated latency per call, LOW-HIGH milliseconds")
    parser.add_argument("--workers", type=int, default=4, help="apply workers (the CLI's default)")
    parser.add_argument(
        "--only",
        default="validate,plan,scoped",
        help="steps per size, comma-separated: validate, plan, scoped; 'local' = validate,plan (the local "
        "work and memory figures, e.g. --sizes 100000 --only local --apply-size 0)",
    )
    parser.add_argument(
        "--emulator",
        choices=("served", "in-process"),
        default="served",
        help="served: the emulator world in its own process on loopback HTTP, so a step's peak memory is "
        "cspsync's alone (default); in-process: no HTTP, the emulator's store counted in the memory",
    )
    parser.add_argument(
        "--memory-profile",
        type=Path,
        help="FILE: write where the plan step's memory goes (tracemalloc sites, structure sizes) to "
        "FILE.nN.json per size; slows the plan step several times (its times are then not figures)",
    )
    parser.add_argument(
        "--memory-stages",
        action="store_true",
        help="with --memory-profile: write the resident memory after each stage of the plan step and its peak "
        "within the stage instead (Linux; full speed, so the step's times stay figures)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--save", type=Path, help="write the raw figures (JSON) here after every step")
    parser.add_argument("--report", type=Path, help="print the report of figures saved with --save, run nothing")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    if args.report:
        earlier = json.loads(args.report.read_text(encoding="utf-8"))
        print(earlier["header"])
        report(earlier["sizes"], {int(n): r for n, r in earlier["results"].items()}, earlier["ks"])
        if earlier.get("apply"):
            report_apply(earlier["apply"], earlier["rate"], earlier["latency"])
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    ks = [int(k) for k in args.scoped.split(",")]
    tasks = [t for t in ("validate", "plan", "scoped") if t in args.only.replace("local", "validate,plan").split(",")]
    header = (
        f"cspsync plan benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"medians of {args.repeat} runs, each step in a fresh process, emulator {args.emulator}"
    )
    print(header)
    results: dict[int, dict[str, Any]] = {}
    saved: dict[str, Any] = {
        "header": header,
        "sizes": sizes,
        "ks": ks,
        "results": results,
        "rate": args.rate,
        "latency": args.latency,
    }

    def save() -> None:
        if args.save:
            args.save.write_text(json.dumps(saved, indent=1), encoding="utf-8")

    base = Path(tempfile.mkdtemp(prefix="plan-bench-"))
    try:
        for n in sizes:
            folder = base / f"n{n}"
            portfolio.write_files(folder, n, args.seed)
            results[n] = {}
            for task in tasks:
                started = time.perf_counter()
                results[n][task] = run_worker(task, folder, args)
                save()
                print(f"  N={n:,} {task}: done in {time.perf_counter() - started:.0f} s", flush=True)
        report(sizes, results, ks)
        if args.apply_size:
            folder = base / f"apply{args.apply_size}"
            portfolio.write_files(folder, args.apply_size, args.seed)
            saved["apply"] = run_worker("apply", folder, args)
            save()
            report_apply(saved["apply"], args.rate, args.latency)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
