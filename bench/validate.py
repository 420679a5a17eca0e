"""Benchmark: `cspsync validate` against check-jsonschema on the same generated customer files.

    python bench/validate.py [--count 10000] [--repeat 3]

Generates COUNT realistic, valid customer files (six countries, all three tenant modes, Azure plans and
license offers, resellers) plus a cspsync.yaml in a temporary folder, then times, REPEAT times each:

- ``python -m cspsync validate customers`` (schema, rules across files, line numbers for problems), and
- ``check-jsonschema --schemafile schemas/customer.schema.json FILES...`` (the schema only),

both in a fresh process, and prints the medians and their ratio. Both must report every file valid.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    last = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or [""])[-1]
    return elapsed, done.returncode, last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="customer files to generate (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool; the median is reported")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if not CHECK_JSONSCHEMA.exists():
        print(f"check-jsonschema not found next to {sys.executable}", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="cspsync-bench-"))
    try:
        files = generate(folder, args.count, args.seed)
        size = sum((folder / f).stat().st_size for f in files)
        print(f"{args.count} customer files, {size / args.count / 1024:.2f} KiB each on average, in {folder}")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        env.pop("GITHUB_ACTIONS", None)
        tools = {
            "cspsync validate": [sys.executable, "-m", "cspsync", "validate", "customers"],
            "check-jsonschema": [
                str(CHECK_JSONSCHEMA),
                "--schemafile",
                str(ROOT / "schemas" / "customer.schema.json"),
                *files,
            ],
        }
        medians = {}
        for label, command in tools.items():
            runs = []
            for _ in range(args.repeat):
                elapsed, code, last = timed(command, folder, env)
                runs.append(elapsed)
                if code != 0:
                    print(f"  {label} exited {code}: {last}", file=sys.stderr)
            medians[label] = statistics.median(runs)
            print(f"{label:18} median {medians[label]:7.2f} s  runs {', '.join(f'{r:.2f}' for r in runs)}  ({last})")
        ratio = medians["check-jsonschema"] / medians["cspsync validate"]
        print(f"cspsync validate is {ratio:.1f}x faster than check-jsonschema on {args.count} files")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
