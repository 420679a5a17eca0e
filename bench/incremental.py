"""Benchmark: a second full plan with nothing changed, against the first (incremental observation, issue 19).

    python bench/incremental.py [--count 10000] [--changed 100]

N generated customer files (bench/portfolio.py) and an in-memory emulator where they all exist; ``cspsync plan``'s
pipeline (``pipeline.plan_for`` with one state folder, as the command runs it) four times:

1. the first plan: nothing remembered, so a full read (it also fills the price-sheet cache);
2. a plan with ``--full-read``: what every plan costs without the memory (the baseline of the ratio);
3. a second plan with nothing changed: the customer list, the audit records since the last plan, and a read of
   only the customers those name (none);
4. after a partner changed ``--changed`` customers' billing profiles: those customers are read again;

and then a plan for apply (``cspsync apply``'s, ``acting``), which reads again every remembered customer it would
change before anything is applied. Printed: calls and wall time of each, the ratio (target < 1 %), and whether
the plans agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import portfolio  # noqa: E402

from cspsync import pipeline  # noqa: E402
from cspsync.emulator import EmulatorApp, transport  # noqa: E402
from cspsync.partnercenter import Limits, PartnerCenterClient, StaticToken  # noqa: E402
from cspsync.plan.model import Plan  # noqa: E402
from cspsync.target import Connection  # noqa: E402
from cspsync.workspace import Workspace  # noqa: E402

BASE_URL = "https://api.partnercenter.microsoft.com"
UNPACED = Limits(requests_per_second=1_000_000.0, burst=1_000_000)


def run(
    made: portfolio.Portfolio, workspace: Workspace, *, full_read: bool = False, acting: bool = False
) -> tuple[Plan, int, dict[str, int], float]:
    """One plan as `cspsync plan` makes it against a fresh emulator app over the same world."""
    app: EmulatorApp = made.app()
    client = PartnerCenterClient(base_url=BASE_URL, transport=transport(app), tokens=StaticToken(), limits=UNPACED)
    connection = Connection("emulator", client, emulator=app)
    with mock.patch.object(pipeline, "connect", lambda *a, **k: connection):
        start = time.perf_counter()
        planned = pipeline.plan_for(
            made.repo,
            made.repo.customers,
            target="emulator",
            workspace=workspace,
            full_scope=True,
            full_read=full_read,
            acting=acting,
        )
        seconds = time.perf_counter() - start
    calls = client.stats.snapshot()["total_calls"]
    client.close()
    return planned.plan, calls, app.request_counts(), seconds


def _line(label: str, plan: Plan, calls: int, seconds: float) -> str:
    read = plan.read
    how = f"{read.mode}: read now {read.read_now:,}, remembered {read.remembered:,}" if read else "-"
    return f"  {label:<26} {calls:>7,} calls  {seconds:7.1f} s  ({how})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=100, help="customers a partner changes before plan 4")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cspsync-bench-incremental-") as tmp:
        made = portfolio.make(Path(tmp), args.count, seed=args.seed)
        workspace = Workspace(Path(tmp) / ".cspsync")
        first, first_calls, _, first_s = run(made, workspace)
        full, full_calls, _, full_s = run(made, workspace, full_read=True)
        time.sleep(1.1)  # the service's Date header has whole seconds: the next plan starts in a later one
        second, calls, by_endpoint, second_s = run(made, workspace)
        found = [c for c in second.customers if c.tenant_id][: args.changed]
        for customer in found:
            assert customer.tenant_id is not None
            tenant = made.store.tenant_by_id(customer.tenant_id)
            assert tenant is not None
            made.store.update_billing(tenant.id, {**tenant.billing, "email": "changed@example.com"})
        time.sleep(1.1)
        changed, changed_calls, _, changed_s = run(made, workspace)
        time.sleep(1.1)
        acting, acting_calls, _, acting_s = run(made, workspace, acting=True)
    same = second.actions_digest == full.actions_digest and second.observed_fingerprint == full.observed_fingerprint
    print(
        f"full plan of {args.count:,} customers, then again with nothing changed ({dt.date.today().isoformat()}, "
        f"{platform.python_version()}, {platform.machine()})"
    )
    print(_line("1 first plan", first, first_calls, first_s))
    print(_line("2 plan --full-read", full, full_calls, full_s))
    print(_line("3 second plan", second, calls, second_s))
    print(f"  second / full-read plan    {calls / full_calls:.4%}  [target < 1 %]")
    print(f"  second / first plan        {calls / first_calls:.4%}")
    print(f"  second plan's calls: {by_endpoint}")
    print(f"  same actions and observed state as the full read: {same}")
    print(_line(f"4 after {len(found)} changed", changed, changed_calls, changed_s))
    ready = len({a.customer for a in acting.actions if a.status == "ready"})
    print(_line("5 plan for apply", acting, acting_calls, acting_s))
    print(f"  the plan for apply read again the {ready:,} customer(s) it would change (never acted on memory)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
