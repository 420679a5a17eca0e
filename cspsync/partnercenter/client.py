"""The typed Partner Center client: one method per API operation cspsync needs.

It is a thin layer over :class:`~cspsync.partnercenter.session.Session`: paths, bodies, paging and the
natural-key checks that make creates safe to retry. Methods marked *App+User* ask the token provider for
a delegated token (``user=True``). The client is thread-safe; concurrency comes from the callers'
thread pools and is bounded by :class:`~cspsync.partnercenter.retry.Limits`.

Request ids: wrap an action in ``with client.calls() as log:`` and read ``log.request_ids`` (see
:mod:`cspsync.partnercenter.calls`); errors carry theirs in ``PartnerCenterError.request_id``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from cspsync.errors import NotFoundError, PartnerCenterError

from .arm import ARM_URL, ArmClient
from .auth import TokenProvider
from .calls import CallLog, ClientStats, recording
from .errormap import error_for_transport
from .gdap import GRAPH_URL, GdapClient
from .identity import needs_user
from .models import (
    Address,
    AddressValidationResult,
    AgreementTemplate,
    ApiModel,
    AuditRecord,
    Availability,
    AzureEntitlement,
    BillingProfile,
    Cart,
    CartLineItem,
    CheckoutResult,
    Collection,
    CreatedCustomer,
    Customer,
    CustomerAgreement,
    CustomerCreateRequest,
    CustomerSummary,
    CustomerUser,
    Link,
    Order,
    PartnerRelationship,
    Subscription,
    Transition,
    TransitionEligibility,
    parse_collection,
    to_wire,
)
from .retry import Limits, RetryPolicy, monotonic_clock, real_sleep
from .session import Reply, Session

M = TypeVar("M", bound=ApiModel)

DEFAULT_BASE_URL = "https://api.partnercenter.microsoft.com"
#: The pricing API's host ("Get a price sheet"): not the host of the rest of Partner Center's API.
SALES_BASE_URL = "https://api.partner.microsoft.com"
PRICE_SHEET_PATH = "/v1.0/sales/pricesheets(Market='{market}',PricesheetView='{view}')/$value"
_PRICE_SHEET_MARKET = re.compile(r"[A-Za-z]{2}")
_PRICE_SHEET_VIEW = re.compile(r"[a-z_]{1,40}")
MCA = "MicrosoftCustomerAgreement"
#: Fields a subscription PATCH changes; compared when checking whether an earlier attempt landed.
SUBSCRIPTION_MUTABLE = ("friendly_name", "quantity", "status", "auto_renew_enabled")
_ADDRESS_FIELDS = {"address_line1", "address_line2", "city", "state", "postal_code", "country"}


def next_page_path(uri: str, base_url: str) -> str:
    """The path (with query) to GET for a ``links.next.uri``.

    Partner Center writes these with or without the ``/v1`` prefix (``/customers?size=500&seekOperation=
    Next``, ``/v1/customers?…``; partner-center-api.md 4.3); absolute URIs must point at ``base_url``
    (the bearer token is never sent elsewhere).
    """
    parsed = httpx.URL(uri)
    if parsed.is_absolute_url:
        base = httpx.URL(base_url)
        if (parsed.scheme, parsed.host, parsed.port) != (base.scheme, base.host, base.port):
            raise PartnerCenterError(f"Partner Center returned a next-page link to another host: {parsed.host}")
        uri = parsed.raw_path.decode("ascii")
    path = "/" + uri.lstrip("/")
    if path == "/v1" or path.startswith(("/v1/", "/v1?")):
        return path
    return "/v1" + path


def _wire_time(moment: dt.datetime) -> str:
    """UTC ISO 8601 with a Z, to the second (the activity log's dates)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _model(model: type[M]) -> Callable[[Reply], M]:
    return lambda reply: model.model_validate(reply.body)


def _customer_filter(field: str, value: str) -> str:
    return json.dumps({"Field": field, "Value": value, "Operator": "starts_with"}, separators=(",", ":"))


class PartnerCenterClient(AbstractContextManager["PartnerCenterClient"]):
    """Typed calls to Partner Center (or the emulator, given its transport and base URL)."""

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        tokens: TokenProvider,
        pricing_tokens: TokenProvider | None = None,
        correlation_id: str | None = None,
        locale: str = "en-US",
        limits: Limits | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        timeout: float = 30.0,
        graph_base_url: str | None = None,
        graph_tokens: TokenProvider | None = None,
        arm_base_url: str | None = None,
        arm_tokens: TokenProvider | None = None,
    ) -> None:
        limits = limits or Limits()
        self.limits = limits
        self.base_url = base_url.rstrip("/")
        self.stats = ClientStats()
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=limits.max_concurrency, max_keepalive_connections=limits.max_concurrency
            ),
            follow_redirects=False,
        )
        self._session = Session(
            http=self._http,
            tokens=tokens,
            correlation_id=correlation_id or str(uuid.uuid4()),
            locale=locale,
            limits=limits,
            policy=retry or RetryPolicy(),
            clock=clock or monotonic_clock,
            sleep=sleep or real_sleep,
            stats=self.stats,
        )
        #: App+User tokens for the pricing API's audience (api.partner.microsoft.com); None: ``tokens``
        self._pricing_tokens = pricing_tokens
        self._availability_cache: dict[tuple[str, str, str], list[Availability]] = {}
        self._availability_lock = threading.Lock()
        # Microsoft Graph for GDAP: graph.microsoft.com when this client talks to Partner Center, else the
        # emulator's own host (it serves both APIs, and the in-process one takes any host)
        graph_url = graph_base_url or (GRAPH_URL if self.base_url == DEFAULT_BASE_URL else self.base_url)
        #: GDAP calls (Microsoft Graph) with this client's limiter, retries and request ids
        self.gdap = GdapClient(self._session, base_url=graph_url, tokens=graph_tokens)
        # Azure Resource Manager for the Azure subscriptions under an Azure plan: the same, on its own host
        arm_url = arm_base_url or (ARM_URL if self.base_url == DEFAULT_BASE_URL else self.base_url)
        self.arm = ArmClient(self._session, base_url=arm_url, tokens=arm_tokens)

    # ------------------------------------------------------------------------------------ lifecycle

    @property
    def correlation_id(self) -> str:
        """The ``MS-CorrelationId`` of every call of this client (one per run)."""
        return self._session.correlation_id

    def calls(self) -> AbstractContextManager[CallLog]:
        """Record the calls (request ids, statuses) made in this thread until the block ends."""
        return recording()

    def close(self) -> None:
        self._http.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------------------------- paging

    def _pages(
        self,
        template: str,
        item: type[M],
        *,
        path_params: dict[str, str] | None = None,
        params: dict[str, str | int] | None = None,
        user: bool = False,
    ) -> Iterator[M]:
        """Items of a collection, following ``links.next`` (its headers carry MS-ContinuationToken)."""

        def parse(reply: Reply) -> Collection[M]:
            return parse_collection(item, reply.body)

        page = self._session.call("GET", template, parse, path_params=path_params, params=params, user=user)
        seen: set[tuple[str, str]] = set()
        while True:
            yield from page.items
            link: Link | None = page.next_link
            if link is None:
                return
            headers = {h.key: h.value for h in link.headers}
            if page.continuation_token and not any(k.lower() == "ms-continuationtoken" for k in headers):
                headers["MS-ContinuationToken"] = page.continuation_token
            key = (link.uri, json.dumps(headers, sort_keys=True))
            if key in seen:
                raise PartnerCenterError(f"Partner Center repeated a next-page link of GET {template}")
            seen.add(key)
            url = next_page_path(link.uri, self.base_url)
            page = self._session.call("GET", template + " (next page)", parse, url=url, headers=headers, user=user)

    # ---------------------------------------------------------------------------------- customers

    def list_customers(self, page_size: int = 500) -> Iterator[CustomerSummary]:
        """Every customer of the partner, page by page (lazily)."""
        return self._pages("/v1/customers", CustomerSummary, params={"size": page_size})

    def get_customer(self, customer_id: str) -> Customer:
        return self._session.call(
            "GET", "/v1/customers/{customer_id}", _model(Customer), path_params={"customer_id": customer_id}
        )

    def find_customer_by_domain(self, domain: str) -> Customer | None:
        """The customer whose tenant domain is ``domain`` (case-insensitive), or None.

        Uses the ``Domain`` ``starts_with`` filter, then an exact match; the result holds the list
        fields only (id, company profile, relationship): call :meth:`get_customer` for the rest.
        """
        wanted = domain.strip().casefold()
        params: dict[str, str | int] = {"size": 100, "filter": _customer_filter("Domain", domain.strip())}
        for summary in self._pages("/v1/customers", Customer, params=params):
            if (summary.domain or "").casefold() == wanted:
                return summary
        return None

    def customers_of_reseller(self, reseller_id: str) -> Iterator[CustomerSummary]:
        """The customers an indirect reseller (its tenant id) sells to: the ``IndirectReseller`` filter of
        ``GET /v1/customers`` (Microsoft's "Get customers of an indirect reseller"). A customer's reseller
        is not part of any documented read of the customer itself."""
        params: dict[str, str | int] = {"size": 500, "filter": _customer_filter("IndirectReseller", reseller_id)}
        return self._pages("/v1/customers", CustomerSummary, params=params)

    def domain_available(self, domain: str) -> bool:
        """``HEAD /v1/domains/{domain}``: 404 means nobody has it, 200 means it is taken."""
        return self._session.call(
            "HEAD",
            "/v1/domains/{domain}",
            lambda reply: reply.status == 404,
            path_params={"domain": domain},
            ok=(200, 404),
        )

    def validate_address(self, address: Address) -> AddressValidationResult:
        body = address.model_dump(mode="json", by_alias=True, exclude_none=True, include=_ADDRESS_FIELDS)
        return self._session.call(
            "POST", "/v1/validations/address", _model(AddressValidationResult), json=body, idempotent=True
        )

    def create_customer(self, request: CustomerCreateRequest) -> CreatedCustomer:
        """Create a customer and its tenant; the result holds the one-time admin credentials.

        App+User when ``associated_partner_id`` (an indirect reseller's tenant id) is set. If the call
        fails in transit, the customer is looked up by domain before any retry; if it exists with the
        company name and billing e-mail this call sent, it is this call's customer, returned with
        ``credentials_lost=True`` (the password was only in the lost response). A customer at that domain
        with another name or e-mail is someone else's: the retry then meets Partner Center's refusal.
        """
        domain = request.company_profile.domain
        sent = request.billing_profile

        def landed() -> CreatedCustomer | None:
            found = self.find_customer_by_domain(domain)
            if found is None:
                return None
            full = self.get_customer(found.id)
            billing = full.billing_profile
            same = (
                billing is not None
                and (billing.company_name or "").casefold() == (sent.company_name or "").casefold()
                and (billing.email or "").casefold() == (sent.email or "").casefold()
            )
            return CreatedCustomer(customer=full, credentials_lost=True) if same else None

        return self._session.call(
            "POST",
            "/v1/customers",
            lambda reply: CreatedCustomer.from_response(reply.body),
            json=to_wire(request),
            user=needs_user(
                "create_customer_for_indirect_reseller" if request.associated_partner_id else "create_customer"
            ),
            idempotent=False,
            landed=landed,
            ok=(200, 201),
        )

    def get_billing_profile(self, customer_id: str) -> BillingProfile:
        return self._session.call(
            "GET",
            "/v1/customers/{customer_id}/profiles/billing",
            _model(BillingProfile),
            path_params={"customer_id": customer_id},
        )

    def update_billing_profile(self, customer_id: str, profile: BillingProfile) -> BillingProfile:
        """PUT the whole billing profile with ``If-Match`` (its etag as read)."""
        wanted = to_wire(profile.model_copy(update={"attributes": None, "id": None}))

        def landed() -> BillingProfile | None:
            current = self.get_billing_profile(customer_id)
            same = to_wire(current.model_copy(update={"attributes": None, "id": None})) == wanted
            return current if same else None

        return self._session.call(
            "PUT",
            "/v1/customers/{customer_id}/profiles/billing",
            _model(BillingProfile),
            path_params={"customer_id": customer_id},
            json=to_wire(profile),
            headers={"If-Match": profile.etag} if profile.etag else None,
            landed=landed,
        )

    # ----------------------------------------------------------------------------- customer users

    def list_customer_users(self, customer_id: str) -> list[CustomerUser]:
        """The users of the customer's tenant (App+User; Partner Center: "Get a list of all user accounts
        for a customer")."""
        return list(
            self._pages(
                "/v1/customers/{customer_id}/users",
                CustomerUser,
                path_params={"customer_id": customer_id},
                user=True,
            )
        )

    def reset_user_password(self, customer_id: str, user_id: str, password: SecretStr) -> CustomerUser:
        """Set a new password for a customer's user, to be changed at the next sign-in (App+User; Partner
        Center: "Reset user password for a customer", ``PATCH /v1/customers/{id}/users/{userId}``).

        Setting the same password twice is harmless, so a lost answer is simply retried.
        """
        body = {
            "passwordProfile": {"password": password.get_secret_value(), "forceChangePassword": True},
            "attributes": {"objectType": "CustomerUser"},
        }
        return self._session.call(
            "PATCH",
            "/v1/customers/{customer_id}/users/{user_id}",
            _model(CustomerUser),
            path_params={"customer_id": customer_id, "user_id": user_id},
            json=body,
            user=True,
            idempotent=True,
        )

    # ----------------------------------------------------------------------------- relationships

    def relationship_request_link(self, indirect_reseller_id: str | None = None) -> str:
        """The reseller-relationship invitation URL a customer's Global Admin accepts (App+User)."""
        params: dict[str, str | int] = {"indirectResellerId": indirect_reseller_id} if indirect_reseller_id else {}

        def parse(reply: Reply) -> str:
            url = reply.body.get("url") if isinstance(reply.body, dict) else None
            if not isinstance(url, str) or not url:
                raise PartnerCenterError(
                    "Partner Center returned no relationship request URL", request_id=reply.request_id
                )
            return url

        return self._session.call(
            "GET",
            "/v1/customers/relationshiprequests",
            parse,
            params=params,
            user=needs_user("relationship_request_link"),
        )

    def customer_relationships(self, customer_id: str) -> list[PartnerRelationship]:
        """Partners related to the customer's tenant (App+User); empty when none."""
        return list(
            self._pages(
                "/v1/customers/{customer_id}/relationships",
                PartnerRelationship,
                path_params={"customer_id": customer_id},
                user=needs_user("customer_relationships"),
            )
        )

    def indirect_resellers(self) -> list[PartnerRelationship]:
        """The provider's indirect resellers (App+User)."""
        params: dict[str, str | int] = {"relationship_type": "IsIndirectCloudSolutionProviderOf"}
        return list(
            self._pages("/v1/relationships", PartnerRelationship, params=params, user=needs_user("indirect_resellers"))
        )

    # -------------------------------------------------------------------------------------- audit

    def audit_records(self, start: dt.datetime, end: dt.datetime | None = None) -> Iterator[AuditRecord]:
        """Partner operations dated from ``start`` (to ``end``), every page (Partner Center: "Get a record
        of Partner Center activity"; App or App+User). The activity log keeps 90 days: an older start is
        refused (400)."""
        params: dict[str, str | int] = {"startDate": _wire_time(start), "size": 500}
        if end is not None:
            params["endDate"] = _wire_time(end)
        return self._pages("/v1/auditrecords", AuditRecord, params=params)

    def server_time(self) -> dt.datetime | None:
        """The service's clock as its last answer stated it (the ``Date`` header), None before any."""
        return self._session.server_date

    # --------------------------------------------------------------------------------- agreements

    def agreement_template(self, agreement_type: str = MCA) -> AgreementTemplate:
        """The current template of ``agreement_type`` (App+User); its ``template_id`` goes in agreements."""
        params: dict[str, str | int] = {"agreementType": agreement_type}
        templates = list(
            self._pages("/v1/agreements", AgreementTemplate, params=params, user=needs_user("customer_agreement"))
        )
        if not templates:
            raise NotFoundError(f"Partner Center has no agreement template of type {agreement_type}")
        return templates[0]

    def list_agreements(self, customer_id: str, agreement_type: str = MCA) -> list[CustomerAgreement]:
        """Agreement acceptances recorded for the customer (App+User)."""
        return list(
            self._pages(
                "/v1/customers/{customer_id}/agreements",
                CustomerAgreement,
                path_params={"customer_id": customer_id},
                params={"agreementType": agreement_type},
                user=needs_user("customer_agreement"),
            )
        )

    def create_agreement(self, customer_id: str, agreement: CustomerAgreement) -> CustomerAgreement:
        """Record the customer's acceptance (App+User). After a lost response, an existing acceptance by
        the same contact for the same template is adopted instead of posting a duplicate."""

        def landed() -> CustomerAgreement | None:
            for existing in self.list_agreements(customer_id, agreement.type):
                if existing.template_id == agreement.template_id and existing.primary_contact.same_person(
                    agreement.primary_contact
                ):
                    return existing
            return None

        return self._session.call(
            "POST",
            "/v1/customers/{customer_id}/agreements",
            _model(CustomerAgreement),
            path_params={"customer_id": customer_id},
            json=to_wire(agreement),
            user=needs_user("customer_agreement"),
            idempotent=False,
            landed=landed,
            ok=(200, 201),
        )

    # ------------------------------------------------------------------------------ catalog, carts

    def availabilities(self, product_id: str, sku_id: str, country: str) -> list[Availability]:
        """Availabilities of a SKU in a country; cached for the life of the client."""
        key = (product_id, sku_id, country.upper())
        with self._availability_lock:
            cached = self._availability_cache.get(key)
        if cached is None:
            cached = list(
                self._pages(
                    "/v1/products/{product_id}/skus/{sku_id}/availabilities",
                    Availability,
                    path_params={"product_id": product_id, "sku_id": sku_id},
                    params={"country": key[2]},
                )
            )
            with self._availability_lock:
                cached = self._availability_cache.setdefault(key, cached)
        return list(cached)

    def create_cart(self, customer_id: str, line_items: Sequence[CartLineItem]) -> Cart:
        """A new cart; lines without an ``id`` are numbered 0..n-1. Retrying only makes another cart."""
        lines = [
            line if line.id is not None else line.model_copy(update={"id": index})
            for index, line in enumerate(line_items)
        ]
        body: dict[str, Any] = {"lineItems": [to_wire(line) for line in lines]}
        return self._session.call(
            "POST",
            "/v1/customers/{customer_id}/carts",
            _model(Cart),
            path_params={"customer_id": customer_id},
            json=body,
            idempotent=True,
            ok=(200, 201),
        )

    def get_cart(self, customer_id: str, cart_id: str) -> Cart:
        return self._session.call(
            "GET",
            "/v1/customers/{customer_id}/carts/{cart_id}",
            _model(Cart),
            path_params={"customer_id": customer_id, "cart_id": cart_id},
        )

    def checkout(self, customer_id: str, cart_id: str) -> CheckoutResult:
        """Place the cart's orders. After a lost response, a cart already ``Ordered`` is not checked out
        again: the result then has ``recovered=True`` and no orders (read the subscriptions)."""

        def landed() -> CheckoutResult | None:
            cart = self.get_cart(customer_id, cart_id)
            return CheckoutResult(recovered=True) if (cart.status or "").lower() == "ordered" else None

        return self._session.call(
            "POST",
            "/v1/customers/{customer_id}/carts/{cart_id}/checkout",
            _model(CheckoutResult),
            path_params={"customer_id": customer_id, "cart_id": cart_id},
            idempotent=False,
            landed=landed,
            ok=(200, 201),
        )

    def get_order(self, customer_id: str, order_id: str) -> Order:
        """``GET /v1/customers/{id}/orders/{orderId}`` ("Get an order by ID")."""
        return self._session.call(
            "GET",
            "/v1/customers/{customer_id}/orders/{order_id}",
            _model(Order),
            path_params={"customer_id": customer_id, "order_id": order_id},
        )

    # ------------------------------------------------------------------------------ subscriptions

    def list_subscriptions(self, customer_id: str) -> list[Subscription]:
        return list(
            self._pages(
                "/v1/customers/{customer_id}/subscriptions",
                Subscription,
                path_params={"customer_id": customer_id},
            )
        )

    def get_subscription(self, customer_id: str, subscription_id: str) -> Subscription:
        return self._session.call(
            "GET",
            "/v1/customers/{customer_id}/subscriptions/{subscription_id}",
            _model(Subscription),
            path_params={"customer_id": customer_id, "subscription_id": subscription_id},
        )

    def update_subscription(self, customer_id: str, subscription: Subscription) -> Subscription:
        """PATCH the whole subscription (as read, with changes) with ``If-Match`` its etag.

        A 202 (accepted, still processing) is answered with the subscription as read afterwards.
        """
        path_params = {"customer_id": customer_id, "subscription_id": subscription.id}

        def landed() -> Subscription | None:
            current = self.get_subscription(customer_id, subscription.id)
            same = all(getattr(current, f) == getattr(subscription, f) for f in SUBSCRIPTION_MUTABLE)
            return current if same else None

        def parse(reply: Reply) -> Subscription | None:
            if reply.status == 202 and not (isinstance(reply.body, dict) and reply.body.get("id")):
                return None
            return Subscription.model_validate(reply.body)

        updated = self._session.call(
            "PATCH",
            "/v1/customers/{customer_id}/subscriptions/{subscription_id}",
            parse,
            path_params=path_params,
            json=to_wire(subscription),
            headers={"If-Match": subscription.etag} if subscription.etag else None,
            landed=landed,
            ok=(200, 202),
        )
        return updated if updated is not None else self.get_subscription(customer_id, subscription.id)

    def rename(self, customer_id: str, subscription: Subscription, friendly_name: str) -> Subscription:
        return self.update_subscription(customer_id, subscription.model_copy(update={"friendly_name": friendly_name}))

    def set_quantity(self, customer_id: str, subscription: Subscription, quantity: int) -> Subscription:
        return self.update_subscription(customer_id, subscription.model_copy(update={"quantity": quantity}))

    def set_status(self, customer_id: str, subscription: Subscription, status: str) -> Subscription:
        """``suspended``, ``active`` (reactivate) or ``deleted`` (cancel)."""
        return self.update_subscription(customer_id, subscription.model_copy(update={"status": status}))

    def set_auto_renew(self, customer_id: str, subscription: Subscription, enabled: bool) -> Subscription:
        return self.update_subscription(customer_id, subscription.model_copy(update={"auto_renew_enabled": enabled}))

    def azure_entitlements(self, customer_id: str, azure_plan_id: str) -> list[AzureEntitlement]:
        """The Azure subscriptions under an Azure plan ("Get a list of Azure entitlements for a subscription":
        ``GET …/subscriptions/{azure-plan-id}/azureEntitlements``)."""
        return list(
            self._pages(
                "/v1/customers/{customer_id}/subscriptions/{subscription_id}/azureEntitlements",
                AzureEntitlement,
                path_params={"customer_id": customer_id, "subscription_id": azure_plan_id},
            )
        )

    def transition_eligibilities(
        self, customer_id: str, subscription_id: str, eligibility_type: str = "immediate"
    ) -> list[TransitionEligibility]:
        """What a subscription can move to now (``immediate``) or at renewal (``scheduled``) ("Transition a new
        commerce subscription": ``GET …/transitionEligibilities?eligibilityType=``)."""
        return list(
            self._pages(
                "/v1/customers/{customer_id}/subscriptions/{subscription_id}/transitionEligibilities",
                TransitionEligibility,
                path_params={"customer_id": customer_id, "subscription_id": subscription_id},
                params={"eligibilityType": eligibility_type},
            )
        )

    def create_transition(self, customer_id: str, subscription_id: str, transition: Transition) -> Transition:
        """``POST …/subscriptions/{id}/transitions``: upgrade the subscription's seats to another offer. After a
        lost response, a source that moved all its seats (no longer active) or fewer seats means the
        transition landed: then the answer is the request itself, without ``toSubscriptionId``."""
        before = self.get_subscription(customer_id, subscription_id)

        def landed() -> Transition | None:
            now = self.get_subscription(customer_id, subscription_id)
            moved = (now.status or "").lower() != "active" or (now.quantity or 0) < (before.quantity or 0)
            return transition if moved else None

        return self._session.call(
            "POST",
            "/v1/customers/{customer_id}/subscriptions/{subscription_id}/transitions",
            _model(Transition),
            path_params={"customer_id": customer_id, "subscription_id": subscription_id},
            json=to_wire(transition),
            idempotent=False,
            landed=landed,
            ok=(200, 201),
        )

    # ---------------------------------------------------------------------------------- pricing

    def price_sheet_url(self, market: str, view: str = "updatedlicensebased") -> str:
        """Where the price sheet is: on api.partner.microsoft.com when this client talks to Partner Center
        (``base_url`` is Partner Center's), else on ``base_url`` itself: an emulator serves both APIs on one
        host, and the in-process one receives requests for any host through its transport."""
        if not _PRICE_SHEET_MARKET.fullmatch(market) or not _PRICE_SHEET_VIEW.fullmatch(view):
            raise ValueError(f"not a price sheet market and view: {market!r}, {view!r}")
        host = SALES_BASE_URL if self.base_url == DEFAULT_BASE_URL else self.base_url
        return host + PRICE_SHEET_PATH.format(market=market.upper(), view=view)

    def price_sheet(
        self,
        market: str,
        view: str = "updatedlicensebased",
        *,
        compressed: bool = True,
        tokens: TokenProvider | None = None,
        chunk_size: int = 1 << 16,
    ) -> Iterator[bytes]:
        """The price sheet of ``market`` as a byte stream (App+User): a CSV file, or a zip holding it when
        ``compressed`` (``Accept-Encoding: deflate``) and Partner Center has one.

        The request is sent when iteration starts, with the limiter and retries of every call (429, 5xx and
        transport failures before the body); a connection lost while the body streams raises
        :class:`~cspsync.errors.TransientError` (the caller's cache keeps no partial file). ``tokens`` gives
        the App+User token for the pricing API's audience when the client's own provider cannot.
        """
        url = self.price_sheet_url(market, view)
        headers = {
            "Accept": "text/csv, application/octet-stream, application/zip",
            # httpx offers "gzip, deflate" by default, which would ask for the zip: always say which.
            "Accept-Encoding": "deflate" if compressed else "identity",
        }
        template = "/v1.0/sales/pricesheets"
        response = self._session.stream(
            "GET",
            template,
            url=url,
            headers=headers,
            user=needs_user("price_sheet"),
            tokens=tokens or self._pricing_tokens,
        )
        try:
            yield from response.iter_bytes(chunk_size)
        except httpx.RequestError as exc:
            request_id = response.request.headers.get("MS-RequestId", "")
            raise error_for_transport(exc, request_id=request_id, operation=f"GET {template}") from None
        finally:
            response.close()
