"""Partner Center error codes the emulator answers with.

Codes, statuses and texts follow Partner Center's published error table (see
/work/shared/partner-center-api.md §2). Where the real code is not documented the emulator picks one and
says so here, so a client never depends on more than the status for those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cspsync.emulator.wire import ApiError


@dataclass(frozen=True)
class ErrorCode:
    """One Partner Center error: HTTP status, code and the default description (a format string)."""

    status: int
    code: str
    text: str
    name: str | None = None  # errorName of the newer error shape, where Partner Center sends one

    def error(
        self, description: str | None = None, /, *, headers: Mapping[str, str] | None = None, **values: Any
    ) -> ApiError:
        """The error with ``description`` (or the default text formatted with ``values``)."""
        text = description if description is not None else self.text.format(**values)
        return ApiError(self.status, self.code, text, error_name=self.name, headers=headers)


# --- request level
NOT_AUTHENTICATED = ErrorCode(401, "800001", "Partner Token missing in request context")
INVALID_INPUT = ErrorCode(400, "800002", "Invalid request input")
INVALID_PROPERTY = ErrorCode(400, "3000", "Invalid property")
ROUTE_NOT_FOUND = ErrorCode(404, "1000", "Not found")
METHOD_NOT_ALLOWED = ErrorCode(405, "405", "The requested resource does not support http method '{method}'.")
ETAG_MISMATCH = ErrorCode(412, "2055", "Etag is no longer valid")
SERVER_ERROR = ErrorCode(500, "800003", "Unexpected service error")
SERVICE_UNAVAILABLE = ErrorCode(503, "503", "The service is temporarily unavailable. Please try again later.")

# --- customers
TENANT_NOT_FOUND = ErrorCode(404, "60003", "Tenant not found")
NO_COMMERCE_RELATIONSHIP = ErrorCode(
    403, "20002", "The partner id {partner} has no commerce relationship with the customer id {customer}."
)
# Undocumented: Partner Center's code for a taken domain is not published; the emulator uses 1010.
DOMAIN_TAKEN = ErrorCode(409, "1010", "The domain {domain} is already used by another tenant.")
COUNTRY_NOT_ONBOARDED = ErrorCode(403, "2030", "Partner is not onboarded to sell in country {country}")
NOT_A_RESELLER = ErrorCode(400, "800016", "The partner {partner} is not a valid Indirect Reseller of this partner")
REGISTRATION_NUMBER_NOT_SUPPORTED = ErrorCode(
    400, "600002", "Organization registration id value is not supported in country {country}."
)
REGISTRATION_NUMBER_MISSING = ErrorCode(
    400, "600049", "Organization registration id information is missing for country {country}."
)
PHONE_NUMBER_MISSING = ErrorCode(400, "600051", "Customer phone number is missing for country {country}.")

# --- agreements
AGREEMENT_EXISTS = ErrorCode(
    409,
    "600061",
    "A partner confirmed agreement already exists for this customer with the same primary contact.",
    name="PartnerConfirmedAgreementAlreadyExists",
)
AGREEMENT_MISSING = ErrorCode(
    403,
    "13605",
    "Either a partner confirmation of the customer acceptance of the Microsoft Customer Agreement must be "
    "provided or the customer must accept the Microsoft Customer Agreement in the Microsoft Admin Center "
    "before you can complete this purchase",
)

# --- catalog, carts and orders
OFFER_NOT_IN_COUNTRY = ErrorCode(400, "800070", "Offer is not available in the specified country")
# get-a-product-by-id, get-a-sku-by-id, get-an-availability-by-id, get-a-list-of-products
PRODUCT_NOT_FOUND = ErrorCode(404, "400013", "Product was not found.")
SKU_NOT_FOUND = ErrorCode(404, "400018", "Sku was not found.")
AVAILABILITY_NOT_FOUND = ErrorCode(404, "400019", "Availability not found.")
TARGET_VIEW_NOT_ALLOWED = ErrorCode(403, "400036", "Access to the requested targetView is not allowed.")
TARGET_SEGMENT_NOT_ALLOWED = ErrorCode(403, "400030", "Access to the requested targetSegment is not allowed.")
ORDER_NOT_FOUND = ErrorCode(404, "800002", "Order with id {id} not found.")  # code undocumented
CART_NOT_FOUND = ErrorCode(404, "800008", "Unable to retrieve cart Id")
CART_ITEM_ERRORS = ErrorCode(400, "800009", "Error in Cart item(s)")
CART_SUBMITTED = ErrorCode(400, "800065", "Cannot check out an already submitted cart {cart}.")

# cart line errors (CartErrorCode): sent inside a line item, not as a response status
LINE_INVALID_CATALOG_ITEM = "10001"
LINE_INVALID_PARTICIPANTS = "10004"
LINE_INVALID_INPUT = "10010"

# --- subscriptions
SUBSCRIPTION_NOT_FOUND = ErrorCode(404, "20003", "Subscription with id {id} not found.")
SUBSCRIPTION_DELETED = ErrorCode(400, "2011", "Subscription with id {id} and deleted status cannot be updated.")
BILLING_CYCLE_CHANGE = ErrorCode(
    400,
    "2054",
    "The billing cycle for an existing subscription cannot be updated using update-subscription operation. "
    "Please use update-Order operation",
)
QUANTITY_DECREASE = ErrorCode(400, "800090", "Subscription quantity cannot be decreased")
SUSPENDED_UPDATE = ErrorCode(400, "800091", "Cannot update a subscription with suspended status")
AUTO_RENEW_NOT_ELIGIBLE = ErrorCode(400, "800093", "The subscription is not eligible to be auto-renewed")
QUANTITY_NOT_UPDATABLE = ErrorCode(400, "800095", "Cannot update the seat quantity for this subscription")
STATUS_NOT_UPDATABLE = ErrorCode(400, "800096", "Cannot update the status for this subscription")
CANCEL_WINDOW_PASSED = ErrorCode(
    400, "900117", "You have passed your {days}-day cancellation window. We are unable to cancel your purchase"
)
# Undocumented: the new-commerce policy caps updates of one subscription at 1,200 without a published code.
TOO_MANY_UPDATES = ErrorCode(
    400, "800098", "The subscription has reached the limit of {limit} updates; no more changes are accepted."
)

# --- qualifications (codes undocumented)
QUALIFICATION_NOT_SETTABLE = ErrorCode(400, "800002", "The Nonprofit qualification cannot be set by a partner.")
QUALIFICATION_EXISTS = ErrorCode(409, "800002", "The customer already has the {qualification} qualification.")

# --- the integration sandbox (test-and-debug, sandbox-scenario, delete-a-customer-account-from-the-integration-
# sandbox). 900116 and the cart line code 10009 are documented; the other codes are the emulator's choice.
SANDBOX_CUSTOMER_LIMIT = ErrorCode(400, "600013", "The integration sandbox allows at most {limit} customers.")
SANDBOX_LICENCE_LIMIT = ErrorCode(
    400, "600014", "The integration sandbox allows at most {limit} licences a subscription."
)
SANDBOX_NO_INVITATIONS = ErrorCode(403, "600015", "Sandbox partners cannot invite customers.")
SANDBOX_PLAN_LIMIT = ErrorCode(400, "900116", "The integration sandbox allows at most {limit} Azure plans.")
DELETE_ONLY_IN_SANDBOX = ErrorCode(
    403, "600016", "Customers can only be deleted from the integration sandbox (the TIP account)."
)
DELETE_BLOCKED = ErrorCode(
    409, "600017", "Cancel the customer's Azure reservations and software purchases before deleting it."
)
LINE_SANDBOX_LIMIT = "10009"
