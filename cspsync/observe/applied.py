"""What this repository's applies remember about identity: the apply records read back (local state, read
next to Partner Center's like the invitations ledger).

Partner Center cannot say which of the partner's customers cspsync created from which file, so the apply
records (``applies/`` of the state folder, which CI hands from one run to the next) are the evidence:

- **created**: a create-customer action of this customer that Partner Center answered (its tenant id);
- **adopted**: an adopt-customer action that ran, after a reviewer saw it in a plan;
- **intents**: creates whose outcome no record knows: the intent is written, fsynced, *before* the create
  call, so a create that was killed or timed out leaves one. Only such an intent (with a company name and
  billing e-mail that match) lets a create-mode file adopt the customer it finds at its domain;
- **lost**: one-time admin passwords that were never stored, until ``cspsync credentials reset`` stores a
  new one.

The records of other targets or partner tenants are ignored; the newest record wins for each customer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cspsync.declarations.keys import tenant_key
from cspsync.secrets import credentials_directory, stored_tenants

if TYPE_CHECKING:
    from cspsync.declarations import Repository
    from cspsync.observe.state import Observation
    from cspsync.workspace import Workspace

_CAMEL = re.compile(r"(?<=[a-z])([A-Z])")


def snake_keys(document: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys of an apply record (or of one of its actions) in snake_case: format 1.0 wrote camelCase."""
    return {_CAMEL.sub(lambda m: "_" + m.group(1).lower(), str(k)): v for k, v in document.items()}


CREATE = "create-customer"
ADOPT = "adopt-customer"
RESET = "reset-password"


@dataclass(frozen=True)
class CreateIntent:
    """A create-customer call this repository started and whose answer was never recorded."""

    customer: str
    domain: str
    company_name: str
    billing_email: str
    started_at: str
    record: str


@dataclass(frozen=True)
class LostPassword:
    customer: str
    domain: str
    tenant_id: str | None
    since: str
    record: str


@dataclass
class AppliedIdentities:
    created: dict[str, str] = field(default_factory=dict)  # customer -> tenant id
    adopted: dict[str, str] = field(default_factory=dict)  # customer -> tenant id
    intents: dict[str, CreateIntent] = field(default_factory=dict)
    lost: dict[str, LostPassword] = field(default_factory=dict)
    #: records that could not be read (reported, never taken as "nothing was applied")
    problems: list[str] = field(default_factory=list)

    def proves(self, customer: str, tenant_id: str) -> bool:
        """True when an apply of this repository created or adopted ``tenant_id`` for ``customer``."""
        wanted = tenant_key(tenant_id)
        return wanted in (tenant_key(self.created.get(customer)), tenant_key(self.adopted.get(customer)))

    def tenant_of(self, customer: str) -> str | None:
        return self.adopted.get(customer) or self.created.get(customer)

    def customers_of(self, tenant_id: str) -> dict[str, str]:
        """The customers (by metadata.name) an apply created or adopted ``tenant_id`` for, with the verb: a
        file whose metadata.name changed is found here under its old name."""
        wanted = tenant_key(tenant_id)
        found = {c: "adopted" for c, t in self.adopted.items() if tenant_key(t) == wanted}
        found.update({c: "created" for c, t in self.created.items() if tenant_key(t) == wanted})
        return found


def _intent(customer: str, details: dict[str, Any], when: str, record: str) -> CreateIntent | None:
    intent = details.get("intent")
    if not isinstance(intent, dict):
        return None
    return CreateIntent(
        customer=customer,
        domain=str(intent.get("domain") or ""),
        company_name=str(intent.get("companyName") or ""),
        billing_email=str(intent.get("billingEmail") or ""),
        started_at=str(intent.get("startedAt") or when),
        record=record,
    )


def _remember(found: AppliedIdentities, action: dict[str, Any], record: str, fallback_time: str) -> None:
    action = snake_keys(action)
    customer, kind, status = action.get("customer"), action.get("kind"), action.get("status")
    raw = action.get("details")
    details: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if not isinstance(customer, str):
        return
    when = str(action.get("finished_at") or action.get("started_at") or fallback_time)
    tenant_id = details.get("tenantId") if isinstance(details.get("tenantId"), str) else None
    if kind == CREATE:
        if status == "started" or (status == "failed" and details.get("mayHaveLanded")):
            intent = _intent(customer, details, when, record)
            if intent is not None:
                found.intents[customer] = intent
            return
        found.intents.pop(customer, None)
        if tenant_id and status in ("done", "failed"):  # failed with a tenant id: created, password lost
            found.created[customer] = tenant_id
    elif kind == ADOPT and status == "done" and tenant_id:
        found.intents.pop(customer, None)
        found.adopted[customer] = tenant_id
    elif kind == RESET and status == "done":
        found.lost.pop(customer, None)
        return
    else:
        return
    if details.get("passwordLost"):
        found.lost[customer] = LostPassword(customer, str(details.get("domain") or ""), tenant_id, when, record)


@dataclass(frozen=True)
class Baseline:
    """The last apply that applied everything changed up to its commit, and succeeded."""

    commit: str
    record: str
    finished_at: str
    #: customers whose actions waited in that apply (for an acceptance): reviewed, still to be applied
    waiting: tuple[str, ...] = ()


def last_successful_apply(folder: Path, *, target: str, partner_tenant_id: str | None = None) -> Baseline | None:
    """The newest record that succeeded (exit 0) from a clean commit and covered every change up to it: a
    full apply or a ``--since-last-apply`` one. ``apply --since-last-apply`` plans the files changed since."""
    for path, record in _records(folder, target=target, partner_tenant_id=partner_tenant_id, newest_first=True):
        if record is None:
            continue
        commit = record.get("git_commit")
        if record.get("succeeded") is True and record.get("baseline") is True and isinstance(commit, str) and commit:
            actions = record.get("actions")
            waiting: list[str] = []
            for action in actions if isinstance(actions, list) else []:
                customer = action.get("customer") if isinstance(action, dict) else None
                if isinstance(customer, str) and action.get("status") == "waiting":
                    waiting.append(customer)
            return Baseline(commit, str(path), str(record.get("finished_at") or ""), tuple(dict.fromkeys(waiting)))
    return None


def applied_identities(folder: Path, *, target: str, partner_tenant_id: str | None = None) -> AppliedIdentities:
    """Read every apply record under ``folder`` (oldest first) for ``target`` and the partner tenant."""
    found = AppliedIdentities()
    for path, record in _records(folder, target=target, partner_tenant_id=partner_tenant_id):
        if record is None:
            found.problems.append(f"{path} cannot be read as JSON")
            continue
        actions = record.get("actions")
        if not isinstance(actions, list):
            continue
        for action in actions:
            if isinstance(action, dict):
                _remember(found, action, str(path), str(record.get("started_at") or ""))
    return found


def _records(
    folder: Path, *, target: str, partner_tenant_id: str | None, newest_first: bool = False
) -> Iterator[tuple[Path, dict[str, Any] | None]]:
    """The apply records under ``folder`` of ``target`` and the partner tenant, keys in snake_case; ``None`` for
    a file that is not JSON (the caller decides whether that is a problem)."""
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.json"), reverse=newest_first):
        try:
            record: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            yield path, None
            continue
        if not isinstance(record, dict):
            continue
        record = snake_keys(record)
        if record.get("target") != target:
            continue
        partner = record.get("partner_tenant_id")
        if partner_tenant_id and partner and tenant_key(partner) != tenant_key(partner_tenant_id):
            continue
        yield path, record


def remember(observation: Observation, repo: Repository, workspace: Workspace, target: str) -> None:
    """Fill ``observation`` with what this repository's applies created, adopted and started (the apply
    records) and the tenants that have a credentials file: the identity evidence next to Partner Center's."""
    observation.applied = applied_identities(
        workspace.applies, target=target, partner_tenant_id=repo.config.partner.tenantId
    )
    observation.stored_credentials = stored_tenants(credentials_directory(repo.root, repo.config.credentials.directory))
