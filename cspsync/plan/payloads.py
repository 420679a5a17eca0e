"""What each kind of action needs to run, typed and closed: one model per action kind.

The planner writes these from the declarations; apply reads them by attribute, never by key. A saved plan
is parsed into them (unknown or missing fields are refused), and ``apply PLAN.json`` still re-plans and
applies only when the fresh actions equal the saved ones, so a hand-edited payload can never run.
No payload ever holds a secret.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from cspsync.declarations.models import CustomerSpec
from cspsync.records import Record, record


class Payload(Record):
    """What an action runs with (a record: see :mod:`cspsync.records`)."""

    __slots__ = ()


@record
class AddressDetails(Payload):
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str
    phone_number: str | None = None


@record
class BillingDetails(Payload):
    """The billing profile as the customer file writes it (what is sent to Partner Center)."""

    company_name: str
    email: str
    culture: str
    language: str
    first_name: str
    last_name: str
    default_address: AddressDetails

    @classmethod
    def declared(cls, spec: CustomerSpec) -> BillingDetails:
        company = spec.company
        address = company.address
        contact = company.primaryContact
        return cls(
            company_name=company.name,
            email=company.billingEmail,
            culture=company.culture,
            language=company.language,
            first_name=contact.firstName,
            last_name=contact.lastName,
            default_address=AddressDetails(
                address_line1=address.addressLine1,
                address_line2=address.addressLine2,
                city=address.city,
                state=address.state,
                postal_code=address.postalCode,
                country=address.country,
                phone_number=contact.phone,
            ),
        )


@record
class AdoptCustomer(Payload):
    """A Partner Center customer that cspsync did not create, matched to a declaration, and the evidence.

    ``evidence`` None: the match is not proven (the action is blocked and its reason says what to change).
    """

    tenant_id: str
    company_name: str
    #: the tenant's domains as read (the default domain first)
    domains: tuple[str, ...]
    found_by: Literal["domain", "tenant-id"]
    evidence: Literal["interrupted-create", "declared-tenant-id", "accepted-invitation"] | None = None
    #: an interrupted create of this repository: its one-time admin password was never stored
    password_lost: bool = False


@record
class CreateCustomer(Payload):
    domain: str
    billing_profile: BillingDetails
    organization_registration_number: str | None = None
    #: the indirect reseller's tenant id (``associatedPartnerId``), for a customer of a reseller
    associated_partner_id: str | None = None
    #: ``enableGDAPByDefault`` as cspsync.yaml's adminAccess sets it; None: not set (Partner Center's default)
    enable_gdap_by_default: bool | None = None


@record
class AdminApproval(Payload):
    """One GDAP relationship whose approval link goes to the customer (its id is known once it exists)."""

    display_name: str
    relationship_id: str | None = None  # None: the relationship is created by this apply
    roles: tuple[str, ...]  # role template ids
    duration: str
    #: the relationship it replaces, and when that one ends (a renewal)
    replaces: str | None = None
    replaces_ends_on: dt.date | None = None


@record
class RequestInvitation(Payload):
    domain: str
    to: str
    indirect_reseller_id: str | None = None
    #: an invitation was sent before (``--resend`` or a changed address)
    resend: bool = False
    #: GDAP approval links that go in the same message
    admin_approvals: tuple[AdminApproval, ...] = ()


@record
class CreateAdminRelationship(Payload):
    """Create a GDAP relationship (or finish one an earlier apply created) and lock it for approval."""

    display_name: str
    duration: str
    roles: tuple[str, ...]  # role template ids
    auto_extend_duration: Literal["PT0S", "P180D"]
    #: the customer's tenant; None: the tenant this apply creates (create mode)
    customer_tenant_id: str | None = None
    customer_name: str
    #: the relationship it replaces (renewal or changed roles), and when that one ends
    replaces: str | None = None
    replaces_ends_on: dt.date | None = None
    #: a relationship of this name an earlier apply created but did not lock
    relationship_id: str | None = None


@record
class RequestAdminApproval(Payload):
    """Send GDAP approval links in a message of their own (no reseller invitation goes out with them)."""

    to: str
    approvals: tuple[AdminApproval, ...]


@record
class AwaitAdminAccess(Payload):
    """A person or Microsoft must act first: approve, activate, or finish an access assignment."""

    relationship: str | None  # display name; None: the Default GDAP relationship
    relationship_id: str | None = None
    waiting_for: Literal["approval", "activation", "assignment"]
    group: str | None = None


@record
class CreateAccessAssignment(Payload):
    relationship: str | None  # display name; None: the customer's Default GDAP relationship
    relationship_id: str | None = None  # None: found at apply (created in the same apply)
    customer_tenant_id: str | None = None
    group: str  # the name cspsync.yaml gives it (or the object id)
    group_id: str
    roles: tuple[str, ...]


@record
class UpdateAccessAssignment(Payload):
    relationship: str | None
    relationship_id: str
    assignment_id: str
    group: str
    group_id: str
    roles: tuple[str, ...]


@record
class UpdateAdminRelationship(Payload):
    """Switch an active relationship's auto-extension (Graph: the one property it changes while ``active``)."""

    relationship_id: str
    display_name: str
    auto_extend_duration: str


@record
class TerminateAdminRelationship(Payload):
    relationship_id: str
    display_name: str


@record
class AwaitAcceptance(Payload):
    domain: str | None = None
    tenant_id: str | None = None


@record
class UpdateBillingProfile(Payload):
    billing_profile: BillingDetails | None = None  # None: blocked (a country change), nothing to send


@record
class CreateAgreement(Payload):
    type: Literal["MicrosoftCustomerAgreement"]
    first_name: str
    last_name: str
    email: str
    phone_number: str | None = None
    date_agreed: dt.date


@record
class OrderSubscription(Payload):
    friendly_name: str
    product_id: str
    sku_id: str
    quantity: int
    term_duration: str | None = None  # P1M | P1Y | P3Y; None for the Azure plan
    billing_cycle: str
    auto_renew: bool
    #: the customer's market: the catalog is read for it
    country: str
    azure_plan: bool = False


@record
class NextTermFields(Payload):
    """A change scheduled for renewal (``scheduledNextTermInstructions``, "Schedule changes for a new commerce
    subscription"); merged into what is already scheduled, absent fields are left as they are."""

    quantity: int | None = None
    billing_cycle: str | None = None
    term_duration: str | None = None
    #: another offer at renewal (one of the subscription's scheduled transition eligibilities)
    product_id: str | None = None
    sku_id: str | None = None
    #: the customer's market, to read the new offer's availability; set with ``product_id``
    country: str | None = None


@record
class SubscriptionFields(Payload):
    """The fields an update sets; absent fields are left as Partner Center has them."""

    friendly_name: str | None = None
    quantity: int | None = None
    auto_renew_enabled: bool | None = None
    status: Literal["active", "suspended", "deleted"] | None = None
    #: set at renewal, not now
    next_term: NextTermFields | None = None


@record
class UpdateSubscription(Payload):
    subscription_id: str | None = None  # None: blocked, nothing to send
    friendly_name: str
    set: SubscriptionFields = SubscriptionFields()


@record
class UpgradeSubscription(Payload):
    """Move every seat of a subscription to another offer now ("Transition a new commerce subscription":
    POST transitions, ``transition_only``); the new subscription gets the declared friendly name."""

    subscription_id: str
    friendly_name: str
    from_product_id: str
    from_sku_id: str
    product_id: str
    sku_id: str
    quantity: int
    #: the customer's market, to read the new offer's availability
    country: str


@record
class SuspendSubscription(Payload):
    subscription_id: str
    friendly_name: str


@record
class CancelSubscription(Payload):
    subscription_id: str
    friendly_name: str


@record
class CreateAzureSubscription(Payload):
    """A new Azure subscription under the customer's Azure plan, made in Azure Resource Manager (Subscription
    alias API, "Programmatically create Azure subscriptions for a Microsoft Partner Agreement")."""

    friendly_name: str
    #: the Azure plan it goes under: its friendly name, and its id once it exists (None: ordered in this apply)
    azure_plan: str
    azure_plan_id: str | None = None


@record
class RenameAzureSubscription(Payload):
    """A new name for an Azure subscription under the Azure plan ("Subscription - Rename")."""

    subscription_id: str
    friendly_name: str
    azure_plan: str
    azure_plan_id: str
