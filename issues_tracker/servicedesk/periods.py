"""What a performance page covers: a period of whole months in Europe/London, chosen in the address
(from=YYYY-MM&to=YYYY-MM) or the six before a forum meeting, and the service and priority filters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from ..core.extensions import db
from ..core.models import utcnow
from .clock import (
    LONDON,
    month_label,
    month_text,
    months_between,
    previous_month,
)
from .models import ServiceDeskMonth

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


MAX_MONTHS = 60


DEFAULT_MONTHS = 6


class PeriodError(ValueError):
    """A month range that cannot be shown; the message says why."""


def london_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(LONDON).date()


def parse_month(text: str, label: str) -> int:
    match = MONTH.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise PeriodError(f"{label} must be a month written YYYY-MM, e.g. 2026-03.")
    return int(match.group(1)) * 100 + int(match.group(2))


@dataclass(frozen=True)
class Period:
    first: int
    last: int

    @property
    def months(self) -> list[int]:
        return months_between(self.first, self.last)

    @property
    def label(self) -> str:
        if self.first == self.last:
            return month_label(self.first, "%B %Y")
        return f"{month_label(self.first, '%b %Y')} – {month_label(self.last, '%b %Y')}"

    @property
    def args(self) -> dict:
        return {"from": month_text(self.first), "to": month_text(self.last)}


def shift(month: int, count: int) -> int:
    for _ in range(count):
        month = previous_month(month)
    return month


def latest_data_month() -> int | None:
    return db.session.scalar(sa.select(sa.func.max(ServiceDeskMonth.month)).where(ServiceDeskMonth.raised > 0))


def default_period(today: date | None = None) -> Period:
    """The last six months: up to this month, or up to the latest month with records if that is earlier."""
    today = today or london_today()
    this_month = today.year * 100 + today.month
    latest = latest_data_month()
    last = min(this_month, latest) if latest else this_month
    return Period(shift(last, DEFAULT_MONTHS - 1), last)


def months_before(meeting_day: date, count: int = DEFAULT_MONTHS) -> Period:
    """The whole months before a meeting's month: the pack's reporting period."""
    last = previous_month(meeting_day.year * 100 + meeting_day.month)
    return Period(shift(last, count - 1), last)


def period_from(first_text: str | None, last_text: str | None, today: date | None = None) -> Period:
    """The months asked for (either end may be left out), checked; PeriodError with the reason."""
    if not first_text and not last_text:
        return default_period(today)
    last = parse_month(last_text, "To") if last_text else None
    first = parse_month(first_text, "From") if first_text else None
    if last is None:
        last = min(shift_forward(first, DEFAULT_MONTHS - 1), _this_month(today))
        last = max(last, first)
    if first is None:
        first = shift(last, DEFAULT_MONTHS - 1)
    if first > last:
        raise PeriodError("From must be the same month as To or earlier.")
    if len(months_between(first, last)) > MAX_MONTHS:
        raise PeriodError(f"Choose at most {MAX_MONTHS} months at a time.")
    return Period(first, last)


def _this_month(today: date | None) -> int:
    today = today or london_today()
    return today.year * 100 + today.month


def shift_forward(month: int, count: int) -> int:
    from .clock import next_month

    for _ in range(count):
        month = next_month(month)
    return month


@dataclass(frozen=True)
class Filters:
    service: str = ""
    priority: int | None = None

    @property
    def args(self) -> dict:
        return {"service": self.service or None, "priority": f"P{self.priority}" if self.priority else None}

    @property
    def active(self) -> bool:
        return bool(self.service or self.priority)


def filtered(query, filters: Filters):
    if filters.service:
        query = query.where(ServiceDeskMonth.product == filters.service)
    if filters.priority:
        query = query.where(ServiceDeskMonth.priority == filters.priority)
    return query
