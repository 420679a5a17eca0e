"""When a reminder is due: on the day ``reminderAfterDays`` after the last message, at most ``maxReminders``
times (days count in UTC)."""

from __future__ import annotations

import datetime as dt


def parse_time(text: str) -> dt.datetime:
    """An ISO time from the ledger, as an aware UTC datetime (naive values are read as UTC)."""
    value = dt.datetime.fromisoformat(text)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def next_reminder_at(
    sent_at: str, reminder_times: list[str] | tuple[str, ...], *, after_days: int, max_reminders: int
) -> dt.datetime | None:
    """When the next reminder is due, or None when every allowed reminder went out."""
    if len(reminder_times) >= max_reminders:
        return None
    last = max([parse_time(sent_at), *(parse_time(t) for t in reminder_times)])
    return last + dt.timedelta(days=after_days)


def times(count: int) -> str:
    """``0 times``, ``1 time``, ``2 times``."""
    return f"{count} time" if count == 1 else f"{count} times"
