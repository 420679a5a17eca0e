"""Typed views of Partner Center resources (responses and request bodies).

Partner Center answers in camelCase and adds fields over time, so every model accepts camelCase or
snake_case names and keeps unknown fields (``extra="allow"``): a subscription read and PATCHed back whole
loses nothing the API sent. Enum-like values (``status``, ``billingCycle``…) stay plain strings so a value
Microsoft adds tomorrow does not break a read. Dump request bodies with :func:`to_wire`.

The one secret here is the new tenant's admin password (:class:`UserCredentials`): a ``SecretStr``, and
:class:`Customer` drops any ``userCredentials`` it is given so the password cannot hide in extra fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic.alias_generators import to_camel

T = TypeVar("T", bound="ApiModel")


class ApiModel(BaseModel):
    """Base of all Partner Center models: camelCase on the wire, tolerant of unknown fields."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel)


def to_wire(model: BaseModel) -> dict[str, Any]:
    """A request body: camelCase, ``None`` fields left out, dates as ISO strings."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


class Attributes(ApiModel):
    object_type: str | None = None
    etag: str | None = None


class KeyValue(ApiModel):
    key: str
    value: str


class Link(ApiModel):
    uri: str
    method: str = "GET"
    headers: list[KeyValue] = Field(default_factory=list)


class Links(ApiModel):
    self_: Link | None = Field(default=None, alias="self")
    next: Link | None = None
    previous: Link | None = None


class Collection(ApiModel, Generic[T]):
    """``{totalCount, items, links, attributes}``; ``links.next`` (or ``continuationToken``) means more."""

    total_count: int | None = None
    items: list[T] = Field(default_factory=list)
    links: Links | None = None
    attributes: Attributes | None = None
    continuation_token: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_items(cls, data: Any) -> Any:
        # Relationship lists answer ``{"items": null}`` (or nothing at all) when there are none.
        if data is None:
            return {}
        if isinstance(data, dict) and data.get("items") is None:
            return {**data, "items": []}
        return data

    @property
    def next_link(self) -> Link | None:
        return self.links.next if self.links else None


def parse_collection(item_type: type[T], body: Any) -> Collection[T]:
    """Parse a collection body into ``Collection[item_type]``."""
    return Collection[item_type].model_validate(body)  # type: ignore[valid-type]


# ------------------------------------------------------------------------------------------- customers


class Address(ApiModel):
    country: str | None = None  # ISO 3166-1 alpha-2
    region: str | None = None
    city: str | None = None
    state: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    postal_code: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None


class CompanyProfile(ApiModel):
    """A customer's company profile as read (created with :class:`CompanyProfileCreate`, never sent back)."""

    model_config = ConfigDict(extra="ignore")  # see CustomerSummary

    tenant_id: str | None = None
    domain: str | None = None
    company_name: str | None = None
    organization_registration_number: str | None = None
    email: str | None = None
    address: Address | None = None


class BillingProfile(ApiModel):
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    culture: str | None = None
    language: str | None = None
    company_name: str | None = None
    default_address: Address | None = None
    attributes: Attributes | None = None

    @property
    def etag(self) -> str | None:
        return self.attributes.etag if self.attributes else None


class CustomerSummary(ApiModel):
    """An item of ``GET /v1/customers``: id (= tenant id), company profile, relationship.

    Read only, never sent back, so the fields cspsync does not name (``links``, ``attributes`` and the like)
    are not kept: with them each of a partner's 100,000 listed customers took 5.2 KB while the plan matched
    them all.
    """

    model_config = ConfigDict(extra="ignore")

    id: str
    company_profile: CompanyProfile | None = None
    relationship_to_partner: str | None = None  # none | reseller | advisor | …

    @model_validator(mode="before")
    @classmethod
    def _drop_credentials(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k.lower() not in {"usercredentials", "user_credentials"}}
        return data

    @property
    def domain(self) -> str | None:
        return self.company_profile.domain if self.company_profile else None

    @property
    def tenant_id(self) -> str:
        if self.company_profile and self.company_profile.tenant_id:
            return self.company_profile.tenant_id
        return self.id


class Customer(CustomerSummary):
    """``GET /v1/customers/{id}``; the filter and list calls fill only the summary fields."""

    commerce_id: str | None = None
    billing_profile: BillingProfile | None = None
    allow_delegated_access: bool | None = None
    associated_partner_id: str | None = None
    custom_domains: list[str] | None = None


class UserCredentials(ApiModel):
    """The new tenant's admin sign-in (``admin`` → ``admin@<domain>``); shown by Partner Center once."""

    user_name: str
    password: SecretStr


class CreatedCustomer(BaseModel):
    """The result of a create call.

    ``credentials_lost`` is true when the create call failed in transit but the customer turned out to
    exist (found by domain): the tenant is adopted and its one-time password is gone. The caller must
    report that, since only a password reset in the tenant can recover access.
    """

    model_config = ConfigDict(frozen=True)

    customer: Customer
    credentials: UserCredentials | None = None
    credentials_lost: bool = False

    @classmethod
    def from_response(cls, body: Any) -> CreatedCustomer:
        if not isinstance(body, dict):
            raise ValueError("the create-customer response is not a JSON object")
        raw = next((body[k] for k in ("userCredentials", "UserCredentials") if k in body), None)
        credentials = UserCredentials.model_validate(raw) if raw else None
        return cls(customer=Customer.model_validate(body), credentials=credentials)


class CompanyProfileCreate(ApiModel):
    domain: str  # <prefix>.onmicrosoft.com
    organization_registration_number: str | None = None


class CustomerCreateRequest(ApiModel):
    """Body of ``POST /v1/customers``; ``associated_partner_id`` (reseller tenant id) makes it indirect."""

    company_profile: CompanyProfileCreate
    billing_profile: BillingProfile
    associated_partner_id: str | None = None
    #: false: no Default GDAP relationship with the new tenant (partner-center gdap-faq; None: not sent)
    enable_gdap_by_default: bool | None = Field(default=None, alias="enableGDAPByDefault")


class AddressValidationResult(ApiModel):
    """``status``: VerifiedShippable | Verified | InteractionRequired | StreetPartial | PremisesPartial |
    Multiple | None | NotValidated."""

    original_address: Address | None = None
    suggested_addresses: list[Address] = Field(default_factory=list)
    status: str | None = None
    validation_message: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_suggestions(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("suggestedAddresses", []) is None:
            return {**data, "suggestedAddresses": []}
        return data


class CustomerUser(ApiModel):
    """A user of a customer's tenant (``GET /v1/customers/{id}/users``). A password that Partner Center
    echoes (``passwordProfile`` in the reply to a reset) is dropped before the model exists."""

    id: str
    user_principal_name: str | None = None
    display_name: str | None = None
    state: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_password(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k.lower() not in {"passwordprofile", "password_profile"}}
        return data


# ------------------------------------------------------------------------------- relationships, MCA


class PartnerRelationship(ApiModel):
    id: str  # the partner's tenant id
    name: str | None = None
    relationship_type: str | None = None  # is_indirect_cloud_solution_provider_of | …
    mpn_id: str | None = None
    state: str | None = None
    location: str | None = None


class AuditData(ApiModel):
    key: str
    value: str | None = None


class AuditRecord(ApiModel):
    """One partner operation (Partner Center: "Auditing resources", AuditRecord)."""

    id: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    resource_type: str | None = None
    operation_type: str | None = None
    operation_date: dt.datetime | None = None
    operation_status: str | None = None  # succeeded | failed | progress
    customized_data: list[AuditData] = Field(default_factory=list)


class AgreementTemplate(ApiModel):
    template_id: str
    agreement_type: str | None = None
    agreement_link: str | None = None
    version_rank: int | None = None


class Contact(ApiModel):
    first_name: str
    last_name: str
    email: str
    phone_number: str | None = None

    def same_person(self, other: Contact) -> bool:
        """Partner Center's duplicate rule: same names, email and phone (email case-insensitive)."""
        return (
            self.first_name.strip() == other.first_name.strip()
            and self.last_name.strip() == other.last_name.strip()
            and self.email.strip().lower() == other.email.strip().lower()
            and (self.phone_number or "").strip() == (other.phone_number or "").strip()
        )


class CustomerAgreement(ApiModel):
    primary_contact: Contact
    date_agreed: dt.datetime
    template_id: str
    type: str = "MicrosoftCustomerAgreement"
    agreement_link: str | None = None
    user_id: str | None = None


# ------------------------------------------------------------------------------------------- catalog


class Product(ApiModel):
    id: str
    title: str | None = None
    description: str | None = None
    product_type: dict[str, Any] | None = None


class Sku(ApiModel):
    id: str
    product_id: str | None = None
    title: str | None = None
    description: str | None = None
    #: the fewest and most seats one order (and one subscription) may have ("Product resources": Sku)
    minimum_quantity: int | None = None
    maximum_quantity: int | None = None
    supported_billing_cycles: list[str] = Field(default_factory=list)
    provisioning_variables: list[str] = Field(default_factory=list)


class Term(ApiModel):
    duration: str  # P1M | P1Y | P3Y
    description: str | None = None
    billing_cycle: str | None = None


class Availability(ApiModel):
    id: str
    product_id: str | None = None
    sku_id: str | None = None
    catalog_item_id: str | None = None  # product:sku:availability
    country: str | None = None
    segment: str | None = None
    terms: list[Term] = Field(default_factory=list)
    product: Product | None = None
    sku: Sku | None = None

    @property
    def supported_billing_cycles(self) -> list[str]:
        return self.sku.supported_billing_cycles if self.sku else []


# --------------------------------------------------------------------------------------- carts, orders


class CartLineItemError(ApiModel):
    error_code: int | str | None = None
    error_description: str | None = None


class CartLineItem(ApiModel):
    id: int | None = None  # 0..n-1; create_cart numbers lines that have none
    catalog_item_id: str
    quantity: int
    billing_cycle: str  # monthly | annual | triennial | one_time | none
    term_duration: str | None = None  # P1M | P1Y | P3Y
    friendly_name: str | None = None
    promotion_id: str | None = None
    participants: list[KeyValue] | None = None
    provisioning_context: dict[str, str] | None = None
    currency_code: str | None = None
    order_group: str | None = None
    error: CartLineItemError | None = None


class Cart(ApiModel):
    id: str
    creation_timestamp: dt.datetime | None = None
    last_modified_timestamp: dt.datetime | None = None
    expiration_timestamp: dt.datetime | None = None
    last_modified_user: str | None = None
    status: str | None = None  # Active | Ordered
    line_items: list[CartLineItem] = Field(default_factory=list)
    attributes: Attributes | None = None


class OrderLineItem(ApiModel):
    line_item_number: int | None = None
    offer_id: str | None = None
    subscription_id: str | None = None
    term_duration: str | None = None
    transaction_type: str | None = None
    friendly_name: str | None = None
    quantity: int | None = None
    partner_id_on_record: str | None = None


class Order(ApiModel):
    id: str
    alternate_id: str | None = None
    reference_customer_id: str | None = None
    billing_cycle: str | None = None
    currency_code: str | None = None
    line_items: list[OrderLineItem] = Field(default_factory=list)
    creation_date: dt.datetime | None = None
    status: str | None = None  # pending | completed | cancelled
    transaction_type: str | None = None


class OrderError(ApiModel):
    order_group_id: str | None = None
    code: int | str | None = None
    description: str | None = None


class CheckoutResult(ApiModel):
    """Orders placed by a checkout (one per order group) and the groups that failed.

    ``recovered`` is set (locally, never sent by Partner Center) when the checkout call failed in transit
    but the cart turned out to be ordered: the orders are then not known here, read the subscriptions.
    """

    orders: list[Order] = Field(default_factory=list)
    order_errors: list[OrderError] = Field(default_factory=list)
    recovered: bool = Field(default=False, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: ([] if v is None and k in {"orders", "orderErrors"} else v) for k, v in data.items()}
        return data


# --------------------------------------------------------------------------------------- subscriptions


class RefundOption(ApiModel):
    type: str | None = None
    expires_at: dt.datetime | None = None


class RefundableQuantityDetail(ApiModel):
    quantity: int | None = None
    allowed_until_date_time: dt.datetime | None = None


class RefundableQuantity(ApiModel):
    total_quantity: int | None = None
    details: list[RefundableQuantityDetail] = Field(default_factory=list)


class NextTermProduct(ApiModel):
    product_id: str | None = None
    sku_id: str | None = None
    availability_id: str | None = None
    billing_cycle: str | None = None
    term_duration: str | None = None


class ScheduledNextTermInstructions(ApiModel):
    product: NextTermProduct | None = None
    quantity: int | None = None
    custom_term_end_date: dt.datetime | None = None


class Subscription(ApiModel):
    """A subscription as read; PATCH it back whole (unknown fields included) with its etag."""

    id: str
    offer_id: str | None = None
    offer_name: str | None = None
    friendly_name: str | None = None
    quantity: int | None = None
    unit_type: str | None = None
    creation_date: dt.datetime | None = None
    effective_start_date: dt.datetime | None = None
    commitment_end_date: dt.datetime | None = None
    cancellation_allowed_until_date: dt.datetime | None = None
    status: str | None = None  # none | active | pending | suspended | deleted | expired | disabled
    auto_renew_enabled: bool | None = None
    billing_type: str | None = None
    billing_cycle: str | None = None
    term_duration: str | None = None
    refund_options: list[RefundOption] | None = None
    refundable_quantity: RefundableQuantity | None = None
    actions: list[str] | None = None
    suspension_reasons: list[str] | None = None
    promotion_id: str | None = None
    scheduled_next_term_instructions: ScheduledNextTermInstructions | None = None
    order_id: str | None = None
    attributes: Attributes | None = None

    @property
    def etag(self) -> str | None:
        return self.attributes.etag if self.attributes else None


class AzureEntitlement(ApiModel):
    """An Azure subscription under an Azure plan ("Subscription resources": AzureEntitlement ``id``,
    ``friendlyName``, ``status``, ``subscriptionId`` of the plan it belongs to)."""

    id: str
    friendly_name: str | None = None
    status: str | None = None
    subscription_id: str | None = None


class TransitionEligibilityDetail(ApiModel):
    is_eligible: bool | None = None
    transition_type: str | None = None
    errors: list[dict[str, Any]] | None = None


class TransitionEligibility(ApiModel):
    """One catalog item a subscription can move to ("Transition a new commerce subscription")."""

    catalog_item_id: str | None = None
    title: str | None = None
    quantity: int | None = None
    eligibilities: list[TransitionEligibilityDetail] | None = None

    def eligible(self, transition_type: str = "transition_only") -> bool:
        return any(e.is_eligible and (e.transition_type or "") == transition_type for e in self.eligibilities or [])


class Transition(ApiModel):
    """A transition (upgrade) request and, as answered, its target subscription and events."""

    to_catalog_item_id: str
    quantity: int
    transition_type: str = "transition_only"
    from_catalog_item_id: str | None = None
    from_subscription_id: str | None = None
    to_subscription_id: str | None = None
    term_duration: str | None = None
    billing_cycle: str | None = None
