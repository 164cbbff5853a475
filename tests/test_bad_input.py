"""Bad input is a message, never a 500, and changes nothing."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa
from forum_builders import make_meeting, make_poll
from test_issue_workflow import edit_form

from issues_tracker.core.extensions import db
from issues_tracker.models import AgendaItem, Issue, PollAnswer
from tests.helpers import make_issue

# Characters Python's str.isdigit() accepts but int() refuses, and nothing but space.
ODD_NUMBERS = ["²", "³⁴", "1²", "𝟙", " ", "\t", "\u3000"]


@pytest.mark.parametrize("value", ODD_NUMBERS + ["١٢", "IIT-²", "#³"])
def test_searching_for_odd_digits_is_a_search_not_a_500(browser, participant, staff, value):
    make_issue(participant, publish_by=staff)
    browser.login(participant)
    for url in ("/issues", "/issues.csv"):
        response = browser.get(url, query_string={"q": value})
        assert response.status_code == 200, (url, value)


def shown(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.get_data(as_text=True))).split())


BLANK = [" ", "\t", "\u3000"]


def filter_answer(name: str, value: str) -> tuple[int, str | None]:
    """What the list answers to an odd number in a filter, and the message beside it."""
    if value in BLANK:
        return 200, None  # nothing but space: the filter is not set
    if name == "page":
        if value == "𝟙":  # a decimal digit one (Unicode Nd), as int() reads it: page 1
            return 200, None
        return 400, f"“{value}” is not a page number, so the first page is shown."
    return 400, "Not a valid choice, so this filter was ignored."


@pytest.mark.parametrize("name", ["page", "severity", "owner", "stale"])
@pytest.mark.parametrize("value", ODD_NUMBERS)
def test_odd_numbers_in_filters_are_reported_not_a_500(browser, staff, name, value):
    browser.login(staff)
    status, message = filter_answer(name, value)
    response = browser.get("/issues", query_string={name: value})
    assert response.status_code == status
    if message:
        assert message in shown(response)
    else:
        assert "so this filter was ignored" not in shown(response) and "not a page number" not in shown(response)
    export = browser.get("/issues.xlsx", query_string={name: value})
    assert export.status_code == status
    if message:
        assert "Some filters are not valid; correct them on the list and export again." in shown(export)
    else:
        assert export.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("name", ["agenda-²-topic", "agenda-١-topic", "agenda-9999999-topic", "agenda- 1-topic"])
def test_agenda_rows_named_with_odd_digits_are_ignored(browser, staff, name):
    meeting = make_meeting(date(2026, 5, 12))
    browser.login(staff)
    response = browser.post(f"/forum/meetings/{meeting.id}/edit", {
        "meeting_date": "2026-05-12", "title": "Service Management Forum", "start_time": "10:00", "end_time": "12:00",
        "version": str(meeting.version), name: "Sneaky topic",
    })
    # The meeting is saved; a row named with odd digits is no row of the agenda.
    assert response.status_code == 303
    assert response.headers["Location"] == f"/forum/meetings/{meeting.id}"
    assert "Sneaky topic" not in set(db.session.scalars(sa.select(AgendaItem.topic)))


@pytest.mark.parametrize("name", ["questions-²-text", "questions-٣-text"])
def test_poll_question_rows_named_with_odd_digits_are_ignored(browser, staff, name):
    browser.login(staff)
    response = browser.post("/polls/new", {"title": "Feedback", "meeting_id": "0", name: "Odd?"})
    assert response.status_code == 422
    assert "Add at least one question" in response.get_data(as_text=True)


@pytest.mark.parametrize("left_out", ["supplier_impact", "distributor_impact", "parties_responsible", "service_desk_refs",
                                      "root_cause", "settlement_impact", "dependencies", "action_underway",
                                      "resolution_description", "owner_id", "target_date", "progress_note"])
def test_staff_form_with_an_optional_field_left_out_keeps_that_field(browser, participant, staff, left_out):
    issue = make_issue(participant, publish_by=staff, supplier_impact="Multiple", parties_responsible="Elexon",
                       service_desk_refs="CS0016629", root_cause="Schema", dependencies="Release 4")
    browser.login(staff)
    data = {k: v for k, v in edit_form(browser, issue.id).items() if k != left_out}
    data["status"] = "Fix in progress"
    response = browser.post(f"/issues/{issue.id}/edit", data)
    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.get(Issue, issue.id)
    assert stored.status == "Fix in progress"
    assert (stored.supplier_impact, stored.parties_responsible, stored.service_desk_refs) == (
        "Multiple", "Elexon", "CS0016629")


def test_a_new_issue_with_optional_fields_left_out_is_stored_with_them_empty(browser, participant):
    browser.login(participant)
    response = browser.post("/issues/new", {
        "summary": "Schema validation failures", "services": "DIP", "description": "Dflows rejected", "severity": "3",
    })
    assert response.status_code == 303
    issue = db.session.scalar(sa.select(Issue))
    assert (issue.supplier_impact, issue.service_desk_refs, issue.parties_responsible) == ("", "", "")


def test_poll_free_text_loses_control_characters_like_every_other_form(browser, participant):
    poll = make_poll()
    browser.login(participant)
    questions = poll.questions
    response = browser.post(f"/polls/{poll.id}", {
        f"q{questions[0].id}": "Yes", f"q{questions[1].id}": "4",
        f"q{questions[2].id}": "More\x00 time\x07 for\x1b questions",
    })
    assert response.status_code == 303
    assert db.session.scalar(sa.select(PollAnswer.text).where(PollAnswer.text.is_not(None))) == "More time for questions"


def test_poll_fields_named_with_odd_digits_are_not_taken_for_questions(browser, participant):
    poll = make_poll()
    browser.login(participant)
    questions = poll.questions
    response = browser.post(f"/polls/{poll.id}", {
        f"q{questions[0].id}": "Yes", f"q{questions[1].id}": "4", "q²": "x", "q١": "y",
    })
    assert response.status_code == 303


@pytest.mark.parametrize("number", ["a%00b", "INC%000001", "%F0%9D%9F%99", "x" * 300])
def test_an_incident_number_that_cannot_be_one_is_not_found(browser, staff, number):
    browser.login(staff)
    assert browser.get(f"/performance/incidents/{number}").status_code == 404
    assert browser.post(f"/performance/incidents/{number}/actions", {"description": "x"}).status_code == 404
