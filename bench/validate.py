"""Benchmark: `cspsync validate` against check-jsonschema and against the floor, on the same generated files.

    python bench/validate.py [--count 10000] [--repeat 5] [--repeat-check 1]

Generates COUNT realistic, valid customer files (six countries, all three tenant modes, Azure plans and
license offers, resellers) plus a cspsync.yaml in a temporary folder, then times, each in a fresh process
(interpreter start and imports included), in rounds so that a busy machine slows all three alike:

- ``python -m cspsync validate customers`` (schema, rules per file and across files, line numbers for
  problems), REPEAT times;
- the floor, ``python bench/validate_floor.py``: yaml-rs parses each file, its dates become ISO text and
  jsonschema-rs checks it against schemas/ (nothing else), REPEAT times;
- ``check-jsonschema --schemafile schemas/customer.schema.json FILES...`` (the schema only), REPEAT-CHECK
  times (about 95 s a run at 10,000 files).

It prints the median wall time and the median CPU time (user + system) of each, and the ratios against
issue 19's targets: at least 50x faster than check-jsonschema, at most 2.0x the floor. All three must
report every file valid.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")

# country -> culture, language, city, postal code, street, phone prefix (a real, valid number range)
COUNTRIES = {
    "GB": ("en-GB", "en", "London", "EC1A 1BB", "{n} High Street", "+44 20 7946 0{d:03d}"),
    "IE": ("en-IE", "en", "Dublin", "D02 Y754", "{n} Harcourt Street", "+353 1 555 0{d:03d}"),
    "NO": ("nb-NO", "nb", "Oslo", "0154", "Karl Johans gate {n}", "+47 22 12 3{d:03d}"),
    "DE": ("de-DE", "de", "Berlin", "10117", "Friedrichstraße {n}", "+49 30 1234 5{d:03d}"),
    "NL": ("nl-NL", "nl", "Amsterdam", "1017 CB", "Herengracht {n}", "+31 20 794 5{d:03d}"),
    "FR": ("fr-FR", "fr", "Paris", "75002", "{n} rue de la Paix", "+33 1 23 45 6{d:03d}"),
}
LEGAL = {"GB": "Ltd", "IE": "Ltd", "NO": "AS", "DE": "GmbH", "NL": "BV", "FR": "SARL"}
TLD = {"GB": "co.uk", "IE": "ie", "NO": "no", "DE": "de", "NL": "nl", "FR": "fr"}
WORDS = [
    "Alpine",
    "Blue",
    "Coho",
    "Contoso",
    "Fabrikam",
    "Fourth",
    "Litware",
    "Margie",
    "Northwind",
    "Proseware",
    "Tailspin",
    "Wide",
    "Woodgrove",
    "Adventure",
    "Lucerne",
    "Datum",
    "Humongous",
    "Wingtip",
    "Trey",
    "Relecloud",
]
NOUNS = [
    "Bikes",
    "Coffee",
    "Travel",
    "Insurance",
    "Toys",
    "Bank",
    "Foods",
    "Works",
    "Studios",
    "Labs",
    "Energy",
    "Logistics",
    "Media",
    "Health",
    "Systems",
]
FIRST = ["Amelia", "Ingrid", "Jonas", "Siobhan", "Daan", "Camille", "Fraser", "Noah", "Maja", "Lucas", "Emma", "Liam"]
LAST = ["Hughes", "Solberg", "Becker", "Murphy", "de Vries", "Laurent", "McLeod", "Berg", "Jansen", "Moreau"]
LICENSES = [
    ("CFQ7TTC0LH18", "0001"),
    ("CFQ7TTC0LDPB", "0001"),
    ("CFQ7TTC0LCHC", "0002"),
    ("CFQ7TTC0LF8Q", "0001"),
    ("CFQ7TTC0LFLX", "0001"),
]

CONFIG = """\
apiVersion: cspsync.io/v1
kind: Config
partner:
  name: Fabrikam Cloud Distribution
  tenantId: 6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b
  mpnId: "4512345"
  model: indirect-provider
  resellers:
    - name: Northwind Traders IT
      tenantId: 9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d
markets: [GB, IE, NO, DE, NL, FR]
naming:
  subscriptionPattern: '^[a-z0-9]+-[a-z0-9]+-[a-z0-9-]{2,24}$'
credentials:
  ageRecipients:
    - age1lpkwk9hjx7l8vyfmkepfmmcnrulum6xhskmhqe8q0vnxuzgteqxs0y05cf
"""


def customer(index: int, rng: random.Random) -> str:
    """One valid customer file of about 1.2 KiB, unique in name, company, domain and tenant."""
    country = rng.choice(list(COUNTRIES))
    culture, language, city, postal, street, phone_format = COUNTRIES[country]
    company = f"{rng.choice(WORDS)} {rng.choice(NOUNS)} {index:05d}"
    slug = company.lower().replace(" ", "-")
    compact = slug.replace("-", "")  # at most 23 characters: a valid domain prefix
    domain = f"{compact}.{TLD[country]}"
    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = f"{first.lower()}.{last.lower().replace(' ', '')}@{domain}"
    phone = phone_format.format(d=rng.randrange(1000))
    reseller = rng.random() < 0.3
    seller = "northwind" if reseller else "fabrikam"
    mode = rng.choice(["create", "create", "invite", "existing"])
    if mode == "create":
        tenant = f"    mode: create\n    domainPrefix: {compact}\n"
    elif mode == "invite":
        tenant = f"    mode: invite\n    domain: {domain}\n    invitationEmail: admin@{domain}\n"
    else:
        tenant = f"    mode: existing\n    tenantId: {uuid.UUID(int=rng.getrandbits(128), version=4)}\n"
    country_line = f"      country: {country}\n"
    subscriptions = f"    - friendlyName: {seller}-{compact}-azure\n      offer: azure-plan\n"
    for number, (product, sku) in enumerate(rng.sample(LICENSES, rng.randrange(0, 3))):
        term = rng.choice(["P1M", "P1Y"])
        subscriptions += (
            f"    - friendlyName: {seller}-{compact}-lic{number}\n"
            f'      offer:\n        productId: {product}\n        skuId: "{sku}"\n'
            f"      quantity: {rng.randrange(1, 300)}\n      term: {term}\n      billingCycle: monthly\n"
        )
    return (
        "# yaml-language-server: $schema=../../schemas/customer.schema.json\n"
        "apiVersion: cspsync.io/v1\nkind: Customer\nmetadata:\n"
        f"  name: {slug}\n  labels:\n    segment: bench\n"
        "spec:\n  company:\n"
        f"    name: {company} {LEGAL[country]}\n    billingEmail: billing@{domain}\n"
        f"    culture: {culture}\n    language: {language}\n"
        f"    address:\n      addressLine1: {street.format(n=index % 200 + 1)}\n      city: {city}\n"
        f'      postalCode: "{postal}"\n{country_line}'
        f"    primaryContact:\n      firstName: {first}\n      lastName: {last}\n      email: {email}\n"
        f'      phone: "{phone}"\n'
        f"  tenant:\n{tenant}"
        + ("  reseller: Northwind Traders IT\n" if reseller else "")
        + f"  agreement:\n    acceptedBy:\n      firstName: {first}\n      lastName: {last}\n      email: {email}\n"
        f'    dateAgreed: "2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"\n'
        f"  subscriptions:\n{subscriptions}"
    )


def generate(folder: Path, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    (folder / "cspsync.yaml").write_text(CONFIG, encoding="utf-8")
    customers = folder / "customers"
    customers.mkdir()
    names = []
    for index in range(count):
        name = f"customers/c{index:05d}.yaml"
        (folder / name).write_text(customer(index, rng), encoding="utf-8")
        names.append(name)
    return names


@dataclass
class Run:
    wall: float
    cpu: float  # user + system of the child process
    code: int
    last: str  # the last line it printed


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or [""])[-1]
    return Run(wall, cpu, done.returncode, last)


def median(runs: list[Run], field: str) -> float:
    return float(statistics.median(getattr(run, field) for run in runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="customer files to generate (default 10000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of cspsync validate and of the floor (median)")
    parser.add_argument(
        "--repeat-check", type=int, default=None, help="runs of check-jsonschema (default: --repeat; 0: skip it)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if not CHECK_JSONSCHEMA.exists():
        print(f"check-jsonschema not found next to {sys.executable}", file=sys.stderr)
        return 1
    repeat_check = args.repeat if args.repeat_check is None else args.repeat_check
    folder = Path(tempfile.mkdtemp(prefix="cspsync-bench-"))
    try:
        files = generate(folder, args.count, args.seed)
        size = sum((folder / f).stat().st_size for f in files)
        print(f"{args.count} customer files, {size / args.count / 1024:.2f} KiB each on average, in {folder}")
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}")
        # no empty entry: it would put the working folder (the generated files) on the import path
        python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": python_path}
        env.pop("GITHUB_ACTIONS", None)
        schemas = ROOT / "schemas"
        tools = {
            "cspsync validate": ([sys.executable, "-m", "cspsync", "validate", "customers"], args.repeat),
            "floor": ([sys.executable, str(ROOT / "bench" / "validate_floor.py"), ".", str(schemas)], args.repeat),
            "check-jsonschema": (
                [str(CHECK_JSONSCHEMA), "--schemafile", str(schemas / "customer.schema.json"), *files],
                repeat_check,
            ),
        }
        runs: dict[str, list[Run]] = {label: [] for label in tools}
        failed = False
        for round_ in range(max(args.repeat, repeat_check)):
            for label, (command, times) in tools.items():
                if round_ >= times:
                    continue
                run = timed(command, folder, env)
                runs[label].append(run)
                if run.code != 0:
                    failed = True
                    print(f"  {label} exited {run.code}: {run.last}", file=sys.stderr)
        for label, done in list(runs.items()):
            if not done:
                del runs[label]
                print(f"{label:17} not run (--repeat-check 0)")
                continue
            walls = ", ".join(f"{r.wall:.2f}" for r in done)
            print(
                f"{label:17} median {median(done, 'wall'):6.2f} s wall, {median(done, 'cpu'):6.2f} s CPU"
                f"  runs {walls}  ({done[-1].last})"
            )
        ours, floor, check = (runs.get(label, []) for label in ("cspsync validate", "floor", "check-jsonschema"))
        for field in ("wall", "cpu"):
            faster = f"{median(check, field) / median(ours, field):5.1f}x" if check else "  (not run)"
            of_floor = median(ours, field) / median(floor, field)
            print(
                f"{field:4}: {faster} faster than check-jsonschema [target >= 50]; "
                f"{of_floor:4.2f}x the floor [target <= 2.0]"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
