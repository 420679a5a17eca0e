"""Benchmark: an apply under the emulator's throttle and 5xx errors, wall time against calls / allowed rate.

    python bench/throttle.py [--customers 200] [--rate 5] [--error-rate 0.2] [--workers 8] [--fixed]

A first-apply portfolio (bench/portfolio.py: the create-mode customers do not exist yet) is planned against
an unthrottled emulator, then applied with ``--workers`` threads against the same emulator store throttled
to ``--rate`` requests per second (a token bucket, burst 10, 429 + Retry-After as ``cspsync emulator
--throttle-rate``) with ``--error-rate`` of its requests answered 500/503. The client does not know the
rate: it starts at its default ceiling (10 per second) and learns (cspsync/partnercenter/throttle.py);
``--fixed`` runs the old fixed-rate limiter for comparison.

The floor is the requests the service accepted (every request but the 429s: 5xx answers cost the service
a token too) divided by the rate; the figure is wall time / floor, the target at most 1.10, with no action
given up.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import portfolio  # noqa: E402

from cspsync.apply.run import Applier  # noqa: E402
from cspsync.emulator import Faults, transport  # noqa: E402
from cspsync.partnercenter import Limits, PartnerCenterClient, StaticToken  # noqa: E402
from cspsync.pipeline import observe_and_plan  # noqa: E402
from cspsync.workspace import Workspace  # noqa: E402

BASE_URL = "https://api.partnercenter.microsoft.com"
UNPACED = Limits(requests_per_second=1_000_000.0, burst=1_000_000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=200, help="customer files (200 give ~700 actions)")
    parser.add_argument("--rate", type=float, default=5.0, help="the emulator's throttle, requests per second")
    parser.add_argument("--burst", type=int, default=10, help="the emulator's throttle burst")
    parser.add_argument("--error-rate", type=float, default=0.2, help="share of requests answered 500/503")
    parser.add_argument("--workers", type=int, default=8, help="apply workers")
    parser.add_argument("--fixed", action="store_true", help="the fixed-rate limiter (10/s) instead")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cspsync-bench-throttle-") as tmp:
        folder = Path(tmp)
        made = portfolio.make(folder, args.customers, seed=args.seed, first_apply=True)
        workspace = Workspace(folder / ".cspsync")
        os.chdir(folder)  # the credentials directory is relative to the working folder
        planner = PartnerCenterClient(
            base_url=BASE_URL, transport=transport(made.app()), tokens=StaticToken(), limits=UNPACED
        )
        plan = observe_and_plan(
            made.repo, made.repo.customers, planner, target="emulator", workspace=workspace, full_scope=True
        )
        planner.close()
        ready = sum(1 for a in plan.actions if a.status == "ready")

        faults = Faults(seed=7, throttle_rate=args.rate, throttle_burst=args.burst, error_rate=args.error_rate)
        app = made.app(faults)
        limits = Limits(adaptive=not args.fixed)
        client = PartnerCenterClient(base_url=BASE_URL, transport=transport(app), tokens=StaticToken(), limits=limits)
        start = time.perf_counter()
        record = Applier(plan, made.repo, client, workspace, workers=args.workers).run()
        wall = time.perf_counter() - start
        stats = client.stats.snapshot()
        client.close()

    accepted = stats["requests"] - stats["throttles"]
    floor = accepted / args.rate
    counts = record.counts()
    print(
        f"apply of {ready} actions ({args.customers} customers), {args.workers} workers, emulator throttle "
        f"{args.rate:g}/s burst {args.burst}, error rate {args.error_rate:g}, "
        f"limiter {'fixed 10/s' if args.fixed else 'adaptive (ceiling 10/s)'}"
    )
    print(f"  outcome            {counts}")
    print(f"  logical calls      {stats['total_calls']:,}")
    print(
        f"  HTTP requests      {stats['requests']:,} ({stats['throttles']:,} answered 429, "
        f"{stats['retries']:,} retries)"
    )
    print(f"  accepted requests  {accepted:,}; floor = accepted / rate = {floor:.1f} s")
    print(f"  wall time          {wall:.1f} s; wall / floor = {wall / floor:.3f}  [target <= 1.10]")
    print(f"  learnt rate        {stats['rate']}")
    gave_up = sum(n for outcome, n in counts.items() if outcome not in ("done", "skipped"))
    print(f"  actions not done   {gave_up}  [target 0]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
