"""Everything that talks to Partner Center over HTTP: typed client, tokens, retries, error mapping.

Public API (pinned by tests/partnercenter/test_exports.py)::

    client = PartnerCenterClient(tokens=from_environment(os.environ))
    with client.calls() as log:
        created = client.create_customer(request)
    log.request_ids  # the MS-RequestId of every call the action made
"""

from .auth import AppCredentials, Certificate, DeviceCodeLogin, StaticToken, TokenProvider, from_environment
from .calls import CallLog, CallRecord, ClientStats
from .client import PartnerCenterClient
from .models import (
    Address,
    AddressValidationResult,
    AgreementTemplate,
    Availability,
    BillingProfile,
    Cart,
    CartLineItem,
    CheckoutResult,
    Collection,
    CompanyProfile,
    CompanyProfileCreate,
    Contact,
    CreatedCustomer,
    Customer,
    CustomerAgreement,
    CustomerCreateRequest,
    CustomerSummary,
    Order,
    PartnerRelationship,
    Product,
    Sku,
    Subscription,
    UserCredentials,
    parse_collection,
)
from .retry import Limits, RetryPolicy

__all__ = [
    "Address",
    "AddressValidationResult",
    "AgreementTemplate",
    "AppCredentials",
    "Availability",
    "BillingProfile",
    "CallLog",
    "CallRecord",
    "Cart",
    "CartLineItem",
    "Certificate",
    "CheckoutResult",
    "ClientStats",
    "Collection",
    "CompanyProfile",
    "CompanyProfileCreate",
    "Contact",
    "CreatedCustomer",
    "Customer",
    "CustomerAgreement",
    "CustomerCreateRequest",
    "CustomerSummary",
    "DeviceCodeLogin",
    "Limits",
    "Order",
    "PartnerCenterClient",
    "PartnerRelationship",
    "Product",
    "RetryPolicy",
    "Sku",
    "StaticToken",
    "Subscription",
    "TokenProvider",
    "UserCredentials",
    "from_environment",
    "parse_collection",
]
