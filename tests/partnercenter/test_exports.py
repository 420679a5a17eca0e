from __future__ import annotations

from pathlib import Path

import cspsync.partnercenter as pc


def test_public_api_is_pinned() -> None:
    assert pc.__all__ == [
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
    for name in pc.__all__:
        assert getattr(pc, name) is not None


def test_core_never_imports_click() -> None:
    for path in Path(pc.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import click" not in text and "from click" not in text, path
