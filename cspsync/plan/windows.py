"""New-commerce windows: when seats can still be removed and a subscription cancelled.

Partner Center refunds and allows a seat decrease only within 168 hours (7 days) of when the seats were
added (at purchase, renewal or mid-term), and a cancellation only within 168 hours of purchase or renewal
(``cancellationAllowedUntilDate``); afterwards it refuses (800090, 900117). The plan says so up front
instead of leaving the action to fail at apply. A window is open up to and including its last instant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cspsync.observe.state import ObservedSubscription

WINDOW = dt.timedelta(hours=168)
_RULE_SEATS = "new commerce lets seats be removed only within 168 hours (7 days) of when they were added"
_RULE_CANCEL = "new commerce allows a cancellation only within 168 hours (7 days) of purchase or renewal"


@dataclass(frozen=True)
class Window:
    """Whether the change can happen now; ``until`` is when the window closes (or closed), when known."""

    possible: bool
    until: dt.datetime | None = None
    reason: str | None = None


def parse_instant(text: str | None) -> dt.datetime | None:
    """An ISO timestamp as Partner Center and the observation write it; naive ones are UTC."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def show_instant(moment: dt.datetime) -> str:
    """``2026-11-08 14:05 UTC``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _renewal(sub: ObservedSubscription) -> str:
    end = parse_instant(sub.commitment_end)
    return f" (the term ends on {end.date().isoformat()})" if end is not None else ""


def reduction_window(sub: ObservedSubscription, remove: int, now: dt.datetime) -> Window:
    """Can ``remove`` seats come off ``sub`` at ``now``? Newest seats go first, as Partner Center takes them."""
    purchase = parse_instant(sub.cancellation_allowed_until)
    if sub.refundable is not None:
        windows = sorted(
            ((seats, until) for seats, text in sub.refundable if (until := parse_instant(text)) is not None),
            key=lambda item: item[1],
            reverse=True,
        )
        open_windows = [(seats, until) for seats, until in windows if until >= now]
        covered = 0
        for seats, until in open_windows:
            covered += seats
            if covered >= remove:
                return Window(True, until)
        closed = purchase if purchase is not None and purchase < now else None
        inside = f"only {covered} seat(s) are inside such a window now" if covered else "no seat is inside one now"
        when = f"; the purchase window closed on {show_instant(closed)}" if closed is not None else ""
        return Window(
            False,
            closed,
            f"impossible: {_RULE_SEATS}, and {inside} (removing {remove}){when}; lower the quantity at "
            f"renewal instead{_renewal(sub)}",
        )
    if purchase is None:
        return Window(True)  # nothing known: Partner Center decides at apply
    if now <= purchase:
        return Window(True, purchase)
    return Window(
        False,
        purchase,
        f"impossible: {_RULE_SEATS}; the window closed on {show_instant(purchase)}; lower the quantity at "
        f"renewal instead{_renewal(sub)}",
    )


def cancellation_window(sub: ObservedSubscription, now: dt.datetime) -> Window:
    """Can ``sub`` be cancelled at ``now``? Only until its ``cancellationAllowedUntilDate``."""
    until = parse_instant(sub.cancellation_allowed_until)
    if until is None:
        return Window(True)
    if now <= until:
        return Window(True, until)
    return Window(
        False,
        until,
        f"impossible: {_RULE_CANCEL}; the window closed on {show_instant(until)}; set autoRenew: false to let "
        f"it end with its term{_renewal(sub)}",
    )


def renews_on(actual: ObservedSubscription) -> dt.date | None:
    """Renewal starts at 00:00 UTC the day after the term's last day ("Schedule changes for a new commerce
    subscription"): when a change scheduled for renewal takes effect."""
    end = parse_instant(actual.commitment_end)
    return end.date() + dt.timedelta(days=1) if end is not None else None
