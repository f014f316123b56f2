"""Working days in the shop's time zone, skipping weekends and public holidays."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: datetime, days: int, holidays: Collection[date], tz: ZoneInfo
) -> datetime:
    """The end (23:59:59 local) of the `days`-th working day after `start`'s local day."""
    day = start.astimezone(tz).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    return datetime.combine(day, time(23, 59, 59), tz)


def end_of_day_after(start: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The end (23:59:59 local) of the natural day `days` after `start`'s local day."""
    day = start.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(23, 59, 59), tz)


def working_days_later(
    start: datetime, days: int, holidays: Collection[date], tz: ZoneInfo
) -> datetime:
    """The same local clock time on the `days`-th working day after `start`'s local day."""
    local = start.astimezone(tz)
    end = add_working_days(start, days, holidays, tz)
    return datetime.combine(end.date(), local.timetz().replace(tzinfo=None), tz)
