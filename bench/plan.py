"""Benchmark: what a plan (and an apply) costs in Partner Center calls, time and memory.

    python bench/plan.py --sizes 1000,10000 [--repeat 3] [--apply-size 200] [--rate 50] [--latency 20-50]

For each size N it generates N customer files (bench/validate.py's generator) and an in-memory emulator
world where those customers exist with the billing profiles they declare, then prints, side by side:

1. validate: ``cspsync.declarations.check`` on the N files (in process; bench/validate.py compares the
   ``cspsync validate`` command with check-jsonschema);
2. full plan against the in-process emulator, through ``pipeline.plan_for`` as ``cspsync plan`` runs
   it: API calls made (client stats and the emulator's request log) against the lower bound (customer
   list pages + one read per declared resource kind per customer), and local work (load + diff/plan +
   pricing + render) against the validate time;
3. plan and apply of a smaller first-apply portfolio with emulated latency and a rate limit (the client's
   requests_per_second equal to the emulator's throttle), wall time against requests / rate;
4. plans scoped to k changed files (observe strategy "lookup", as ``--changed-since``): calls for k=1, 10,
   100 whatever N;
5. peak memory (ru_maxrss) of each step, each measured in its own fresh process.

Times are medians of --repeat runs. Nothing here is a test: it prints figures (see bench/README.md).
"""

from __future__ import annotations

import argparse
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import portfolio  # noqa: E402

from cspsync import pipeline  # noqa: E402
from cspsync.apply.run import Applier  # noqa: E402
from cspsync.declarations import Declared, Repository, check  # noqa: E402
from cspsync.emulator import EmulatorApp, Faults, transport  # noqa: E402
from cspsync.observe import read as observe_read  # noqa: E402
from cspsync.partnercenter import Limits, PartnerCenterClient, StaticToken  # noqa: E402
from cspsync.plan import build as plan_build  # noqa: E402
from cspsync.render import render  # noqa: E402
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
    file naming another domain, an address validation per changed address, GDAP for declared admin access.
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


@contextmanager
def planning_against(app: EmulatorApp, client: PartnerCenterClient, timers: Timers) -> Iterator[None]:
    """``pipeline.plan_for`` as ``cspsync plan`` runs it, connected to ``client``; its steps timed.

    ``diff+plan`` is make_plan without its pricing (``price_plan`` is timed on its own, inside it) and
    ``association`` is the relationships read inside observe."""
    timed: list[tuple[Any, str, str]] = [
        (pipeline, "observe", "observe"),
        (pipeline, "make_plan", "diff+plan+pricing"),
        (plan_build, "price_plan", "pricing"),
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
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        report = check([folder / "customers"], config_path=folder / "cspsync.yaml")
        runs.append(time.perf_counter() - start)
        assert report.valid, report.problems[:3]
    return {"validate_s": statistics.median(runs), "runs": runs, "maxrss_mib": maxrss_mib()}


def warm_price_sheets(store: Any, repo: Repository, workspace: Workspace) -> int:
    """Plan one customer per market first, so the price-sheet cache holds every market's sheet (Partner
    Center's are downloaded once per market and month); returns the calls that took."""
    first: dict[str, Declared] = {}
    for item in repo.customers:
        first.setdefault(item.customer.spec.company.address.country.upper(), item)
    app = EmulatorApp(store, page_size=PAGE)
    client = client_for(app)
    with planning_against(app, client, Timers()):
        pipeline.plan_for(repo, list(first.values()), target="emulator", workspace=workspace, full_scope=False)
    calls: int = client.stats.snapshot()["calls"].get(PRICE_SHEETS, 0)
    client.close()
    return calls


def task_plan(folder: Path, repeat: int) -> dict[str, Any]:
    repo: Repository | None = portfolio.load(folder)
    assert repo is not None
    store = portfolio.world_for(repo)
    in_world = store.customer_count()
    bound = lower_bound(repo.customers, in_world)
    workspace = Workspace(folder / ".cspsync-plan")
    downloads = warm_price_sheets(store, repo, workspace)
    repo = None  # each run loads the files again, as ``cspsync plan`` does
    results: list[dict[str, Any]] = []
    for _ in range(repeat):
        app = EmulatorApp(store, page_size=PAGE)
        client = client_for(app)
        timers = Timers()
        with timers.step("load"):
            repo = portfolio.load(folder)
        with planning_against(app, client, timers), timers.step("plan_for"):
            planned = pipeline.plan_for(repo, repo.customers, target="emulator", workspace=workspace, full_scope=True)
        with timers.step("render"):
            text = render(planned.plan, "text")
            markdown = render(planned.plan, "markdown")
        stats = client.stats.snapshot()
        served = app.request_counts()
        client.close()
        results.append(
            {
                "seconds": timers.seconds,
                "calls": stats["total_calls"],
                "requests": sum(served.values()),
                "by_endpoint": stats["calls"],
                "actions": len(planned.plan.actions),
                "text_chars": len(text),
                "markdown_chars": len(markdown),
            }
        )
        del planned, repo, text, markdown  # the next run's peak memory is its own
    steps = {name: statistics.median(r["seconds"][name] for r in results) for name in results[-1]["seconds"]}
    steps["diff+plan"] = steps.pop("diff+plan+pricing") - steps["pricing"]
    # everything plan_for does but observe and make_plan: connect, the invitations ledger, the apply records
    # (remember), the price-sheet cache
    steps["other"] = steps["plan_for"] - steps["observe"] - steps["diff+plan"] - steps["pricing"]
    local = [
        r["seconds"]["load"] + r["seconds"]["plan_for"] - r["seconds"]["observe"] + r["seconds"]["render"]
        for r in results
    ]
    last = results[-1]
    return {
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
        "maxrss_mib": maxrss_mib(),
    }


def task_scoped(folder: Path, repeat: int, ks: list[int]) -> dict[str, Any]:
    repo = portfolio.load(folder)
    store = portfolio.world_for(repo)
    workspace = Workspace(folder / ".cspsync-scoped")
    out: dict[str, Any] = {}
    warm_price_sheets(store, repo, workspace)
    for k in ks:
        step = max(1, len(repo.customers) // k)
        changed = list(repo.customers[::step][:k])  # changed files spread over the portfolio
        runs, calls = [], 0
        for _ in range(repeat):
            app = EmulatorApp(store, page_size=PAGE)
            client = client_for(app)
            start = time.perf_counter()
            with planning_against(app, client, Timers()):
                pipeline.plan_for(
                    repo, changed, target="emulator", workspace=workspace, full_scope=False, strategy="lookup"
                )
            runs.append(time.perf_counter() - start)
            calls = client.stats.snapshot()["total_calls"]
            client.close()
        out[str(k)] = {"calls": calls, "bound": k + lower_bound(changed, 0), "seconds": statistics.median(runs)}
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
    if args.worker == "validate":
        result = task_validate(folder, args.repeat)
    elif args.worker == "plan":
        result = task_plan(folder, args.repeat)
    elif args.worker == "scoped":
        result = task_scoped(folder, args.repeat, [int(k) for k in args.scoped.split(",")])
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
    ]
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
    print(row("validate (check, in process)", [f"{results[n]['validate']['validate_s']:.2f} s" for n in sizes]))
    print(row("  runs", [", ".join(f"{r:.2f}" for r in results[n]["validate"]["runs"]) for n in sizes]))
    print(row("  peak memory", [f"{results[n]['validate']['maxrss_mib']:.0f} MiB" for n in sizes]))
    if not all("plan" in results[n] for n in sizes):
        return
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
            [f"{plans[n]['local_s'] / results[n]['validate']['validate_s']:.2f}" for n in sizes],
        )
    )
    print(
        row(
            "  actions planned; Markdown characters",
            [f"{p['actions']:,}; {p['markdown_chars']:,}" for p in plans.values()],
        )
    )
    print(row("  peak memory  [target < 1,024 MiB at 100,000]", [f"{p['maxrss_mib']:.0f} MiB" for p in plans.values()]))
    if not all("scoped" in results[n] for n in sizes):
        return
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
        f"medians of {args.repeat} runs, each step in a fresh process"
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
