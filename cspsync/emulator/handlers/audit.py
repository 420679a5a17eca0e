"""``GET /v1/auditrecords``: the record of partner operations (Partner Center: "Get a record of Partner Center
activity", learn.microsoft.com/partner-center/developer/get-a-record-of-partner-center-activity-by-user, and
"Auditing resources" for the AuditRecord fields and operation types).

What the emulator follows from those pages: ``startDate`` and ``endDate`` select the records; without a
start date the previous 30 days; a start date more than 90 days ago is a 400 (the activity log keeps 90
days); the answer is a Collection of AuditRecord (``operationType`` such as ``add_customer``,
``create_order``, ``update_subscription``, ``create_agreement``), paged like the customer list with
``links.next`` and ``MS-ContinuationToken`` (the SDK reads it as a seek-based collection). Newest first, as
the documented example lists them. A date-only ``endDate`` includes that whole day (the documented example
asks ``startDate=2020-09-02&endDate=2020-09-02`` for that day's records). Page size: the example asks
``size=50``; the maximum is not documented (the emulator caps at 500, as the customer list).

Every change the emulator applies for the partner is recorded by the store
(:meth:`~cspsync.emulator.store.Store.record_audit`) with the operation type "Auditing resources" documents
for it: ``add_customer``, ``update_customer_billing_profile``, ``update_customer_qualification``,
``reset_customer_user_password``, ``create_agreement``, ``create_order`` (a cart's checkout),
``update_subscription`` (seats, status, auto-renew, name, next-term instructions), ``upgrade_subscription``
(a transition) and ``delete_customer`` (sandbox). tests/emulator/test_audit_every_change.py walks every
mutating route and fails for one that records nothing without saying why. Not recorded, as in Partner Center:
an address validation (a check), a cart created or updated (no operation type names a cart: its checkout is
the order), a customer accepting an invitation (the customer's act, not a partner operation: it shows as the
customer appearing in ``GET /v1/customers``), a renewal or expiry (the service's own change), and Microsoft
Graph calls (mail, GDAP: no documented operation type names them, so cspsync reads GDAP on every observation).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx

from cspsync.emulator import codes
from cspsync.emulator.handlers.common import query_int
from cspsync.emulator.routing import Call
from cspsync.emulator.wire import collection, link, respond

RETENTION = timedelta(days=90)
DEFAULT_WINDOW = timedelta(days=30)
_US_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y")


def _stamp(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def _parse(name: str, raw: str, *, end: bool) -> datetime:
    """An ISO 8601 date or date-time, or the documented example's ``6/1/2017 12:00:00 AM``; naive is UTC."""
    text = raw.strip()
    date_only = len(text) == 10 and text[4:5] == "-"
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for form in _US_FORMATS:
            try:
                parsed = datetime.strptime(text, form)
                date_only = form == "%m/%d/%Y"
                break
            except ValueError:
                continue
    if parsed is None:
        raise codes.INVALID_INPUT.error(f"The query parameter {name} is not a date: {raw!r}.")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if end and date_only:
        parsed += timedelta(days=1)
    return parsed


def _token(start: str, end: str, before: int) -> str:
    raw = json.dumps({"start": start, "end": end, "before": before}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _untoken(token: str) -> tuple[str, str, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        start, end, before = data["start"], data["end"], data["before"]
        if not (isinstance(start, str) and isinstance(end, str) and isinstance(before, int)):
            raise ValueError(token)
        return start, end, before
    except (ValueError, KeyError, TypeError):
        raise codes.INVALID_INPUT.error("The continuation token is not valid.") from None


def list_audit_records(call: Call) -> httpx.Response:
    size = query_int(call, "size")
    if size is not None and size < 0:
        raise codes.INVALID_INPUT.error(f"The query parameter size must not be negative, not {size}.")
    size = min(size or call.page_size, call.max_page_size)
    before: int | None = None
    if (call.query("seekOperation") or "").lower() == "next":
        token = call.header("MS-ContinuationToken")
        if not token:
            raise codes.INVALID_INPUT.error("seekOperation=Next needs the MS-ContinuationToken header.")
        start, end, before = _untoken(token)
    else:
        raw_start, raw_end = call.query("startDate"), call.query("endDate")
        begin = _parse("startDate", raw_start, end=False) if raw_start else call.now - DEFAULT_WINDOW
        if begin < call.now - RETENTION:
            raise codes.INVALID_INPUT.error(
                "The start date is more than 90 days ago: the activity log keeps the previous 90 days."
            )
        finish = _parse("endDate", raw_end, end=True) if raw_end else call.now + timedelta(seconds=1)
        start, end = _stamp(begin), _stamp(finish)
    rows = call.store.audit_records(start, end, before=before, limit=size + 1)
    page = rows[:size]
    links = {"self": link(f"/auditrecords?size={size}")}
    if len(rows) > size:
        links["next"] = link(
            f"/auditrecords?size={size}&seekOperation=Next",
            headers={"MS-ContinuationToken": _token(start, end, page[-1][0])},
        )
    return respond(200, collection([doc for _, doc in page], links=links))
