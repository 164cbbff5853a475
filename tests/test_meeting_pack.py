"""A forum meeting's pack: on its page, and as a PDF rendered outside the web request, stored and served."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from issues_tracker.core.extensions import db
from issues_tracker.forum import pack as pack_service
from issues_tracker.jobs import enqueue, run_queued_jobs
from issues_tracker.models import Job, Meeting, MeetingPack, Poll
from issues_tracker.polls import operations as poll_service
from tests.servicedesk_builders import import_rows, record
from tests.test_log_pdf import outline_titles, pdf_text


@pytest.fixture
def seeded(seeded_database):
    return seeded_database

def meeting_on(day: str) -> Meeting:
    return db.session.scalar(sa.select(Meeting).where(Meeting.meeting_date == date.fromisoformat(day)))


def pack_jobs() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Job).where(Job.kind == "meeting_pack").order_by(Job.id)))


def render(meeting: Meeting) -> MeetingPack:
    """Queue the render job and run it as a worker would."""
    queued = enqueue("meeting_pack", key=str(meeting.id), meeting_id=meeting.id)
    db.session.commit()
    assert run_queued_jobs() == 1
    done = db.session.get(Job, queued.id)
    assert done.state == "done", done.failure_reason
    assert done.result_message.startswith(f"The pack for {meeting.title} is ready")
    assert done.result_url == f"/forum/meetings/{meeting.id}/pack.pdf"
    return pack_service.get_pack(meeting)


def test_the_april_pack_has_every_section_with_the_packs_figures(seeded, participant, staff):
    april = meeting_on("2026-04-14")
    pack = render(april)
    assert pack.state == "ready" and pack.pdf[:5] == b"%PDF-"
    reader, pages = pdf_text(pack.pdf)
    text = " ".join(pages)
    assert len(pages) >= 6 and all(re.search(rf"Page {i + 1} of {len(pages)}", p) for i, p in enumerate(pages))
    for heading in ("Agenda", "Reporting and KPIs", "Incident management", "Major incident review", "Aged cases",
                    "Trend analysis", "Actions", "Poll feedback", "Dates for your diary"):
        assert heading in text, heading
    assert {"Reporting and KPIs", "Major incident review", "Aged cases", "Trend analysis"} <= set(outline_titles(reader))
    assert "Reporting and KPIs / Major Incidents Sam Young" in text  # the agenda
    assert "Raised 231 163 116 128 138 136" in text
    assert "Resolved 225 162 112 103 167 144" in text
    assert "Mean response 27m 32m 120m 103m 96m 11m" in text
    assert "Raised 68 73 109 66 66 70" in text and "Resolved 55 68 105 67 67 83" in text
    for number in ("INC0143161", "INC0142039", "INC0139429", "CS0016629", "CS0018774"):
        assert number in text
    assert "SMF-14" in text and "Sam Young" in text  # the actions log
    assert "12 May 2026" in text and "8 December 2026" in text  # dates for the diary
    assert "aged cases as at 14 April 2026" in text
    # The charts are drawn in the PDF as in the page: their axis labels are text.
    assert text.count("Oct 25") >= 5


def test_the_pack_prints_the_previous_meetings_poll_anonymously(seeded, participant, staff):
    april_poll = db.session.scalar(sa.select(Poll))
    questions = april_poll.questions
    poll_service.record_response(april_poll, participant, {
        questions[0].id: "Partially", questions[1].id: "More on aged cases, please", questions[2].id: "Yes"})
    pack = render(meeting_on("2026-05-12"))
    text = " ".join(pdf_text(pack.pdf)[1])
    assert "Poll feedback from April" in text and "1 response" in text
    assert "Anonymous User 1: More on aged cases, please" in text
    assert participant.name not in text and participant.email not in text
    # May's months are November to April; aged cases as at May's meeting or today.
    assert "Service performance for Nov 2025 – Apr 2026" in text


def test_a_stored_pack_is_served_while_its_figures_are_unchanged(seeded, browser, participant):
    april = meeting_on("2026-04-14")
    pack = render(april)
    browser.login(participant)
    response = browser.get(f"/forum/meetings/{april.id}/pack.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == pack.pdf and response.headers["ETag"] == f'"{pack.sha256}"'
    assert "service-management-forum-pack-2026-04-14.pdf" in response.headers["Content-Disposition"]
    assert browser.get(f"/forum/meetings/{april.id}/pack.pdf",
                       headers={"If-None-Match": f'"{pack.sha256}"'}).status_code == 304
    assert len(pack_jobs()) == 1  # no render was queued


def test_changed_figures_queue_one_render_whose_progress_is_shown_and_then_the_pdf(seeded, browser, participant):
    april = meeting_on("2026-04-14")
    render(april)
    import_rows([record("CS0099999", "2026-03-20 10:00", state="Open", product="DIP")])
    browser.login(participant)
    response = browser.get(f"/forum/meetings/{april.id}/pack.pdf")
    assert response.status_code == 202
    html = response.get_data(as_text=True)
    assert "Preparing the meeting pack: waiting for a worker" in html
    assert f'hx-get="/forum/meetings/{april.id}/pack"' in html and 'hx-trigger="load delay:1s"' in html
    # Asking again while it waits queues nothing more.
    assert browser.get(f"/forum/meetings/{april.id}/pack.pdf").status_code == 202
    assert [job.state for job in pack_jobs()] == ["done", "queued"]
    fragment = browser.get(f"/forum/meetings/{april.id}/pack", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert "HX-Redirect" not in fragment.headers

    assert run_queued_jobs() == 1  # a worker renders it
    fragment = browser.get(f"/forum/meetings/{april.id}/pack", headers={"HX-Request": "true"})
    assert fragment.headers["HX-Redirect"] == f"/forum/meetings/{april.id}/pack.pdf"
    response = browser.get(fragment.headers["HX-Redirect"])
    assert response.status_code == 200 and response.data[:5] == b"%PDF-"
    assert "Raised 231 163 116 128 138 137" in " ".join(pdf_text(response.data)[1])  # March has one more case


def test_a_failed_render_is_shown_and_not_retried_at_once(seeded, browser, participant, monkeypatch):
    april = meeting_on("2026-04-14")
    monkeypatch.setattr(pack_service, "render_pack_pdf", lambda contents: 1 / 0)
    browser.login(participant)
    assert browser.get(f"/forum/meetings/{april.id}/pack.pdf").status_code == 202
    run_queued_jobs()
    db.session.execute(sa.update(Job).values(run_after=None))  # the retry's time has come
    db.session.commit()
    run_queued_jobs()
    (failed,) = pack_jobs()
    assert failed.state == "failed" and failed.attempts == 2
    response = browser.get(f"/forum/meetings/{april.id}/pack.pdf")
    html = " ".join(response.get_data(as_text=True).split())
    assert response.status_code == 202 and "Preparing the meeting pack did not complete." in html
    assert "Try again</a> (in a minute)" in html and "hx-get" not in html
    assert len(pack_jobs()) == 1  # not queued again at once
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingPack)) == 0


def test_an_unknown_meeting_has_no_pack(browser, participant):
    browser.login(participant)
    assert browser.get("/forum/meetings/999999/pack.pdf").status_code == 404
    assert browser.get("/forum/meetings/999999/pack").status_code == 404


def test_the_meeting_page_shows_the_months_before_it(seeded, browser, participant):
    april = meeting_on("2026-04-14")
    browser.login(participant)
    html = browser.get(f"/forum/meetings/{april.id}").get_data(as_text=True)
    flat = " ".join(html.split())
    assert "Service performance, Oct 2025 – Mar 2026" in flat
    assert '<th scope="row">Cases raised</th><td>231</td><td>163</td><td>116</td><td>128</td><td>138</td><td>136</td>' in flat
    assert f'href="/forum/meetings/{april.id}/pack.pdf"' in html
    assert 'href="/performance?from=2025-10&amp;to=2026-03"' in html


def test_the_pack_names_no_caller(seeded, app, tmp_path, runner):
    path = tmp_path / "x.csv"
    path.write_bytes(
        b"Number,Opened,Priority,State,Short description,Assignment group,Product,Responded,Resolved,Closed,Caller\r\n"
        b"CS0000555,2026-02-02 09:00,4 - Low,Open,Loss reads,Elexon - Assurance,DIP,,,,Jane Caller\r\n"
    )
    assert runner.invoke(args=["servicedesk", "import", str(path)]).exit_code == 0
    pack = render(meeting_on("2026-04-14"))
    text = " ".join(pdf_text(pack.pdf)[1])
    assert "CS0000555" in text and "Jane Caller" not in text
    assert PdfReader(io.BytesIO(pack.pdf)).metadata.title.startswith("Service Management Forum – April")


def test_the_pack_covers_the_whole_agenda_with_the_headline_summary_first(seeded, participant, staff):
    from forum_builders import make_question

    from issues_tracker.escalations import operations as escalations
    from issues_tracker.forum import questions

    april = meeting_on("2026-04-14")
    escalations.raise_escalation(participant, {
        "subject_kind": "case", "reference": "CS0018774", "route": "elexon", "reason": "overdue",
        "detail": "Awaiting information for 33 days; we need a date."})
    question = make_question(april, participant, "Will the aged-case extract show reasons by service?")
    questions.answer(question, staff, "Yes, from the May pack onwards.")
    db.session.commit()

    reader, pages = pdf_text(render(april).pdf)
    first = pages[0]
    assert "How are we doing" in first
    assert "March 2026 against February 2026" in first
    assert "Cases raised 136 138" in first  # this month, then the month the previous pack ended on
    assert "Improvement programme complete 9 of 26 (35%)" in first
    assert "Escalations not yet closed 1" in first

    def page_of(heading: str) -> str:
        found = [page for page in pages if heading in page]
        assert found, heading
        return found[0]

    improvement = page_of("The IPA review's actions")
    assert "9 complete, 12 in progress, 5 not started" in improvement
    assert "Tactical 9 12 0" in improvement and "Strategic 0 0 5" in improvement
    escalation = page_of("Escalations Escalations raised")
    assert "Elexon case / incident route 1 0 0" in escalation
    assert "Northern Supply" not in escalation  # counts only: escalations are their organisation's business
    answered = page_of("Questions answered")
    assert "Will the aged-case extract show reasons by service? Yes, from the May pack onwards." in answered
    assert {"How are we doing", "Improvement programme", "Escalations", "Questions answered"} <= set(outline_titles(reader))


def test_a_pack_leaves_out_the_pages_that_have_nothing_to_show(seeded, participant, staff):
    _, pages = pdf_text(render(meeting_on("2026-04-14")).pdf)
    text = " ".join(pages)
    assert "Questions answered" not in text
    assert "Escalations raised through" not in text


def test_the_packs_escalation_counts_tell_responses_in_time_from_late_ones(seeded, participant, outsider, staff):
    from datetime import timedelta

    from issues_tracker.escalations import operations as escalations
    from issues_tracker.forum.pack_pages import _escalations

    def escalate(user, reference, route="elexon"):
        return escalations.raise_escalation(user, {
            "subject_kind": "case", "reference": reference, "route": route, "reason": "overdue",
            "blocking_party": "DIP provider" if route == "supplier" else "", "detail": "We need a date."})

    in_time = escalate(participant, "CS0018774")
    late = escalate(outsider, "CS0018774")
    escalate(participant, "CS0016629", route="supplier")
    escalations.acknowledge(in_time, staff, "On it.", expected_version=None, now=in_time.response_due_at)
    escalations.acknowledge(late, staff, "Sorry.", expected_version=None, now=late.response_due_at + timedelta(hours=1))
    db.session.commit()

    counts = _escalations()
    assert (counts.responded_in_time, counts.responded_late) == (1, 1)
    assert dict(counts.by_route["elexon"]) == {"acknowledged": 2}
    assert dict(counts.by_route["supplier"]) == {"open": 1}
    assert counts.still_open == 3
