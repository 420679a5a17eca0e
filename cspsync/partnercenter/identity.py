"""Which identity each Partner Center operation needs: app-only, or App+User (with MFA), and for which audience.

Each row is checked against the operation's Learn page ("Prerequisites: … supports authentication with
both standalone App and App+User credentials" or "… App+User credentials only"), and against
https://learn.microsoft.com/en-us/partner-center/developer/partner-center-authentication (App+User calls need
the MFA claim; enforced from 1 April 2026: 401 with code 900421). The client asks :func:`needs_user`;
``cspsync auth status`` lists the rows the declarations need.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .auth import GRAPH_AUDIENCE, PARTNER_CENTER_AUDIENCE, PRICING_AUDIENCE


class Identity(Enum):
    APP = "app-only"
    APP_USER = "App+User (MFA)"


@dataclass(frozen=True)
class Operation:
    name: str
    identity: Identity
    audience: str
    doc: str
    #: what a declaration does that needs it (shown by auth status)
    needed_for: str


_DOCS = "https://learn.microsoft.com/en-us/partner-center/developer/"

OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation(
            "create_customer",
            Identity.APP,
            PARTNER_CENTER_AUDIENCE,
            _DOCS + "create-a-customer",
            "tenant: create",
        ),
        Operation(
            "create_customer_for_indirect_reseller",
            Identity.APP_USER,
            PARTNER_CENTER_AUDIENCE,
            _DOCS + "create-a-customer-for-an-indirect-reseller",
            "tenant: create with an indirect reseller",
        ),
        Operation(
            "read_customers", Identity.APP, PARTNER_CENTER_AUDIENCE, _DOCS + "get-a-list-of-customers", "every plan"
        ),
        Operation(
            "check_domain",
            Identity.APP,
            PARTNER_CENTER_AUDIENCE,
            _DOCS + "verify-domain-availability",
            "tenant: create",
        ),
        Operation(
            "validate_address", Identity.APP, PARTNER_CENTER_AUDIENCE, _DOCS + "validate-an-address", "tenant: create"
        ),
        Operation(
            "relationship_request_link",
            Identity.APP_USER,
            PARTNER_CENTER_AUDIENCE,
            _DOCS + "request-a-relationship-with-a-customer",
            "tenant: invite",
        ),
        Operation(
            "customer_relationships",
            Identity.APP_USER,
            PARTNER_CENTER_AUDIENCE,
            _DOCS + "get-customer-relationships",
            "tenant: invite or existing (partner relationships)",
        ),
        Operation(
            "indirect_resellers",
            Identity.APP_USER,
            PARTNER_CENTER_AUDIENCE,
            _DOCS + "retrieve-a-list-of-indirect-resellers",
            "an indirect reseller",
        ),
        Operation(
            "customer_agreement",
            Identity.APP_USER,
            PARTNER_CENTER_AUDIENCE,
            _DOCS + "confirm-customer-consent-customer-agreement",
            "agreement (Microsoft Customer Agreement)",
        ),
        Operation(
            "orders_and_subscriptions",
            Identity.APP,
            PARTNER_CENTER_AUDIENCE,
            _DOCS + "create-a-cart",
            "subscriptions",
        ),
        Operation(
            "price_sheet",
            Identity.APP_USER,
            PRICING_AUDIENCE,
            _DOCS + "get-a-price-sheet",
            "pricing (price sheets)",
        ),
        Operation(
            "send_invitation_mail",
            Identity.APP,
            GRAPH_AUDIENCE,
            "https://learn.microsoft.com/en-us/graph/api/user-sendmail",
            "invitations.transport: graph",
        ),
    )
}


def needs_user(operation: str) -> bool:
    return OPERATIONS[operation].identity is Identity.APP_USER
