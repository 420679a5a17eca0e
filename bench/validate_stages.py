"""Where one customer file's check goes, stage by stage, in one process: the per-file half of `cspsync validate`.

    python bench/validate_stages.py --count 5000 [--repeat 3]

Generates ``--count`` files (bench/validate.py's generator), then, in a fresh process per run (so caches
start cold, as in ``cspsync validate``), times each stage of :func:`cspsync.declarations.repository.
_check_customer` over every file: reading and parsing (yaml-rs), the raw-data rules, the schema
(jsonschema-rs), the model (pydantic), the rules on the model (once as they are, once with phone numbers
left out, which tells their share), the sandbox and pricebook rules and the natural keys. Prints the
median microseconds per file of each. What the numbers are for: ``cspsync validate`` of 10,000 files runs
two halves of ~5,000 files in parallel after ~0.25 s of imports and set-up, so 50x check-jsonschema (0.66 s)
needs the per-file sum here at or under ~80 us.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
STAGES = ("read", "raw", "schema", "model", "rules", "sandbox", "pricing", "claims")


def measure(folder: Path, count: int, phones: bool) -> dict[str, float]:
    """Microseconds per file of each stage over the first ``count`` files under ``folder``."""
    from cspsync.declarations import repository, rules
    from cspsync.declarations.keys import claims_of
    from cspsync.declarations.load import read_document
    from cspsync.declarations.models import CustomerFile
    from cspsync.declarations.pricebook_rules import load_pricing
    from cspsync.declarations.sandbox_rules import sandbox_file_findings
    from cspsync.declarations.schema import is_valid

    if not phones:
        rules.phone_problem = lambda number, country: None  # type: ignore[assignment]
    gc.disable()  # as the check runs (cspsync.collector.collector_paused)
    files = repository.customer_files([folder], folder / "cspsync.yaml")[:count]
    config, _ = repository._check_config(folder / "cspsync.yaml")
    pricing, _ = load_pricing(folder)
    today = dt.date.today()
    spent = dict.fromkeys(STAGES, 0.0)
    for path in files:
        started = time.perf_counter()
        document = read_document(path, str(path))
        assert not isinstance(document, list), document
        read = time.perf_counter()
        list(rules.raw_findings(document.data))
        raw = time.perf_counter()
        is_valid("customer", document.data)
        schema = time.perf_counter()
        customer = CustomerFile.model_validate(document.data)
        model = time.perf_counter()
        list(rules.customer_findings(customer, config, today=today))
        ruled = time.perf_counter()
        list(sandbox_file_findings(config, customer))
        sandboxed = time.perf_counter()
        list(pricing.findings(customer))
        priced = time.perf_counter()
        claims_of(customer)
        done = time.perf_counter()
        marks = (started, read, raw, schema, model, ruled, sandboxed, priced, done)
        for stage, before, after in zip(STAGES, marks[:-1], marks[1:], strict=True):
            spent[stage] += after - before
    return {stage: seconds / len(files) * 1e6 for stage, seconds in spent.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--worker", nargs=2, metavar=("FOLDER", "PHONES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(Path(args.worker[0]), args.count, args.worker[1] == "yes")))
        return 0
    sys.path.insert(0, str(BENCH))
    from validate import generate

    with tempfile.TemporaryDirectory(prefix="cspsync-bench-") as tmp:
        folder = Path(tmp)
        generate(folder, args.count, args.seed)
        runs: dict[str, list[dict[str, float]]] = {"with phone numbers": [], "phone numbers left out": []}
        for _ in range(args.repeat):
            for label, phones in (("with phone numbers", "yes"), ("phone numbers left out", "no")):
                command = [sys.executable, __file__, "--count", str(args.count), "--worker", str(folder), phones]
                done = subprocess.run(command, check=True, capture_output=True, text=True)
                runs[label].append(json.loads(done.stdout))
    print(f"{args.count} customer files, one process, cold caches; microseconds per file, medians of {args.repeat}")
    for label, measured in runs.items():
        medians = {stage: statistics.median(run[stage] for run in measured) for stage in STAGES}
        shown = "  ".join(f"{stage} {value:5.1f}" for stage, value in medians.items())
        print(f"{label:<24} {shown}  sum {sum(medians.values()):6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
