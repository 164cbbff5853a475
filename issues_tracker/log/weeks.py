"""The log's weeks: each log is for the week commencing a Monday (Europe/London), publishable from that
Monday on; LogError is what any part of the log refuses with."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from ..core.formats import LONDON
from ..core.models import utcnow

WEEK_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class LogError(Exception):
    """A request about the log that cannot be carried out; the message says why, and
    `field` names the input that caused it (the week, or the revision's reason)."""

    def __init__(self, message: str, field: str = "week"):
        super().__init__(message)
        self.field = field


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def current_week(now: datetime | None = None) -> date:
    """The Monday of this week in Europe/London."""
    return monday_of((now or utcnow()).astimezone(LONDON).date())


def week_start(week: date) -> datetime:
    """Monday 00:00 in London, as an aware UTC datetime."""
    return datetime.combine(week, time(0, 0), tzinfo=LONDON).astimezone(UTC)


def parse_week(text: str) -> date:
    """A YYYY-MM-DD date that is a Monday; LogError (with the reason) otherwise."""
    text = (text or "").strip()
    try:
        if not WEEK_FORMAT.match(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise LogError(f'"{text[:40]}" is not a date: give the week commencing as YYYY-MM-DD, e.g. 2026-04-13.') from None
    check_monday(day)
    return day


def check_monday(day: date) -> None:
    if day.weekday() != 0:
        raise LogError(
            f"{day.isoformat()} is a {day.strftime('%A')}: the log is published for the week commencing "
            f"a Monday (that week's Monday is {monday_of(day).isoformat()})."
        )


EARLIEST_WEEK = date(2000, 1, 3)


# A first publication may be late by this much; older weeks would report today's data
# under an old date. A correction of any published week is always possible.
LATE_PUBLICATION_WEEKS = 1


def check_publishable(week: date, now: datetime | None = None) -> None:
    check_monday(week)
    this_week = current_week(now)
    if week < EARLIEST_WEEK:
        raise LogError(f"{week.isoformat()} is too long ago: give a week commencing in 2000 or later.")
    if week > this_week:
        raise LogError(
            f"The week commencing {week.isoformat()} has not started yet; the latest week that can be "
            f"published is {this_week.isoformat()}."
        )
