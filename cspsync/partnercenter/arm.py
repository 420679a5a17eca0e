"""Azure Resource Manager calls for the Azure subscriptions under a customer's Azure plan.

Partner Center lists those subscriptions (its Azure entitlements) but does not create or rename them; Azure
does, through the Subscription alias API. Paths and bodies follow "Programmatically create Azure subscriptions
for a Microsoft Partner Agreement with the latest APIs" (billing accounts of agreement type
MicrosoftPartnerAgreement, ``PUT /providers/Microsoft.Subscription/aliases/{aliasName}`` with a billing
scope of the customer, then ``GET`` on the same URL until ``provisioningState`` is ``Succeeded``) and
"Subscription - Rename" (``POST /subscriptions/{id}/providers/Microsoft.Subscription/rename``).

Same conventions as every other call: the Partner Center client's limiter, retries and request ids; only the
audience differs (app tokens for ``https://management.azure.com/.default``, the same app's credentials). An
alias name is idempotent in Azure (a second PUT of the same alias answers the existing one), so cspsync
derives it from the customer and the declared name: an apply killed half-way never creates a second one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from pydantic import Field

from cspsync.declarations.keys import subscription_key
from cspsync.errors import PartnerCenterError

from .auth import TokenProvider
from .models import ApiModel
from .session import Reply, Session, expand

ARM_URL = "https://management.azure.com"
SERVICE = "Azure Resource Manager"
#: Microsoft.Subscription's alias and rename operations (api-version of the MPA page)
SUBSCRIPTION_API = "2021-10-01"
#: Microsoft.Billing's billing accounts list (api-version of the MPA page)
BILLING_API = "2020-05-01"
ALIAS = "/providers/Microsoft.Subscription/aliases/{alias}"
RENAME = "/subscriptions/{subscription_id}/providers/Microsoft.Subscription/rename"
BILLING_ACCOUNTS = "/providers/Microsoft.Billing/billingAccounts"
PARTNER_AGREEMENT = "MicrosoftPartnerAgreement"
#: polls of an alias still ``Accepted`` before apply gives up (the next apply asks again with the same alias)
MAX_POLLS = 20
PERMISSION_HINT = (
    "creating Azure subscriptions for a Microsoft Partner Agreement needs the Admin Agent role in the partner's "
    "Partner Center account, and the app needs Azure Resource Manager's user_impersonation permission"
)
#: names alias ids: a fixed namespace, so the same customer and name give the same alias on every run
_ALIAS_NAMESPACE = uuid.UUID("6b1f0c3e-5d0a-4b8e-9c61-2f7a4d9e8b10")


def alias_name(customer_tenant_id: str, friendly_name: str) -> str:
    """The alias of one declared Azure subscription: the same on every apply (Azure: aliases are idempotent)."""
    return str(uuid.uuid5(_ALIAS_NAMESPACE, f"{customer_tenant_id.lower()}/{subscription_key(friendly_name)}"))


class BillingAccount(ApiModel):
    id: str | None = None
    name: str
    properties: dict[str, Any] = Field(default_factory=dict)

    @property
    def agreement_type(self) -> str | None:
        value = self.properties.get("agreementType")
        return str(value) if value is not None else None


class AliasProperties(ApiModel):
    subscription_id: str | None = None
    provisioning_state: str | None = None


class Alias(ApiModel):
    """``Microsoft.Subscription/aliases``: the answer of the create and of each poll."""

    id: str | None = None
    name: str | None = None
    properties: AliasProperties = Field(default_factory=AliasProperties)


def _retry_after(reply: Reply) -> float:
    try:
        return min(60.0, max(0.0, float(reply.headers.get("Retry-After", "5"))))
    except ValueError:
        return 5.0


def _alias(reply: Reply) -> tuple[Alias, float]:
    """The alias as answered (201/200, or 202 while Azure provisions it) and how long to wait before asking again."""
    return Alias.model_validate(reply.body or {}), _retry_after(reply)


class ArmClient:
    """Typed Azure Resource Manager calls; thread-safe like the session it shares."""

    def __init__(self, session: Session, *, base_url: str, tokens: TokenProvider | None = None) -> None:
        self._session = session
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens

    def __repr__(self) -> str:
        return f"ArmClient(base_url={self.base_url!r})"

    def _call(self, method: str, template: str, parse: Callable[[Reply], Any], *, path_params: dict[str, str],
              api_version: str, json: Any = None, ok: tuple[int, ...] = (200, 201, 202)) -> Any:  # fmt: skip
        try:
            return self._session.call(
                method,
                template,
                parse,
                url=self.base_url + expand(template, path_params),
                params={"api-version": api_version},
                json=json,
                ok=ok,
                tokens=self._tokens,
                service=SERVICE,
            )
        except PartnerCenterError as err:
            if err.status in (401, 403):
                err.hint = PERMISSION_HINT
            raise

    def partner_billing_account(self) -> str:
        """The name of the partner's one billing account of agreement type MicrosoftPartnerAgreement."""
        accounts: list[BillingAccount] = self._call(
            "GET", BILLING_ACCOUNTS,
            lambda r: [BillingAccount.model_validate(v) for v in (r.body or {}).get("value") or []],
            path_params={}, api_version=BILLING_API,
        )  # fmt: skip
        partner = [a for a in accounts if a.agreement_type == PARTNER_AGREEMENT]
        if len(partner) != 1:
            raise PartnerCenterError(
                f"{SERVICE} lists {len(partner)} billing accounts of agreement type {PARTNER_AGREEMENT}; cspsync "
                "creates Azure subscriptions only when there is exactly one",
                hint=PERMISSION_HINT,
            )
        return partner[0].name

    def create_subscription(self, alias: str, display_name: str, billing_scope: str) -> str:
        """``PUT`` the alias, then ``GET`` it until it is provisioned; the new subscription's id."""
        body = {"properties": {"displayName": display_name, "workload": "Production", "billingScope": billing_scope}}
        answered: tuple[Alias, float] = self._call(
            "PUT", ALIAS, _alias, path_params={"alias": alias}, api_version=SUBSCRIPTION_API, json=body,
        )  # fmt: skip
        found, wait = answered
        for _ in range(MAX_POLLS):
            state = (found.properties.provisioning_state or "").lower()
            if state == "succeeded" and found.properties.subscription_id:
                return found.properties.subscription_id
            if state in ("failed", "canceled", "cancelled"):
                raise PartnerCenterError(f"{SERVICE} did not create Azure subscription {display_name!r}: {state}")
            self._session.sleep(wait)
            found, wait = self._call("GET", ALIAS, _alias, path_params={"alias": alias}, api_version=SUBSCRIPTION_API)
        raise PartnerCenterError(
            f"{SERVICE} is still provisioning Azure subscription {display_name!r} (alias {alias}); apply again later: "
            "the same alias is asked for, so nothing is created twice"
        )

    def rename_subscription(self, subscription_id: str, name: str) -> None:
        """``POST …/Microsoft.Subscription/rename`` with ``subscriptionName`` ("Subscription - Rename")."""
        self._call(
            "POST", RENAME, lambda r: None, path_params={"subscription_id": subscription_id},
            api_version=SUBSCRIPTION_API, json={"subscriptionName": name}, ok=(200,),
        )  # fmt: skip
