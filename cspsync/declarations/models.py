"""The declarations once validated: a customer file as records (slotted pydantic dataclasses, cspsync/records.py:
a load keeps 100,000 trees of them), cspsync.yaml as pydantic models.

``schemas/*.schema.json`` is the single source of truth for what is accepted; these models mirror it
(tests/declarations/test_schema_model_parity.py proves they accept and reject the same documents) and
give the rest of cspsync typed access. Field names are the YAML keys (camelCase), so a model dumps back
to the file format with ``model_dump(by_alias=True, exclude_none=True)``.

The models are strict, like JSON Schema: a string is never coerced to a number or the other way round.
Two JSON facts need a helper each: an integer may be written ``12.0`` (JSON Schema counts it as an
integer) and a date arrives as the text ``YYYY-MM-DD`` (``format: date``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

from cspsync.records import Record, record

# Patterns are copied from the schemas and use only what ECMA-262 (JSON Schema) and Rust's regex crate
# (pydantic) read alike: no \d, \s, \w, no look-around; ``$`` is the end of the text in both.
SLUG = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
LABEL_NAME = r"^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$"
EMAIL = r"^[^@ ]+@[^@ ]+\.[^@ ]+$"
PHONE = r"^\+[0-9][0-9 ().-]{3,30}$"
DOMAIN = r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?[.])+[a-zA-Z]{2,63}$"
GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
COUNTRY = r"^[A-Z]{2}$"
CULTURE = r"^[a-z]{2,3}-[A-Z]{2}$"
LANGUAGE = r"^[a-z]{2,3}$"
DOMAIN_PREFIX = r"^[a-zA-Z0-9]{1,27}$"
PRODUCT_ID = r"^[A-Z0-9]{12}$"
SKU_ID = r"^[A-Z0-9]{4}$"
DATE = r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"
MPN_ID = r"^[0-9]{1,10}$"
HOST = r"^[A-Za-z0-9.:-]{1,253}$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
#: variables that hold a credential (Partner Center's, Graph's, GitHub's, any token or key): a changed
#: cspsync.yaml must never make cspsync send one of them to an SMTP server as its "password"
CREDENTIAL_VARIABLE = (
    r"TOKEN|SECRET|CERTIFICATE|ASSERTION|CREDENTIAL|PRIVATE|(^|_)KEY($|_)"
    r"|^(GITHUB|ACTIONS|RUNNER)_|^CSPSYNC_(TENANT|CLIENT|REFRESH|GRAPH)_"
)
CURRENCY = r"^[A-Z]{3}$"
#: a GDAP relationship's duration as cspsync accepts it: days (P1D..P730D) or whole years (P1Y, P2Y)
GDAP_DURATION = r"^P([1-9][0-9]{0,2}D|[12]Y)$"

_DATE = re.compile(DATE.strip("^$"))


def _json_integer(value: Any) -> Any:
    """JSON Schema's ``integer`` admits 12.0 and never a boolean; pydantic strict admits neither."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _iso_date(value: Any) -> Any:
    """``format: date`` plus the schema's pattern: exactly ``20YY-MM-DD`` naming a real day."""
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date, not a date and time")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return dt.date.fromisoformat(value)


def _json_number(value: Any) -> Any:
    """A JSON number as a Decimal exactly as written (12.5 stays 12.5, never 12.4999...); money is never a float."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _text(min_length: int | None = 1, max_length: int | None = None, pattern: str | None = None) -> StringConstraints:
    return StringConstraints(strict=True, min_length=min_length, max_length=max_length, pattern=pattern)


# String types, named after the schema's minLength/maxLength/pattern they carry.
NonEmpty = Annotated[str, _text()]
Name40 = Annotated[str, _text(max_length=40)]
Text255 = Annotated[str, _text(max_length=255)]
Text100 = Annotated[str, _text(max_length=100)]
Text50 = Annotated[str, _text(max_length=50)]
Text20 = Annotated[str, _text(max_length=20)]
CompanyName = Annotated[str, _text(min_length=2, max_length=255)]
LabelName = Annotated[str, _text(None, pattern=LABEL_NAME)]
LabelValue = Annotated[str, _text(None, max_length=63)]
Slug = Annotated[str, _text(None, pattern=SLUG)]
Email = Annotated[str, _text(None, max_length=254, pattern=EMAIL)]
Phone = Annotated[str, _text(None, pattern=PHONE)]
Domain = Annotated[str, _text(None, max_length=253, pattern=DOMAIN)]
Guid = Annotated[str, _text(None, pattern=GUID)]
Country = Annotated[str, _text(None, pattern=COUNTRY)]
Culture = Annotated[str, _text(None, pattern=CULTURE)]
Language = Annotated[str, _text(None, pattern=LANGUAGE)]
DomainPrefix = Annotated[str, _text(None, pattern=DOMAIN_PREFIX)]
ProductId = Annotated[str, _text(None, pattern=PRODUCT_ID)]
SkuId = Annotated[str, _text(None, pattern=SKU_ID)]
MpnId = Annotated[str, _text(None, pattern=MPN_ID)]
Quantity = Annotated[int, BeforeValidator(_json_integer), Field(strict=True, ge=1, le=300_000)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Host = Annotated[str, _text(None, pattern=HOST)]
EnvName = Annotated[str, _text(None, pattern=ENV_NAME)]
Port = Annotated[int, BeforeValidator(_json_integer), Field(ge=1, le=65535)]
Days = Annotated[int, BeforeValidator(_json_integer), Field(ge=1, le=365)]
ReminderCount = Annotated[int, BeforeValidator(_json_integer), Field(ge=0, le=10)]
CurrencyCode = Annotated[str, _text(None, pattern=CURRENCY)]
Ceiling = Annotated[Decimal, BeforeValidator(_json_number), Field(ge=0)]
GdapDuration = Annotated[str, _text(None, pattern=GDAP_DURATION)]


class Strict(BaseModel):
    """Base: unknown keys are errors (the schema says ``additionalProperties: false``), types are exact."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True, defer_build=True)


class StrictRecord(Record):
    """Base of a customer file's tree: a record (cspsync/records.py), so the ~10 of each file keep no dict
    apiece; unknown keys are errors and types are exact, as :class:`Strict`'s (the strictness is on the field
    types: ``StrictBool``, strict string constraints and quantities)."""

    __slots__ = ()


# ----------------------------------------------------------------------------------------- customer


@record(declared=True)
class Metadata(StrictRecord):
    name: Slug  # slug [a-z0-9-], unique in the repository; names files under .cspsync/
    labels: dict[LabelName, LabelValue] = Field(default_factory=dict)


@record(declared=True)
class Contact(StrictRecord):
    firstName: Name40
    lastName: Name40
    email: Email
    phone: Phone | None = None  # international format; rules check it is a real number of the country


@record(declared=True)
class Address(StrictRecord):
    addressLine1: Text255
    addressLine2: Text255 | None = None
    city: Text255
    state: Text255 | None = None
    postalCode: Text20 | None = None
    country: Country  # ISO 3166-1 alpha-2, upper case


@record(declared=True)
class Company(StrictRecord):
    name: CompanyName
    billingEmail: Email
    culture: Culture  # e.g. en-GB
    language: Language  # e.g. en
    organizationRegistrationNumber: Text50 | None = None
    address: Address
    primaryContact: Contact


@record(declared=True)
class TenantCreate(StrictRecord):
    mode: Literal["create"]
    domainPrefix: DomainPrefix  # becomes <prefix>.onmicrosoft.com; <= 27 letters and digits


@record(declared=True)
class TenantInvite(StrictRecord):
    mode: Literal["invite"]
    domain: Domain  # the customer's existing (verified) domain
    invitationEmail: Email  # the customer's global admin who receives the relationship request


@record(declared=True)
class TenantExisting(StrictRecord):
    mode: Literal["existing"]
    tenantId: Guid  # GUID of the tenant already in the partner's customer list
    domain: Domain | None = None


Tenant = TenantCreate | TenantInvite | TenantExisting


@record(declared=True)
class Agreement(StrictRecord):
    type: Literal["MicrosoftCustomerAgreement"] = "MicrosoftCustomerAgreement"
    acceptedBy: Contact
    dateAgreed: IsoDate


@record(declared=True)
class LicenseOffer(StrictRecord):
    productId: ProductId  # e.g. CFQ7TTC0LH18
    skuId: SkuId  # e.g. "0001" (a string: leading zeros matter)


@record(declared=True)
class ExistingSubscription(StrictRecord):
    """Declared only to be rejected: CSP/PayGo/EA subscriptions cannot be linked, only transferred."""

    source: Literal["csp", "paygo", "ea"]
    subscriptionId: Guid


@record(declared=True)
class AzureSubscription(StrictRecord):
    """An Azure subscription under the customer's Azure plan (Partner Center: an Azure entitlement; created
    and renamed in Azure Resource Manager)."""

    friendlyName: Text100
    #: its Azure subscription id, when known (import writes it, apply records it): a new friendly name is a rename
    subscriptionId: Guid | None = None


@record(declared=True)
class Subscription(StrictRecord):
    friendlyName: Text100
    #: its Partner Center id, when known (import writes it): the identity that makes a new friendly name a rename
    subscriptionId: Guid | None = None
    offer: Literal["azure-plan"] | LicenseOffer
    quantity: Quantity = 1
    term: Literal["P1M", "P1Y", "P3Y"] | None = None  # None for the Azure plan
    billingCycle: Literal["monthly", "annual", "triennial"] = "monthly"
    autoRenew: StrictBool = True
    status: Literal["active", "suspended", "cancelled"] = "active"
    protected: StrictBool = True  # True: cspsync never suspends or cancels it, whatever else is declared
    existing: ExistingSubscription | None = None
    #: only on the Azure plan: the Azure subscriptions under it
    azureSubscriptions: list[AzureSubscription] = Field(default_factory=list)


@record(declared=True)
class AccessAssignment(StrictRecord):
    """Roles of a relationship given to one of the partner's security groups."""

    group: Text255  # a name of adminAccess.securityGroups in cspsync.yaml, or the group's object id
    roles: Annotated[list[Text100], Field(min_length=1)]  # built-in role names or template ids


@record(declared=True)
class AdminRelationship(StrictRecord):
    """One GDAP relationship (Microsoft Graph delegatedAdminRelationship) and its access assignments."""

    name: Text50 | None = None  # displayName, unique across the partner; not with default: true
    default: StrictBool = False  # the Default GDAP relationship Partner Center creates with a new tenant
    duration: GdapDuration | None = None  # P1D..P2Y; None: P730D (not with default: true)
    autoExtend: StrictBool | None = None  # 180 more days at the end (not with Global Administrator)
    templates: list[Slug] = Field(default_factory=list)  # names of adminAccess.roleTemplates in cspsync.yaml
    roles: list[Text100] = Field(default_factory=list)  # more roles, by name or template id
    assignments: list[AccessAssignment] = Field(default_factory=list)
    terminate: StrictBool = False  # end it (also needs adminAccess.allowTerminate in cspsync.yaml)


@record(declared=True)
class AdminAccess(StrictRecord):
    approverEmail: Email | None = None  # who approves the relationships; invite mode: tenant.invitationEmail
    relationships: Annotated[list[AdminRelationship], Field(min_length=1)]


@record(declared=True)
class CustomerSpec(StrictRecord):
    company: Company
    tenant: TenantCreate | TenantInvite | TenantExisting = Field(discriminator="mode")
    reseller: Text255 | None = None  # indirect providers: a name in cspsync.yaml partner.resellers
    agreement: Agreement | None = None
    subscriptions: list[Subscription] = Field(default_factory=list)
    pricebook: Slug | None = None  # name of a pricebook in pricebooks/*.yaml next to cspsync.yaml
    currency: CurrencyCode | None = None  # ISO 4217; must be the currency Partner Center bills the market in
    adminAccess: AdminAccess | None = None  # GDAP: admin relationships with the tenant and who gets which roles


@record(declared=True)
class CustomerFile(StrictRecord):
    apiVersion: Literal["cspsync.io/v1"]
    kind: Literal["Customer"]
    metadata: Metadata
    spec: CustomerSpec


# ------------------------------------------------------------------------------------------- config


class Reseller(Strict):
    name: Text255
    tenantId: Guid
    mpnId: MpnId | None = None


class Partner(Strict):
    name: Text255
    tenantId: Guid
    mpnId: MpnId | None = None
    model: Literal["direct", "indirect-provider"] = "direct"
    resellers: list[Reseller] = Field(default_factory=list)


class Naming(Strict):
    subscriptionPattern: NonEmpty = ".+"  # a regex every friendly name must match in full


class Credentials(Strict):
    ageRecipients: Annotated[list[NonEmpty], Field(min_length=1)]  # age public keys (age1...) or ssh keys
    directory: NonEmpty = ".cspsync/credentials"


class Destructive(Strict):
    """Opt-ins for actions that cost a customer service; all off by default."""

    allowSuspend: bool = False
    allowCancel: bool = False
    allowQuantityDecrease: bool = False


class SmtpServer(Strict):
    """An SMTP submission server; the password is read from the environment variable ``passwordEnv``."""

    host: Host
    port: Port = 587
    starttls: bool = True
    username: Text255 | None = None
    passwordEnv: EnvName | None = None  # the NAME of the variable, never the password

    @field_validator("passwordEnv")
    @classmethod
    def _not_a_credential(cls, name: str | None) -> str | None:
        if name is not None and re.search(CREDENTIAL_VARIABLE, name, flags=re.IGNORECASE):
            raise ValueError(
                f"{name} holds a credential, not an SMTP password: name a variable of its own, "
                'like "CSPSYNC_SMTP_PASSWORD"'
            )
        return name

    @model_validator(mode="after")
    def _credentials_together(self) -> SmtpServer:
        if self.username is not None and self.passwordEnv is None:
            raise ValueError("username needs passwordEnv (the environment variable holding the password)")
        if self.passwordEnv is not None and self.username is None:
            raise ValueError("passwordEnv needs username")
        return self


class GraphMailbox(Strict):
    mailbox: Email  # the mailbox Microsoft Graph sends from (application permission Mail.Send)


class Invitations(Strict):
    """How reseller-relationship invitations are rendered, delivered and followed up."""

    template: NonEmpty = "templates/invitation"  # a folder with subject.txt, body.txt and body.html
    adminApprovalTemplate: NonEmpty = "templates/admin-approval"  # the same, for GDAP approval links alone
    transport: Literal["outbox", "smtp", "graph"] = "outbox"  # outbox: written to .cspsync/outbox/, sent by hand
    fromAddress: Email | None = None  # required for smtp; for graph the mailbox is the default
    fromName: Text255 | None = None  # default: partner.name
    smtp: SmtpServer | None = None
    graph: GraphMailbox | None = None
    reminderAfterDays: Days = 7  # a reminder goes out this many days after the last message
    maxReminders: ReminderCount = 2
    checkDeliverability: bool = False  # also look up the recipient domain's MX records (DNS)

    @model_validator(mode="after")
    def _transport_settings(self) -> Invitations:
        if self.transport == "smtp" and (self.smtp is None or self.fromAddress is None):
            raise ValueError("transport smtp needs smtp and fromAddress")
        if self.transport == "graph" and self.graph is None:
            raise ValueError("transport graph needs graph")
        return self


class Budget(Strict):
    """Ceilings on the monthly cost (at the partner's price-sheet cost) one plan may add, per currency."""

    perPlan: dict[CurrencyCode, Ceiling] = Field(default_factory=dict)
    perCustomer: dict[CurrencyCode, Ceiling] = Field(default_factory=dict)


class RoleTemplate(Strict):
    """A named set of roles that customer files refer to, and the security groups that get them."""

    description: Text255 | None = None
    roles: Annotated[list[Text100], Field(min_length=1)]
    assignTo: list[Slug] = Field(default_factory=list)  # names of adminAccess.securityGroups


class AdminAccessConfig(Strict):
    """GDAP settings of the partner: create-mode default, renewal, termination opt-in, groups, templates."""

    enableGDAPByDefault: bool  # sent with every new tenant: True asks Partner Center for the Default GDAP
    renewBeforeDays: Days = 30  # a relationship ending within this many days gets its replacement requested
    allowTerminate: bool = False  # relationships declared terminate: true are only ended with this opt-in
    securityGroups: dict[Slug, Guid] = Field(default_factory=dict)  # the partner's groups by object id
    roleTemplates: dict[Slug, RoleTemplate] = Field(default_factory=dict)


class Config(Strict):
    apiVersion: Literal["cspsync.io/v1"]
    kind: Literal["Config"]
    partner: Partner
    markets: Annotated[list[Country], Field(min_length=1)]  # ISO alpha-2 countries sold in
    naming: Naming = Naming()
    credentials: Credentials
    target: Literal["emulator", "partner-center", "partner-center-sandbox"] = "emulator"
    destructive: Destructive = Destructive()
    invitations: Invitations = Invitations()
    budget: Budget = Budget()
    adminAccess: AdminAccessConfig | None = None
