"""The parts of a plan's local work timed on their own: one observation of N customers is made (the emulator
in this process), then ``make_plan`` and the two renderings run again on it, ``--repeat`` times each.

Where ``bench/plan.py`` times a whole plan step by step, this isolates the CPU-bound parts from the reads, for
trying a change to the planner or a renderer in a minute: ``python bench/local_parts.py --count 10000``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import plan as bench_plan  # noqa: E402  (bench/plan.py: the world and the timers)
import portfolio  # noqa: E402

from cspsync import pipeline  # noqa: E402
from cspsync.plan import build  # noqa: E402
from cspsync.render import render  # noqa: E402
from cspsync.workspace import Workspace  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cspsync-bench-") as tmp:
        folder = Path(tmp)
        portfolio.write_files(folder, args.count, args.seed)
        started = time.perf_counter()
        repo = portfolio.load(folder)
        load = time.perf_counter() - started
        world = bench_plan.InProcessWorld(repo)
        captured: dict[str, Any] = {}
        make_plan = build.make_plan

        def capture(*a: Any, **k: Any) -> Any:
            captured["call"] = (a, k)
            return make_plan(*a, **k)

        client = world.client()
        setattr(pipeline, "make_plan", capture)  # noqa: B010 (restored below)
        try:
            with bench_plan.planning_against(world.app, client, bench_plan.Timers()):
                planned = pipeline.plan_for(
                    repo, repo.customers, target="emulator", workspace=Workspace(folder / ".ws"),
                    full_scope=True, full_read=True,
                )  # fmt: skip
        finally:
            setattr(pipeline, "make_plan", make_plan)  # noqa: B010
        call_args, call_kwargs = captured["call"]
        runs: dict[str, list[float]] = {"make_plan": [], "text": [], "markdown": []}
        for _ in range(args.repeat):
            started = time.perf_counter()
            make_plan(*call_args, **call_kwargs)
            runs["make_plan"].append(time.perf_counter() - started)
            started = time.perf_counter()
            bench_plan.write_text(planned.plan)
            runs["text"].append(time.perf_counter() - started)
            started = time.perf_counter()
            render(planned.plan, "markdown")
            runs["markdown"].append(time.perf_counter() - started)
        client.close()
        world.close()
    print(f"{args.count:,} customers, {len(planned.plan.actions):,} actions; load {load:.2f} s (one run)")
    for name, values in runs.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"{name:<10} median {statistics.median(values):5.2f} s  runs {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
