# ruff: noqa: E501  (the expected messages are pinned verbatim, one per line)
"""Invalid customer files: each case edits the valid CUSTOMER and pins every problem's place and message.

The expectations are ``line:column: path: message`` in customers/c.yaml, the exact lines `cspsync
validate` prints.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .support import CUSTOMER, edit

#: the customer's list of subscriptions, its last block
_SUBSCRIPTIONS = CUSTOMER[CUSTOMER.index("  subscriptions:\n") :]

CASES = [
    # found by the fuzz suite: a scalar where the list of subscriptions goes ended validate in a traceback
    pytest.param(
        _SUBSCRIPTIONS,
        "  subscriptions: true\n",
        ["30:18: spec.subscriptions: must be a list (got true)"],
        id="subscriptions-not-a-list",
    ),
    pytest.param(
        _SUBSCRIPTIONS,
        "  subscriptions: 3\n",
        ["30:18: spec.subscriptions: must be a list (got 3)"],
        id="subscriptions-a-number",
    ),
    pytest.param(
        "quantity: 12",
        "quantity: 0",
        ["37:17: spec.subscriptions[1].quantity: must be at least 1 (got 0)"],
        id="quantity-zero",
    ),
    pytest.param(
        "quantity: 12",
        "quantity: 300001",
        ["37:17: spec.subscriptions[1].quantity: must be at most 300000 (got 300001)"],
        id="quantity-too-big",
    ),
    pytest.param(
        "quantity: 12",
        'quantity: "12"',
        ['37:17: spec.subscriptions[1].quantity: must be an integer (got the text "12"); write 12 without quotes'],
        id="quantity-quoted",
    ),
    pytest.param(
        "quantity: 12",
        "quantity: 1.5",
        ["37:17: spec.subscriptions[1].quantity: must be an integer (got 1.5)"],
        id="quantity-fraction",
    ),
    pytest.param(
        'skuId: "0002"',
        "skuId: 0002",
        [
            '36:16: spec.subscriptions[1].offer.skuId: must be a string, but YAML reads 0002 as the number 2; write "0002"'
        ],
        id="sku-unquoted",
    ),
    pytest.param(
        "productId: CFQ7TTC0LCHC",
        "productId: cfq7ttc0lchc",
        [
            '35:20: spec.subscriptions[1].offer.productId: must be a catalog product id of 12 capital letters and digits, like "CFQ7TTC0LH18" (got "cfq7ttc0lchc")'
        ],
        id="product-lowercase",
    ),
    pytest.param(
        "country: GB",
        "country: UK",
        ['15:16: spec.company.address.country: is not an ISO 3166-1 country code; did you mean "GB"?'],
        id="country-uk",
    ),
    pytest.param(
        "country: GB",
        "country: gb",
        [
            '15:16: spec.company.address.country: must be a two-letter ISO country code in capitals, like "GB" (got "gb")'
        ],
        id="country-lowercase",
    ),
    pytest.param(
        "country: GB",
        "country: FI",
        [
            "15:16: spec.company.address.country: FI is not one of the partner's markets in cspsync.yaml (GB, IE, NO, DE, NL, FR)",
            "20:14: spec.company.primaryContact.phone: is a phone number of GB (+44), but the company's address is in FI",
        ],
        id="country-not-a-market",
    ),
    pytest.param(
        "domainPrefix: contosobikes",
        "domainPrefix: contoso-bikes",
        [
            '23:19: spec.tenant.domainPrefix: must be 1 to 27 letters and digits (no hyphens or dots; .onmicrosoft.com is added) (got "contoso-bikes")'
        ],
        id="prefix-hyphen",
    ),
    pytest.param(
        "domainPrefix: contosobikes",
        "domainPrefix: contosobikesandscootersuk1234",
        [
            '23:19: spec.tenant.domainPrefix: must be 1 to 27 letters and digits (no hyphens or dots; .onmicrosoft.com is added) (got "contosobikesandscootersuk1234")'
        ],
        id="prefix-too-long",
    ),
    pytest.param(
        "mode: create",
        "mode: creat",
        [
            '22:11: spec.tenant.mode: must be one of "create", "invite", "existing" (got "creat"); did you mean "create"?'
        ],
        id="mode-typo",
    ),
    pytest.param(
        "    mode: create\n",
        "",
        ['21:3: spec.tenant: missing required field "mode" (one of "create", "invite", "existing")'],
        id="mode-missing",
    ),
    pytest.param(
        "    mode: create\n    domainPrefix: contosobikes",
        "    mode: invite\n    domain: contosobikes.co.uk",
        ['21:3: spec.tenant: missing required field "invitationEmail"'],
        id="invite-missing-email",
    ),
    pytest.param(
        "    mode: create\n    domainPrefix: contosobikes",
        "    mode: existing\n    tenantId: 3c9d7a10-2b4e-4f6a-8c1d",
        [
            '23:15: spec.tenant.tenantId: must be a GUID like "3c9d7a10-2b4e-4f6a-8c1d-5e7f9a0b1c2d" (got "3c9d7a10-2b4e-4f6a-8c1d")'
        ],
        id="existing-bad-guid",
    ),
    pytest.param(
        "    name: Contoso Bikes Ltd",
        "    nmae: Contoso Bikes Ltd",
        ['7:5: spec.company.nmae: unknown field "nmae"; did you mean "name"?'],
        id="field-typo",
    ),
    pytest.param(
        "metadata:",
        "metdata:",
        ['3:1: metdata: unknown field "metdata"; did you mean "metadata"?'],
        id="root-typo",
    ),
    pytest.param(
        "      quantity: 12",
        "      quantity: 12\n      seats: 12",
        ['38:7: spec.subscriptions[1].seats: unknown field "seats"; did you mean "status"?'],
        id="unknown-field",
    ),
    pytest.param(
        "apiVersion: cspsync.io/v1",
        "apiVersion: cspsync.io/v2",
        ['1:13: apiVersion: must be "cspsync.io/v1" (got "cspsync.io/v2")'],
        id="api-version",
    ),
    pytest.param(
        "kind: Customer",
        "kind: Config",
        ['2:7: kind: must be "Customer" (got "Config")'],
        id="kind",
    ),
    pytest.param(
        "name: contoso-bikes",
        "name: Contoso_Bikes",
        [
            '4:9: metadata.name: must be lower-case letters, digits and hyphens (at most 63, not starting or ending with a hyphen) (got "Contoso_Bikes")'
        ],
        id="name-not-slug",
    ),
    pytest.param(
        "name: Contoso Bikes Ltd",
        "name: C",
        ["7:11: spec.company.name: must be at least 2 characters long (got 1)"],
        id="company-too-short",
    ),
    pytest.param(
        "name: Contoso Bikes Ltd",
        "name: LLC",
        ["7:11: spec.company.name: 'LLC' is only a legal form; write the full company name"],
        id="company-legal-form-only",
    ),
    pytest.param(
        "billingEmail: accounts@contosobikes.co.uk",
        "billingEmail: accounts",
        ['8:19: spec.company.billingEmail: must be an email address like "name@example.com" (got "accounts")'],
        id="email-not-an-address",
    ),
    pytest.param(
        "billingEmail: accounts@contosobikes.co.uk",
        "billingEmail: accounts@microsoft.com",
        [
            "8:19: spec.company.billingEmail: is a Microsoft address, which Partner Center refuses; use the customer's own address"
        ],
        id="email-microsoft",
    ),
    pytest.param(
        "      email: amelia.hughes@contosobikes.co.uk\n      phone",
        "      email: amelia..hughes@contosobikes.co.uk\n      phone",
        [
            "19:14: spec.company.primaryContact.email: is not a valid email address: An email address cannot have two periods in a row."
        ],
        id="email-double-dot",
    ),
    pytest.param(
        'phone: "+44 117 496 0123"',
        'phone: "0117 496 0123"',
        [
            '20:14: spec.company.primaryContact.phone: must be in international format: +, country code and number, like "+44 117 496 0123" (got "0117 496 0123")'
        ],
        id="phone-national",
    ),
    pytest.param(
        'phone: "+44 117 496 0123"',
        'phone: "+44 117 496"',
        [
            "20:14: spec.company.primaryContact.phone: is not a valid phone number (+44 numbers have a different length or prefix)"
        ],
        id="phone-invalid",
    ),
    pytest.param(
        'phone: "+44 117 496 0123"',
        'phone: "+353 1 555 0142"',
        [
            "20:14: spec.company.primaryContact.phone: is a phone number of IE (+353), but the company's address is in GB"
        ],
        id="phone-other-country",
    ),
    pytest.param(
        'phone: "+44 117 496 0123"',
        "phone: +441174960123",
        [
            '20:14: spec.company.primaryContact.phone: must be a string, but YAML reads +441174960123 as the number 441174960123; write "+441174960123"'
        ],
        id="phone-unquoted-number",
    ),
    pytest.param(
        "culture: en-GB",
        "culture: xx-GB",
        ["9:14: spec.company.culture: 'xx-GB' is not a known culture (language-COUNTRY, e.g. en-GB)"],
        id="culture-unknown",
    ),
    pytest.param(
        "language: en",
        "language: de",
        ['10:15: spec.company.language: must be the language of the culture en-GB: "en"'],
        id="language-mismatch",
    ),
    pytest.param(
        'dateAgreed: "2026-10-01"',
        'dateAgreed: "2026-02-30"',
        ['29:17: spec.agreement.dateAgreed: must be a real date written YYYY-MM-DD (got "2026-02-30")'],
        id="date-impossible",
    ),
    pytest.param(
        'dateAgreed: "2026-10-01"',
        'dateAgreed: "01/10/2026"',
        ['29:17: spec.agreement.dateAgreed: must be a date written YYYY-MM-DD, like "2026-10-01" (got "01/10/2026")'],
        id="date-format",
    ),
    pytest.param(
        'dateAgreed: "2026-10-01"',
        'dateAgreed: "2026-12-01"',
        [
            "29:17: spec.agreement.dateAgreed: is in the future (no time zone has reached it: the latest date anywhere "
            "is 2026-11-26); write the day the customer accepted the agreement"
        ],
        id="date-future",
    ),
    pytest.param(
        "      offer: azure-plan\n",
        "      offer: azure-plan\n      term: P1M\n",
        ["33:13: spec.subscriptions[0].term: the Azure plan has no term; remove it"],
        id="azure-plan-term",
    ),
    pytest.param(
        "      offer: azure-plan\n",
        "      offer: azure-plan\n      quantity: 3\n",
        [
            "33:17: spec.subscriptions[0].quantity: the Azure plan has quantity 1 (got 3); Azure is billed by consumption"
        ],
        id="azure-plan-quantity",
    ),
    pytest.param(
        "      offer: azure-plan\n",
        "      offer: azure-plan\n      azureSubscriptions:\n        - friendlyName: fabrikam-contosobikes-m365bp\n",
        [
            "35:21: spec.subscriptions[1].friendlyName: is already the name of spec.subscriptions[0].azureSubscriptions[0]; friendly names are unique per customer"
        ],
        id="azure-subscription-name-taken",
    ),
    pytest.param(
        "      offer: azure-plan\n",
        "      offer: azure-plan\n      azureSubscriptions:\n        - friendlyName: fabrikam-contosobikes-prod\n"
        "        - friendlyName: fabrikam-contosobikes-prod\n",
        [
            "35:25: spec.subscriptions[0].azureSubscriptions[1].friendlyName: is already the name of spec.subscriptions[0].azureSubscriptions[0]; friendly names are unique per customer"
        ],
        id="azure-subscription-names-unique",
    ),
    pytest.param(
        "      offer: azure-plan\n",
        "      offer: azure-plan\n      azureSubscriptions:\n        - friendlyName: fabrikam-contosobikes-prod\n"
        "          subscriptionId: not-a-guid\n",
        [
            '35:27: spec.subscriptions[0].azureSubscriptions[0].subscriptionId: must be a GUID like "3c9d7a10-2b4e-4f6a-8c1d-5e7f9a0b1c2d" (got "not-a-guid")'
        ],
        id="azure-subscription-id-guid",
    ),
    pytest.param(
        "      offer: azure-plan\n",
        "      offer: azure-plan\n      azureSubscriptions:\n        - friendlyName: fabrikam-contosobikes-prod\n"
        "          subscriptionId: 0b6d2f4e-1a3c-4e5f-8a7b-9c0d1e2f3a4b\n"
        "        - friendlyName: fabrikam-contosobikes-dev\n"
        "          subscriptionId: 0B6D2F4E-1A3C-4E5F-8A7B-9C0D1E2F3A4B\n",
        [
            "37:27: spec.subscriptions[0].azureSubscriptions[1].subscriptionId: is already the id of azureSubscriptions[0]; each Azure subscription is declared once"
        ],
        id="azure-subscription-id-twice",
    ),
    pytest.param(
        "      term: P1Y\n",
        "      term: P1Y\n      azureSubscriptions:\n        - friendlyName: fabrikam-contosobikes-prod\n",
        [
            "40:9: spec.subscriptions[1].azureSubscriptions: Azure subscriptions live under the Azure plan: move them to the subscription with offer: azure-plan"
        ],
        id="azure-subscriptions-under-a-licence",
    ),
    pytest.param(
        "      offer: azure-plan\n",
        "      offer: azure-plan\n      azureSubscriptions:\n        - name: fabrikam-contosobikes-prod\n",
        [
            '34:11: spec.subscriptions[0].azureSubscriptions[0]: missing required field "friendlyName"',
            '34:11: spec.subscriptions[0].azureSubscriptions[0].name: unknown field "name" (allowed here: friendlyName, subscriptionId)',
        ],
        id="azure-subscription-unknown-key",
    ),
    pytest.param(
        "      term: P1Y\n",
        "",
        ['33:7: spec.subscriptions[1]: missing required field "term" for a license offer (P1M, P1Y or P3Y)'],
        id="license-no-term",
    ),
    pytest.param(
        "      term: P1Y\n",
        "      term: P1M\n      billingCycle: annual\n",
        ["39:21: spec.subscriptions[1].billingCycle: annual billing needs a term of P1Y or P3Y (term is P1M)"],
        id="annual-monthly-term",
    ),
    pytest.param(
        "term: P1Y",
        "term: P2Y",
        ['38:13: spec.subscriptions[1].term: must be one of "P1M", "P1Y", "P3Y" (got "P2Y"); did you mean "P3Y"?'],
        id="term-enum",
    ),
    pytest.param(
        "offer: azure-plan",
        "offer: azure",
        [
            '32:14: spec.subscriptions[0].offer: must be "azure-plan" or a mapping with productId and skuId (got "azure"); did you mean "azure-plan"?'
        ],
        id="offer-typo",
    ),
    pytest.param(
        '        skuId: "0002"\n',
        "",
        ['34:7: spec.subscriptions[1].offer: missing required field "skuId"'],
        id="offer-missing-sku",
    ),
    pytest.param(
        "friendlyName: fabrikam-contosobikes-azure",
        "friendlyName: Contoso Azure",
        [
            "31:21: spec.subscriptions[0].friendlyName: does not follow the naming policy in cspsync.yaml (naming.subscriptionPattern: ^[a-z0-9]+-[a-z0-9]+-[a-z0-9-]{2,24}$)"
        ],
        id="friendly-name-policy",
    ),
    pytest.param(
        "friendlyName: fabrikam-contosobikes-m365bp",
        "friendlyName: fabrikam-contosobikes-azure",
        [
            "33:21: spec.subscriptions[1].friendlyName: is already the name of spec.subscriptions[0]; friendly names are unique per customer"
        ],
        id="friendly-name-twice",
    ),
    pytest.param(
        "  tenant:\n",
        "  reseller: Northwind Traders\n  tenant:\n",
        ['21:13: spec.reseller: is not a reseller in cspsync.yaml; did you mean "Northwind Traders IT"?'],
        id="reseller-unknown",
    ),
    pytest.param(
        '  agreement:\n    acceptedBy:\n      firstName: Amelia\n      lastName: Hughes\n      email: amelia.hughes@contosobikes.co.uk\n    dateAgreed: "2026-10-01"\n',
        "",
        [
            "25:7: spec.subscriptions[0]: needs the customer's Microsoft Customer Agreement first: add spec.agreement (Partner Center refuses purchases without it, error 13605)",
            "27:7: spec.subscriptions[1]: needs the customer's Microsoft Customer Agreement first: add spec.agreement (Partner Center refuses purchases without it, error 13605)",
        ],
        id="no-agreement",
    ),
    pytest.param(
        "      offer: azure-plan\n",
        "      offer: azure-plan\n      existing:\n        source: paygo\n        subscriptionId: 0b6d2f4e-1a3c-4e5f-8a7b-9c0d1e2f3a4b\n",
        [
            "33:7: spec.subscriptions[0].existing: an existing PayGo (pay-as-you-go) subscription cannot be linked to CSP: the customer moves it with an Azure billing ownership transfer into the Azure plan"
        ],
        id="existing-paygo",
    ),
    pytest.param(
        "      offer: azure-plan\n",
        "      existing:\n        source: csp\n        subscriptionId: 0b6d2f4e-1a3c-4e5f-8a7b-9c0d1e2f3a4b\n",
        [
            '31:7: spec.subscriptions[0]: missing required field "offer"',
            '32:7: spec.subscriptions[0].existing: an existing CSP subscription cannot be linked: request a transfer of billing ownership (Partner Center: Customers > Transfer subscriptions), then declare it without "existing"',
        ],
        id="existing-csp-without-offer",
    ),
    pytest.param(
        "      term: P1Y\n",
        "      term: P1Y\n      autoRenew: yes\n",
        ['39:18: spec.subscriptions[1].autoRenew: must be true or false (got "yes": in YAML 1.2 yes is text)'],
        id="auto-renew-yes",
    ),
    pytest.param(
        "      term: P1Y\n",
        "      term: P1Y\n      status: cancelled\n",
        [
            "39:15: spec.subscriptions[1].status: is cancelled, but the subscription is protected; set protected: false to allow cspsync to change it"
        ],
        id="cancel-protected",
    ),
    pytest.param(
        "    culture: en-GB\n",
        '    culture: en-GB\n    organizationRegistrationNumber: "01234567"\n',
        [
            "10:37: spec.company.organizationRegistrationNumber: Partner Center takes a registration number only in AM, AZ, BY, HU, KZ, KG, MD, RU, TJ, UZ, UA and rejects it for GB (error 600002); remove it"
        ],
        id="registration-number-gb",
    ),
    pytest.param(
        "  name: contoso-bikes\n",
        "  name: contoso-bikes\n  labels:\n    bad label: x\n",
        [
            "6:5: metadata.labels[\"bad label\"]: label names must be letters, digits, '.', '_' and '-' (at most 63) (got \"bad label\")"
        ],
        id="label-name",
    ),
    pytest.param(  # jsonschema-rs reports the key "01" as the number 1 (found by tests/fuzz)
        "  name: contoso-bikes\n",
        '  name: contoso-bikes\n  labels:\n    "1": x\n    "01":\n',
        ['7:10: metadata.labels["01"]: must be a string, not empty'],
        id="label-made-of-digits",
    ),
    pytest.param(
        "  subscriptions:\n",
        "  subscriptions: {}\n  old:\n",
        [
            "30:18: spec.subscriptions: must be a list (got a mapping)",
            '31:3: spec.old: unknown field "old" (allowed here: company, tenant, reseller, agreement, subscriptions, '
            "pricebook, currency, adminAccess)",
        ],
        id="subscriptions-mapping",
    ),
    pytest.param(
        "city: Bristol",
        "city:",
        ["13:12: spec.company.address.city: must be a string, not empty"],
        id="empty-city",
    ),
    pytest.param(
        "      firstName: Amelia\n      lastName: Hughes\n      email: amelia.hughes@contosobikes.co.uk\n      phone",
        "      firstName: Test\n      lastName: Hughes\n      email: amelia.hughes@contosobikes.co.uk\n      phone",
        ["17:18: spec.company.primaryContact.firstName: 'Test' looks like a placeholder; give the person's real name"],
        id="placeholder-name",
    ),
    pytest.param(
        "    mode: create\n    domainPrefix: contosobikes",
        "    mode: existing\n    tenantId: 6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
        ["23:15: spec.tenant.tenantId: is the partner's own tenant in cspsync.yaml, not a customer's"],
        id="partner-tenant",
    ),
    pytest.param(
        "kind: Customer\n",
        "kind: Customer\n1: one\n",
        ['3:1: ["1"]: field names must be text; YAML reads this one as the number 1: quote it'],
        id="number-key",
    ),
    pytest.param(
        "name: Contoso Bikes Ltd",
        'name: "Contoso\\n::error::Bikes Ltd"',
        ["7:11: spec.company.name: holds a line break (U+000A): write it on one line, without it"],
        id="line-break-escaped",
    ),
    pytest.param(
        "name: Contoso Bikes Ltd",
        "name: |\n      Contoso Bikes Ltd",
        ["7:11: spec.company.name: holds a line break (U+000A): write it on one line, without it"],
        id="line-break-block-scalar",
    ),
    pytest.param(
        "addressLine1: 1 Wheel Street",
        "addressLine1: 1 Wheel\n\n        Street",
        ["12:21: spec.company.address.addressLine1: holds a line break (U+000A): write it on one line, without it"],
        id="line-break-empty-line",
    ),
    pytest.param(
        "city: Bristol",
        "city: Bris\ttol",
        ["13:13: spec.company.address.city: holds a tab (U+0009): write it on one line, without it"],
        id="tab",
    ),
    pytest.param(
        "name: Contoso Bikes Ltd",
        'name: "Contoso \\e[2JBikes Ltd"',
        ["7:11: spec.company.name: holds a control character (U+001B): write it on one line, without it"],
        id="escape-character",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), CASES)
def test_invalid_customer_file(
    customer_problems: Callable[[str], list[str]], old: str, new: str, expected: list[str]
) -> None:
    assert customer_problems(edit(CUSTOMER, old, new)) == [f"customers/c.yaml:{e}" for e in expected]


def test_the_base_file_is_valid(customer_problems: Callable[[str], list[str]]) -> None:
    assert customer_problems(CUSTOMER) == []


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30
