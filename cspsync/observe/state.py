"""The observed state of Partner Center, reduced to what cspsync compares: plain, normalised data.

:mod:`cspsync.observe.read` fills these from the client's response models; the diff and the planner read only
these, so they do not depend on the wire format. The fingerprint of an :class:`Observation` is what a
saved plan carries to detect that Partner Center changed after the plan was made.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from cspsync.canonical import canonical_sha256
from cspsync.observe.applied import AppliedIdentities


@dataclass(frozen=True)
class NextTerm:
    """A change scheduled for renewal (``scheduledNextTermInstructions``); None fields stay as they are."""

    quantity: int | None = None
    billing_cycle: str | None = None
    term: str | None = None
    #: ``PRODUCT:SKU`` when the renewal changes the offer (see :func:`cspsync.declarations.keys.offer_key`)
    offer: str | None = None


@dataclass(frozen=True)
class ObservedAzureSubscription:
    """An Azure subscription under an Azure plan (Partner Center: AzureEntitlement ``id``, ``friendlyName``,
    ``status``; "Get a list of Azure entitlements for a subscription")."""

    id: str
    friendly_name: str
    status: str


@dataclass(frozen=True)
class ObservedSubscription:
    id: str
    friendly_name: str
    offer_id: str
    quantity: int
    status: str  # active | suspended | deleted | expired | pending | disabled | none
    auto_renew: bool | None
    billing_cycle: str | None
    term: str | None
    cancellation_allowed_until: str | None = None
    commitment_end: str | None = None
    order_id: str | None = None
    #: seats inside a new-commerce refund window and until when (ISO), as read; None when not read
    refundable: tuple[tuple[int, str], ...] | None = None
    #: what Partner Center will change at renewal, when something is scheduled
    scheduled: NextTerm | None = None
    #: offers (``PRODUCT:SKU``) Partner Center would move it to now (transition eligibilities, immediate) and
    #: at renewal (scheduled); None when not read (only read when a declaration names another offer)
    upgrades: tuple[str, ...] | None = None
    renewal_offers: tuple[str, ...] | None = None
    #: an Azure plan's Azure subscriptions; None when not read (only read when the plan declares some)
    azure_subscriptions: tuple[ObservedAzureSubscription, ...] | None = None


@dataclass(frozen=True)
class ObservedAgreement:
    type: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    date_agreed: str | None


@dataclass(frozen=True)
class ObservedCustomer:
    id: str
    domain: str
    company_name: str
    relationship: str | None = None
    #: every domain of the tenant as read (the default domain first; custom domains when Partner Center
    #: returned them): what a declared domain is checked against
    domains: tuple[str, ...] = ()
    #: billing profile as the diff compares it (see diff.billing_fields); None when not read
    billing: dict[str, Any] | None = None
    agreements: tuple[ObservedAgreement, ...] | None = None
    subscriptions: tuple[ObservedSubscription, ...] | None = None


@dataclass(frozen=True)
class SentInvitation:
    """An invitation an earlier apply already sent (from the invitations ledger).

    ``resend`` (``apply --resend``) plans it again; so does a customer file that now names another address.
    """

    to: str
    sent_at: str
    reminders: int = 0
    delivery: str = "outbox"  # smtp | graph | outbox (written to a file for a person to send)
    file: str | None = None  # the outbox file
    reminder_times: tuple[str, ...] = ()
    resend: bool = False


@dataclass(frozen=True)
class ObservedRelationship:
    """A partner related to a customer's tenant (``GET /v1/customers/{id}/relationships``)."""

    id: str  # the partner's tenant id
    name: str | None = None
    mpn_id: str | None = None


@dataclass(frozen=True)
class ObservedAssignment:
    """A GDAP access assignment (Graph delegatedAdminAccessAssignment) as the planner compares it."""

    id: str
    group_id: str  # lower case
    roles: tuple[str, ...]  # role template ids, sorted, lower case
    status: str  # pending | active | deleting | deleted | error
    created: str | None = None


@dataclass(frozen=True)
class ObservedAdminRelationship:
    """A GDAP relationship (Graph delegatedAdminRelationship) of the partner."""

    id: str
    display_name: str
    status: str  # created | approvalPending | approved | activating | active | expiring | expired | ...
    customer_tenant_id: str | None
    roles: tuple[str, ...]  # role template ids, sorted, lower case
    duration: str | None
    auto_extend: str | None  # autoExtendDuration: PT0S | P0D | P180D
    created: str | None = None
    activated: str | None = None
    ends: str | None = None  # endDateTime
    modified: str | None = None  # lastModifiedDateTime (when a request was locked for approval)
    #: its access assignments, read for active relationships only (None: not read)
    assignments: tuple[ObservedAssignment, ...] | None = None


@dataclass(frozen=True)
class SentApproval:
    """An approval link an earlier apply sent (from the invitations ledger), by relationship id."""

    relationship: str  # display name
    to: str
    sent_at: str
    delivery: str = "outbox"


@dataclass(frozen=True)
class ReadNote:
    """How this observation read Partner Center: everything, or only what the audit records named since the
    last one (cspsync/observe/memory.py); the reports say it so "in sync" never claims more than was seen."""

    mode: str  # "full" | "incremental"
    reason: str
    started_at: str  # the service's time when this observation began
    read_now: int = 0  # customers confirmed by a read in this observation
    remembered: int = 0  # customers taken from an earlier read the audit records show unchanged
    records: int = 0  # audit records read
    oldest_read: str | None = None  # the oldest confirming read among the remembered ones


@dataclass
class Observation:
    """What one observe pass found for the customers in scope, keyed by declared ``metadata.name``."""

    customers: dict[str, ObservedCustomer | None] = field(default_factory=dict)
    #: create-mode customers not found yet: is their <prefix>.onmicrosoft.com still available?
    domain_available: dict[str, bool] = field(default_factory=dict)
    #: Partner Center's address validation status and message: for create-mode customers not found yet, and
    #: for found customers whose declared address differs from their billing profile's
    address_status: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    #: the addresses Partner Center suggested instead, in words, when it did not verify the declared one
    address_suggestions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the provider's indirect resellers as Partner Center lists them (tenant id -> state), read when a
    #: customer in scope names a reseller; None when not read
    resellers: dict[str, str] | None = None
    #: why the reseller list could not be read (the plan then blocks what depends on a reseller)
    reseller_failure: str | None = None
    #: names whose reads failed: never reported as in sync, never as drift
    unknown: dict[str, str] = field(default_factory=dict)
    #: customers of the partner that no declaration in scope claims (only filled for a full scope)
    unmanaged: list[tuple[str, str]] = field(default_factory=list)  # (tenant id, domain)
    #: how many customers the partner has in total (from the list)
    total_customers: int = 0
    #: linked customers' partner relationships, read for the association check (seed 003)
    relationships: dict[str, tuple[ObservedRelationship, ...]] = field(default_factory=dict)
    #: customers whose relationships could not be read, and why (the association was not checked)
    relationship_failures: dict[str, str] = field(default_factory=dict)
    #: relationship-request links by reseller tenant id (None: the partner's own), read when one is missing
    request_links: dict[str | None, str | None] = field(default_factory=dict)
    #: local state: invitations already sent (the ledger), by customer name
    sent_invitations: dict[str, SentInvitation] = field(default_factory=dict)
    #: local state: what this repository's applies created, adopted, started and lost (apply records)
    applied: AppliedIdentities = field(default_factory=AppliedIdentities)
    #: when a read confirmed each customer's state (this observation's start, or an earlier read the audit
    #: records show unchanged since), by name; empty when the observation kept no memory
    confirmed_at: dict[str, str] = field(default_factory=dict)
    #: names whose state this observation took from the memory instead of reading it
    remembered: frozenset[str] = frozenset()
    #: full or incremental, and why (None: no memory was used)
    read_note: ReadNote | None = None
    #: local state: tenant ids with an encrypted credentials file, by customer (proof cspsync created them)
    stored_credentials: dict[str, frozenset[str]] = field(default_factory=dict)
    #: GDAP relationships of each customer (its tenant's, and those named like its declared ones), when read
    admin_relationships: dict[str, tuple[ObservedAdminRelationship, ...]] = field(default_factory=dict)
    #: invite-mode customers not linked yet: their tenant (id, name) per Microsoft Entra, None when no tenant
    #: has the domain
    entra_tenants: dict[str, tuple[str, str | None] | None] = field(default_factory=dict)
    #: local state: approval links already sent, by relationship id (the invitations ledger)
    sent_approvals: dict[str, SentApproval] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """sha256 over the state the plan depends on; stable across runs when nothing changed."""
        document = {
            "customers": dict(sorted(self.customers.items())),
            "domain_available": dict(sorted(self.domain_available.items())),
            "resellers": dict(sorted(self.resellers.items())) if self.resellers is not None else None,
            "unknown": sorted(self.unknown),
        }
        if self.admin_relationships or self.entra_tenants:
            document["admin"] = dict(sorted(self.admin_relationships.items()))
            document["entra"] = dict(sorted(self.entra_tenants.items()))
        return canonical_sha256(document, default=json_default)


def json_default(value: Any) -> Any:
    """What the JSON encoder does not know: a dataclass as its fields (the encoder walks them, so nothing is
    copied in Python first; ``dataclasses.asdict`` deep-copies every leaf), else text."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    return str(value)
