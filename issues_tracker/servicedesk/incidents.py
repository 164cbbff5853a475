"""The major-incident review (the pack's section 05): each P1/P2 or major incident's response,
resolution and communications against their targets, met, late or missing, and PIR actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..core.extensions import db
from ..core.models import utcnow
from .clock import (
    HOUR,
    LONDON,
    MINUTE,
    RESOLUTION_TARGETS,
    RESPONSE_TARGETS,
    app_calendar,
    clock_deadline,
    clock_seconds,
)
from .models import PirAction, ServiceDeskRecord
from .periods import Filters, Period

MI_REVIEW_LIMIT = 30


# Major-incident communication targets (the pack's MI table).
MI_EMAIL_DUE = 30 * MINUTE


MI_UPDATE_INTERVAL = {1: 2 * HOUR}  # every 2 hours for P1, otherwise every 4 (on the priority's clock)


MI_UPDATE_INTERVAL_DEFAULT = 4 * HOUR


PIR_DUE_DAYS = 7


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
