"""Pydantic models of the declarations: what a customer file and cspsync.yaml mean once validated.

``schemas/*.schema.json`` is the single source of truth for what is accepted; these models mirror it
(tests/declarations/test_schema_model_parity.py proves they accept and reject the same documents) and
give the rest of cspsync typed access. Field names are the YAML keys (camelCase), so a model dumps back
to the file format with ``model_dump(by_alias=True, exclude_none=True)``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

API_VERSION = "cspsync.io/v1"


class Strict(BaseModel):
    """Base: unknown keys are errors (the schema says ``additionalProperties: false``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ----------------------------------------------------------------------------------------- customer


class Metadata(Strict):
    name: str  # slug [a-z0-9-], unique in the repository; names files under .cspsync/
    labels: dict[str, str] = Field(default_factory=dict)


class Contact(Strict):
    firstName: str
    lastName: str
    email: str
    phone: str | None = None


class Address(Strict):
    addressLine1: str
    addressLine2: str | None = None
    city: str
    state: str | None = None
    postalCode: str | None = None
    country: str  # ISO 3166-1 alpha-2, upper case


class Company(Strict):
    name: str
    billingEmail: str
    culture: str  # e.g. en-GB
    language: str  # e.g. en
    organizationRegistrationNumber: str | None = None
    address: Address
    primaryContact: Contact


class TenantCreate(Strict):
    mode: Literal["create"]
    domainPrefix: str  # becomes <prefix>.onmicrosoft.com; <= 27 chars, letters and digits


class TenantInvite(Strict):
    mode: Literal["invite"]
    domain: str  # the customer's existing (verified) domain
    invitationEmail: str  # the customer's global admin who receives the relationship request


class TenantExisting(Strict):
    mode: Literal["existing"]
    tenantId: str  # GUID of the tenant already in the partner's customer list
    domain: str | None = None


Tenant = TenantCreate | TenantInvite | TenantExisting


class Agreement(Strict):
    type: Literal["MicrosoftCustomerAgreement"] = "MicrosoftCustomerAgreement"
    acceptedBy: Contact
    dateAgreed: dt.date


class LicenseOffer(Strict):
    productId: str  # e.g. CFQ7TTC0LH18
    skuId: str  # e.g. "0001" (a string: leading zeros matter)


class ExistingSubscription(Strict):
    """Declared only to be rejected: CSP/PayGo/EA subscriptions cannot be linked, only transferred."""

    source: Literal["csp", "paygo", "ea"]
    subscriptionId: str


class Subscription(Strict):
    friendlyName: str
    offer: Literal["azure-plan"] | LicenseOffer
    quantity: int = 1
    term: Literal["P1M", "P1Y", "P3Y"] | None = None  # None for the Azure plan
    billingCycle: Literal["monthly", "annual", "triennial"] = "monthly"
    autoRenew: bool = True
    status: Literal["active", "suspended", "cancelled"] = "active"
    protected: bool = True  # True: cspsync never suspends or cancels it, whatever else is declared
    existing: ExistingSubscription | None = None


class CustomerSpec(Strict):
    company: Company
    tenant: TenantCreate | TenantInvite | TenantExisting = Field(discriminator="mode")
    reseller: str | None = None  # indirect providers: name of a reseller in cspsync.yaml partner.resellers
    agreement: Agreement | None = None
    subscriptions: list[Subscription] = Field(default_factory=list)


class CustomerFile(Strict):
    apiVersion: Literal["cspsync.io/v1"]
    kind: Literal["Customer"]
    metadata: Metadata
    spec: CustomerSpec


# ------------------------------------------------------------------------------------------- config


class Reseller(Strict):
    name: str
    tenantId: str
    mpnId: str | None = None


class Partner(Strict):
    name: str
    tenantId: str
    mpnId: str | None = None
    model: Literal["direct", "indirect-provider"] = "direct"
    resellers: list[Reseller] = Field(default_factory=list)


class Naming(Strict):
    subscriptionPattern: str = ".+"  # a regex every friendly name must match in full


class Credentials(Strict):
    ageRecipients: list[str]  # age public keys (age1...) or ssh public keys
    directory: str = ".cspsync/credentials"


class Destructive(Strict):
    """Opt-ins for actions that cost a customer service; all off by default."""

    allowSuspend: bool = False
    allowCancel: bool = False
    allowQuantityDecrease: bool = False


class Invitations(Strict):
    template: str = "templates/invitation"  # a folder with subject.txt, body.txt and body.html


class Config(Strict):
    apiVersion: Literal["cspsync.io/v1"]
    kind: Literal["Config"]
    partner: Partner
    markets: list[str]  # ISO 3166-1 alpha-2 countries the partner is authorised to sell in
    naming: Naming = Naming()
    credentials: Credentials
    target: Literal["emulator", "partner-center"] = "emulator"
    destructive: Destructive = Destructive()
    invitations: Invitations = Invitations()
