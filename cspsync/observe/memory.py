"""What the last observation read, remembered in the state folder, so the next one re-reads only what changed.

Microsoft's throttling guidance (learn.microsoft.com/partner-center/developer/api-throttling-guidance)
asks partners not to scan resource collections for changes but to read the activity log: ``GET
/v1/auditrecords`` ("Get a record of Partner Center activity"; the fields and operation types are on
"Auditing resources"). An observation with a memory therefore:

1. always pages through the customer list (a customer who accepted an invitation, or left, shows there
   and nowhere in the activity log: that is the customer's act, not the partner's);
2. reads the audit records since the last observation (less an overlap for late records);
3. re-reads a customer when a record names it with an operation that changes what cspsync reads, dated
   at or after the read that confirmed it (the service's own clock on both sides), when its
   list entry differs from what was remembered, when its declaration needs a read that was not remembered,
   when a remembered subscription reached a date where Partner Center changes it by itself (end of term,
   end of a cancellation or refund window), or when nothing is remembered of it; every other customer is
   taken as remembered, with the time of the read that confirmed it.

It reads everything (a full read) when nothing is remembered, when the last full read is older than the
configured interval, when the audit records cannot be read or reach back less far than needed (the log
keeps 90 days), and when a record has an operation type this module does not know (it cannot tell whether
it changed something). A customer whose read failed is not remembered: the next observation reads it.

Drift and plan each keep their own memory (``observed-<target>.json``, ``observed-<target>-plan.json``): drift
reads every linked customer's partner relationships, a plan only those it needs, so one memory would make
each re-read what the other left out. A memory that cannot be saved (a read-only state folder) costs only
reads: the observation stands, and the next one reads in full.

The memory is only a shortcut for reads, never for writes: before apply acts on a customer, that customer's
state comes from a read made by that apply (:func:`cspsync.pipeline.observe_and_plan` reads again every
remembered customer the plan would change, and plans again), and ``apply PLAN.json`` reads every customer
afresh by lookup and refuses a plan whose state changed. So a stale or tampered memory can at worst hide
drift, or a change to plan, until the next full read; it never makes apply act on what it did not read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from cspsync.canonical import canonical_pieces
from cspsync.collector import collector_paused
from cspsync.errors import PartnerCenterError
from cspsync.observe.state import (
    NextTerm,
    ObservedAgreement,
    ObservedCustomer,
    ObservedRelationship,
    ObservedSubscription,
    json_default,
)
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.workspace import Workspace, write_bytes_atomic

FORMAT = 1
#: audit records are asked from this long before the last observation began (records that arrive late)
OVERLAP = dt.timedelta(minutes=10)
#: the activity log keeps 90 days; a memory older than this (less a margin) is read in full
RETENTION = dt.timedelta(days=89)
#: the default interval between full reads (``observe.fullReadEvery`` in cspsync.yaml)
FULL_READ_EVERY = dt.timedelta(hours=24)

#: documented operation types ("Auditing resources") that change what cspsync reads of the customer named
CHANGES = frozenset(
    {
        "add_customer",
        "update_customer_billing_profile",
        "update_customer_partner_contract_company_name",
        "update_customer_qualification",
        "update_customer_spending_budget",
        "delete_customer",
        "delete_tip_customer",
        "remove_partner_customer_relationship",
        "create_order",
        "update_order",
        "update_subscription",
        "upgrade_subscription",
        "convert_trial_subscription",
        "create_agreement",
        "create_transfer",
        "update_transfer",
        "extend_relationship",
        "increase_spending_limit",
    }
)
#: documented operation types between the partner and its resellers (no customer): the provider's reseller
#: list is read on every observation that needs it, so they change nothing remembered
PARTNER_LEVEL = frozenset({"create_partner_relationship", "remove_partner_relationship"})
#: documented operation types that change nothing cspsync reads (users, licences, applications, referrals…)
UNRELATED = frozenset(
    {
        "create_customer_user",
        "delete_customer_user",
        "update_customer_user",
        "update_customer_user_licenses",
        "reset_customer_user_password",
        "update_customer_user_principal_name",
        "restore_customer_user",
        "update_sfb_customer_user_licenses",
        "create_mpn_association",
        "update_mpn_association",
        "register_application",
        "unregister_application",
        "add_application_credential",
        "remove_application_credential",
        "create_partner_user",
        "update_partner_user",
        "remove_partner_user",
        "create_self_serve_policy",
        "update_self_serve_policy",
        "delete_self_serve_policy",
        "create_related_referral",
        "update_related_referral",
        "create_referral",
        "update_referral",
        "get_software_key",
        "get_software_download_link",
        "ready_invoice",
    }
)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _parse(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Remembered:
    """One customer as a read confirmed it."""

    read_at: str
    kinds: frozenset[str]  # billing, agreements, subscriptions, customer, relationships
    customer: ObservedCustomer
    relationships: tuple[ObservedRelationship, ...] | None = None


#: which observation a memory serves (each reads different things, so each keeps its own)
View = Literal["drift", "plan"]


@dataclass
class Memory:
    """The state folder's record of the last observation of one target."""

    target: str
    observed_at: str | None = None  # the service's time when the last observation began
    full_read_at: str | None = None
    customers: dict[str, Remembered] = field(default_factory=dict)  # by tenant id, lower case
    #: a full read was asked for (``--full-read``): why, for the report
    forced: str | None = None
    view: View = "drift"


@dataclass
class Reuse:
    """What this observation may take from the memory, and why (shown in the drift and plan reports)."""

    mode: Literal["full", "incremental"]
    reason: str
    since: str | None = None  # the audit window's start
    records: int = 0
    #: tenant ids the audit records name, with the latest operation date (a record older than the read that
    #: confirmed the customer was seen by that read)
    changed: dict[str, dt.datetime] = field(default_factory=dict)
    remembered: dict[str, Remembered] = field(default_factory=dict)
    started_at: str = ""  # the service's time when this observation began
    full_read_at: str | None = None  # kept from the memory on an incremental pass


def memory_path(workspace: Workspace, target: str, view: View = "drift") -> Path:
    assert view in get_args(View)
    return workspace.root / (f"observed-{target}.json" if view == "drift" else f"observed-{target}-{view}.json")


def recall(workspace: Workspace, target: str, view: View, *, full_read: bool) -> Memory:
    """The memory this observation starts from: the saved one, or none when a full read was asked for."""
    if full_read:
        return Memory(target, forced="a full read was asked for", view=view)
    return load_memory(workspace, target, view)


def keep(workspace: Workspace, memory: Memory) -> str | None:
    """Save ``memory`` if the state folder can be written; otherwise why not (the observation still stands:
    the plan job of a pull request may have a read-only state, and the next observation then reads in full)."""
    try:
        save_memory(workspace, memory)
    except OSError as err:
        return f"the memory of this observation could not be saved ({err.strerror or err}): the next one reads in full"
    return None


# ------------------------------------------------------------------------------------ (de)serialise


def _subscription(doc: dict[str, Any]) -> ObservedSubscription:
    scheduled = doc.get("scheduled")
    refundable = doc.get("refundable")
    values: dict[str, Any] = {
        f.name: tuple(value) if isinstance(value := doc.get(f.name), list) else value
        for f in fields(ObservedSubscription)
    }
    values["scheduled"] = NextTerm(**scheduled) if isinstance(scheduled, dict) else None
    values["refundable"] = tuple((int(q), str(u)) for q, u in refundable) if refundable is not None else None
    # Azure subscriptions change in Azure Resource Manager, which Partner Center's activity log does not show:
    # never remembered, read afresh by every observation that needs them (cspsync/observe/azure.py)
    values["azure_subscriptions"] = None
    return ObservedSubscription(**values)


def _customer(doc: dict[str, Any]) -> ObservedCustomer:
    agreements = doc.get("agreements")
    subscriptions = doc.get("subscriptions")
    return ObservedCustomer(
        id=doc["id"],
        domain=doc["domain"],
        company_name=doc["company_name"],
        relationship=doc.get("relationship"),
        domains=tuple(doc.get("domains") or ()),
        billing=doc.get("billing"),
        agreements=tuple(ObservedAgreement(**a) for a in agreements) if agreements is not None else None,
        subscriptions=tuple(_subscription(s) for s in subscriptions) if subscriptions is not None else None,
    )


def load_memory(workspace: Workspace, target: str, view: View = "drift") -> Memory:
    """The memory of ``target``; an empty one when there is none or it cannot be read (then: a full read)."""
    path = memory_path(workspace, target, view)
    try:
        with collector_paused():  # many objects and no cycles: see cspsync/collector.py
            return _memory(json.loads(path.read_text(encoding="utf-8")), target, view)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # damaged or not a memory
        return Memory(target, view=view)


def _memory(doc: Any, target: str, view: View) -> Memory:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("target") != target:
        return Memory(target, view=view)
    customers = {
        tenant: Remembered(
            read_at=entry["read_at"],
            kinds=frozenset(entry["kinds"]),
            customer=_customer(entry["customer"]),
            relationships=(
                tuple(ObservedRelationship(**r) for r in entry["relationships"])
                if entry.get("relationships") is not None
                else None
            ),
        )
        for tenant, entry in doc["customers"].items()
    }
    return Memory(target, doc.get("observed_at"), doc.get("full_read_at"), customers, view=view)


class _Written(dict[str, "Remembered"]):
    """The remembered customers as the memory file writes them, each one's document made when the writer
    (:func:`cspsync.canonical.canonical_pieces`, keys sorted) reaches it: a dict per customer made up front
    was ~35 MiB at 100,000 customers, at the plan's peak."""

    def __getitem__(self, tenant: str) -> dict[str, Any]:  # type: ignore[override]
        entry = super().__getitem__(tenant)
        return {
            "read_at": entry.read_at,
            "kinds": sorted(entry.kinds),
            "customer": entry.customer,
            "relationships": entry.relationships,
        }


def save_memory(workspace: Workspace, memory: Memory) -> None:
    """Written compact and in pieces, a customer at a time: machine-read only, and at 100,000 customers an
    indented text made by the pure-Python encoder took longer than the plan it remembers."""
    workspace.ensure()
    document = {
        "format": FORMAT,
        "target": memory.target,
        "observed_at": memory.observed_at,
        "full_read_at": memory.full_read_at,
        "customers": _Written(memory.customers),
    }
    pieces = canonical_pieces(document, default=json_default, depth=2)
    # not flushed to the disk: after a crash the old memory (older: more audit records read), none, or a cut-off
    # file that load_memory refuses (a full read) stands in for it, and none of them overstates what was seen
    write_bytes_atomic(memory_path(workspace, memory.target, memory.view), pieces, durable=False)


# ------------------------------------------------------------------------------------------ deciding


def plan_reuse(
    client: PartnerCenterClient, memory: Memory, *, now: dt.datetime, full_read_every: dt.timedelta
) -> Reuse:
    """Full or incremental, and for an incremental pass the customers the audit records name since the
    last observation. ``now`` is the service's time (its ``Date`` header) when this observation began."""
    now = now if now.tzinfo else now.replace(tzinfo=dt.UTC)  # a Date header of "-0000" parses naive (RFC 5322: UTC)
    started = _iso(now)
    if memory.forced:
        return Reuse("full", memory.forced, started_at=started)
    if memory.observed_at is None or memory.full_read_at is None or not memory.customers:
        return Reuse("full", "nothing is remembered of an earlier observation", started_at=started)
    last = _parse(memory.observed_at)
    if now - _parse(memory.full_read_at) >= full_read_every:
        return Reuse("full", f"the last full read was at {memory.full_read_at} (a full read every {full_read_every})",
                     started_at=started)  # fmt: skip
    since = last - OVERLAP
    if now - since > RETENTION:
        return Reuse("full", f"the activity log keeps 90 days; the last observation was at {memory.observed_at}",
                     started_at=started)  # fmt: skip
    changed: dict[str, dt.datetime] = {}
    count = 0
    try:
        for record in client.audit_records(since):
            count += 1
            operation = (record.operation_type or "").lower()
            customer = (record.customer_id or "").lower()
            if operation in UNRELATED or operation in PARTNER_LEVEL:
                continue
            if operation not in CHANGES:
                return Reuse("full", f"an audit record has an operation type cspsync does not know: {operation!r}",
                             started_at=started)  # fmt: skip
            if not customer:
                return Reuse("full", f"an audit record of {operation} names no customer", started_at=started)
            when = record.operation_date or now
            when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
            if customer not in changed or when > changed[customer]:
                changed[customer] = when
    except PartnerCenterError as err:
        return Reuse("full", f"the audit records could not be read: {err.message}", started_at=started)
    return Reuse(
        "incremental",
        f"audit records since {_iso(since)}",
        since=_iso(since),
        records=count,
        changed=changed,
        remembered=dict(memory.customers),
        started_at=started,
        full_read_at=memory.full_read_at,
    )


def _dates_passed(customer: ObservedCustomer, read_at: str, now: dt.datetime) -> bool:
    """A remembered subscription reached a date where Partner Center changes it without any partner
    operation (its term ended and it renewed or expired; a cancellation or refund window closed)."""
    read = _parse(read_at)
    for sub in customer.subscriptions or ():
        moments: list[str | None] = [sub.commitment_end, sub.cancellation_allowed_until]
        moments += [until for _, until in sub.refundable or ()]
        for moment in moments:
            if not moment:
                continue
            try:
                when = _parse(moment if "T" in moment else moment + "T00:00:00+00:00")
            except ValueError:
                return True
            if read <= when <= now:
                return True
    return False


def usable(
    reuse: Reuse, tenant_id: str, needed: Iterable[str], listed: ObservedCustomer, now: dt.datetime
) -> Remembered | None:
    """The remembered read of ``tenant_id`` if this observation may take it instead of reading again."""
    if reuse.mode != "incremental":
        return None
    key = tenant_id.lower()
    entry = reuse.remembered.get(key)
    if entry is None or not set(needed) <= entry.kinds:
        return None
    if key in reuse.changed and reuse.changed[key] >= _parse(entry.read_at):
        return None
    seen = entry.customer
    if (seen.domain, seen.company_name, seen.relationship) != (
        listed.domain,
        listed.company_name,
        listed.relationship,
    ):
        return None
    if _dates_passed(seen, entry.read_at, now):
        return None
    return entry
