"""Questions for a forum meeting: asked (optionally anonymously to other participants, never to
staff), seen by the asker's organisation and staff until published, upvoted once each, answered
by staff into the meeting's minutes, and followed live."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from forum_builders import make_meeting, make_poll, make_question

from issues_tracker.core.extensions import db
from issues_tracker.forum import operations as forum_service
from issues_tracker.models import MeetingQuestion, QuestionVote
from tests.conftest import Browser

pytestmark = pytest.mark.both_databases


@pytest.fixture
def meeting(app):
    return make_meeting(forum_service.london_today() + timedelta(days=3), title="December forum")


@pytest.fixture
def as_user(app):
    """A signed-in Browser of its own for each person."""

    def sign_in(user) -> Browser:
        browser = Browser(app.test_client())
        browser.login(user)
        return browser

    return sign_in


def ask(browser, meeting, body, anonymous=False):
    data = {"body": body}
    if anonymous:
        data["anonymous"] = "y"
    return browser.post(f"/forum/meetings/{meeting.id}/questions", data)


def questions_url(meeting) -> str:
    return f"/forum/meetings/{meeting.id}/questions"


def stored() -> list[MeetingQuestion]:
    db.session.expire_all()
    return db.session.scalars(sa.select(MeetingQuestion).order_by(MeetingQuestion.id)).all()


def test_a_question_is_seen_by_its_organisation_and_staff_until_published_then_by_everyone(
    as_user, meeting, participant, colleague, outsider, staff
):
    asker, mate, other, chair = as_user(participant), as_user(colleague), as_user(outsider), as_user(staff)

    response = ask(asker, meeting, "When will the MHHS DIP outage report be published?")
    assert response.status_code == 303
    (question,) = stored()
    assert (question.state, question.organisation_id, question.votes) == ("asked", participant.organisation_id, 0)

    assert "When will the MHHS DIP outage report be published?" in mate.get(questions_url(meeting)).get_data(as_text=True)
    assert "(1 so far)" in mate.get(f"/forum/meetings/{meeting.id}").get_data(as_text=True)
    assert "so far)" not in other.get(f"/forum/meetings/{meeting.id}").get_data(as_text=True)  # not theirs to see yet
    assert "When will the MHHS DIP outage report" not in other.get(questions_url(meeting)).get_data(as_text=True)
    staff_page = chair.get(questions_url(meeting)).get_data(as_text=True)
    assert "When will the MHHS DIP outage report" in staff_page
    assert "Waiting for staff to publish it" in staff_page

    assert chair.post(f"{questions_url(meeting)}/{question.id}/publish", {"version": question.version}).status_code == 303
    page = other.get(questions_url(meeting)).get_data(as_text=True)
    assert "When will the MHHS DIP outage report be published?" in page
    assert "Pat Participant, Northern Supply Co" in page


def test_an_anonymous_question_hides_its_author_from_participants_but_never_from_staff(
    as_user, meeting, participant, colleague, outsider, staff
):
    ask(as_user(participant), meeting, "Why was the settlement run late in November?", anonymous=True)
    (question,) = stored()
    assert question.anonymous is True
    chair = as_user(staff)
    chair.post(f"{questions_url(meeting)}/{question.id}/publish", {"version": question.version})

    for viewer in (colleague, outsider):
        page = as_user(viewer).get(questions_url(meeting)).get_data(as_text=True)
        page = page.split('id="meeting-questions"')[1].split("</section>")[0]
        assert "Why was the settlement run late in November?" in page
        assert "Anonymous" in page
        assert "Pat Participant" not in page
        assert "Northern Supply Co" not in page
    staff_page = chair.get(questions_url(meeting)).get_data(as_text=True)
    assert "Pat Participant, Northern Supply Co (anonymous to participants)" in staff_page


def test_upvotes_count_once_each_order_the_list_and_can_be_taken_back(
    as_user, meeting, participant, colleague, outsider, staff
):
    chair = as_user(staff)
    ask(chair, meeting, "First question: registration backlog")
    ask(chair, meeting, "Second question: DIP certificate renewals")
    first, second = stored()
    assert first.state == second.state == "published"  # staff's own questions need no publishing

    for voter in (participant, colleague, outsider):
        response = as_user(voter).post(f"{questions_url(meeting)}/{second.id}/vote", htmx=True)
        assert response.status_code == 200
    again = as_user(outsider)
    assert again.post(f"{questions_url(meeting)}/{second.id}/vote", htmx=True).status_code == 200  # takes it back

    assert [q.votes for q in stored()] == [0, 2]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionVote)) == 2
    page = as_user(participant).get(questions_url(meeting)).get_data(as_text=True)
    assert page.index("Second question: DIP certificate renewals") < page.index("First question: registration backlog")
    assert 'aria-pressed="true"' in page  # the participant's own upvote shows as pressed


def test_nobody_upvotes_their_own_question_or_one_not_yet_published(as_user, meeting, participant, colleague):
    asker = as_user(participant)
    ask(asker, meeting, "Can the aged-case report show reasons?")
    (question,) = stored()

    own = asker.post(f"{questions_url(meeting)}/{question.id}/vote", htmx=True)
    assert own.status_code == 422
    assert "You cannot upvote your own question." in own.get_data(as_text=True)
    unpublished = as_user(colleague).post(f"{questions_url(meeting)}/{question.id}/vote", htmx=True)
    assert unpublished.status_code == 422
    assert "once staff publish them" in unpublished.get_data(as_text=True)
    assert stored()[0].votes == 0


def test_another_organisations_unpublished_question_does_not_exist_for_an_outsider(as_user, meeting, participant, outsider):
    ask(as_user(participant), meeting, "Private to Northern Supply until published")
    (question,) = stored()
    other = as_user(outsider)
    assert other.post(f"{questions_url(meeting)}/{question.id}/vote", htmx=True).status_code == 404
    other_meeting = make_meeting(forum_service.london_today() + timedelta(days=40), title="January forum")
    assert as_user(participant).post(f"/forum/meetings/{other_meeting.id}/questions/{question.id}/vote").status_code == 404


def test_only_staff_publish_answer_or_remove(as_user, meeting, participant):
    asker = as_user(participant)
    ask(asker, meeting, "Who owns the DIP onboarding guide?")
    (question,) = stored()
    for action in ("publish", "remove", "answer"):
        assert asker.post(f"{questions_url(meeting)}/{question.id}/{action}", {"answer": "Me", "version": 1}).status_code == 403
    assert asker.get(f"{questions_url(meeting)}/{question.id}/answer").status_code == 403
    assert (stored()[0].state, stored()[0].answer) == ("asked", "")


def test_an_answer_publishes_the_question_and_goes_into_the_meetings_minutes(as_user, meeting, participant, outsider, staff):
    ask(as_user(participant), meeting, "Will the PIR for INC0012345 be shared?")
    (question,) = stored()
    chair = as_user(staff)
    form = chair.get(f"{questions_url(meeting)}/{question.id}/answer")
    assert form.status_code == 200
    assert "Will the PIR for INC0012345 be shared?" in form.get_data(as_text=True)

    response = chair.post(f"{questions_url(meeting)}/{question.id}/answer",
                          {"answer": "Yes: it goes to the January forum.", "version": question.version})
    assert response.status_code == 303
    answered = stored()[0]
    assert (answered.state, answered.answer, answered.answered_by_id) == ("published", "Yes: it goes to the January forum.", staff.id)

    meeting_page = as_user(outsider).get(f"/forum/meetings/{meeting.id}").get_data(as_text=True)
    minutes = meeting_page.split('id="minutes-h"')[1]
    assert "Questions answered" in minutes
    assert "Will the PIR for INC0012345 be shared?" in minutes
    assert "Yes: it goes to the January forum." in minutes


def test_an_answer_saved_over_a_newer_one_is_refused_with_the_typed_answer_kept(as_user, meeting, participant, staff, make_user):
    ask(as_user(participant), meeting, "What is the DIP response target?")
    (question,) = stored()
    first, second = as_user(staff), as_user(make_user("staff", org="Elexon", name="Second Staff"))
    url = f"{questions_url(meeting)}/{question.id}/answer"
    assert first.post(url, {"answer": "Four business hours.", "version": question.version}).status_code == 303

    late = second.post(url, {"answer": "Two hours, I think.", "version": question.version})
    assert late.status_code == 409
    body = late.get_data(as_text=True)
    assert "Two hours, I think." in body
    assert "Another member of staff changed this question" in body
    assert stored()[0].answer == "Four business hours."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   ", "Write your question before sending it."),
        ("x" * 1_001, "A question can be at most 1,000 characters long."),
    ],
)
def test_a_question_that_cannot_be_stored_gets_a_clear_message_and_stores_nothing(as_user, meeting, participant, body, message):
    response = ask(as_user(participant), meeting, body)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored() == []


def test_a_meeting_that_has_taken_place_takes_no_more_questions(as_user, participant):
    past = make_meeting(forum_service.london_today() - timedelta(days=1), title="Last forum")
    asker = as_user(participant)
    page = asker.get(questions_url(past)).get_data(as_text=True)
    assert "This meeting has taken place, so it takes no more questions." in page
    assert 'name="body"' not in page
    response = ask(asker, past, "Too late?")
    assert response.status_code == 422
    assert "This meeting has taken place: it takes no more questions." in response.get_data(as_text=True)
    assert stored() == []


def test_the_live_list_answers_not_modified_until_something_changes(as_user, meeting, participant, staff):
    chair = as_user(staff)
    ask(chair, meeting, "Is the December forum recorded?")
    (question,) = stored()
    viewer = as_user(participant)
    first = viewer.get(questions_url(meeting), headers={"HX-Request": "true"})
    assert first.status_code == 200
    assert "Is the December forum recorded?" in first.get_data(as_text=True)
    assert "<html" not in first.get_data(as_text=True)  # the list alone, for htmx to swap in
    etag = first.headers["ETag"]

    assert viewer.get(questions_url(meeting), headers={"HX-Request": "true", "If-None-Match": etag}).status_code == 304
    viewer.post(f"{questions_url(meeting)}/{question.id}/vote", htmx=True)
    changed = viewer.get(questions_url(meeting), headers={"HX-Request": "true", "If-None-Match": etag})
    assert changed.status_code == 200
    assert 'aria-label="1 upvote"' in changed.get_data(as_text=True)


def test_the_questions_page_shows_the_meetings_open_poll_beside_them(as_user, meeting, participant):
    poll = make_poll(meeting=meeting, title="December feedback")
    page = as_user(participant).get(questions_url(meeting)).get_data(as_text=True)
    assert "Open poll:" in page
    assert f'href="/polls/{poll.id}">December feedback</a>' in page
    assert 'id="poll-results"' in page


def test_signed_out_visitors_are_sent_to_sign_in(client, meeting):
    response = client.get(questions_url(meeting))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# Every route of a meeting's questions, and what each person gets (a question staff asked, so
# published; the meeting is still to come).
QUESTION_ROUTES = [
    ("GET", "", {"participant": 200, "staff": 200}),
    ("POST", "", {"participant": 422, "staff": 422}),  # an empty question is refused with a message
    ("POST", "/{question}/vote", {"participant": 303, "staff": 422}),  # staff asked it: not their own to upvote
    ("POST", "/{question}/publish", {"participant": 403, "staff": 303}),
    ("POST", "/{question}/remove", {"participant": 403, "staff": 303}),
    ("GET", "/{question}/answer", {"participant": 403, "staff": 200}),
    ("POST", "/{question}/answer", {"participant": 403, "staff": 422}),  # no answer written
]


def test_every_question_route_is_listed_with_what_each_person_gets(app):
    from tests.test_forum_permissions import QUESTION_ENDPOINTS

    rules = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint in QUESTION_ENDPOINTS
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    listed = {(method, "/forum/meetings/<int:meeting_id>/questions" + path.replace("{question}", "<int:question_id>"))
              for method, path, _ in QUESTION_ROUTES}
    assert rules == listed


@pytest.mark.parametrize(("method", "path", "expected"), QUESTION_ROUTES, ids=[f"{m} {p}" for m, p, _ in QUESTION_ROUTES])
@pytest.mark.parametrize("role", ["anonymous", "participant", "staff"])
def test_who_may_use_each_question_route(as_user, client, meeting, participant, staff, method, path, expected, role):
    question = make_question(meeting, staff)
    browser = Browser(client) if role == "anonymous" else as_user(participant if role == "participant" else staff)
    url = questions_url(meeting) + path.format(question=question.id)
    response = browser.get(url) if method == "GET" else browser.post(url, {})
    if role == "anonymous":
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected[role]
    if role != "staff" or "publish" not in path and "remove" not in path:
        assert stored()[0].state == "published"


@pytest.mark.parametrize("path", ["/999999/vote", "/999999/answer", "/abc/vote"])
def test_a_question_that_does_not_exist_is_not_found(as_user, meeting, staff, path):
    assert as_user(staff).post(questions_url(meeting) + path, {"answer": "x"}).status_code == 404
