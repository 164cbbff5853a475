"""Who may use each forum and poll route: anonymous, participant, staff; drafts; odd ids."""

from __future__ import annotations

from datetime import date

import pytest
from forum_builders import make_action, make_meeting, make_poll

# Every forum and poll route, and who may use it:
#   public    — anyone, signed in or not (calendar clients cannot sign in)
#   signed-in — participants and staff; anonymous visitors are sent to sign in
#   staff     — staff only; participants get 403
ROUTES = [
    ("GET", "/forum", "signed-in"),
    ("GET", "/forum/calendar.ics", "public"),
    ("GET", "/forum/meetings/{meeting}", "signed-in"),
    ("GET", "/forum/meetings/new", "staff"),
    ("POST", "/forum/meetings/new", "staff"),
    ("GET", "/forum/meetings/{meeting}/edit", "staff"),
    ("POST", "/forum/meetings/{meeting}/edit", "staff"),
    ("POST", "/forum/meetings/{meeting}/invitations", "staff"),
    ("POST", "/forum/meetings/{meeting}/cancel", "staff"),
    ("GET", "/actions", "signed-in"),
    ("GET", "/actions/new", "staff"),
    ("POST", "/actions/new", "staff"),
    ("GET", "/actions/{action}", "signed-in"),
    ("GET", "/actions/{action}/edit", "staff"),
    ("POST", "/actions/{action}/edit", "staff"),
    ("POST", "/actions/{action}/updates", "staff"),
    ("GET", "/polls/{poll}", "signed-in"),
    ("POST", "/polls/{poll}", "signed-in"),
    ("GET", "/polls/{poll}/results", "signed-in"),
    ("GET", "/polls/{poll}/results.csv", "staff"),
    ("GET", "/polls/new", "staff"),
    ("POST", "/polls/new", "staff"),
    ("GET", "/polls/{poll}/edit", "staff"),
    ("POST", "/polls/{poll}/edit", "staff"),
    ("POST", "/polls/{poll}/open", "staff"),
    ("POST", "/polls/{poll}/close", "staff"),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _ in ROUTES]
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
        for method, path, _ in ROUTES
    }
    assert rules == listed


@pytest.mark.parametrize(("method", "path", "who"), ROUTES, ids=ROUTE_IDS)
def test_anonymous_visitor(browser, objects, method, path, who):
    response = call(browser, method, path, objects)
    if who == "public":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(("method", "path", "who"), ROUTES, ids=ROUTE_IDS)
def test_participant(browser, participant, objects, method, path, who):
    browser.login(participant)
    response = call(browser, method, path, objects)
    if who == "staff":
        assert response.status_code == 403
    else:
        # An empty answer to the poll is bad input, not a permission problem.
        assert response.status_code in (200, 422)


@pytest.mark.parametrize(("method", "path", "who"), ROUTES, ids=ROUTE_IDS)
def test_staff(browser, staff, objects, method, path, who):
    browser.login(staff)
    response = call(browser, method, path, objects)
    assert response.status_code in (200, 303, 422)


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
