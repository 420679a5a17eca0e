"""Benchmark: a second drift with nothing changed, against the first (incremental observation, issue 19).

    python bench/drift.py [--count 10000]

N generated customer files (bench/portfolio.py) and an in-memory emulator where they all exist; ``cspsync
drift``'s detection (``gitops.drift.detect``, as the command runs it) twice with one state folder, nothing
changed in between. The first run reads everything (nothing remembered); the second reads the customer list
and the audit records since the first, and re-reads only the customers those name (none). Printed: calls of
each run, their ratio (target < 1 %), wall time of each, and whether both reports agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import portfolio  # noqa: E402

from cspsync.emulator import transport  # noqa: E402
from cspsync.gitops.drift import DriftReport, detect  # noqa: E402
from cspsync.partnercenter import Limits, PartnerCenterClient, StaticToken  # noqa: E402
from cspsync.workspace import Workspace  # noqa: E402

BASE_URL = "https://api.partnercenter.microsoft.com"
UNPACED = Limits(requests_per_second=1_000_000.0, burst=1_000_000)


def run(made: portfolio.Portfolio, workspace: Workspace) -> tuple[DriftReport, int, dict[str, int], float]:
    app = made.app()
    client = PartnerCenterClient(base_url=BASE_URL, transport=transport(app), tokens=StaticToken(), limits=UNPACED)
    start = time.perf_counter()
    report = detect(made.repo, made.repo.customers, client, target="emulator", workspace=workspace)
    seconds = time.perf_counter() - start
    calls = client.stats.snapshot()["total_calls"]
    client.close()
    return report, calls, app.request_counts(), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cspsync-bench-drift-") as tmp:
        made = portfolio.make(Path(tmp), args.count, seed=args.seed)
        workspace = Workspace(Path(tmp) / ".cspsync")
        first, first_calls, _, first_s = run(made, workspace)
        time.sleep(1.1)  # the service's Date header has whole seconds: the second run starts in a later one
        second, calls, by_endpoint, second_s = run(made, workspace)
    states = [(c.name, c.state) for c in first.customers] == [(c.name, c.state) for c in second.customers]
    note = second.read_note
    first_mode = first.read_note.mode if first.read_note else "-"
    second_mode = f"{note.mode}: {note.reason}" if note else "-"
    print(f"drift of {args.count:,} customers twice, nothing changed in between ({dt.date.today().isoformat()})")
    print(f"  first drift    {first_calls:>7,} calls  {first_s:7.1f} s  ({first_mode})")
    print(f"  second drift   {calls:>7,} calls  {second_s:7.1f} s  ({second_mode})")
    print(f"  second / first {calls / first_calls:.4%}  [target < 1 %]")
    print(f"  second drift's calls: {by_endpoint}")
    if note is not None:
        print(
            f"  read now {note.read_now:,}; confirmed by the first run's read {note.remembered:,} ({note.oldest_read})"
        )
    print(f"  same states in both reports: {states}; exit codes {first.exit_code}, {second.exit_code}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
