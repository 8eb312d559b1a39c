"""Local times for the tests: the portal's time zone (``TIME_ZONE``, Europe/Istanbul), which has no
daylight saving time, so a whole number of days from today keeps the hour."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

TZ = ZoneInfo("Europe/Istanbul")


def on(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` local time on ``day``."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def day(days: int) -> date:
    """The local date ``days`` from today (negative: in the past)."""
    return timezone.localdate(timezone=TZ) + timedelta(days=days)


def dotted(value: date | datetime) -> str:
    """A date as the portal writes and reads it: ``04.03.2026``."""
    return value.strftime("%d.%m.%Y")


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` local time, ``days`` from today (negative: in the past)."""
    return on(timezone.localdate(timezone=TZ) + timedelta(days=days), hour, minute)
