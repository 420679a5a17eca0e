"""Benchmark: a portfolio planned as a CI matrix of shards (``plan --shard I/N``), then ``merge-plans``.

    python bench/shards.py --customers 100000 --shards 20 [--parallel 2] [--save figures.json]

It generates the customer files (bench/portfolio.py) and one emulator database where every customer exists
with the billing profile its file declares (the price sheets cached once, as a CI cache would keep them),
then runs each shard's plan in its own fresh process, at most --parallel at a time, the way ``cspsync plan
customers --shard I/N --out plan-I.json`` runs it against the in-process emulator, and prints per shard:

- calls against the shard's lower bound (every customer-list page, since a shard reads the whole list, plus
  one read per declared resource kind per customer of the shard);
- local work (load + scope + diff/plan + pricing + render + writing plan-I.json) against ``validate`` (the
  check ``cspsync validate`` runs, without models; before 2026-12-02 21:10 UTC the check keeping them) of
  the shard's own files and of the whole portfolio (a shard reads and validates only its own files, chosen
  by path, and hashes the bytes of every file for the portfolio fingerprint);
- peak memory (ru_maxrss).

Then ``cspsync merge-plans plan-*.json`` in a fresh process (the real command, as the workflow's merge job
runs it): time, peak memory, the comment's characters (GitHub's limit is 65,536), the job summary's bytes
(1 MiB per step) and the artifact (merged plan.json + plan.md). Nothing here is a test (see bench/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import portfolio  # noqa: E402
from plan import BOUND_ENDPOINTS, Timers, lower_bound, maxrss_mib  # noqa: E402  (the one bound and timer, bench/plan.py)

from cspsync import pipeline  # noqa: E402
from cspsync.declarations import check  # noqa: E402
from cspsync.emulator import Store  # noqa: E402
from cspsync.gitops.scope import Shard, scope_of  # noqa: E402
from cspsync.render import render  # noqa: E402
from cspsync.workspace import Workspace  # noqa: E402

COMMENT_LIMIT = 65_536
SUMMARY_LIMIT = 1024 * 1024


@contextmanager
def timed_pipeline(timers: Timers) -> Iterator[None]:
    """cspsync.pipeline's observe, make_plan and price_sheets timed (what ``cspsync plan`` calls)."""
    saved = {name: getattr(pipeline, name) for name in ("observe", "make_plan", "price_sheets")}
    for name, step in (("observe", "observe"), ("make_plan", "diff+plan"), ("price_sheets", "pricing")):
        setattr(pipeline, name, timers.wrap(step, saved[name]))
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(pipeline, name, fn)


# ---------------------------------------------------------------------------------------------- workers


def task_world(folder: Path, state: Path) -> dict[str, Any]:
    """The emulator database every shard starts from, and the price sheets cached by a plan of one customer per
    country (a CI cache of the state folder keeps them between runs)."""
    started = time.perf_counter()
    repo = portfolio.load(folder)
    state.mkdir(parents=True, exist_ok=True)
    store = Store(state / "emulator.db")
    store.seed()
    store.add_customers(portfolio.tenant_record(item) for item in repo.customers)
    in_world = store.customer_count()
    store.close()
    os.environ["CSPSYNC_STATE_DIR"] = str(state)
    workspace = Workspace.from_environment(repository=repo.root)
    markets = list({item.customer.spec.company.address.country: item for item in repo.customers}.values())
    pipeline.plan_for(repo, markets, target="emulator", workspace=workspace, full_scope=False).connection.close()
    return {"customers_in_world": in_world, "seconds": time.perf_counter() - started, "maxrss_mib": maxrss_mib()}


def task_validate(folder: Path, files: list[str] | None) -> dict[str, Any]:
    paths = [Path(f) for f in files] if files else [folder / "customers"]
    start = time.perf_counter()
    report = check(paths, config_path=folder / "cspsync.yaml", models=False)  # as ``cspsync validate`` checks
    seconds = time.perf_counter() - start
    assert report.valid, report.problems[:3]
    return {"validate_s": seconds, "files": len(files) if files else None, "maxrss_mib": maxrss_mib()}


def task_shard(folder: Path, state: Path, shard: Shard, out: Path) -> dict[str, Any]:
    """One shard's plan as ``cspsync plan customers --shard I/N --out plan-I.json`` makes it, its steps timed."""
    os.environ["CSPSYNC_STATE_DIR"] = str(state)
    os.environ["CSPSYNC_EMULATOR_UNPACED"] = "1"
    timers = Timers()
    with timers.step("load"):
        repo, shard_files = pipeline.load_scoped([folder / "customers"], folder / "cspsync.yaml", shard)
    with timers.step("scope"):
        scope = scope_of(repo, [folder / "customers"], shard=shard)
    with timed_pipeline(timers), timers.step("plan_for"):
        planned = pipeline.plan_for(
            repo,
            scope.declared,
            target="emulator",
            workspace=Workspace.from_environment(repository=repo.root),
            full_scope=scope.full_scope,
            strategy=scope.strategy,
            shard=shard_files,
        )
    client = planned.connection.client
    stats = client.stats.snapshot()
    in_world = planned.connection.emulator.store.customer_count()
    planned.connection.close()
    with timers.step("render+save"):
        markdown = render(planned.plan, "markdown")
        out.write_text(planned.plan.to_json(), encoding="utf-8")
    steps = timers.seconds
    local = steps["load"] + steps["scope"] + steps["diff+plan"] + steps["pricing"] + steps["render+save"]
    return {
        "shard": str(shard),
        "customers": len(scope.declared),
        "files": [str(d.path) for d in scope.declared],
        "calls": stats["total_calls"],
        "by_endpoint": stats["calls"],
        "lower_bound": lower_bound(scope.declared, in_world),
        "steps_s": steps,
        "local_s": local,
        "actions": len(planned.plan.actions),
        "markdown_chars": len(markdown),
        "plan_bytes": out.stat().st_size,
        "maxrss_mib": maxrss_mib(),
    }


def run_worker(arguments: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker {arguments[:2]} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def task_merge(arguments: list[str], comment: Path) -> dict[str, Any]:
    """``cspsync merge-plans ARGUMENTS`` in this fresh process, its stdout (the comment) kept in ``comment``."""
    from cspsync.cli import main as cspsync_main

    start = time.perf_counter()
    with comment.open("w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
        try:
            cspsync_main(["merge-plans", *arguments])
        except SystemExit as done:
            code = done.code
    return {"exit": code, "seconds": time.perf_counter() - start, "maxrss_mib": maxrss_mib()}


def merge(plans: list[Path], out: Path) -> dict[str, Any]:
    """``cspsync merge-plans`` as the workflow's merge job runs it, in a fresh process (time and peak memory)."""
    out.mkdir(parents=True, exist_ok=True)
    summary = out / "step-summary.md"
    summary.write_text("", encoding="utf-8")
    arguments = [
        *map(str, plans),
        "--format",
        "markdown",
        "--out",
        str(out / "plan.json"),
        "--markdown-out",
        str(out / "plan.md"),
        "--job-summary",
        str(summary),
        "--artifact",
        "cspsync-plan-merged",
    ]
    comment_file = out / "comment.md"
    result = run_worker(["--worker", "merge", "--out", str(comment_file), "--", *arguments])
    if result["exit"] not in (0, 1):
        raise SystemExit(f"merge-plans failed ({result['exit']})")
    comment = comment_file.read_text(encoding="utf-8")
    return {
        **result,
        "comment_chars": len(comment),
        "comment_left_out": next((line for line in comment.splitlines() if "Not in this comment" in line), ""),
        "summary_bytes": summary.stat().st_size,
        "artifact_bytes": (out / "plan.json").stat().st_size + (out / "plan.md").stat().st_size,
        "plan_json_bytes": (out / "plan.json").stat().st_size,
        "plan_md_bytes": (out / "plan.md").stat().st_size,
    }


# ------------------------------------------------------------------------------------------------- main


def report(saved: dict[str, Any]) -> None:
    print(saved["header"])
    world = saved["world"]
    print(
        f"portfolio: {saved['customers']:,} customer files; emulator world {world['customers_in_world']:,} "
        f"customers, built in {world['seconds']:.0f} s"
    )
    whole = saved["validate_all"]["validate_s"]
    print(f"validate of the whole portfolio (in process): {whole:.2f} s")
    print()
    print(
        f"{'shard':>6} {'customers':>9} {'calls':>7} {'bound':>7} {'ratio':>6} {'local s':>8} "
        f"{'validate s':>10} {'local/val':>9} {'local/all':>9} {'load s':>7} {'observe s':>9} {'peak MiB':>8}"
    )
    shards = saved["shards"]
    for result in shards:
        validate = result["validate_s"]
        print(
            f"{result['shard']:>6} {result['customers']:>9,} {result['calls']:>7,} {result['lower_bound']:>7,} "
            f"{result['calls'] / result['lower_bound']:>6.3f} {result['local_s']:>8.2f} {validate:>10.2f} "
            f"{result['local_s'] / validate:>9.2f} {result['local_s'] / whole:>9.2f} "
            f"{result['steps_s']['load']:>7.2f} {result['steps_s']['observe']:>9.2f} {result['maxrss_mib']:>8.0f}"
        )
    extra = sorted({e for r in shards for e in r["by_endpoint"] if e not in BOUND_ENDPOINTS})
    for endpoint in extra:
        print(f"  calls beyond the bound, {endpoint}: {sum(r['by_endpoint'].get(endpoint, 0) for r in shards):,}")
    print(
        f"  worst shard: calls/bound {max(r['calls'] / r['lower_bound'] for r in shards):.3f}, "
        f"local/validate of its files {max(r['local_s'] / r['validate_s'] for r in shards):.2f}, "
        f"peak {max(r['maxrss_mib'] for r in shards):.0f} MiB; "
        f"wall of the matrix ({saved['parallel']} at a time) {saved['matrix_s']:.0f} s"
    )
    merged = saved["merge"]
    print()
    print(f"merge-plans of {len(shards)} shard plans ({sum(r['plan_bytes'] for r in shards) / 2**20:.1f} MiB of JSON):")
    peak = f"{merged['maxrss_mib']:.0f} MiB"
    print(
        f"  time {merged['seconds']:.2f} s (fresh process, imports included); peak memory {peak}; exit {merged['exit']}"
    )
    print(f"  comment {merged['comment_chars']:,} characters (limit {COMMENT_LIMIT:,})")
    print(f"  {merged['comment_left_out']}")
    print(f"  job summary {merged['summary_bytes']:,} bytes (limit {SUMMARY_LIMIT:,})")
    print(
        f"  artifact {merged['artifact_bytes'] / 2**20:.1f} MiB (plan.json {merged['plan_json_bytes'] / 2**20:.1f} MiB,"
        f" plan.md {merged['plan_md_bytes'] / 2**20:.1f} MiB)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--shards", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=2, help="shard processes at a time (the machine's cores)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--save", type=Path, help="write the raw figures (JSON) here after every step")
    parser.add_argument("--report", type=Path, help="print the report of figures saved with --save, run nothing")
    parser.add_argument(
        "--merge-only", action="store_true", help="with --keep and --save: merge the shard plans kept there again"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--shard", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--files", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "merge":
        print(json.dumps(task_merge(args.rest, args.out)))
        return 0
    if args.worker == "world":
        print(json.dumps(task_world(args.folder, args.state)))
        return 0
    if args.worker == "validate":
        files = json.loads(args.files.read_text()) if args.files else None
        print(json.dumps(task_validate(args.folder, files)))
        return 0
    if args.worker == "shard":
        print(json.dumps(task_shard(args.folder, args.state, Shard.parse(args.shard), args.out)))
        return 0
    if args.report:
        report(json.loads(args.report.read_text(encoding="utf-8")))
        return 0

    header = (
        f"cspsync shard benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"{args.customers:,} customers in {args.shards} shards, {args.parallel} shard process(es) at a time"
    )
    print(header, flush=True)
    base = args.keep or Path(tempfile.mkdtemp(prefix="shards-bench-"))
    saved: dict[str, Any] = {"header": header, "customers": args.customers, "parallel": args.parallel}

    def save() -> None:
        if args.save:
            args.save.write_text(json.dumps(saved, indent=1), encoding="utf-8")

    def progress(text: str, started: float) -> None:
        print(f"  {text}: done in {time.perf_counter() - started:.0f} s", flush=True)

    if args.merge_only:
        saved = json.loads(args.save.read_text(encoding="utf-8"))
        saved["merge"] = merge([base / f"plan-{i}.json" for i in range(1, args.shards + 1)], base / "merged")
        save()
        report(saved)
        return 0
    try:
        folder, world = base / "portfolio", base / "world"
        started = time.perf_counter()
        portfolio.write_files(folder, args.customers, args.seed)
        progress(f"{args.customers:,} customer files", started)
        started = time.perf_counter()
        saved["world"] = run_worker(["--worker", "world", "--folder", str(folder), "--state", str(world)])
        progress("emulator world", started)
        started = time.perf_counter()
        saved["validate_all"] = run_worker(["--worker", "validate", "--folder", str(folder)])
        progress("validate of every file", started)
        save()

        def one(index: int) -> dict[str, Any]:
            state = base / f"state-{index}"
            shutil.rmtree(state, ignore_errors=True)
            shutil.copytree(world, state)
            out = base / f"plan-{index}.json"
            begun = time.perf_counter()
            result = run_worker(
                [
                    "--worker",
                    "shard",
                    "--folder",
                    str(folder),
                    "--state",
                    str(state),
                    "--shard",
                    f"{index}/{args.shards}",
                    "--out",
                    str(out),
                ]
            )
            listed = base / f"files-{index}.json"
            listed.write_text(json.dumps(result.pop("files")), encoding="utf-8")
            result["validate_s"] = run_worker(
                ["--worker", "validate", "--folder", str(folder), "--files", str(listed)]
            )["validate_s"]
            shutil.rmtree(state, ignore_errors=True)
            progress(f"shard {index}/{args.shards}", begun)
            return result

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            saved["shards"] = list(pool.map(one, range(1, args.shards + 1)))
        saved["matrix_s"] = time.perf_counter() - started
        save()
        started = time.perf_counter()
        plans = [base / f"plan-{index}.json" for index in range(1, args.shards + 1)]
        saved["merge"] = merge(plans, base / "merged")
        progress("merge-plans", started)
        save()
        print()
        report(saved)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
