"""Major-incident communications sent from the product.

From a P1/P2 or major incident, staff publish a notice. Publishing shows the MI portal
banner on every page of the site and sends the MI email to everyone following the
affected service and to the major-incident contacts of every organisation's register.
Updates, industry circulars (a PDF) and the resolution go the same way. Each act records
its own time on the incident (banner, MI email and its updates, circular), which is what
the major-incident review marks met, late or missing; times entered by hand
(major_incidents.record_communications) stay possible for what was sent elsewhere.

While a notice is open the next update is due every 2 hours for a P1 and every 4 business
hours otherwise; staff are reminded by email half an hour before (a background task).

Like every service, these functions flush and never commit.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..core.extensions import db
from ..core.models import utcnow
from ..core.urls import external_url
from .clock import LONDON, app_calendar, clock_deadline
from .incidents import MI_UPDATE_INTERVAL, MI_UPDATE_INTERVAL_DEFAULT
from .models import MajorIncidentUpdate, MiNotice, MiNoticeEntry, ServiceDeskRecord
from .operations import ServiceDeskError, measure, refresh_monthly_sums

REMIND_BEFORE = timedelta(minutes=30)
KIND_LABELS = {"notice": "Major incident", "update": "Update", "circular": "Industry circular",
               "resolution": "Resolved"}
MAX_TEXT = 4000


def notice_for(record: ServiceDeskRecord) -> MiNotice | None:
    return db.session.scalar(sa.select(MiNotice).where(MiNotice.record_id == record.id))


@functools.cache
def _open_banners_select() -> sa.Select:
    # Built once: every full page runs it.
    return (
        sa.select(ServiceDeskRecord.number, MiNotice.service, MiNotice.headline, MiNotice.next_update_due_at)
        .join(ServiceDeskRecord, ServiceDeskRecord.id == MiNotice.record_id)
        .where(MiNotice.state == "open")
        .order_by(MiNotice.published_at.desc())
    )


def open_banners() -> list[tuple[str, str, str, datetime | None]]:
    """(incident number, service, headline, next update due) of every open notice: one small query."""
    return [tuple(row) for row in db.session.execute(_open_banners_select())]


def update_interval(record: ServiceDeskRecord) -> int:
    return MI_UPDATE_INTERVAL.get(record.priority, MI_UPDATE_INTERVAL_DEFAULT)


def _next_due(record: ServiceDeskRecord, after: datetime) -> datetime:
    return clock_deadline(record.priority, after, update_interval(record), app_calendar())


def _clean(text: str, what: str, limit: int = MAX_TEXT) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceDeskError(f"Write the {what}.")
    if len(text) > limit:
        raise ServiceDeskError(f"The {what} is longer than {limit:,} characters.")
    return text


def _open_notice(record: ServiceDeskRecord) -> MiNotice:
    notice = notice_for(record)
    if notice is None:
        raise ServiceDeskError("Publish the major-incident notice first.")
    if notice.state != "open":
        raise ServiceDeskError("This major incident is resolved; its notice takes no more updates.")
    return notice


def publish_notice(record: ServiceDeskRecord, *, headline: str, text: str, user: User,
                   now: datetime | None = None) -> MiNotice:
    """The banner and the first MI email, now."""
    now = now or utcnow()
    if record.record_type != "incident" or not record.mi_review:
        raise ServiceDeskError("A major-incident notice is published from a P1/P2 or major incident.")
    if record.resolution_at is not None:
        raise ServiceDeskError("This incident is resolved already; there is nothing to announce.")
    if notice_for(record) is not None:
        raise ServiceDeskError("A notice for this incident is published already; add an update instead.")
    headline = _clean(headline, "headline", 200)
    text = _clean(text, "notice")
    notice = MiNotice(record_id=record.id, service=record.product, headline=headline, state="open",
                      published_at=now, published_by_id=user.id, next_update_due_at=_next_due(record, now))
    db.session.add(notice)
    # Announced as a major incident: the review now holds it to the MI communications' targets.
    record.major_incident = True
    record.mi_portal_banner_at = record.mi_portal_banner_at or now
    record.mi_email_at = record.mi_email_at or now
    record.mi_updated_by_id, record.mi_updated_at = user.id, now
    _say(notice, record, "notice", text, user, now)
    return notice


def add_update(record: ServiceDeskRecord, *, text: str, user: User, now: datetime | None = None) -> MiNoticeEntry:
    now = now or utcnow()
    notice = _open_notice(record)
    text = _clean(text, "update")
    record.mi_updates.append(MajorIncidentUpdate(channel="email", sent_at=now, recorded_by_id=user.id, recorded_at=now))
    notice.next_update_due_at, notice.reminded_at = _next_due(record, now), None
    record.mi_updated_by_id, record.mi_updated_at = user.id, now
    return _say(notice, record, "update", text, user, now)


def issue_circular(record: ServiceDeskRecord, *, text: str, user: User, now: datetime | None = None) -> MiNoticeEntry:
    now = now or utcnow()
    notice = _open_notice(record)
    text = _clean(text, "circular")
    if record.industry_circular_at is None:
        record.industry_circular_at = now
    else:
        record.mi_updates.append(MajorIncidentUpdate(channel="circular", sent_at=now, recorded_by_id=user.id,
                                                     recorded_at=now))
    record.mi_updated_by_id, record.mi_updated_at = user.id, now
    return _say(notice, record, "circular", text, user, now)


def resolve_notice(record: ServiceDeskRecord, *, text: str, user: User, now: datetime | None = None) -> MiNoticeEntry:
    """The last MI email: the banner comes down, and the incident is resolved now if the extract has not said so."""
    now = now or utcnow()
    notice = _open_notice(record)
    text = _clean(text, "resolution")
    notice.state, notice.resolved_at, notice.next_update_due_at = "resolved", now, None
    record.mi_updates.append(MajorIncidentUpdate(channel="email", sent_at=now, recorded_by_id=user.id, recorded_at=now))
    record.mi_updated_by_id, record.mi_updated_at = user.id, now
    if record.resolution_at is None:
        record.resolved_at = now
        record.state = "Resolved"
        values = {name: getattr(record, name) for name in ("opened_at", "responded_at", "resolved_at", "closed_at",
                                                            "priority", "category", "assignment_group",
                                                            "record_type", "major_incident")}
        for name, value in measure(values, app_calendar()).items():
            setattr(record, name, value)
        db.session.flush()
        refresh_monthly_sums()
    return _say(notice, record, "resolution", text, user, now)


def _say(notice: MiNotice, record: ServiceDeskRecord, kind: str, text: str, user: User, now: datetime) -> MiNoticeEntry:
    entry = MiNoticeEntry(kind=kind, text=text, created_at=now, created_by_id=user.id)
    notice.entries.append(entry)
    db.session.flush()
    entry.emailed = _email(notice, record, entry, now)
    db.session.flush()
    return entry


def subject_for(notice: MiNotice, record: ServiceDeskRecord, kind: str) -> str:
    return f"{KIND_LABELS[kind]}: {record.priority_code} {notice.service} – {notice.headline} ({record.number})"


def _followers(service: str) -> list[User]:
    from ..participation.models import Follow

    return list(db.session.scalars(
        sa.select(User).join(Follow, Follow.user_id == User.id)
        .where(Follow.service == service, Follow.active.is_(True), User.active.is_(True))
        .order_by(User.id)
    ))


def _email(notice: MiNotice, record: ServiceDeskRecord, entry: MiNoticeEntry, now: datetime) -> int:
    """To the service's followers, then the register's major-incident contacts not already told."""
    from ..notifications.outgoing import Attachment, queue_email
    from ..organisations.distribution import recipients, unsubscribe_url

    subject = subject_for(notice, record, entry.kind)
    link = external_url("servicedesk.incident", number=record.number)
    attachments = ()
    if entry.kind == "circular":
        from .circulars import render_circular

        attachments = (Attachment(f"industry-circular-{record.number}.pdf", render_circular(notice, entry),
                                  "application", "pdf"),)
    due = notice.next_update_due_at.astimezone(LONDON) if notice.next_update_due_at else None
    context = dict(act=entry.kind, label=KIND_LABELS[entry.kind], text=entry.text, link=link, record=record,
                   notice=notice, due=due, sent=now.astimezone(LONDON))
    told = set()
    for user in _followers(notice.service):
        queue_email(user.email, subject, "servicedesk/email/mi_notice", kind="major_incident", user=user, now=now,
                    attachments=attachments, reason=f"you follow {notice.service}",
                    manage=external_url("notifications.settings") if _has("notifications.settings") else "",
                    **context)
        told.add(user.email.lower())
    for person in recipients("major_incident_contact"):
        if person.email.lower() in told:
            continue
        queue_email(person.email, subject, "servicedesk/email/mi_notice", kind="major_incident", name=person.name,
                    now=now, attachments=attachments, reason="you are a major-incident contact in your organisation's "
                    "contact register", unsubscribe=unsubscribe_url(person.email, "major_incident_contact"), manage="",
                    **context)
        told.add(person.email.lower())
    return len(told)


def _has(endpoint: str) -> bool:
    from flask import current_app

    return endpoint in current_app.view_functions


def remind_due_updates(now: datetime | None = None) -> int:
    """Email staff once about each notice whose next update is due within half an hour (or overdue)."""
    from ..notifications.outgoing import queue_email

    now = now or utcnow()
    notices = db.session.scalars(
        sa.select(MiNotice).where(MiNotice.state == "open", MiNotice.next_update_due_at <= now + REMIND_BEFORE,
                                  MiNotice.reminded_at.is_(None))
        .with_for_update(skip_locked=True)
    ).all()
    if not notices:
        return 0
    staff = list(db.session.scalars(
        sa.select(User).where(User.role.in_(("staff", "admin")), User.active.is_(True)).order_by(User.id)))
    for notice in notices:
        record = notice.record
        due = notice.next_update_due_at.astimezone(LONDON)
        subject = f"Update due by {due:%H:%M}: {record.priority_code} {notice.service} – {notice.headline}"
        for user in staff:
            queue_email(user.email, subject, "servicedesk/email/mi_reminder", kind="mi_reminder", user=user, now=now,
                        notice=notice, record=record, due=due, overdue=notice.next_update_due_at <= now,
                        link=external_url("servicedesk.incident", number=record.number))
        notice.reminded_at = now
    db.session.flush()
    return len(notices)
