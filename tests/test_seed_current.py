"""`flask seed` makes a demo that is current on the day it runs: the service desk since the April 2026
pack up to today, major incidents with their communications and PIR actions, this month's forum meeting
with its agenda and open poll, earlier polls closed with responses, and last weeks' Monday logs."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import (
    Meeting,
    Poll,
    PollResponse,
    PublishedLog,
    ServiceDeskImport,
    ServiceDeskMonth,
    ServiceDeskRecord,
)
from issues_tracker.servicedesk import incidents, mi_notices, periods, seed_recent
from issues_tracker.servicedesk.clock import month_label
from tests.test_log_pdf import pdf_text
from tests.test_meeting_pack import render

pytestmark = pytest.mark.both_databases


def month_text(month: int) -> str:
    return f"{month // 100}-{month % 100:02d}"


@pytest.fixture
def current(current_database):
    """Today (London), on the database as `flask seed` leaves it that day."""
    return current_database


def read_csv(browser, url: str) -> list[dict]:
    response = browser.get(url)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_seeding_twice_on_the_same_day_changes_nothing(runner, app):
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "recent service-desk records" in first.output and "Monday logs" in first.output

    def snapshot():
        db.session.expire_all()
        return (
            [tuple(row) for row in db.session.execute(
                sa.select(ServiceDeskRecord.number, ServiceDeskRecord.updated_at, ServiceDeskRecord.source_digest)
                .order_by(ServiceDeskRecord.number))],
            db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDeskImport)),
            [tuple(row) for row in db.session.execute(sa.select(*ServiceDeskMonth.__table__.c).order_by(ServiceDeskMonth.id))],
            db.session.scalar(sa.select(sa.func.count()).select_from(PollResponse)),
            db.session.scalar(sa.select(sa.func.count()).select_from(PublishedLog)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)),
        )

    before = snapshot()
    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0 and "nothing changed" in again.output, again.output
    assert snapshot() == before


def test_the_recent_history_is_the_same_whichever_day_it_is_drawn():
    """A month's records do not depend on the day the seed runs; the day only decides what has happened."""
    earlier = {row.number: row for row in seed_recent.recent_rows(date(2026, 9, 1)) if row.opened.month == 6}
    later = {row.number: row for row in seed_recent.recent_rows(date(2026, 12, 1)) if row.opened.month == 6}
    assert earlier.keys() == later.keys() and len(earlier) > 150
    assert all((earlier[n].opened, earlier[n].priority) == (later[n].opened, later[n].priority) for n in earlier)
    # Cases still waiting in September are resolved by December, or still waiting: never another story.
    assert {n for n, r in later.items() if r.resolved is None} <= {n for n, r in earlier.items() if r.resolved is None}


def test_performance_shows_every_month_up_to_this_one(browser, participant, current):
    browser.login(participant)
    this_month = current.year * 100 + current.month
    last_month = periods.shift(this_month, 1)
    first = periods.shift(this_month, 5)
    rows = read_csv(browser, f"/performance/kpis.csv?from={month_text(first)}&to={month_text(this_month)}")
    totals = {(r["month"], r["record_type"]): r for r in rows if r["priority"] == "all"}
    for month in periods.Period(first, last_month).months:
        for record_type, low in (("case", 100), ("incident", 45)):
            row = totals[(month_text(month), record_type)]
            assert int(row["raised"]) >= low and int(row["resolved"]) > 0, row
            assert row["mean_response_minutes"] and row["mean_resolution_hours"] and row["resolution_within_sla_pct"]
    page = browser.get("/performance")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # The dashboard's six months end with this month, not with the pack's March.
    assert month_label(this_month, "%b %y") in html and month_label(last_month, "%b %y") in html


def test_aged_cases_as_at_today_fill_every_bucket_with_reasons(browser, participant, current):
    browser.login(participant)
    rows = read_csv(browser, "/performance/aged.csv")
    buckets = {r["age_bucket"] for r in rows}
    assert buckets == {"0-13", "14-29", "30-59", "60-89", "90-119", "120+"}
    assert all(r["aged_reason"] for r in rows if int(r["age_days"]) >= 30)
    # Most open cases are under 30 days old: the April pack's leftovers are resolved, bar its own aged extract.
    assert sum(1 for r in rows if r["age_bucket"] in ("0-13", "14-29")) > len(rows) / 2
    page = browser.get("/performance")
    assert f"Aged cases as at {current:%d %B %Y}" in page.get_data(as_text=True)


def test_recent_major_incidents_have_their_communications_and_pir_actions(current):
    this_month = current.year * 100 + current.month
    reviews, _ = incidents.mi_review(periods.Period(periods.shift(this_month, 5), this_month))
    majors = [r for r in reviews if r.record.major_incident]
    assert 1 <= len(majors) <= 3
    latest = majors[0]
    assert latest.record.mi_portal_banner_at and latest.record.mi_email_at and latest.record.industry_circular_at
    assert latest.email_updates.status in ("met", "late") and latest.record.mi_updates
    assert latest.pir.status in ("met", "late", "due")
    # The notice as it was sent from the product: its history on the incident's page.
    resolved = next(r for r in majors if r.record.resolution_at)
    notice = mi_notices.notice_for(resolved.record)
    assert notice.state == "resolved" and [e.kind for e in notice.entries][0] == "notice"
    assert [e.kind for e in notice.entries][-1] == "resolution"
    if latest.record.pir_published_on:
        assert len(latest.record.pir_actions) == 4
        assert {a.status for a in latest.record.pir_actions} == {"Closed", "In progress", "Open"}


def test_this_months_meeting_has_its_agenda_and_an_open_poll_and_earlier_polls_are_closed(browser, participant,
                                                                                           current):
    meetings = db.session.scalars(sa.select(Meeting).order_by(Meeting.meeting_date)).all()
    this_month = next(m for m in meetings if (m.meeting_date.year, m.meeting_date.month) == (current.year, current.month))
    assert [item.topic for item in this_month.agenda_items][4] == "Reporting and KPIs / Major Incidents"
    polls = {p.meeting_id: p for p in db.session.scalars(sa.select(Poll))}
    assert polls[this_month.id].state == "open"
    held = [m for m in meetings if date(2026, 4, 14) < m.meeting_date < current and m.id != this_month.id]
    for meeting in held:
        poll = polls[meeting.id]
        assert poll.state == "closed"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PollResponse).where(
            PollResponse.poll_id == poll.id)) >= 5
    browser.login(participant)
    forum = browser.get("/forum").get_data(as_text=True)
    assert f"/polls/{polls[this_month.id].id}" in forum
    page = browser.get(f"/polls/{polls[held[-1].id].id}").get_data(as_text=True)
    assert "closed" in page.lower()


def test_the_next_meetings_pack_has_the_latest_months_figures(browser, participant, current):
    meeting = db.session.scalar(
        sa.select(Meeting).where(Meeting.meeting_date >= current).order_by(Meeting.meeting_date).limit(1))
    period = periods.months_before(meeting.meeting_date)
    browser.login(participant)
    rows = read_csv(browser, f"/performance/kpis.csv?from={month_text(period.first)}&to={month_text(period.last)}")
    raised = [r["raised"] for r in rows if r["record_type"] == "case" and r["priority"] == "all"]
    pack = render(meeting)
    _, pages = pdf_text(pack.pdf)
    text = " ".join(pages)
    assert "Raised " + " ".join(raised) in text
    assert int(raised[-1]) > 0
    # The month's changes, by outcome.
    total = next(line for line in text.split("Changes completed by outcome")[1].split("Total ")[1:2])
    assert all(int(n) > 0 for n in total.split()[:6])
    assert f"aged cases as at {min(meeting.meeting_date, current).day} " in text
    # The previous meeting's poll, with its members' answers.
    assert "Anonymous User 1" in text and "Anonymous User 5" in text


def test_last_weeks_monday_logs_are_published_so_this_week_compares(browser, participant, current):
    monday = current - timedelta(days=current.weekday())
    weeks = list(db.session.scalars(sa.select(PublishedLog.week_commencing).order_by(PublishedLog.week_commencing)))
    assert weeks == [monday - timedelta(weeks=2), monday - timedelta(weeks=1)]
    browser.login(participant)
    archive = browser.get("/log").get_data(as_text=True)
    assert (monday - timedelta(weeks=1)).isoformat() in archive
    latest = browser.get("/log/latest.pdf")
    assert latest.status_code == 200
    text = " ".join(pdf_text(latest.data)[1])
    assert "on last week" in text
