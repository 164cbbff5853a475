"""A forum meeting's pack: the headline summary, agenda, KPIs with charts, change, major-incident
review, aged cases, trend analysis, the improvement programme, escalations, the actions log,
questions answered, the previous poll's results and the dates for the diary (pack_pages.py
builds the pages beyond the service desk's figures).

The figures are those of the performance dashboard for the whole months before the
meeting, with aged cases as at the meeting day (or today, for a meeting still to come).
The PDF is rendered by a worker as a job (servicedesk/jobs.py) and stored with a
digest of the figures it shows: while the figures are unchanged the stored PDF is
served, and when they change the next request renders it again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from ..core.extensions import db
from ..core.models import utcnow
from ..core.pdf import html_to_pdf
from ..core.templating import LONDON
from ..polls.models import Poll
from ..polls.results import PollResults, poll_results
from ..servicedesk import aged, performance, periods
from ..servicedesk.clock import SERVICE_LEVEL_TABLE, month_label
from .models import ForumAction, Meeting, MeetingPack
from .pack_pages import AgendaPages, agenda_pages


@dataclass
class PackContents:
    meeting: Meeting
    period: periods.Period
    dashboard: performance.Dashboard
    aged_extract: list[aged.AgedCase]
    actions: list[ForumAction]
    previous_meeting: Meeting | None
    previous_polls: list[PollResults]
    diary: list[Meeting]
    agenda: AgendaPages

    @property
    def as_at(self) -> date:
        return self.dashboard.as_at


def previous_meeting(meeting: Meeting) -> Meeting | None:
    return db.session.scalar(
        sa.select(Meeting).where(Meeting.meeting_date < meeting.meeting_date).order_by(Meeting.meeting_date.desc()).limit(1)
    )


def _previous_polls(meeting: Meeting) -> tuple[Meeting | None, list[PollResults]]:
    """The polls of the latest earlier meeting that held one (drafts never count)."""
    row = db.session.execute(
        sa.select(Meeting.id, Meeting.meeting_date)
        .join(Poll, Poll.meeting_id == Meeting.id)
        .where(Meeting.meeting_date < meeting.meeting_date, Poll.state != "draft")
        .order_by(Meeting.meeting_date.desc())
        .limit(1)
    ).first()
    if row is None:
        return previous_meeting(meeting), []
    polls = db.session.scalars(
        sa.select(Poll).where(Poll.meeting_id == row.id, Poll.state != "draft").order_by(Poll.created_at, Poll.id)
    ).all()
    return db.session.get(Meeting, row.id), [poll_results(poll) for poll in polls]


def _actions(since: date | None) -> list[ForumAction]:
    """Actions not closed, and those closed since the previous meeting."""
    actions = db.session.scalars(
        sa.select(ForumAction).options(so.selectinload(ForumAction.updates)).order_by(ForumAction.number)
    ).all()
    keep = []
    for action in actions:
        if action.status != "Closed":
            keep.append(action)
        elif since is not None and action.updated_at.astimezone(LONDON).date() >= since:
            keep.append(action)
    return keep


def pack_contents(meeting: Meeting, *, now: datetime | None = None) -> PackContents:
    now = now or utcnow()
    period = periods.months_before(meeting.meeting_date)
    as_at = min(meeting.meeting_date, periods.london_today(now))
    dashboard = performance.dashboard(period, periods.Filters(), as_at=as_at, now=now)
    aged_extract = aged.aged_cases(as_at, min_days=aged.AGED_EXTRACT_DAYS)
    previous, polls = _previous_polls(meeting)
    last_meeting = previous_meeting(meeting)
    diary = db.session.scalars(
        sa.select(Meeting).where(Meeting.meeting_date > meeting.meeting_date).order_by(Meeting.meeting_date)
    ).all()
    return PackContents(
        meeting=meeting, period=period, dashboard=dashboard, aged_extract=aged_extract,
        actions=_actions(last_meeting.meeting_date if last_meeting else None),
        previous_meeting=previous, previous_polls=polls, diary=list(diary),
        agenda=agenda_pages(meeting, dashboard.figures, list(dashboard.months), month_label),
    )


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def contents_digest(contents: PackContents) -> str:
    """A digest of everything the pack prints (not when it was rendered)."""
    d = contents.dashboard
    meeting = contents.meeting
    data = {
        "meeting": [meeting.meeting_date, meeting.title, meeting.chair, meeting.start_time, meeting.end_time,
                    [(i.number, i.topic, i.presenter) for i in meeting.agenda_items]],
        "period": [contents.period.first, contents.period.last, contents.as_at],
        "figures": sorted((list(key), [f.raised, f.resolved, f.open_at_month_end, f.responded, f.response_seconds,
                                       f.response_measured, f.response_met, f.resolution_seconds,
                                       f.resolution_measured, f.resolution_met])
                          for key, f in d.figures.items()),
        "reviews": [[r.record.number, r.record.product, r.record.short_description, r.record.priority,
                     r.record.major_incident, [[c.status, c.at, c.due, c.note] for c in r.checks]] for r in d.reviews],
        "pir_actions": [[a.id, a.description, a.owner_name, a.due_date, a.status] for a in d.actions],
        "aged": [d.aged.buckets, d.aged.reasons],
        "aged_extract": [[c.number, c.incident, c.product, c.short_description, c.age_days, c.state, c.priority,
                          c.assignment_group, c.aged_reason, c.aged_reason_detail] for c in contents.aged_extract],
        "trend": [[s.service, sorted(s.counts.items())] for s in d.trend.services] + [d.trend.sources],
        "actions": [[a.number, a.description, a.owner_name, a.date_raised, a.status,
                     a.updates[0].text if a.updates else ""] for a in contents.actions],
        "polls": [[p.poll.id, p.poll.title, p.total, [[q.question.text, [[o.label, o.count] for o in q.options],
                                                        q.texts] for q in p.questions]]
                  for p in contents.previous_polls],
        "diary": [m.meeting_date for m in contents.diary],
        "changes": sorted([list(key), count] for key, count in d.changes.counts.items()) if d.changes else [],
        "agenda": contents.agenda.digest_data(),
    }
    text = json.dumps(data, default=_plain, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def render_pack_html(contents: PackContents, *, rendered_at: datetime) -> str:
    template = current_app.jinja_env.get_template("forum/pack_print.html")
    return template.render(
        pack=contents,
        d=contents.dashboard,
        meeting=contents.meeting,
        rendered_at=rendered_at,
        service_levels=SERVICE_LEVEL_TABLE,
        month_label=month_label,
    )


def render_pack_pdf(contents: PackContents, *, rendered_at: datetime | None = None) -> bytes:
    return html_to_pdf(render_pack_html(contents, rendered_at=rendered_at or utcnow()), current_app.static_folder)


def get_pack(meeting: Meeting) -> MeetingPack | None:
    return db.session.scalar(sa.select(MeetingPack).where(MeetingPack.meeting_id == meeting.id))


def store_pack(meeting: Meeting, contents: PackContents, pdf: bytes, *, now: datetime | None = None) -> MeetingPack:
    now = now or utcnow()
    pack = get_pack(meeting)
    if pack is None:
        pack = MeetingPack(meeting_id=meeting.id, started_at=now)
        db.session.add(pack)
    pack.pdf = pdf
    pack.sha256 = hashlib.sha256(pdf).hexdigest()
    pack.size_bytes = len(pdf)
    pack.contents_digest = contents_digest(contents)
    pack.rendered_at = now
    pack.state, pack.progress, pack.finished_at = "ready", 100, now
    pack.message = f"Rendered {now.astimezone(LONDON):%d %b %Y %H:%M}."
    db.session.flush()
    return pack
