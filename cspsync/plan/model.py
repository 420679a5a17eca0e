"""A plan is data: the ordered actions that take Partner Center from the observed to the declared state.

Nothing here does I/O or formatting. A plan is made by :mod:`cspsync.plan.build`, rendered by
:mod:`cspsync.render` and executed by :mod:`cspsync.apply.run`; saved as JSON (``plan --out``) it is the
exact thing a reviewer approved, checked against ``schemas/plan.schema.json`` when loaded.

Invariants:
- action ids are unique and stable for the same declarations and observed state
  (``<customer>/<kind>[/<subject>]``), so reviewers and apply records can refer to them;
- ``depends_on`` only names actions of the same plan, and the list is in an order where every
  action comes after its dependencies;
- no field of a plan ever holds a secret (passwords only exist between the create call and the
  encrypted credentials file).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from cspsync.collector import collector_paused
from cspsync.plan import payloads
from cspsync.plan.digest import actions_digest
from cspsync.records import Record, record
from cspsync.workspace import write_bytes_atomic

FORMAT_VERSION = "1.0"


class Kind(StrEnum):
    """What an action does; the value is what the JSON plan and the apply record carry."""

    CREATE_CUSTOMER = "create-customer"
    ADOPT_CUSTOMER = "adopt-customer"
    REQUEST_INVITATION = "request-invitation"
    AWAIT_ACCEPTANCE = "await-acceptance"
    UPDATE_BILLING_PROFILE = "update-billing-profile"
    CREATE_AGREEMENT = "create-agreement"
    ORDER_SUBSCRIPTION = "order-subscription"
    UPDATE_SUBSCRIPTION = "update-subscription"
    UPGRADE_SUBSCRIPTION = "upgrade-subscription"
    SUSPEND_SUBSCRIPTION = "suspend-subscription"
    CANCEL_SUBSCRIPTION = "cancel-subscription"
    CREATE_AZURE_SUBSCRIPTION = "create-azure-subscription"
    RENAME_AZURE_SUBSCRIPTION = "rename-azure-subscription"
    CREATE_ADMIN_RELATIONSHIP = "create-admin-relationship"
    REQUEST_ADMIN_APPROVAL = "request-admin-approval"
    AWAIT_ADMIN_ACCESS = "await-admin-access"
    CREATE_ACCESS_ASSIGNMENT = "create-access-assignment"
    UPDATE_ACCESS_ASSIGNMENT = "update-access-assignment"
    UPDATE_ADMIN_RELATIONSHIP = "update-admin-relationship"
    TERMINATE_ADMIN_RELATIONSHIP = "terminate-admin-relationship"


class Symbol(StrEnum):
    """The one-character marks users know from plan/apply tools."""

    CREATE = "+"
    UPDATE = "~"
    REMOVE = "-"
    HUMAN = "!"
    ADOPT = "@"  # a customer cspsync did not create is brought under management: check it is the right one


SYMBOLS: dict[Kind, Symbol] = {
    Kind.CREATE_CUSTOMER: Symbol.CREATE,
    Kind.ADOPT_CUSTOMER: Symbol.ADOPT,
    Kind.REQUEST_INVITATION: Symbol.HUMAN,
    Kind.AWAIT_ACCEPTANCE: Symbol.HUMAN,
    Kind.UPDATE_BILLING_PROFILE: Symbol.UPDATE,
    Kind.CREATE_AGREEMENT: Symbol.CREATE,
    Kind.ORDER_SUBSCRIPTION: Symbol.CREATE,
    Kind.UPDATE_SUBSCRIPTION: Symbol.UPDATE,
    Kind.UPGRADE_SUBSCRIPTION: Symbol.UPDATE,
    Kind.SUSPEND_SUBSCRIPTION: Symbol.REMOVE,
    Kind.CANCEL_SUBSCRIPTION: Symbol.REMOVE,
    Kind.CREATE_AZURE_SUBSCRIPTION: Symbol.CREATE,
    Kind.RENAME_AZURE_SUBSCRIPTION: Symbol.UPDATE,
    Kind.CREATE_ADMIN_RELATIONSHIP: Symbol.CREATE,
    Kind.REQUEST_ADMIN_APPROVAL: Symbol.HUMAN,
    Kind.AWAIT_ADMIN_ACCESS: Symbol.HUMAN,
    Kind.CREATE_ACCESS_ASSIGNMENT: Symbol.CREATE,
    Kind.UPDATE_ACCESS_ASSIGNMENT: Symbol.UPDATE,
    Kind.UPDATE_ADMIN_RELATIONSHIP: Symbol.UPDATE,
    Kind.TERMINATE_ADMIN_RELATIONSHIP: Symbol.REMOVE,
}

#: ``ready``: apply will run it; ``waiting``: it waits for a person (invitation acceptance) and so do
#: its dependents; ``blocked``: it cannot run until something else is fixed (the reason says what);
#: ``refused``: the declaration asks for it but the config does not allow it.
Status = Literal["ready", "waiting", "blocked", "refused"]


class Frozen(Record):
    """The plan's records (see :mod:`cspsync.records`)."""

    __slots__ = ()


@record
class Change(Frozen):
    """One field that differs: ``before`` is what Partner Center has, ``after`` what is declared."""

    field: str
    before: Any = None
    after: Any = None


@record
class Commitment(Frozen):
    """What an order or added seats commit to under new-commerce rules."""

    term: str | None = None  # P1M | P1Y | P3Y
    #: months this change commits to: the whole term for an order, what is left of it for added seats
    months: Decimal
    ends_on: dt.date | None = None  # last day of the term
    #: until when it can still be cancelled or reduced: 168 hours (7 days) after it is bought, if bought now
    cancellable_until: dt.datetime | None = None


@record
class Money(Frozen):
    """What an order or a seat change costs, in the customer's currency (figures rounded to its minor unit).

    ``unit_*`` are per seat and month; ``monthly_*`` and ``term_*`` are for the seats the action adds
    (negative when it removes them). A figure is None when it cannot be known; ``note`` says why.
    """

    currency: str
    seats: int = 0
    billing_cycle: str | None = None
    #: the Azure plan is billed by consumption: no figure is estimated for it
    consumption: bool = False
    #: the offer is not in its market's price sheet (Partner Center will not sell it there as declared)
    unlisted: bool = False
    unit_cost: Decimal | None = None  # the partner's cost (Partner Center's price sheet)
    unit_price: Decimal | None = None  # the customer's price (the pricebook)
    monthly_cost: Decimal | None = None
    monthly_price: Decimal | None = None
    term_cost: Decimal | None = None
    term_price: Decimal | None = None
    margin: Decimal | None = None  # monthly_price - monthly_cost
    margin_percent: Decimal | None = None  # margin / monthly_price x 100
    pricebook: str | None = None
    commitment: Commitment | None = None
    note: str | None = None
    #: an offer change (an upgrade): the old offer's seats it gives up, priced the same way (negative seats);
    #: totals count both sides
    replaces: Money | None = None


@record
class Totals(Frozen):
    """Sums of the money of ready and waiting actions in one currency (blocked ones will not happen)."""

    currency: str
    monthly_cost: Decimal
    monthly_price: Decimal | None = None  # None when some priced item has no customer price
    term_cost: Decimal
    term_price: Decimal | None = None
    margin: Decimal | None = None
    #: monthly cost of orders and seat increases only: what budget ceilings are compared with
    added_monthly_cost: Decimal
    #: what the first invoices of annual and triennial billing charge up front (a year, or three years, of the
    #: seats added, at most what is left of their term); monthly billing adds nothing here
    upfront_cost: Decimal = Decimal(0)
    upfront_price: Decimal | None = None
    consumption: int = 0  # items billed by consumption, not in the figures
    unknown: int = 0  # items whose cost could not be read (a price sheet failed), not in the figures
    unlisted: int = 0  # items not in their market's price sheet, not in the figures


@record
class UnknownCost(Frozen):
    """An order or seat increase whose monthly cost is not known, and why (its money's note)."""

    action: str
    reason: str


@record
class BudgetCheck(Frozen):
    """One ceiling of cspsync.yaml's ``budget`` against what the plan adds."""

    scope: Literal["plan", "customer"]
    customer: str | None = None
    currency: str
    ceiling: Decimal
    added: Decimal | None = None  # None: some cost is unknown, so the ceiling cannot be checked
    #: what makes ``added`` unknown: the ceiling cannot be shown kept, so ``over`` is true
    unknown: tuple[UnknownCost, ...] = ()
    over: bool
    #: the first up-front invoices of annual and triennial billing the plan adds, at cost (shown, not compared)
    upfront: Decimal | None = None


@record
class PlanMoney(Frozen):
    totals: tuple[Totals, ...] = ()  # the whole plan, one per currency
    budget: tuple[BudgetCheck, ...] = ()
    #: why costs are missing (a price sheet that could not be read): never shown as zero
    unknown: tuple[str, ...] = ()

    @property
    def over_budget(self) -> bool:
        return any(check.over for check in self.budget)


@record
class _Action(Frozen):
    """Fields every action has; each kind below adds its ``kind`` and its typed ``payload``."""

    id: str
    customer: str
    symbol: Symbol
    summary: str
    status: Status = "ready"
    reason: str | None = None
    depends_on: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    warnings: tuple[str, ...] = ()
    destructive: bool = False
    #: what it costs (orders, seat changes, cancellations), when the plan was priced
    money: Money | None = None


@record
class CreateCustomerAction(_Action):
    kind: Literal[Kind.CREATE_CUSTOMER]
    payload: payloads.CreateCustomer


@record
class AdoptCustomerAction(_Action):
    kind: Literal[Kind.ADOPT_CUSTOMER]
    payload: payloads.AdoptCustomer


@record
class RequestInvitationAction(_Action):
    kind: Literal[Kind.REQUEST_INVITATION]
    payload: payloads.RequestInvitation


@record
class AwaitAcceptanceAction(_Action):
    kind: Literal[Kind.AWAIT_ACCEPTANCE]
    payload: payloads.AwaitAcceptance


@record
class UpdateBillingProfileAction(_Action):
    kind: Literal[Kind.UPDATE_BILLING_PROFILE]
    payload: payloads.UpdateBillingProfile


@record
class CreateAgreementAction(_Action):
    kind: Literal[Kind.CREATE_AGREEMENT]
    payload: payloads.CreateAgreement


@record
class OrderSubscriptionAction(_Action):
    kind: Literal[Kind.ORDER_SUBSCRIPTION]
    payload: payloads.OrderSubscription


@record
class UpdateSubscriptionAction(_Action):
    kind: Literal[Kind.UPDATE_SUBSCRIPTION]
    payload: payloads.UpdateSubscription


@record
class UpgradeSubscriptionAction(_Action):
    kind: Literal[Kind.UPGRADE_SUBSCRIPTION]
    payload: payloads.UpgradeSubscription


@record
class SuspendSubscriptionAction(_Action):
    kind: Literal[Kind.SUSPEND_SUBSCRIPTION]
    payload: payloads.SuspendSubscription


@record
class CancelSubscriptionAction(_Action):
    kind: Literal[Kind.CANCEL_SUBSCRIPTION]
    payload: payloads.CancelSubscription


@record
class CreateAzureSubscriptionAction(_Action):
    kind: Literal[Kind.CREATE_AZURE_SUBSCRIPTION]
    payload: payloads.CreateAzureSubscription


@record
class RenameAzureSubscriptionAction(_Action):
    kind: Literal[Kind.RENAME_AZURE_SUBSCRIPTION]
    payload: payloads.RenameAzureSubscription


@record
class CreateAdminRelationshipAction(_Action):
    kind: Literal[Kind.CREATE_ADMIN_RELATIONSHIP]
    payload: payloads.CreateAdminRelationship


@record
class RequestAdminApprovalAction(_Action):
    kind: Literal[Kind.REQUEST_ADMIN_APPROVAL]
    payload: payloads.RequestAdminApproval


@record
class AwaitAdminAccessAction(_Action):
    kind: Literal[Kind.AWAIT_ADMIN_ACCESS]
    payload: payloads.AwaitAdminAccess


@record
class CreateAccessAssignmentAction(_Action):
    kind: Literal[Kind.CREATE_ACCESS_ASSIGNMENT]
    payload: payloads.CreateAccessAssignment


@record
class UpdateAccessAssignmentAction(_Action):
    kind: Literal[Kind.UPDATE_ACCESS_ASSIGNMENT]
    payload: payloads.UpdateAccessAssignment


@record
class UpdateAdminRelationshipAction(_Action):
    kind: Literal[Kind.UPDATE_ADMIN_RELATIONSHIP]
    payload: payloads.UpdateAdminRelationship


@record
class TerminateAdminRelationshipAction(_Action):
    kind: Literal[Kind.TERMINATE_ADMIN_RELATIONSHIP]
    payload: payloads.TerminateAdminRelationship


#: one model per kind, told apart by ``kind`` (the plan schema has one closed definition per kind)
Action = Annotated[
    CreateCustomerAction
    | AdoptCustomerAction
    | RequestInvitationAction
    | AwaitAcceptanceAction
    | UpdateBillingProfileAction
    | CreateAgreementAction
    | OrderSubscriptionAction
    | UpdateSubscriptionAction
    | UpgradeSubscriptionAction
    | SuspendSubscriptionAction
    | CancelSubscriptionAction
    | CreateAzureSubscriptionAction
    | RenameAzureSubscriptionAction
    | CreateAdminRelationshipAction
    | RequestAdminApprovalAction
    | AwaitAdminAccessAction
    | CreateAccessAssignmentAction
    | UpdateAccessAssignmentAction
    | UpdateAdminRelationshipAction
    | TerminateAdminRelationshipAction,
    Field(discriminator="kind"),
]

ACTION_TYPES: dict[Kind, type[_Action]] = {
    Kind.CREATE_CUSTOMER: CreateCustomerAction,
    Kind.ADOPT_CUSTOMER: AdoptCustomerAction,
    Kind.REQUEST_INVITATION: RequestInvitationAction,
    Kind.AWAIT_ACCEPTANCE: AwaitAcceptanceAction,
    Kind.UPDATE_BILLING_PROFILE: UpdateBillingProfileAction,
    Kind.CREATE_AGREEMENT: CreateAgreementAction,
    Kind.ORDER_SUBSCRIPTION: OrderSubscriptionAction,
    Kind.UPDATE_SUBSCRIPTION: UpdateSubscriptionAction,
    Kind.UPGRADE_SUBSCRIPTION: UpgradeSubscriptionAction,
    Kind.SUSPEND_SUBSCRIPTION: SuspendSubscriptionAction,
    Kind.CANCEL_SUBSCRIPTION: CancelSubscriptionAction,
    Kind.CREATE_AZURE_SUBSCRIPTION: CreateAzureSubscriptionAction,
    Kind.RENAME_AZURE_SUBSCRIPTION: RenameAzureSubscriptionAction,
    Kind.CREATE_ADMIN_RELATIONSHIP: CreateAdminRelationshipAction,
    Kind.REQUEST_ADMIN_APPROVAL: RequestAdminApprovalAction,
    Kind.AWAIT_ADMIN_ACCESS: AwaitAdminAccessAction,
    Kind.CREATE_ACCESS_ASSIGNMENT: CreateAccessAssignmentAction,
    Kind.UPDATE_ACCESS_ASSIGNMENT: UpdateAccessAssignmentAction,
    Kind.UPDATE_ADMIN_RELATIONSHIP: UpdateAdminRelationshipAction,
    Kind.TERMINATE_ADMIN_RELATIONSHIP: TerminateAdminRelationshipAction,
}

_ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)


def make_action(kind: Kind, payload: payloads.Payload, **fields: Any) -> Action:
    """An action of ``kind``; its payload must be that kind's model (pydantic checks it)."""
    return _ACTION_ADAPTER.validate_python({"kind": kind, "symbol": SYMBOLS[kind], "payload": payload} | fields)


#: ``conflict``: Partner Center has a customer at the declared domain or tenant id that is not proven to be
#: the declared one; nothing is applied to it (the blocked ``adopt-customer`` action says what was found)
CustomerState = Literal["new", "linked", "waiting", "missing", "conflict", "unknown"]


@record
class CustomerPlan(Frozen):
    """One declared customer: where it stands and which actions belong to it."""

    name: str
    file: str
    company: str
    mode: Literal["create", "invite", "existing"]
    domain: str | None = None
    tenant_id: str | None = None
    state: CustomerState
    #: where it stands, in words (the invitation sent and reminders, why its state is unknown)
    note: str | None = None
    #: what a person must act on that is not an action (a lost password, a missing partner relationship)
    attention: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    money: Totals | None = None
    #: when a read confirmed the state this customer was planned from: this plan's read, or an earlier one
    #: the audit records show unchanged since (None: the plan kept no memory, or nothing was found)
    confirmed_at: str | None = None


@record
class PlanRead(Frozen):
    """How the plan read Partner Center (:class:`cspsync.observe.state.ReadNote`): everything, or only what the
    audit records named since the last plan, so "no changes" never claims more than was seen."""

    mode: Literal["full", "incremental"]
    reason: str
    started_at: str  # the service's time when the observation began
    read_now: int = 0
    remembered: int = 0
    records: int = 0
    oldest_read: str | None = None


@record
class Unmanaged(Frozen):
    """Something in Partner Center no declaration claims: reported, never touched."""

    customer: str
    kind: Literal["customer", "subscription", "azure-subscription", "access-assignment"]
    name: str
    detail: str | None = None


@record
class Summary(Frozen):
    """Ready actions by what they do; ``remove`` counts cancellations only, as the line says "to cancel"."""

    adopt: int = 0
    create: int = 0
    update: int = 0
    remove: int = 0
    suspend: int = 0
    end_access: int = 0  # admin relationships to terminate
    waiting: int = 0
    blocked: int = 0

    @property
    def changes(self) -> int:
        return self.adopt + self.create + self.update + self.remove + self.suspend + self.end_access


#: what a ready action counts as in the summary, by its symbol; suspensions and terminations apart (below)
_COUNTED_AS = {Symbol.ADOPT: "adopt", Symbol.CREATE: "create", Symbol.UPDATE: "update", Symbol.HUMAN: "waiting"}
_REMOVALS = {Kind.SUSPEND_SUBSCRIPTION: "suspend", Kind.TERMINATE_ADMIN_RELATIONSHIP: "end_access"}


def _counted_as(action: Action) -> str:
    if action.status in ("blocked", "refused"):
        return "blocked"
    if action.status == "waiting":
        return "waiting"
    if action.symbol in _COUNTED_AS:
        return _COUNTED_AS[action.symbol]
    return _REMOVALS.get(action.kind, "remove")


def summarize(actions: Iterable[Action]) -> Summary:
    """What ``actions`` do, counted as the plan's summary line says it (and a customer's row of the table)."""
    return Summary(**Counter(_counted_as(action) for action in actions))


Target = Literal["emulator", "partner-center", "partner-center-sandbox"]


@record
class ShardClaims(Frozen):
    """The natural keys one customer file of a shard claims (``cspsync.declarations.keys.claims_of``): a shard
    validates only its own files, so ``merge-plans`` refuses two shards whose files claim the same key."""

    file: str
    #: (kind, key in normal form): name, company, domain, tenant, relationship
    keys: tuple[tuple[str, str], ...]


@record
class ShardOf(Frozen):
    """Which shard of a CI matrix a plan is (``plan --shard I/N``), and what every shard of one set shares:
    ``merge-plans`` refuses a set that is incomplete, duplicated or mixed, so a merged comment never hides
    customers or joins plans of different declarations."""

    index: int = Field(ge=1)
    count: int = Field(ge=1)
    #: sha256 of cspsync.yaml and the path and bytes of every customer file (all shards, not only this one's)
    portfolio: str
    #: git HEAD of the declarations when planned; None outside a git work tree
    commit: str | None = None
    #: the CI run that made it (GitHub Actions: ``OWNER/REPO/actions/runs/ID``); None outside CI
    run: str | None = None
    #: the natural keys of every customer file this shard read (older shard plans have none)
    claims: tuple[ShardClaims, ...] = ()

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@record(slots=False)  # one per run; it caches what renderers ask per line
class Plan(Frozen):
    format_version: str = FORMAT_VERSION
    cspsync_version: str
    created_at: dt.datetime
    target: Target
    partner_tenant_id: str
    correlation_id: str
    #: the customer files the plan covers, relative to the working directory
    scope: tuple[str, ...]
    #: sha256 of the observed Partner Center state the plan was computed from (stale-plan check)
    observed_fingerprint: str
    #: sha256 of the declarations the plan was computed from
    declarations_fingerprint: str
    #: sha256 of the actions as reviewed (:func:`cspsync.plan.digest.actions_digest`), as a saved plan carries
    #: it; a plan made now leaves it out and works it out when it is written or applied (:attr:`digest`)
    actions_digest: str | None = None
    customers: tuple[CustomerPlan, ...]
    actions: tuple[Action, ...]
    unmanaged: tuple[Unmanaged, ...] = ()
    #: problems that made part of the observation unknown (a read failed): never reported as "no changes"
    unknown: tuple[str, ...] = ()
    #: totals, budget checks and missing costs, when the plan was priced (older plans have none)
    money: PlanMoney | None = None
    #: the shard this plan is (``plan --shard I/N``); None for a plan of the whole scope or a merged plan
    shard: ShardOf | None = None
    #: full or incremental read, and why; None when the plan kept no memory (a plan of some files)
    read: PlanRead | None = None

    @property
    def over_budget(self) -> bool:
        return self.money is not None and self.money.over_budget

    @property
    def summary(self) -> Summary:
        return summarize(self.actions)

    @property
    def has_changes(self) -> bool:
        """True when applying would change something now; waiting and blocked actions are not changes."""
        return any(a.status == "ready" for a in self.actions)

    @functools.cached_property
    def adoptions(self) -> tuple[Action, ...]:
        """Customers cspsync did not create that this plan brings under management (ready to apply)."""
        return tuple(a for a in self.actions if a.kind is Kind.ADOPT_CUSTOMER and a.status == "ready")

    @functools.cached_property
    def stuck(self) -> tuple[Action, ...]:
        """Actions that can never succeed as declared (blocked or refused): plan and apply exit 1."""
        return tuple(a for a in self.actions if a.status in ("blocked", "refused"))

    @functools.cached_property
    def digest(self) -> str:
        """The actions' digest: the one the plan carries (a saved plan's, checked when it was read), else worked
        out on first use. A plan that is only shown never needs it: 0.4 s of a plan of 10,000 customers."""
        return self.actions_digest if self.actions_digest is not None else actions_digest(self.actions)

    @functools.cached_property
    def _by_id(self) -> dict[str, Action]:
        return {action.id: action for action in self.actions}

    def action(self, action_id: str) -> Action:
        """The action with this id (KeyError when there is none); O(1), renderers call it per line."""
        return self._by_id[action_id]

    def to_json(self) -> str:
        return self.json_bytes().decode() + "\n"

    def json_bytes(self) -> bytes:
        """The plan's JSON (:meth:`to_json` without its final newline) as UTF-8."""
        return b"".join(self.json_pieces())

    def json_pieces(self) -> Iterator[bytes]:
        """:meth:`json_bytes` in pieces, an action at a time: the serializer's one piece for a whole plan (565
        MiB at 100,000 customers) grew in a buffer of up to twice that, then was copied, while the plan was
        alive. The plan without its actions is written by the serializer and each action is spliced in where
        its empty list stands, indented as it would be there; the bytes are the same (a JSON text has no raw
        line break inside a string, so every line break is one the indentation made). Every plan written carries
        its digest, which reading it checks."""
        digest = self.digest
        if not self.actions:
            yield self.__pydantic_serializer__.to_json(self.model_copy(update={"actions_digest": digest}), indent=2)
            return
        frame = self.__pydantic_serializer__.to_json(
            self.model_copy(update={"actions": (), "actions_digest": digest}), indent=2
        )
        head, empty, tail = frame.partition(b'\n  "actions": []')
        if not empty:  # cannot happen: a plan always has its actions at the top level
            raise AssertionError("the plan's JSON has no top-level actions list")
        yield head + b'\n  "actions": ['
        for index, action in enumerate(self.actions):
            text = type(action).__pydantic_serializer__.to_json(action, indent=2)
            yield (b",\n    " if index else b"\n    ") + text.replace(b"\n", b"\n    ")
        yield b"\n  ]" + tail

    def write_json(self, path: Path) -> None:
        """:meth:`to_json` into ``path``, written an action at a time (:meth:`json_pieces`) and whole or not at
        all: a full disk or a crash mid-write leaves the plan saved before, never half a plan."""
        write_bytes_atomic(path, self.json_pieces(), private=False)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """The plan ``text`` holds, with the collector paused (cspsync/collector.py): a shard's plan is
        millions of objects, and merge-plans reads twenty of them into one process."""
        with collector_paused():
            return cls.model_validate_json(text)
