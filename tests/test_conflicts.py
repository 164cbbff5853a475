"""Two people changing the same thing at once: the later one gets the conflict page (409)
with their input kept, never a 500, and nothing is lost or stored twice.

The racing tests send real requests from threads at the same instant (a barrier), on
SQLite and on PostgreSQL; the others open a form, let someone else save, then send it.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from forum_builders import form_for, make_action, make_meeting, make_poll
from test_issue_workflow import edit_form
from test_polls_concurrency import run_together, signed_in_browser

from issues_tracker.core.extensions import db
from issues_tracker.log import operations as log_service
from issues_tracker.log import weeks as log_weeks
from issues_tracker.models import (
    ForumAction,
    ForumActionUpdate,
    Issue,
    IssueAction,
    IssueEvent,
    LogCommentary,
    Meeting,
    Poll,
    PollAnswer,
    PollResponse,
)
from issues_tracker.polls import operations as poll_service
from tests.helpers import VALID_SUBMISSION, make_issue

pytestmark = pytest.mark.both_databases


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _token(html: str) -> str:
    return re.search(r'name="submission_token"[^>]*value="([0-9a-f]{32})"|value="([0-9a-f]{32})"[^>]*name="submission_token"',
                     html).group(1)


# ---------------------------------------------------------------- racing requests


def test_two_staff_saving_one_issue_at_once_one_wins_the_other_gets_the_conflict_page(
    app, browser, participant, staff, make_user
):
    issue = make_issue(participant, publish_by=staff)
    other = make_user("staff", org="Elexon", name="Olu Other")
    mine_browser, theirs_browser = signed_in_browser(app, browser, staff), signed_in_browser(app, browser, other)
    mine = dict(edit_form(mine_browser, issue.id), status="Fix in progress", services=["DIP", "ISD"],
                progress_note="Mine: fix deployed to test")
    theirs = dict(edit_form(theirs_browser, issue.id), status="Monitoring", services=["MDS"],
                  progress_note="Theirs: monitoring overnight runs")
    url = f"/issues/{issue.id}/edit"

    responses = run_together([lambda: mine_browser.post(url, mine), lambda: theirs_browser.post(url, theirs)])

    assert sorted(r.status_code for r in responses) == [303, 409]
    loser = next(r for r in responses if r.status_code == 409)
    winner_note = "Mine" if loser is responses[1] else "Theirs"
    loser_text = loser.get_data(as_text=True)
    assert "Someone else" in loser_text and "Your input is kept" in loser_text
    assert ("Theirs: monitoring overnight runs" if winner_note == "Mine" else "Mine: fix deployed to test") in loser_text
    db.session.expire_all()
    stored = db.session.get(Issue, issue.id)
    assert stored.status == ("Fix in progress" if winner_note == "Mine" else "Monitoring")
    notes = list(db.session.scalars(sa.select(IssueEvent.note).where(IssueEvent.kind == "note")))
    assert len(notes) == 1 and notes[0].startswith(winner_note)


def test_two_triage_decisions_at_once_one_is_recorded_the_other_kept_for_its_author(app, browser, participant, staff,
                                                                                    make_user):
    issue = make_issue(participant)
    other = make_user("staff", org="Elexon", name="Olu Other")
    first, second = signed_in_browser(app, browser, staff), signed_in_browser(app, browser, other)
    url = f"/issues/{issue.id}/triage"

    reasons = ["Duplicate of IIT-0001, please follow that", "A single supplier's configuration, not an industry issue"]
    responses = run_together([
        lambda: first.post(url, {"decision": "reject", "reason": reasons[0]}),
        lambda: second.post(url, {"decision": "reject", "reason": reasons[1]}),
    ])

    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [303, 409]
    winner, loser = (0, 1) if statuses[0] == 303 else (1, 0)
    db.session.expire_all()
    stored = db.session.get(Issue, issue.id)
    assert stored.triage_state == "rejected" and stored.rejection_reason == reasons[winner]
    assert _count(IssueEvent) == 1 + 2  # submitted; one decision and the status it set
    assert reasons[loser].replace("'", "&#39;") in responses[loser].get_data(as_text=True)


def test_triage_racing_an_action_never_fails_and_loses_nothing(app, browser, participant, staff, make_user):
    issue = make_issue(participant)
    other = make_user("staff", org="Elexon", name="Olu Other")
    first, second = signed_in_browser(app, browser, staff), signed_in_browser(app, browser, other)
    triage_url, actions_url = f"/issues/{issue.id}/triage", f"/issues/{issue.id}/actions"

    responses = run_together([
        lambda: first.post(triage_url, {"decision": "publish"}),
        lambda: second.post(actions_url, {"description": "Collect failing files", "owner_name": "Ann"}),
    ])

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {303, 409} and 303 in statuses
    db.session.expire_all()
    assert (db.session.get(Issue, issue.id).triage_state == "published") == (statuses[0] == 303)
    assert (_count(IssueAction) == 1) == (statuses[1] == 303)
    if statuses[1] == 409:
        assert "Collect failing files" in responses[1].get_data(as_text=True)


def test_double_clicking_submit_on_a_new_issue_makes_one_issue(app, browser, participant):
    tab = signed_in_browser(app, browser, participant)
    token = _token(tab.get("/issues/new").get_data(as_text=True))
    form = dict(VALID_SUBMISSION, submission_token=token)

    responses = run_together([lambda: tab.post("/issues/new", form), lambda: tab.post("/issues/new", form)])

    assert [r.status_code for r in responses] == [303, 303]
    assert _count(Issue) == 1
    issue_id = db.session.scalar(sa.select(Issue.id))
    assert {r.headers["Location"] for r in responses} == {f"/issues/{issue_id}"}
    # A third click, later, lands on the same issue too.
    again = tab.post("/issues/new", form)
    assert again.status_code == 303 and again.headers["Location"] == f"/issues/{issue_id}"
    assert _count(Issue) == 1


def test_one_person_changing_their_poll_answers_twice_at_once_stores_one_submission_whole(app, browser, participant):
    poll = make_poll()
    poll_service.record_response(poll, participant, {q.id: a for q, a in zip(poll.questions, ["Yes", "3", "first"],
                                                                              strict=True)})
    db.session.commit()
    laptop, phone = signed_in_browser(app, browser, participant), signed_in_browser(app, browser, participant)
    url = f"/polls/{poll.id}"
    with_text = form_for(poll, "No", "1", "from the laptop")
    without_text = form_for(poll, "Partially", "5", None)  # the optional text left blank

    for _ in range(3):
        statuses = run_together([lambda: laptop.post(url, with_text).status_code,
                                 lambda: phone.post(url, without_text).status_code])
        assert statuses == [303, 303]
        db.session.expire_all()
        [response] = db.session.scalars(sa.select(PollResponse)).all()
        stored = {(a.question_id, a.choice, a.rating, a.text) for a in response.answers}
        q = [question.id for question in poll.questions]
        assert stored in (
            {(q[0], "No", None, None), (q[1], None, 1, None), (q[2], None, None, "from the laptop")},
            {(q[0], "Partially", None, None), (q[1], None, 5, None)},
        )
    assert _count(PollAnswer) in (2, 3)


def test_two_staff_recording_forum_action_updates_at_once(app, browser, staff, make_user):
    action = make_action(staff)
    other = make_user("staff", org="Elexon", name="Olu Other")
    first, second = signed_in_browser(app, browser, staff), signed_in_browser(app, browser, other)
    url = f"/actions/{action.number}/updates"
    version = str(action.version)

    responses = run_together([
        lambda: first.post(url, {"status": "Propose Close", "text": "Backlog shared", "version": version}),
        lambda: second.post(url, {"status": "Closed", "text": "Agreed at the forum", "version": version}),
    ])

    assert sorted(r.status_code for r in responses) == [303, 409]
    loser = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "Backlog shared" in loser or "Agreed at the forum" in loser
    assert _count(ForumActionUpdate) == 2  # raised, and one update


# ---------------------------------------------------------------- a form opened before someone else saved


def test_saving_a_meeting_someone_else_changed_meanwhile_is_a_conflict_with_input_kept(browser, staff):
    meeting = make_meeting(date(2026, 5, 12), agenda=[(1, "Welcome", "Chair")])
    browser.login(staff)
    opened = str(meeting.version)
    meeting.minutes = "Saved by a colleague"
    db.session.commit()
    response = browser.post(f"/forum/meetings/{meeting.id}/edit", {
        "meeting_date": "2026-05-12", "title": "Service Management Forum", "start_time": "10:00", "end_time": "12:00",
        "minutes": "My own minutes", "agenda-0-topic": "Welcome", "version": opened,
    })
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this meeting" in text and "My own minutes" in text
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).minutes == "Saved by a colleague"


def test_editing_a_forum_action_someone_else_changed_meanwhile_is_a_conflict(browser, staff):
    action = make_action(staff)
    browser.login(staff)
    opened = str(action.version)
    browser.post(f"/actions/{action.number}/updates", {"status": "Propose Close", "version": opened})
    response = browser.post(f"/actions/{action.number}/edit", {
        "description": "My rewording", "owner_name": "Joe Andrews", "date_raised": "2026-03-10", "meeting_id": "0",
        "version": opened,
    })
    assert response.status_code == 409
    assert "My rewording" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ForumAction, action.id).description == "Share the Continuous Improvement backlog"


def test_log_commentary_saved_by_someone_else_meanwhile_is_a_conflict(browser, staff):
    week = log_weeks.current_week()
    browser.login(staff)
    form = browser.get(f"/log/commentary/{week.isoformat()}").get_data(as_text=True)
    opened = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', form).group(1)
    log_service.save_commentary(week, {"trends": "A colleague's trends"}, staff)
    db.session.commit()
    response = browser.post(f"/log/commentary/{week.isoformat()}", {"trends": "My trends", "version": opened})
    assert response.status_code == 409
    assert "My trends" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(LogCommentary.trends)) == "A colleague's trends"


def test_editing_a_poll_someone_else_changed_meanwhile_is_a_conflict(browser, staff):
    poll = make_poll(state="draft")
    browser.login(staff)
    opened = str(poll.version)
    poll.intro = "Changed by a colleague"
    db.session.commit()
    response = browser.post(f"/polls/{poll.id}/edit", {
        "title": "My better title", "meeting_id": "0", "version": opened,
        "questions-0-text": "Useful?", "questions-0-kind": "choice", "questions-0-options": "Yes\nNo",
    })
    assert response.status_code == 409
    assert "My better title" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).title == "Forum feedback"
