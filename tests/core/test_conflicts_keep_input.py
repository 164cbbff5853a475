"""Every change that loses a race answers 409 and gives the person back what they typed, whether the
page or an htmx fragment was asked for. A lost race is made to happen at the commit of each route."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from forum_builders import form_for, make_action, make_meeting, make_poll

from issues_tracker.core import transaction
from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service
from issues_tracker.log.weeks import current_week
from issues_tracker.models import Comment, Organisation, PirAction
from issues_tracker.participation import comments as comment_service
from tests.helpers import VALID_SUBMISSION, make_issue
from tests.servicedesk_builders import import_rows, record

pytestmark = pytest.mark.both_databases

MARK = "Kept words: ölçü 42"


@pytest.fixture
def world(participant, staff, admin):
    issue = make_issue(participant, publish_by=staff, summary="An issue to change")
    pending = make_issue(participant, summary="An issue awaiting triage")
    action = issue_service.add_action(issue, staff, {"description": "Check", "owner_name": "Ann"})
    db.session.commit()
    comment_service.add_comment(issue, participant, "A comment to hide")
    db.session.commit()
    meeting = make_meeting(date(2026, 5, 12), agenda=[(1, "Welcome", "Chair")])
    poll = make_poll(meeting=meeting)
    draft = make_poll(state="draft", title="Draft poll")
    forum_action = make_action(staff, meeting=meeting)
    import_rows([record("INC0000101", "2026-03-07 21:40", priority="1 - Critical", responded="2026-03-07 21:50",
                        resolved="2026-03-08 02:00")])
    db.session.commit()
    return {"issue": issue.id, "issue_version": issue.version, "pending": pending.id, "action": action.id,
            "comment": db.session.scalar(sa.select(Comment.id)), "meeting": meeting.id, "meeting_version": meeting.version,
            "poll": poll, "draft": draft.id, "draft_version": draft.version, "number": forum_action.number,
            "forum_action_version": forum_action.version, "org": participant.organisation_id, "user": participant.id,
            "user_org": participant.organisation_id}


# The routes the pages send with htmx and that carry typed text: they answer with a fragment.
HTMX_PATHS = ("/comments",)


def cases(w, htmx: bool = False):
    """(who, path, form) for every route that stores what a person typed."""
    every = [
        ("participant", "/issues/new", dict(VALID_SUBMISSION, description=MARK, submission_token="a" * 32)),
        ("staff", f"/issues/{w['issue']}/edit", {**{k: v for k, v in VALID_SUBMISSION.items()},
                                                 "status": "Under investigation", "impact_assessment": "In progress",
                                                 "resolution_status": "Planned", "owner_id": "0", "progress_note": MARK,
                                                 "version": str(w["issue_version"])}),
        ("staff", f"/issues/{w['pending']}/triage", {"decision": "reject", "reason": MARK}),
        ("staff", f"/issues/{w['issue']}/actions", {"description": MARK, "owner_name": "Joe", "status": "Open"}),
        ("participant", f"/issues/{w['issue']}/comments", {"body": MARK}),
        ("staff", f"/issues/{w['issue']}/comments/{w['comment']}/hide", {"reason": MARK}),
        ("participant", "/account/views", {"name": MARK, "query": "service=DIP"}),
        ("staff", "/forum/meetings/new", {"meeting_date": "2026-07-14", "title": MARK, "start_time": "10:00",
                                          "end_time": "12:00", "agenda-0-topic": "Welcome"}),
        ("staff", f"/forum/meetings/{w['meeting']}/edit", {"meeting_date": "2026-05-12", "title": "Forum",
                                                            "start_time": "10:00", "end_time": "12:00", "minutes": MARK,
                                                            "version": str(w["meeting_version"])}),
        ("staff", "/actions/new", {"description": MARK, "owner_name": "Joe", "date_raised": "2026-05-12",
                                   "meeting_id": "0", "status": "Open"}),
        ("staff", f"/actions/{w['number']}/updates", {"status": "Propose Close", "text": MARK,
                                                      "version": str(w["forum_action_version"])}),
        ("staff", f"/actions/{w['number']}/edit", {"description": MARK, "owner_name": "Joe", "date_raised": "2026-05-12",
                                                   "meeting_id": "0", "version": str(w["forum_action_version"])}),
        ("participant", f"/polls/{w['poll'].id}", form_for(w["poll"], "Yes", "4", MARK)),
        ("staff", "/polls/new", {"title": MARK, "questions-0-text": "Useful?", "questions-0-kind": "choice",
                                 "questions-0-options": "Yes\nNo"}),
        ("staff", f"/polls/{w['draft']}/edit", {"title": MARK, "version": str(w["draft_version"]),
                                                "questions-0-text": "Useful?", "questions-0-kind": "choice",
                                                "questions-0-options": "Yes\nNo"}),
        ("staff", f"/log/commentary/{current_week().isoformat()}", {"trends": MARK}),
        ("admin", "/admin/organisations/new", {"name": MARK, "kind": "supplier"}),
        ("admin", f"/admin/organisations/{w['org']}", {"name": MARK, "kind": "supplier"}),
        ("admin", "/admin/users/new", {"email": "new@example.org", "name": MARK, "role": "participant",
                                       "organisation_id": str(w["org"]), "password": "a-long-password", "active": "y"}),
        ("admin", f"/admin/users/{w['user']}", {"email": "moved@example.org", "name": MARK, "role": "participant",
                                                "organisation_id": str(w["user_org"]), "active": "y"}),
        ("staff", "/performance/incidents/INC0000101/actions", {"description": MARK, "owner_name": "Joe",
                                                                 "due_date": "2026-05-01"}),
    ]
    return [case for case in every if case[1].endswith(HTMX_PATHS) or "/hide" in case[1]] if htmx else every


def lose_every_race(monkeypatch):
    def conflict():
        transaction.rollback()
        raise transaction.ConflictError

    monkeypatch.setattr(transaction, "commit", conflict)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_409_gives_back_what_the_person_typed(browser, world, participant, staff, admin, monkeypatch, htmx):
    people = {"participant": participant, "staff": staff, "admin": admin}
    checked = []
    for who, path, form in cases(world, htmx):
        browser.login(people[who])
        lose_every_race(monkeypatch)
        response = browser.post(path, form, htmx=htmx)
        monkeypatch.undo()
        text = response.get_data(as_text=True)
        assert response.status_code == 409, (path, response.status_code, text[:300])
        assert MARK in text, (path, "the person's input is not in the answer")
        assert ("<html" in text) != htmx, (path, "a page for a page, a fragment for htmx")
        browser.logout()
        checked.append(path)
    assert len(checked) == len(cases(world, htmx)) and checked
    db.session.expire_all()
    assert db.session.scalar(sa.select(Organisation).where(Organisation.name == MARK)) is None  # nothing stored
    assert db.session.scalar(sa.select(PirAction)) is None
