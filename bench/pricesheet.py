"""Benchmark: stream-parse a license-based price sheet and keep only the rows a plan needs.

    python bench/pricesheet.py [--rows 500000] [--wanted 12] [--repeat 3]

A real ``updatedlicensebased`` sheet is tens of megabytes: Partner Center's published response example
for the US market has ``Content-Length: 42180180`` (about 150,000 rows of ~280 bytes), and sheets have
grown since. This generates sheets of ROWS/10, ROWS/4, ROWS/2 and ROWS rows in the published format
(quoted CSV, the published columns, realistic titles and descriptions), plain and zipped, holding the
same WANTED keys a plan asks for, and prints for each: the file size, the median parse time (REPEAT
runs), the time per 100,000 rows and the peak of Python memory (tracemalloc) during the parse.

What should hold: peak memory stays flat however many rows are not needed (only wanted rows are kept),
and time grows linearly with the file (each row is read once), i.e. time per 100,000 rows stays flat.
For contrast, the smallest sheet is also read the naive way (every row kept as a dict).
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cspsync.declarations.pricebooks import OfferKey  # noqa: E402
from cspsync.pricing.pricesheet import COLUMNS, parse_sheet  # noqa: E402

TERMS = (("P1M", "Monthly"), ("P1Y", "Monthly"), ("P1Y", "Annual"), ("P3Y", "Monthly"), ("P3Y", "Annual"),
         ("P3Y", "Triennial"))  # fmt: skip
WORDS = [
    "Microsoft",
    "365",
    "Dynamics",
    "Power",
    "Teams",
    "Copilot",
    "Defender",
    "Entra",
    "Intune",
    "Project",
    "Visio",
    "Exchange",
    "SharePoint",
    "Business",
    "Enterprise",
    "Premium",
    "Standard",
    "Basic",
    "Plan",
    "Add-on",
]


def _product_id(n: int) -> str:
    alphabet = "0123456789BCDFGHJKLMNPQRSTVWXZ"
    text = ""
    for _ in range(4):
        n, digit = divmod(n, len(alphabet))
        text += alphabet[digit]
    return "CFQ7TTC0" + text


def generate(path: Path, rows: int, wanted: list[OfferKey], *, seed: int = 7) -> None:
    """A sheet of ``rows`` rows whose ``wanted`` keys sit spread through the file."""
    rng = random.Random(seed)
    titles = [" ".join(rng.choice(WORDS) for _ in range(4)) for _ in range(997)]
    texts = [" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(991)]
    prices = [f"{rng.uniform(1, 60):.2f}" for _ in range(983)]
    positions = {int(rows * (i + 1) / (len(wanted) + 1)): key for i, key in enumerate(wanted)}
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for index in range(rows):
            key = positions.get(index)
            if key is None:
                term, billing = TERMS[index % len(TERMS)]
                key = OfferKey(_product_id(1000 + index // 24), f"{(index // 6) % 4 + 1:04d}", term, billing)
            title, price = titles[index % len(titles)], prices[index % len(prices)]
            described = f"{title}: {texts[index % len(texts)]}"
            billing = key.billing_cycle.capitalize()
            fields = [title, key.product_id, key.sku_id, title, "Microsoft Corporation", described, "1 License"]
            fields += [key.term, billing, "US", "USD", price, "", "", "11/1/2026 12:00:00 AM", "", "License", price]
            writer.writerow(fields)


def zip_copy(path: Path) -> Path:
    target = path.with_suffix(".zip")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, "sheets.csv")
    return target


def timed(path: Path, wanted: list[OfferKey], repeat: int) -> tuple[float, int]:
    seconds = []
    found = 0
    for _ in range(repeat):
        started = time.perf_counter()
        index = parse_sheet(path, "US", wanted)
        seconds.append(time.perf_counter() - started)
        found = sum(len(rows) for rows in index.rows.values())
    return statistics.median(seconds), found


def peak_memory(path: Path, wanted: list[OfferKey] | None, *, naive: bool = False) -> int:
    tracemalloc.start()
    try:
        if naive:
            with path.open(encoding="utf-8", newline="") as text:
                kept = list(csv.DictReader(text))
            assert kept
        else:
            parse_sheet(path, "US", wanted)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--wanted", type=int, default=12, help="keys the plan needs (rows kept)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    wanted = [OfferKey(_product_id(i), "0001", "P1Y", "monthly") for i in range(args.wanted)]
    sizes = sorted({max(1, args.rows // 10), max(1, args.rows // 4), max(1, args.rows // 2), args.rows})
    print(f"python {sys.version.split()[0]}; {args.wanted} wanted keys; median of {args.repeat} runs")
    print(f"{'rows':>9} {'kind':>6} {'MiB':>8} {'parse s':>8} {'s/100k rows':>12} {'peak KiB':>9} {'kept':>5}")
    with tempfile.TemporaryDirectory(prefix="cspsync-bench-") as folder:
        for rows in sizes:
            plain = Path(folder) / f"US-{rows}.csv"
            generate(plain, rows, wanted)
            packed = zip_copy(plain)
            for kind, path in (("csv", plain), ("zip", packed)):
                seconds, kept = timed(path, wanted, args.repeat)
                peak = peak_memory(path, wanted)
                size = path.stat().st_size / 2**20
                print(
                    f"{rows:>9,} {kind:>6} {size:>8.1f} {seconds:>8.2f} {seconds / rows * 100_000:>12.3f} "
                    f"{peak / 1024:>9.0f} {kept:>5}"
                )
            if rows == sizes[0]:
                naive = peak_memory(plain, None, naive=True)
                print(f"{rows:>9,} {'naive':>6} {'':>8} {'':>8} {'':>12} {naive / 1024:>9.0f}   (every row kept)")
            packed.unlink()
            plain.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
