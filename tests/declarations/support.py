"""Shared test data: a valid customer, the example config, and a repository in a tmp_path folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cspsync.declarations import Problem, validate

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
TODAY = dt.date(2026, 11, 26)

# A valid customer; test cases edit it. Line numbers matter: the cases assert them.
CUSTOMER = """\
apiVersion: cspsync.io/v1
kind: Customer
metadata:
  name: contoso-bikes
spec:
  company:
    name: Contoso Bikes Ltd
    billingEmail: accounts@contosobikes.co.uk
    culture: en-GB
    language: en
    address:
      addressLine1: 1 Wheel Street
      city: Bristol
      postalCode: BS1 4DJ
      country: GB
    primaryContact:
      firstName: Amelia
      lastName: Hughes
      email: amelia.hughes@contosobikes.co.uk
      phone: "+44 117 496 0123"
  tenant:
    mode: create
    domainPrefix: contosobikes
  agreement:
    acceptedBy:
      firstName: Amelia
      lastName: Hughes
      email: amelia.hughes@contosobikes.co.uk
    dateAgreed: "2026-10-01"
  subscriptions:
    - friendlyName: fabrikam-contosobikes-azure
      offer: azure-plan
    - friendlyName: fabrikam-contosobikes-m365bp
      offer:
        productId: CFQ7TTC0LCHC
        skuId: "0002"
      quantity: 12
      term: P1Y
"""

CONFIG = (EXAMPLES / "cspsync.yaml").read_text(encoding="utf-8")


def edit(text: str, old: str, new: str) -> str:
    """``text`` with the one occurrence of ``old`` replaced (fails loudly if the base text changed)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


class Repo:
    """Files under a tmp_path working folder; problems are named relative to it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.write("cspsync.yaml", CONFIG)

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return Path(name)

    def problems(self, *paths: str, today: dt.date = TODAY) -> list[str]:
        _, problems = validate([Path(p) for p in paths or ("customers",)], today=today)
        return [str(p) for p in problems]

    def check(self, *paths: str, today: dt.date = TODAY) -> list[Problem]:
        return validate([Path(p) for p in paths or ("customers",)], today=today)[1]
