"""Who may use each forum and poll route: anonymous, participant, staff; drafts; odd ids."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from forum_builders import make_action, make_meeting, make_poll

# Every forum and poll route, and who may use it:
#   public    — anyone, signed in or not (calendar clients cannot sign in)
#   signed-in — participants and staff; anonymous visitors are sent to sign in
#   staff     — staff only; participants get 403
# What staff see when they send each route nothing (an empty form): the one status, and the
# page's heading, the error a person reads, or where they are sent.
MEETING_ERRORS = "Date: Enter the meeting date."
ACTION_ERRORS = "Action: Describe the action."
POLL_ANSWER_ERRORS = "Is this meeting your immediate needs?: Choose an answer; this question is required."
ROUTES = [
    ("GET", "/forum", "signed-in", (200, "Service Management Forum")),
    ("GET", "/forum/calendar.ics", "public", (200, "BEGIN:VCALENDAR")),
    ("GET", "/forum/meetings/{meeting}", "signed-in", (200, "The pack holds the agenda")),
    ("GET", "/forum/meetings/new", "staff", (200, "Add a forum meeting")),
    ("POST", "/forum/meetings/new", "staff", (422, MEETING_ERRORS)),
    ("GET", "/forum/meetings/{meeting}/edit", "staff", (200, "Edit Service Management Forum")),
    ("POST", "/forum/meetings/{meeting}/edit", "staff", (422, MEETING_ERRORS)),
    ("POST", "/forum/meetings/{meeting}/invitations", "staff", (303, "/forum/meetings/{meeting}")),
    ("POST", "/forum/meetings/{meeting}/cancel", "staff", (303, "/forum/meetings/{meeting}")),
    ("GET", "/actions", "signed-in", (200, "Forum actions log")),
    ("GET", "/actions/new", "staff", (200, "Raise a forum action")),
    ("POST", "/actions/new", "staff", (422, ACTION_ERRORS)),
    ("GET", "/actions/{action}", "signed-in", (200, "Share the Continuous Improvement backlog")),
    ("GET", "/actions/{action}/edit", "staff", (200, "Edit SMF-{action}")),
    ("POST", "/actions/{action}/edit", "staff", (422, ACTION_ERRORS)),
    ("POST", "/actions/{action}/updates", "staff", (422, "Status: Not a valid choice.")),
    ("GET", "/polls/{poll}", "signed-in", (200, "Forum feedback")),
    ("POST", "/polls/{poll}", "signed-in", (422, POLL_ANSWER_ERRORS)),
    ("GET", "/polls/{poll}/results", "signed-in", (200, "Forum feedback")),
    ("GET", "/polls/{poll}/results.csv", "staff", (200, "Respondent,Is this meeting your immediate needs?")),
    ("GET", "/polls/new", "staff", (200, "Build a poll")),
    ("POST", "/polls/new", "staff", (422, "Title: Give the poll a title.")),
    ("GET", "/polls/{poll}/edit", "staff", (200, "Edit poll")),
    ("POST", "/polls/{poll}/edit", "staff", (422, "Title: Give the poll a title.")),
    ("POST", "/polls/{poll}/open", "staff", (303, "/polls/{poll}")),
    ("POST", "/polls/{poll}/close", "staff", (303, "/polls/{poll}")),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _, _ in ROUTES]
QUESTION_ENDPOINTS = {f"forum.{name}" for name in (
    "questions", "ask_question", "vote_question", "publish_question", "remove_question", "answer_question")}


@pytest.fixture
def objects(staff):
    meeting = make_meeting(date(2026, 4, 14))
    return {
        "meeting": meeting.id,
        "action": make_action(staff, meeting=meeting).number,
        "poll": make_poll(meeting=meeting).id,
    }


def call(browser, method, path, objects):
    url = path.format(**objects)
    if method == "GET":
        return browser.get(url)
    return browser.post(url, {})


def test_every_forum_and_poll_route_is_covered(app):
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("forum", "polls")
        # A meeting's pack is checked with its answers where there are figures to render
        # (test_servicedesk_permissions.py).
        and rule.endpoint not in ("forum.meeting_pack_pdf", "forum.meeting_pack_status")
        # A meeting's questions: each role's exact answers are in test_meeting_questions.py.
        and rule.endpoint not in QUESTION_ENDPOINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {
        (method, path.replace("{meeting}", "<int:meeting_id>").replace("{action}", "<int:number>")
         .replace("{poll}", "<int:poll_id>"))
        for method, path, _, _ in ROUTES
    }
    assert rules == listed


@pytest.mark.parametrize(("method", "path", "who", "seen"), ROUTES, ids=ROUTE_IDS)
def test_anonymous_visitor(browser, objects, method, path, who, seen):
    response = call(browser, method, path, objects)
    if who == "public":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def assert_seen(response, seen, objects):
    """The one status, and what the person reads: the page's words or errors, or where they are sent."""
    status, text = seen
    text = text.format(**objects)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if status == 303:
        assert response.headers["Location"] == text
        return
    shown = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.get_data(as_text=True))).split())
    assert text in shown, shown[:1000]
    if status == 422:
        assert "There is a problem" in shown


@pytest.mark.parametrize(("method", "path", "who", "seen"), ROUTES, ids=ROUTE_IDS)
def test_participant(browser, participant, objects, method, path, who, seen):
    browser.login(participant)
    response = call(browser, method, path, objects)
    if who == "staff":
        assert response.status_code == 403
    else:
        # What a signed-in route shows does not depend on the role; an empty answer to the
        # poll is bad input, not a permission problem.
        assert_seen(response, seen, objects)


@pytest.mark.parametrize(("method", "path", "who", "seen"), ROUTES, ids=ROUTE_IDS)
def test_staff(browser, staff, objects, method, path, who, seen):
    browser.login(staff)
    response = call(browser, method, path, objects)
    assert_seen(response, seen, objects)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/polls/{poll}"), ("POST", "/polls/{poll}"), ("GET", "/polls/{poll}/results")],
)
def test_draft_poll_does_not_exist_for_participants(browser, participant, method, path):
    draft = make_poll(state="draft")
    browser.login(participant)
    assert call(browser, method, path, {"poll": draft.id}).status_code == 404


@pytest.mark.parametrize(
    "path", ["/polls/{poll}", "/polls/{poll}/results", "/polls/{poll}/edit"]
)
def test_staff_see_draft_polls(browser, staff, path):
    draft = make_poll(state="draft")
    browser.login(staff)
    assert call(browser, "GET", path, {"poll": draft.id}).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/forum/meetings/999999", "/forum/meetings/999999/edit", "/actions/999999", "/actions/999999/edit",
     "/polls/999999", "/polls/999999/results", "/polls/999999/results.csv", "/polls/999999/edit",
     "/polls/abc", "/actions/SMF-13", "/forum/meetings/-1"],
)
def test_odd_ids_are_404(browser, staff, path):
    browser.login(staff)
    assert browser.get(path).status_code == 404


@pytest.mark.parametrize(
    "path", ["/polls/999999", "/polls/999999/open", "/polls/999999/close", "/actions/999999/updates",
             "/actions/999999/edit", "/forum/meetings/999999/edit"]
)
def test_posts_to_odd_ids_are_404(browser, staff, path):
    browser.login(staff)
    assert browser.post(path, {}).status_code == 404


@pytest.mark.parametrize(
    "path", ["/polls/{poll}", "/polls/{poll}/close", "/actions/{action}/updates", "/forum/meetings/new"]
)
def test_posts_without_the_csrf_token_are_refused(browser, staff, objects, path):
    browser.login(staff)
    response = browser.post(path.format(**objects), {}, csrf=False)
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)
