"""``cspsync auth status`` without click: which identity each credential gives, and whether the operations
the declarations need can be done with it.

Partner Center checks the MFA claim (``amr`` contains ``mfa``) on every App+User call, enforced since
1 April 2026 (https://learn.microsoft.com/en-us/partner-center/developer/partner-center-authentication);
the ``ValidateMfa`` check reads the same claim, so it is read here from the token without a call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from cspsync.declarations.models import Config, CustomerFile
from cspsync.errors import CspsyncError

from .auth import GRAPH_AUDIENCE, PRICING_AUDIENCE, AppCredentials
from .identity import OPERATIONS, Identity, Operation
from .signin import REFRESH_TOKEN_LIFETIME_DAYS, has_mfa, token_claims

WARN_AFTER_DAYS = 60


def needed_operations(config: Config, customers: Iterable[CustomerFile]) -> list[Operation]:
    names = {"read_customers"}
    for customer in customers:
        spec = customer.spec
        mode = spec.tenant.mode
        if mode == "create":
            names |= {"check_domain", "validate_address"}
            names.add("create_customer_for_indirect_reseller" if spec.reseller else "create_customer")
        else:
            names.add("customer_relationships")
        if mode == "invite":
            names.add("relationship_request_link")
        if spec.reseller:
            names.add("indirect_resellers")
        if spec.agreement is not None:
            names.add("customer_agreement")
        if spec.subscriptions:
            names.add("orders_and_subscriptions")
    if config.invitations.transport == "graph":
        names.add("send_invitation_mail")
    if config.budget.perPlan or config.budget.perCustomer:
        names.add("price_sheet")
    return [op for name, op in OPERATIONS.items() if name in names]


@dataclass
class Capability:
    """What one identity can do: ``ok`` False with ``problem`` and ``fix`` when it cannot."""

    ok: bool
    detail: str
    problem: str = ""
    fix: str = ""


@dataclass
class Status:
    target: str
    app_only: Capability
    app_user: Capability
    pricing: Capability | None
    graph: Capability | None
    rows: list[tuple[Operation, Capability]] = field(default_factory=list)

    @property
    def failing(self) -> list[tuple[Operation, Capability]]:
        return [(op, cap) for op, cap in self.rows if not cap.ok]


def _app_only(tokens: AppCredentials) -> Capability:
    try:
        claims = token_claims(tokens.token(user=False))
    except CspsyncError as err:
        return Capability(False, "no app-only token", err.message, err.hint or "")
    kind = claims.get("idtyp", "app")
    return Capability(True, f"app-only token ({kind}) for {claims.get('aud', tokens.audience)}")


def _app_user(
    tokens: AppCredentials, prefix: str, signed_in: str | None, issued: str | None, now: dt.datetime
) -> Capability:
    source = tokens.user_source
    if source is None:
        return Capability(
            False,
            "no App+User identity",
            "neither a refresh token nor a `cspsync login` account for this tenant and app",
            f"run `cspsync login` here, or set {prefix}REFRESH_TOKEN in CI",
        )
    try:
        claims = token_claims(tokens.token(user=True))
    except CspsyncError as err:
        fix = err.hint or ""
        if "invalid_grant" in err.message:
            fix = f"the refresh token expired or was revoked: run `cspsync login` and replace {prefix}REFRESH_TOKEN"
        return Capability(False, f"App+User from the {source}: no token", err.message, fix)
    user = claims.get("upn") or claims.get("unique_name") or "a partner user"
    mfa = has_mfa(claims)
    age = _age(signed_in if source == "token cache" else issued, now)
    if age is None:
        age_text = (
            f"refresh token age unknown (set the variable {prefix}REFRESH_TOKEN_ISSUED to its date)"
            if source == "environment"
            else "sign-in date unknown"
        )
    else:
        age_text = f"{'signed in' if source == 'token cache' else 'refresh token issued'} {age} day(s) ago"
    detail = f"App+User from the {source} as {user}; MFA claim: {'yes' if mfa else 'no'}; {age_text}"
    if not mfa:
        return Capability(
            False,
            detail,
            "the token has no MFA claim: Partner Center refuses App+User calls with 401, error 900421",
            "require MFA for this user in Entra ID, run `cspsync login` again"
            + (f" and replace the {prefix}REFRESH_TOKEN secret" if source == "environment" else ""),
        )
    if source == "environment" and age is not None and age >= WARN_AFTER_DAYS:
        detail += f" (dies {REFRESH_TOKEN_LIFETIME_DAYS} days after issue if not replaced: sign in again soon)"
    return Capability(True, detail)


def _age(when: str | None, now: dt.datetime) -> int | None:
    if not when:
        return None
    try:
        moment = dt.datetime.fromisoformat(when.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0, (now - moment).days)


def _audience(tokens: AppCredentials, audience: str, user: bool) -> Capability:
    try:
        claims = token_claims(tokens.for_audience(audience).token(user=user))
    except CspsyncError as err:
        return Capability(False, f"no token for {audience}", err.message, err.hint or "")
    return Capability(True, f"token for {claims.get('aud', audience)}")


def check(
    target: str,
    tokens: AppCredentials,
    operations: list[Operation],
    *,
    prefix: str,
    signed_in: str | None,
    issued: str | None,
    now: dt.datetime,
) -> Status:
    app_only = _app_only(tokens)
    app_user = _app_user(tokens, prefix, signed_in, issued, now)
    wants = {op.audience for op in operations}
    pricing = _audience(tokens, PRICING_AUDIENCE, True) if PRICING_AUDIENCE in wants and app_user.ok else None
    graph = _audience(tokens, GRAPH_AUDIENCE, False) if GRAPH_AUDIENCE in wants and app_only.ok else None
    status = Status(target, app_only, app_user, pricing, graph)
    for op in operations:
        cap = app_user if op.identity is Identity.APP_USER else app_only
        if op.audience == PRICING_AUDIENCE and pricing is not None:
            cap = pricing
        if op.audience == GRAPH_AUDIENCE and graph is not None:
            cap = graph
        status.rows.append((op, cap))
    return status
