"""Any Unicode a person can type or paste goes through every text field and comes out of every
output format: pages, CSV, Excel, Atom, iCalendar, email and the PDF log, with no server error.

Hypothesis writes the text (noncharacters such as U+FFFE, control characters, line breaks in
one-line fields, right-to-left marks, emoji, combining marks). TEST_DEPTH=deep runs hundreds of
examples (scripts/test.sh --deep); the everyday run a handful.
"""

from __future__ import annotations

import io
import os
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from issues_tracker.core.extensions import db
from issues_tracker.core.text import clean_text
from issues_tracker.issues import operations as issue_service
from issues_tracker.log.contents import render_draft
from issues_tracker.log.weeks import current_week
from issues_tracker.models import Issue, Meeting
from issues_tracker.notifications.delivery import deliver_pending
from issues_tracker.notifications.preferences import new_feed_key
from issues_tracker.participation import follows
from tests.conftest import Browser
from tests.helpers import VALID_SUBMISSION

pytestmark = pytest.mark.both_databases

DEEP = os.environ.get("TEST_DEPTH") == "deep"
NASTY = ["\ufffe", "\uffff", "a\nb", "\r\n", "\x00\x0b\x1b", "\u202e\u2066rtl", "\U0001f4a5\u200d\U0001f525",
         "e\u0301\u0301", "\ufdd0", "\x85\u2028\u2029", "\t", "=SUM(A1)", "<script>x</script>", "&amp;", "\U0010ffff"]
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=60),  # surrogates cannot travel in a form
    st.lists(st.sampled_from(NASTY), min_size=1, max_size=4).map("".join),
)


def ok(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


@settings(max_examples=300 if DEEP else 6, deadline=None, derandomize=not DEEP,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=TEXT)
def test_any_text_in_every_field_renders_in_every_format(app, client, smtp, staff, participant, text):
    people = {who: Browser(app.test_client()) for who in ("participant", "staff")}
    people["participant"].login(participant)
    people["staff"].login(staff)
    participant_browser, staff_browser = people["participant"], people["staff"]

    submission = dict(VALID_SUBMISSION, summary=f"Issue {text}"[:200], description=f"What we see: {text}",
                      root_cause=text, settlement_impact=text, dependencies=text, parties_responsible=text[:200])
    response = participant_browser.post("/issues/new", submission)
    ok(response)
    issue = db.session.scalar(sa.select(Issue).order_by(Issue.id.desc()).limit(1))
    assert issue is not None, "the submission was refused: " + response.get_data(as_text=True)[:300]
    assert "\n" not in issue.summary and clean_text(issue.description) == issue.description
    issue_service.triage_issue(issue, staff, "publish")
    follows.follow_issue(participant, issue)
    key = new_feed_key(participant)
    db.session.commit()

    ok(staff_browser.post(f"/issues/{issue.id}/edit", {
        **{name: value for name, value in submission.items() if name not in ("services", "messages")},
        "services": "DIP", "status": "Fix in progress", "impact_assessment": "In progress",
        "resolution_status": "In progress", "owner_id": "0", "action_underway": text,
        "resolution_description": text, "progress_note": f"Note {text}", "version": str(issue.version),
    }))
    ok(participant_browser.post(f"/issues/{issue.id}/comments", {"body": f"Comment {text}"}))
    ok(participant_browser.post(f"/issues/{issue.id}/affected", {"note": text, "meter_points": ""}))
    ok(staff_browser.post("/actions/new", {"description": f"Action {text}", "owner_name": f"Owner {text}"[:120],
                                           "date_raised": "2026-04-14", "meeting_id": "0", "status": "Open"}))
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.meeting_date == date(2026, 12, 8)))
    if meeting is None:
        meeting = Meeting(meeting_date=date(2026, 12, 8), title="Forum")
        db.session.add(meeting)
        db.session.commit()
    ok(staff_browser.post(f"/forum/meetings/{meeting.id}/edit", {
        "meeting_date": "2026-12-08", "title": f"Forum {text}"[:200], "chair": text[:120], "start_time": "10:00",
        "end_time": "12:00", "minutes": text, "version": str(meeting.version),
        "agenda-0-topic": f"Topic {text}"[:200], "agenda-0-presenter": text[:120],
    }))
    ok(staff_browser.post("/account/views", {"name": f"View {text}"[:80], "query": "status=all"}))

    for url in (f"/issues/{issue.id}", "/issues?status=all", f"/issues?q={text[:50]}", f"/forum/meetings/{meeting.id}",
                "/actions", "/account/notifications", "/"):
        ok(participant_browser.get(url))
        ok(staff_browser.get(url))
    csv_export = staff_browser.get("/issues.csv?status=all")
    ok(csv_export)
    assert csv_export.data.decode("utf-8-sig").count("\n") >= 2
    excel = staff_browser.get("/issues.xlsx?status=all")
    ok(excel)
    assert len(list(load_workbook(io.BytesIO(excel.data), read_only=True).worksheets[0].iter_rows())) >= 2
    for url in (f"/issues.atom?key={key}", f"/issues/{issue.id}.atom?key={key}"):
        feed = client.get(url)
        ok(feed)
        assert feed.data.startswith(b"<?xml")
    calendar = client.get("/forum/calendar.ics")
    ok(calendar)
    assert b"BEGIN:VCALENDAR" in calendar.data

    report = deliver_pending()
    assert report.immediate.retrying == 0 and report.immediate.failed == 0, report.summary
    assert render_draft(current_week())[:5] == b"%PDF-"
