"""Service performance, read from the service-desk records: the pack's sections 04–06.

Counting rules (DESIGN.md, capability 4):

- A record counts as raised in the month it was opened and as resolved in the month
  it was resolved (months in Europe/London). A record closed without a resolved time
  counts as resolved when it was closed.
- Churn is raised − resolved. Open at month end is every record opened by the end of
  the month and not resolved by then.
- Mean response (minutes, wall clock) is over the records opened in the month that
  have a response; mean resolution (hours, wall clock) over the records resolved in
  the month.
- % responded within the service level is over records opened in the month that have
  a response; % resolved within it over records resolved in the month. Both on the
  priority's clock (P1 round the clock, P2–P4 business hours); P5 has no service
  level and is left out of both, though it counts in the volumes and means of "all".

The monthly figures come from servicedesk_month (sums rebuilt at every import), so a
month range costs a few small aggregate queries whatever the number of records.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from .charts import PRIORITY_COLOURS, SERIES_COLOURS, ColumnChart, Series, column_chart
from .clock import (
    HOUR,
    LONDON,
    MINUTE,
    RESOLUTION_TARGETS,
    RESPONSE_TARGETS,
    app_calendar,
    clock_deadline,
    clock_seconds,
    month_key,
    month_label,
    month_text,
    months_between,
    previous_month,
)
from .models import PirAction, ServiceDeskImport, ServiceDeskMonth, ServiceDeskRecord

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MAX_MONTHS = 60
DEFAULT_MONTHS = 6
RECORD_TYPES = ("case", "incident")
KPI_PRIORITIES = (1, 2, 3, 4)
MI_REVIEW_LIMIT = 30
AGED_EXTRACT_DAYS = 30
AGED_EXTRACT_ON_PAGE = 50
# Major-incident communication targets (the pack's MI table).
MI_EMAIL_DUE = 30 * MINUTE
MI_UPDATE_INTERVAL = {1: 2 * HOUR}  # every 2 hours for P1, otherwise every 4 (on the priority's clock)
MI_UPDATE_INTERVAL_DEFAULT = 4 * HOUR
PIR_DUE_DAYS = 7


class PeriodError(ValueError):
    """A month range that cannot be shown; the message says why."""


# ---------------------------------------------------------------- months


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


# ---------------------------------------------------------------- monthly KPIs


@dataclass
class Figures:
    """One month's figures for one record type and one priority (or every priority: "all")."""

    month: int
    record_type: str
    priority: str  # P1 … P5, or all
    raised: int = 0
    resolved: int = 0
    open_at_month_end: int = 0
    responded: int = 0
    response_seconds: int = 0
    response_measured: int = 0
    response_met: int = 0
    resolution_seconds: int = 0
    resolution_measured: int = 0
    resolution_met: int = 0

    def add(self, other: Figures) -> None:
        for name in ("raised", "resolved", "open_at_month_end", "responded", "response_seconds", "response_measured",
                     "response_met", "resolution_seconds", "resolution_measured", "resolution_met"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def churn(self) -> int:
        return self.raised - self.resolved

    @property
    def mean_response_minutes(self) -> float | None:
        return self.response_seconds / self.responded / 60 if self.responded else None

    @property
    def mean_resolution_hours(self) -> float | None:
        return self.resolution_seconds / self.resolved / 3600 if self.resolved else None

    @property
    def response_within_sla_pct(self) -> float | None:
        return 100 * self.response_met / self.response_measured if self.response_measured else None

    @property
    def resolution_within_sla_pct(self) -> float | None:
        return 100 * self.resolution_met / self.resolution_measured if self.resolution_measured else None


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


def _filter(query, filters: Filters):
    if filters.service:
        query = query.where(ServiceDeskMonth.product == filters.service)
    if filters.priority:
        query = query.where(ServiceDeskMonth.priority == filters.priority)
    return query


SUMMED = ("raised", "resolved", "responded", "response_seconds", "response_measured", "response_met",
          "resolution_seconds", "resolution_measured", "resolution_met")


def monthly_figures(period: Period, filters: Filters = Filters()) -> dict[tuple[int, str, str], Figures]:
    """Figures per (month, record type, priority) with "all" beside P1 … P5, open counts carried forward."""
    m = ServiceDeskMonth
    rows = db.session.execute(
        _filter(
            sa.select(m.month, m.record_type, m.priority, *(sa.func.sum(getattr(m, name)) for name in SUMMED))
            .where(m.month >= period.first, m.month <= period.last)
            .group_by(m.month, m.record_type, m.priority),
            filters,
        )
    ).all()
    before = db.session.execute(
        _filter(
            sa.select(m.record_type, m.priority, sa.func.sum(m.raised), sa.func.sum(m.resolved))
            .where(m.month < period.first)
            .group_by(m.record_type, m.priority),
            filters,
        )
    ).all()
    open_now: dict[tuple[str, int], int] = defaultdict(int)
    for record_type, priority, raised, resolved in before:
        open_now[(record_type, priority)] = int(raised or 0) - int(resolved or 0)
    by_key: dict[tuple[int, str, int], tuple] = {(row[0], row[1], row[2]): row[3:] for row in rows}
    priorities = sorted({key[1] for key in open_now} | {key[2] for key in by_key} | set(KPI_PRIORITIES))
    figures: dict[tuple[int, str, str], Figures] = {}
    for month in period.months:
        for record_type in RECORD_TYPES:
            total = Figures(month, record_type, "all")
            for priority in priorities:
                sums = by_key.get((month, record_type, priority))
                one = Figures(month, record_type, f"P{priority}")
                if sums:
                    for name, value in zip(SUMMED, sums, strict=True):
                        setattr(one, name, int(value or 0))
                open_now[(record_type, priority)] += one.raised - one.resolved
                one.open_at_month_end = open_now[(record_type, priority)]
                figures[(month, record_type, one.priority)] = one
                total.add(one)
            figures[(month, record_type, "all")] = total
    return figures


def kpi_csv_rows(period: Period, filters: Filters = Filters()) -> list[Figures]:
    """kpis.csv: one row per month × record type × priority (P1 … P4, then all)."""
    figures = monthly_figures(period, Filters(service=filters.service))
    return [
        figures[(month, record_type, priority)]
        for month in period.months
        for record_type in RECORD_TYPES
        for priority in ("P1", "P2", "P3", "P4", "all")
    ]


def combined(figures: dict, month: int, record_type: str, priorities: tuple[str, ...]) -> Figures:
    total = Figures(month, record_type, "+".join(priorities))
    for priority in priorities:
        found = figures.get((month, record_type, priority))
        if found:
            total.add(found)
    return total


# ---------------------------------------------------------------- major incidents


@dataclass
class Check:
    """One communication or target of a major incident: met, late, missing, due (not yet) or n/a."""

    name: str
    target: str
    status: str  # met | late | missing | due | not required
    at: datetime | date | None = None
    due: datetime | date | None = None
    note: str = ""

    @property
    def label(self) -> str:
        return {"met": "Met", "late": "Late", "missing": "Missing", "due": "Not yet due",
                "not required": "Not required"}.get(self.status, self.status)


@dataclass
class IncidentReview:
    record: ServiceDeskRecord
    response: Check
    resolution: Check
    banner: Check
    email: Check
    email_updates: Check
    circular: Check
    pir: Check
    open_actions: int = 0

    @property
    def checks(self) -> list[Check]:
        return [self.response, self.resolution, self.banner, self.email, self.email_updates, self.circular, self.pir]

    @property
    def flagged(self) -> bool:
        return any(check.status in ("late", "missing") for check in self.checks)


def _target_check(name: str, record: ServiceDeskRecord, moment: datetime | None, target: int | None,
                  now: datetime) -> Check:
    if target is None:
        return Check(name, "none (P5)", "not required", moment)
    calendar = app_calendar()
    due = clock_deadline(record.priority, record.opened_at, target, calendar)
    label = _duration(target) + ("" if record.priority == 1 else " (business hours)")
    if moment is None:
        return Check(name, label, "missing" if now > due else "due", None, due)
    met = clock_seconds(record.priority, record.opened_at, moment, calendar) <= target
    return Check(name, label, "met" if met else "late", moment, due)


def _duration(seconds: int) -> str:
    if seconds % HOUR == 0:
        return f"{seconds // HOUR} h"
    return f"{seconds // MINUTE} min"


def review_incident(record: ServiceDeskRecord, now: datetime | None = None) -> IncidentReview:
    """Each target and communication of a P1/P2 or major incident, marked met, late or missing."""
    now = now or utcnow()
    resolution = record.resolution_at
    response = _target_check("Response", record, record.responded_at, RESPONSE_TARGETS.get(record.priority), now)
    resolved = _target_check("Resolution", record, resolution, RESOLUTION_TARGETS.get(record.priority), now)
    if not record.major_incident:
        not_major = "not a major incident"
        banner = Check("MI portal banner", "n/a", "not required", record.mi_portal_banner_at, note=not_major)
        email = Check("MI email", "30 min", "not required", record.mi_email_at, note=not_major)
        updates = Check("MI email updates", "", "not required", note=not_major)
        circular = Check("Industry circular", "n/a", "not required", record.industry_circular_at, note=not_major)
    else:
        banner = Check("MI portal banner", "n/a", "met" if record.mi_portal_banner_at else "missing",
                       record.mi_portal_banner_at)
        email = _deadline_check("MI email", "30 min", record.opened_at + timedelta(seconds=MI_EMAIL_DUE),
                                record.mi_email_at, now)
        updates = _updates_check(record, now)
        circular = Check("Industry circular", "n/a", "met" if record.industry_circular_at else "missing",
                         record.industry_circular_at)
    pir = _pir_check(record, now)
    open_actions = sum(1 for action in record.pir_actions if action.status != "Closed")
    return IncidentReview(record, response, resolved, banner, email, updates, circular, pir, open_actions)


def _deadline_check(name: str, target: str, due: datetime, moment: datetime | None, now: datetime) -> Check:
    if moment is None:
        return Check(name, target, "missing" if now > due else "due", None, due)
    return Check(name, target, "met" if moment <= due else "late", moment, due)


def _updates_check(record: ServiceDeskRecord, now: datetime) -> Check:
    """Updates after the first MI email, each within the interval of the one before, until resolution."""
    name = "MI email updates"
    interval = MI_UPDATE_INTERVAL.get(record.priority, MI_UPDATE_INTERVAL_DEFAULT)
    target = f"every {_duration(interval)}" + ("" if record.priority == 1 else " (business hours)")
    if record.mi_email_at is None:
        return Check(name, target, "missing", note="no MI email recorded")
    calendar = app_calendar()
    resolved = record.resolution_at
    end = resolved or now
    sent = sorted(u.sent_at for u in record.mi_updates if u.channel == "email" and record.mi_email_at < u.sent_at <= end)
    times = [record.mi_email_at, *sent]
    late_gap = any(clock_seconds(record.priority, a, b, calendar) > interval for a, b in zip(times, times[1:], strict=False))
    overdue = clock_seconds(record.priority, times[-1], end, calendar) > interval
    note = f"{len(sent)} update{'' if len(sent) == 1 else 's'}"
    last = sent[-1] if sent else None
    next_due = None if resolved else clock_deadline(record.priority, times[-1], interval, calendar)
    if late_gap or (overdue and sent):
        return Check(name, target, "late", last, next_due, note)
    if overdue:
        return Check(name, target, "missing", last, next_due, note)
    return Check(name, target, "met" if resolved else "due", last, next_due, note)


def pir_due(record: ServiceDeskRecord) -> date | None:
    resolution = record.resolution_at
    return resolution.astimezone(LONDON).date() + timedelta(days=PIR_DUE_DAYS) if resolution else None


def _pir_check(record: ServiceDeskRecord, now: datetime) -> Check:
    """Due 7 days after resolution; required for major and P1 incidents, measured for any that has one."""
    due = pir_due(record)
    published = record.pir_published_on
    required = record.major_incident or record.priority == 1
    target = f"{PIR_DUE_DAYS} days after resolution"
    if published is not None:
        return Check("PIR published", target, "late" if due and published > due else "met", published, due)
    if not required:
        return Check("PIR published", target, "not required", None, due)
    if due is None:
        return Check("PIR published", target, "due", None, None, note="due 7 days after the incident is resolved")
    today = now.astimezone(LONDON).date()
    return Check("PIR published", target, "missing" if today > due else "due", None, due)


def mi_review(period: Period, filters: Filters = Filters(), now: datetime | None = None,
              limit: int | None = MI_REVIEW_LIMIT) -> tuple[list[IncidentReview], int]:
    """P1/P2 and major incidents opened in the period, and older ones whose PIR actions are still open.

    The two kinds are looked up apart (each by its own index) and merged: an OR of them
    would read every record.
    """
    r = ServiceDeskRecord
    in_period = [r.mi_review.is_(True), r.opened_month >= period.first, r.opened_month <= period.last]
    if filters.service:
        in_period.append(r.product == filters.service)
    if filters.priority:
        in_period.append(r.priority == filters.priority)
    period_count = db.session.scalar(sa.select(sa.func.count()).select_from(r).where(*in_period))
    newest = sa.select(r.id, r.opened_at).where(*in_period).order_by(r.opened_at.desc(), r.id.desc())
    if limit is not None:
        newest = newest.limit(limit)
    chosen = dict(db.session.execute(newest).all())
    with_actions = db.session.execute(
        sa.select(r.id, r.opened_at, r.opened_month, r.product, r.priority)
        .where(r.id.in_(sa.select(PirAction.record_id).where(PirAction.status != "Closed")))
    ).all()

    def counted(row) -> bool:
        return (period.first <= row.opened_month <= period.last
                and filters.service in ("", row.product) and filters.priority in (None, row.priority))

    extra = {row.id: row.opened_at for row in with_actions if not counted(row)}
    total = period_count + len(extra)
    chosen.update(extra)
    ids = sorted(chosen, key=lambda i: (chosen[i], i), reverse=True)[:limit]
    records = db.session.scalars(
        sa.select(r).where(r.id.in_(ids)).options(so.selectinload(r.mi_updates), so.selectinload(r.pir_actions))
    ).all()
    records.sort(key=lambda record: (record.opened_at, record.id), reverse=True)
    return [review_incident(record, now) for record in records], total


def open_pir_actions() -> list[PirAction]:
    return db.session.scalars(
        sa.select(PirAction)
        .where(PirAction.status != "Closed")
        .options(so.joinedload(PirAction.record))
        .order_by(PirAction.due_date.is_(None), PirAction.due_date, PirAction.id)
    ).all()


# ---------------------------------------------------------------- aged cases


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


# ---------------------------------------------------------------- trend analysis


@dataclass
class ServiceDemand:
    service: str
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (record type, kind) -> raised

    def count(self, record_type: str | None = None, kind: str | None = None) -> int:
        return sum(n for (t, k), n in self.counts.items() if (record_type in (None, t)) and (kind in (None, k)))

    @property
    def total(self) -> int:
        return self.count()

    @property
    def guidance_pct(self) -> float:
        return 100 * self.count(kind="guidance") / self.total if self.total else 0.0

    @property
    def profile(self) -> str:
        share = self.guidance_pct
        if share >= 65:
            return "guidance-led"
        if share <= 35:
            return "technical / operational"
        return "mixed"


@dataclass
class TrendAnalysis:
    services: list[ServiceDemand]
    sources: list[tuple[str, int]]  # where the split came from: (source label, records)

    @property
    def total(self) -> int:
        return sum(service.total for service in self.services)


def trend_analysis(period: Period, filters: Filters = Filters()) -> TrendAnalysis:
    m = ServiceDeskMonth
    rows = db.session.execute(
        _filter(
            sa.select(m.product, m.record_type, m.work_kind, m.work_kind_source, sa.func.sum(m.raised))
            .where(m.month >= period.first, m.month <= period.last, m.raised > 0)
            .group_by(m.product, m.record_type, m.work_kind, m.work_kind_source),
            filters,
        )
    ).all()
    services: dict[str, ServiceDemand] = {}
    sources: dict[str, int] = defaultdict(int)
    for product, record_type, kind, source, count in rows:
        demand = services.setdefault(product or "Not specified", ServiceDemand(product or "Not specified"))
        demand.counts[(record_type, kind)] = demand.counts.get((record_type, kind), 0) + int(count)
        sources[source] += int(count)
    ordered = sorted(services.values(), key=lambda s: (-s.total, s.service))
    labels = dict(choices.WORK_KIND_SOURCES)
    return TrendAnalysis(ordered, [(labels.get(source, source), sources[source])
                                   for source, _ in choices.WORK_KIND_SOURCES if sources.get(source)])


# ---------------------------------------------------------------- charts


def _short(month: int) -> str:
    return month_label(month, "%b %y")


def volume_chart(chart_id: str, title: str, figures: dict, period: Period, record_type: str) -> ColumnChart:
    months = period.months
    return column_chart(
        chart_id, title, [_short(m) for m in months],
        [Series("Raised", SERIES_COLOURS[0], [figures[(m, record_type, "all")].raised for m in months]),
         Series("Resolved", SERIES_COLOURS[1], [figures[(m, record_type, "all")].resolved for m in months])],
    )


def incidents_by_priority_chart(figures: dict, period: Period) -> ColumnChart:
    months = period.months
    priorities = [p for p in (1, 2, 3, 4, 5) if any(figures.get((m, "incident", f"P{p}")) and
                                                     figures[(m, "incident", f"P{p}")].raised for m in months)]
    return column_chart(
        "chart-incidents-priority", "Incidents raised by priority", [_short(m) for m in months],
        [Series(f"P{p}", PRIORITY_COLOURS[p], [figures[(m, "incident", f"P{p}")].raised for m in months])
         for p in priorities],
        stacked=True,
    )


SERVICES_IN_CHART = 7


def incidents_by_service(period: Period, filters: Filters) -> dict[str, dict[int, int]]:
    m = ServiceDeskMonth
    rows = db.session.execute(
        _filter(
            sa.select(m.product, m.month, sa.func.sum(m.raised))
            .where(m.record_type == "incident", m.month >= period.first, m.month <= period.last, m.raised > 0)
            .group_by(m.product, m.month),
            filters,
        )
    ).all()
    by_service: dict[str, dict[int, int]] = defaultdict(dict)
    for product, month, count in rows:
        by_service[product or "Not specified"][month] = int(count)
    return by_service


def incidents_by_service_chart(by_service: dict[str, dict[int, int]], period: Period) -> ColumnChart:
    months = period.months
    ranked = sorted(by_service, key=lambda s: (-sum(by_service[s].values()), s))
    shown, rest = ranked[:SERVICES_IN_CHART], ranked[SERVICES_IN_CHART:]
    series = [Series(service, SERIES_COLOURS[i % len(SERIES_COLOURS)], [by_service[service].get(m, 0) for m in months])
              for i, service in enumerate(shown)]
    if rest:
        series.append(Series("Other services", "#9ca3af", [sum(by_service[s].get(m, 0) for s in rest) for m in months]))
    return column_chart("chart-incidents-service", "Incidents raised by service affected", [_short(m) for m in months],
                        series, stacked=True)


def response_chart(figures: dict, period: Period) -> ColumnChart:
    months = period.months
    values = [round(figures[(m, "case", "all")].mean_response_minutes or 0, 1) for m in months]
    return column_chart("chart-case-response", "Mean case response (minutes)", [_short(m) for m in months],
                        [Series("Mean response, minutes", SERIES_COLOURS[2], values)])


def resolution_chart(figures: dict, period: Period, record_type: str) -> ColumnChart:
    months = period.months
    values = [round(figures[(m, record_type, "all")].mean_resolution_hours or 0, 1) for m in months]
    noun = "case" if record_type == "case" else "incident"
    return column_chart(f"chart-{noun}-resolution", f"Mean {noun} resolution (hours)", [_short(m) for m in months],
                        [Series("Mean resolution, hours", SERIES_COLOURS[3], values)])


def aged_chart(summary: AgedSummary) -> ColumnChart:
    return column_chart(
        "chart-aged", f"Cases not closed, by age in days (as at {summary.as_at:%d %b %Y})",
        [label for label, _ in summary.buckets],
        [Series("Cases", SERIES_COLOURS[5], [count for _, count in summary.buckets])],
    )


def trend_chart(trend: TrendAnalysis) -> ColumnChart:
    services = trend.services[:9]
    return column_chart(
        "chart-trend", "Demand by service and kind of work (records raised)", [s.service[:12] for s in services],
        [Series("Guidance / knowledge", SERIES_COLOURS[0], [s.count(kind="guidance") for s in services]),
         Series("Technical / operational", SERIES_COLOURS[1], [s.count(kind="technical") for s in services])],
        stacked=True,
    )


# ---------------------------------------------------------------- how figures read


def minutes_text(value: float | None) -> str:
    """Mean minutes as the pack prints them: 27m."""
    return "—" if value is None else f"{round(value):,}m"


def hours_minutes_text(value: float | None) -> str:
    """Mean hours as the pack prints them: 52h 45m."""
    if value is None:
        return "—"
    total = round(value * 60)
    return f"{total // 60:,}h {total % 60}m"


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def signed_text(value: int) -> str:
    return f"+{value:,}" if value > 0 else f"{value:,}"


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: list[tuple[str, str]]  # (figure, small print such as "of 45")


def kpi_rows(figures: dict, months: list[int], record_type: str, *, p1p2: bool = False) -> list[TableRow]:
    """The pack's monthly table for cases or incidents, as text."""
    rows = [(m, figures[(m, record_type, "all")]) for m in months]
    table = [
        TableRow("Raised", [(f"{f.raised:,}", "") for _, f in rows]),
        TableRow("Resolved", [(f"{f.resolved:,}", "") for _, f in rows]),
        TableRow("Churn (raised − resolved)", [(signed_text(f.churn), "") for _, f in rows]),
        TableRow("Open at month end", [(f"{f.open_at_month_end:,}", "") for _, f in rows]),
        TableRow("Mean response", [(minutes_text(f.mean_response_minutes), "") for _, f in rows]),
        TableRow("Mean resolution", [(hours_minutes_text(f.mean_resolution_hours), "") for _, f in rows]),
        TableRow("Responded within SLA", [(percent_text(f.response_within_sla_pct), "") for _, f in rows]),
        TableRow("Resolved within SLA", [(percent_text(f.resolution_within_sla_pct), "") for _, f in rows]),
    ]
    if p1p2:
        both = [combined(figures, m, record_type, ("P1", "P2")) for m in months]
        table.append(TableRow("P1 and P2: mean response", [(minutes_text(f.mean_response_minutes), "") for f in both]))
        table.append(TableRow("P1 and P2: mean resolution",
                              [(hours_minutes_text(f.mean_resolution_hours), "") for f in both]))
    return table


def compliance_rows(figures: dict, months: list[int], priority: int | None = None) -> list[TableRow]:
    """% within the service level per record type and priority, with how many records each is of."""
    table = []
    for record_type, label in (("case", "Cases"), ("incident", "Incidents")):
        for p in (1, 2, 3, 4):
            if priority and priority != p:
                continue
            one = [figures[(m, record_type, f"P{p}")] for m in months]
            table.append(TableRow(f"{label} P{p} response", [
                (percent_text(f.response_within_sla_pct), f"of {f.response_measured:,}" if f.response_measured else "")
                for f in one]))
            table.append(TableRow(f"{label} P{p} resolution", [
                (percent_text(f.resolution_within_sla_pct),
                 f"of {f.resolution_measured:,}" if f.resolution_measured else "")
                for f in one]))
    return table


# ---------------------------------------------------------------- the dashboard


@dataclass
class Dashboard:
    period: Period
    filters: Filters
    as_at: date
    figures: dict
    months: list[int]
    reviews: list[IncidentReview]
    reviews_total: int
    actions: list[PirAction]
    aged: AgedSummary
    trend: TrendAnalysis
    charts: dict[str, ColumnChart]
    last_import: ServiceDeskImport | None
    has_records: bool

    def row(self, month: int, record_type: str, priority: str = "all") -> Figures:
        return self.figures[(month, record_type, priority)]

    def p1p2(self, month: int) -> Figures:
        return combined(self.figures, month, "incident", ("P1", "P2"))

    def kpi_rows(self, record_type: str, p1p2: bool = False) -> list[TableRow]:
        return kpi_rows(self.figures, self.months, record_type, p1p2=p1p2)

    @property
    def compliance_rows(self) -> list[TableRow]:
        return compliance_rows(self.figures, self.months, self.filters.priority)


def data_version() -> tuple:
    """What the dashboard's figures depend on, in one cheap query: the latest import that changed
    records, the latest change to a major incident's communications, and to PIR actions."""
    return tuple(db.session.execute(sa.select(
        sa.select(sa.func.max(ServiceDeskImport.id)).scalar_subquery(),
        sa.select(sa.func.max(ServiceDeskRecord.mi_updated_at)).scalar_subquery(),
        sa.select(sa.func.max(PirAction.updated_at)).scalar_subquery(),
        sa.select(sa.func.count(PirAction.id)).scalar_subquery(),
    )).one())


def last_import() -> ServiceDeskImport | None:
    return db.session.scalar(
        sa.select(ServiceDeskImport).where(ServiceDeskImport.added + ServiceDeskImport.updated > 0)
        .order_by(ServiceDeskImport.id.desc()).limit(1)
    )


def dashboard(period: Period, filters: Filters = Filters(), as_at: date | None = None,
              now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    as_at = as_at or london_today(now)
    figures = monthly_figures(period, filters)
    reviews, reviews_total = mi_review(period, filters, now)
    aged = aged_summary(as_at, filters)
    trend = trend_analysis(period, filters)
    by_service = incidents_by_service(period, filters)
    charts = {
        "case_volumes": volume_chart("chart-case-volumes", "Case volumes: raised and resolved", figures, period, "case"),
        "incident_volumes": volume_chart("chart-incident-volumes", "Incident volumes: raised and resolved", figures,
                                         period, "incident"),
        "case_response": response_chart(figures, period),
        "incident_resolution": resolution_chart(figures, period, "incident"),
        "incidents_priority": incidents_by_priority_chart(figures, period),
        "incidents_service": incidents_by_service_chart(by_service, period),
        "aged": aged_chart(aged),
        "trend": trend_chart(trend),
    }
    latest = last_import()
    return Dashboard(
        period=period, filters=filters, as_at=as_at, figures=figures, months=period.months, reviews=reviews,
        reviews_total=reviews_total, actions=open_pir_actions(), aged=aged, trend=trend, charts=charts,
        last_import=latest, has_records=latest is not None or bool(latest_data_month()),
    )


def filter_choices() -> tuple[list[str], list[int]]:
    """The services named in the records, and the months from the first record to this month."""
    services = db.session.scalars(
        sa.select(ServiceDeskMonth.product).where(ServiceDeskMonth.product != "").distinct().order_by(ServiceDeskMonth.product)
    ).all()
    first, last = db.session.execute(sa.select(sa.func.min(ServiceDeskMonth.month), sa.func.max(ServiceDeskMonth.month))).one()
    this_month = month_key(utcnow())
    first = min(first or this_month, this_month)
    last = max(last or this_month, this_month)
    return list(services), months_between(first, last)


def importer_name(record: ServiceDeskImport | None) -> str:
    if record is None or record.user_id is None:
        return ""
    user = db.session.get(User, record.user_id)
    return user.display_name if user else ""


def meeting_performance(meeting_day: date) -> dict:
    """What a meeting page shows of the months before it (forum/meeting.html includes it)."""
    period = months_before(meeting_day)
    figures = monthly_figures(period)
    return {"period": period, "figures": figures, "months": period.months, "month_label": month_label,
            "has_records": latest_data_month() is not None}
