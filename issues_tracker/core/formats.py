"""How dates, times, day counts and counted nouns read, in one place.

Pages, the timeline, the CSV export, the Excel export and the PDF log all format
through these functions (templates through the filters of the same names), so a
date reads the same wherever it appears: "14 Apr 2026", "14 Apr 2026 16:00".
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# Day without a leading zero, short month, full year: unambiguous for readers in any country.
DATE_FORMAT = "%-d %b %Y"
DATE_WITH_WEEKDAY_FORMAT = "%a %-d %b %Y"
TIME_FORMAT = "%H:%M"
# The same formats in spreadsheet terms, for real date cells in the Excel export.
EXCEL_DATE_FORMAT = "d mmm yyyy"
EXCEL_DATETIME_FORMAT = "d mmm yyyy hh:mm"


def london_date(value: date | datetime) -> date:
    """The calendar day in Europe/London of a UTC moment (a plain date is returned as it is)."""
    if isinstance(value, datetime):
        return value.astimezone(LONDON).date()
    return value


# Days and clock times as text, each formatted once: an export writes tens of thousands of dates.
@functools.lru_cache(maxsize=8192)
def _day_text(day: date, weekday: bool) -> str:
    return day.strftime(DATE_WITH_WEEKDAY_FORMAT if weekday else DATE_FORMAT)


@functools.lru_cache(maxsize=24 * 60)
def _clock_text(hour: int, minute: int) -> str:
    return time(hour, minute).strftime(TIME_FORMAT)


def format_date(value: date | datetime | None, *, weekday: bool = False, empty: str = "—") -> str:
    """14 Apr 2026 (with weekday: Tue 14 Apr 2026). A moment is shown on its London day."""
    if value is None:
        return empty
    return _day_text(london_date(value), weekday)


def format_datetime(value: datetime | None, *, empty: str = "—") -> str:
    """14 Apr 2026 16:00, in Europe/London."""
    if value is None:
        return empty
    local = value.astimezone(LONDON)
    return f"{_day_text(local.date(), False)} {_clock_text(local.hour, local.minute)}"


def format_week(week: date) -> str:
    """How a log week is named everywhere: "week commencing 13 Apr 2026"."""
    return f"week commencing {format_date(week)}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 issue", "3 issues"; give the plural for irregular words or verbs: plural(n, "issue matches", "issues match")."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def days_ago(value: datetime | date | None, today: date) -> str:
    """today, yesterday, 3 days ago, counted in London calendar days."""
    if value is None:
        return "never"
    days = (today - london_date(value)).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def day_count(days: int) -> str:
    """A number of whole days: "less than a day" reads oddly in a table, so 0 days is "today"."""
    return "today" if days <= 0 else plural(days, "day")
