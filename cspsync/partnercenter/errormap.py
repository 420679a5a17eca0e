"""Turn Partner Center error responses and httpx failures into cspsync errors with advice.

Partner Center answers errors in three shapes:

* A ``{code, description, data[], source}`` (the classic ApiFault);
* B ``{code, message, description, errorName, isRetryable, parameters, …}`` (newer services, e.g. MCA);
* C ``{statusCode: 429, message: "Rate limit is exceeded. Try again in 57 seconds."}`` (the gateway).

The status picks the error class; the code picks the hint that tells the user what to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import httpx

from cspsync.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PartnerCenterError,
    RequestRejectedError,
    ThrottledError,
    TransientError,
)

#: What to do about the error codes users meet (partner-center-api.md section 2).
CODE_HINTS: Mapping[str, str] = {
    "13605": "record the customer's Microsoft Customer Agreement first (spec.agreement), then apply again",
    "2030": "the country is not one of your authorised markets: check the customer's address country "
    "against the markets in cspsync.yaml and your CSP regional authorisation",
    "20002": "there is no commerce relationship with this customer: the tenant must be linked "
    "(accepted invitation or created by you) before this call",
    "600002": "Partner Center rejects an organisation registration number for this country: remove "
    "organizationRegistrationNumber from the customer file",
    "600006": "Partner Center does not allow this action for your partner account (indirect resellers "
    "and some sandbox accounts cannot create customers)",
    "600049": "this country requires organizationRegistrationNumber and a phone number",
    "600050": "this country requires organizationRegistrationNumber",
    "600051": "this country requires a phone number in the address",
    "600061": "this Microsoft Customer Agreement acceptance is already recorded for the same contact "
    "(a duplicate MCA); nothing more to do unless the contact changed",
    "800060": "an order for this customer is still being processed: wait a few minutes and apply again",
    "800064": "the cart is being processed: wait a few minutes and apply again",
    "800065": "the cart was already submitted (checked out); look at the customer's subscriptions before "
    "ordering again",
    "800066": "a purchase limit for this offer was reached",
    "800067": "a purchase limit for this offer was reached",
    "800068": "a purchase limit for this offer was reached",
    "800088": "a purchase limit for this offer was reached",
    "800089": "a purchase limit for this offer was reached",
    "800070": "the offer is not available in the customer's country: choose an offer sold in that market",
    "800090": "the quantity can't be decreased now: seats can only be reduced inside the refundable "
    "window after purchase or renewal (refundableQuantity)",
    "900115": "an Azure plan can be suspended only when it has no active Azure subscriptions",
    "900116": "the integration sandbox limit of Azure plans for this customer was reached",
    "900117": "the cancellation window has passed (new-commerce subscriptions can be cancelled only within "
    "7 days of purchase or renewal): turn auto-renew off instead",
    "900123": "the indirect reseller has not accepted the Microsoft Partner Agreement",
    "900124": "the indirect reseller has not accepted the Microsoft Partner Agreement",
    "2054": "the billing cycle can't be changed by PATCH: change it at renewal "
    "(scheduledNextTermInstructions) or order a new subscription",
}

STATUS_HINTS: Mapping[int, str] = {
    401: "the access token was rejected: check the CSPSYNC_* credentials and that the app is registered "
    "in Partner Center",
    403: "the partner user or app lacks permission for this call (App+User calls need an Admin agent)",
    412: "the object changed since it was read (etag mismatch): run again to re-read it",
    429: "Partner Center is throttling this partner: run again later or lower the request rate",
}

_RETRY_IN = re.compile(r"try again in (\d+(?:\.\d+)?) seconds", re.IGNORECASE)


def decode_json(content: bytes) -> Any:
    """Parse a body that may start with a UTF-8 BOM; empty bodies are ``None``."""
    text = content.decode("utf-8-sig").strip()
    return json.loads(text) if text else None


def _error_fields(body: Any) -> tuple[str | None, str | None]:
    """(code, description) from any of the three error shapes."""
    if not isinstance(body, dict):
        return None, None
    code = body.get("code", body.get("errorCode"))
    description = body.get("description") or body.get("message") or body.get("errorMessage")
    if description is None and isinstance(body.get("error"), dict):  # OData-style {"error": {...}}
        return _error_fields(body["error"])
    return (str(code) if code not in (None, "") else None), (str(description) if description else None)


def retry_after_from_body(body: Any) -> float | None:
    """Seconds from a shape C message ("Try again in 57 seconds"), when the header is missing."""
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        match = _RETRY_IN.search(body["message"])
        if match:
            return float(match.group(1))
    return None


def error_for_response(
    *,
    status: int,
    content: bytes,
    request_id: str,
    operation: str,
    retry_after: float | None = None,
    service: str = "Partner Center",
) -> PartnerCenterError:
    """The cspsync error for an unsuccessful response to ``operation`` (e.g. ``POST /v1/customers``);
    ``service`` names who refused (Microsoft Graph answers in the same session, in its own error shape)."""
    try:
        body = decode_json(content)
    except (UnicodeDecodeError, ValueError):
        body = None
    code, description = _error_fields(body)
    if status == 429 and retry_after is None:
        retry_after = retry_after_from_body(body)
    text = f"{service} refused {operation}: HTTP {status}"
    if code:
        text += f", error {code}"
    if description:
        text += f": {description}"
    hint = CODE_HINTS.get(code or "") or STATUS_HINTS.get(status)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "description": description,
        "request_id": request_id,
        "hint": hint,
    }
    if status == 429:
        return ThrottledError(text, retry_after=retry_after, **kwargs)
    cls: type[PartnerCenterError]
    if status == 401:
        cls = AuthenticationError
    elif status == 404:
        cls = NotFoundError
    elif status == 409:
        cls = ConflictError
    elif status >= 500:
        cls = TransientError
    else:
        cls = RequestRejectedError
    return cls(text, **kwargs)


#: Transport failures where the request certainly never reached the server.
NOT_SENT: tuple[type[httpx.TransportError], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def error_for_transport(
    exc: httpx.RequestError, *, request_id: str, operation: str, service: str = "Partner Center"
) -> TransientError:
    """Translate an httpx failure at the edge (timeouts, refused or dropped connections)."""
    if isinstance(exc, httpx.TimeoutException):
        what = "timed out"
    elif isinstance(exc, NOT_SENT):
        what = "could not connect"
    else:
        what = "lost the connection"
    return TransientError(
        f"{service} call {operation} {what} ({type(exc).__name__})",
        request_id=request_id,
        hint="check the network and run again; creates are checked by natural key before a retry",
    )


def exhausted(err: PartnerCenterError, *, attempts: int, elapsed: float) -> PartnerCenterError:
    """The same error, saying that the retry budget ran out."""
    message = f"{err.message} (gave up after {attempts} attempts in {elapsed:.0f} s)"
    kwargs: dict[str, Any] = {
        "status": err.status,
        "code": err.code,
        "description": err.description,
        "request_id": err.request_id,
        "hint": err.hint,
    }
    if isinstance(err, ThrottledError):
        return ThrottledError(message, retry_after=err.retry_after, **kwargs)
    return type(err)(message, **kwargs)
