"""Aged cases (the pack's section 06): every case not yet closed, aged in whole calendar days from the
day it was opened to the "as at" day, in the pack's buckets, with its aged reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from ..core import choices
from ..core.extensions import db
from .clock import (
    LONDON,
)
from .models import ServiceDeskRecord
from .periods import Filters

AGED_EXTRACT_DAYS = 30


AGED_EXTRACT_ON_PAGE = 50


def day_start(day: date) -> datetime:
    """Midnight at the start of a London day, as UTC."""
    return datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)


def age_days(opened_at: datetime, as_at: date) -> int:
    return max(0, (as_at - opened_at.astimezone(LONDON).date()).days)


@dataclass
class AgedCase:
    number: str
    incident: str
    product: str
    short_description: str
    opened_at: datetime
    age_days: int
    age_bucket: str
    state: str
    priority: int
    assignment_group: str
    aged_reason: str
    aged_reason_detail: str

    @property
    def priority_code(self) -> str:
        return f"P{self.priority}"


@dataclass
class AgedSummary:
    as_at: date
    buckets: list[tuple[str, int]]
    reasons: list[tuple[str, int]]  # for cases aged 30 days or more
    extract: list[AgedCase]  # 30+ days, oldest first (the first AGED_EXTRACT_ON_PAGE)
    extract_total: int

    @property
    def total(self) -> int:
        return sum(count for _, count in self.buckets)


AGED_COLUMNS = ("number", "incident_number", "product", "short_description", "opened_at", "state", "priority",
                "assignment_group", "aged_reason", "aged_reason_detail")


def _not_closed(as_at: date, filters: Filters, *, opened_before: datetime | None = None,
                columns: tuple[str, ...] = AGED_COLUMNS):
    """Cases open at the end of `as_at`, as a subquery of the columns asked for.

    Two range reads of the (record type, closed at, opened at) index, never closed and
    closed after the day, joined by UNION ALL: one OR-ed condition would read every case.
    """
    r = ServiceDeskRecord
    end = day_start(as_at + timedelta(days=1))
    common = [r.record_type == "case", r.opened_at < (opened_before or end)]
    if filters.service:
        common.append(r.product == filters.service)
    if filters.priority:
        common.append(r.priority == filters.priority)
    selected = [getattr(r, name) for name in columns]
    return sa.union_all(
        sa.select(*selected).where(r.closed_at.is_(None), *common),
        sa.select(*selected).where(r.closed_at >= end, *common),
    ).subquery("not_closed")


def _aged_case(row, as_at: date) -> AgedCase:
    days = age_days(row.opened_at, as_at)
    return AgedCase(
        number=row.number, incident=row.incident_number, product=row.product, short_description=row.short_description,
        opened_at=row.opened_at, age_days=days, age_bucket=choices.servicedesk_age_bucket(days), state=row.state,
        priority=row.priority, assignment_group=row.assignment_group, aged_reason=row.aged_reason,
        aged_reason_detail=row.aged_reason_detail,
    )


def aged_cases(as_at: date, filters: Filters = Filters(), *, min_days: int = 0, limit: int | None = None) -> list[AgedCase]:
    """Cases not closed at the end of `as_at`, oldest first."""
    opened_before = day_start(as_at - timedelta(days=min_days - 1)) if min_days else None
    cases = _not_closed(as_at, filters, opened_before=opened_before)
    query = sa.select(cases).order_by(cases.c.opened_at, cases.c.number)
    if limit is not None:
        query = query.limit(limit)
    return [_aged_case(row, as_at) for row in db.session.execute(query)]


def aged_summary(as_at: date, filters: Filters = Filters(), *, extract_limit: int | None = AGED_EXTRACT_ON_PAGE) -> AgedSummary:
    """Bucket counts and reasons in two aggregate queries; the bucket edges are instants, so no per-row dates."""
    # Only the opening time: the index holds it, so the table itself is not read.
    cases = _not_closed(as_at, filters, columns=("opened_at",))
    opened = cases.c.opened_at
    counts = []
    for low, high in choices.SERVICEDESK_AGE_BUCKETS:
        # Opened on a London day between as_at − high and as_at − low.
        newest = opened < day_start(as_at - timedelta(days=low - 1))
        edge = newest if high is None else sa.and_(newest, opened >= day_start(as_at - timedelta(days=high)))
        counts.append(sa.func.coalesce(sa.func.sum(sa.case((edge, 1), else_=0)), 0))
    values = db.session.execute(sa.select(*counts).select_from(cases)).one()
    buckets = [(label, int(value)) for label, value in zip(choices.SERVICEDESK_AGE_BUCKET_LABELS, values, strict=True)]
    old = _not_closed(as_at, filters, opened_before=day_start(as_at - timedelta(days=AGED_EXTRACT_DAYS - 1)),
                      columns=("aged_reason",))
    reason_rows = db.session.execute(
        sa.select(old.c.aged_reason, sa.func.count())
        .group_by(old.c.aged_reason)
        .order_by(sa.func.count().desc(), old.c.aged_reason)
    ).all()
    reasons = [(reason or "No reason recorded", int(count)) for reason, count in reason_rows]
    extract_total = sum(count for label, count in buckets if not label.startswith(("0-", "14-")))
    extract = aged_cases(as_at, filters, min_days=AGED_EXTRACT_DAYS, limit=extract_limit)
    return AgedSummary(as_at=as_at, buckets=buckets, reasons=reasons, extract=extract, extract_total=extract_total)
