"""Polls: answering, changing an answer, refusing bad input, results, export, building."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from forum_builders import FEEDBACK, form_for, make_meeting, make_poll

from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.models import Poll, PollAnswer, PollQuestion, PollResponse
from issues_tracker.polls import operations as poll_service
from issues_tracker.polls.operations import QuestionSpec


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def responses_of(poll) -> list[PollResponse]:
    db.session.expire_all()
    return db.session.scalars(sa.select(PollResponse).where(PollResponse.poll_id == poll.id)).all()


def answers_by_text(response) -> dict[str, object]:
    result = {}
    for answer in response.answers:
        question = db.session.get(PollQuestion, answer.question_id)
        result[question.text] = answer.rating if answer.rating is not None else (answer.choice or answer.text)
    return result


# ---------------------------------------------------------------- answering


def test_participant_answers_poll_and_their_answers_are_stored(browser, participant):
    poll = make_poll()
    browser.login(participant)
    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Is this meeting your immediate needs?" in page
    assert "3 = Meets Expectations" in page and "5 = Excellent" in page

    response = browser.post(f"/polls/{poll.id}", form_for(poll, "Partially", "3", "Show the backlog earlier"))

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/polls/{poll.id}#saved")
    [stored] = responses_of(poll)
    assert stored.user_id == participant.id
    assert answers_by_text(stored) == {
        "Is this meeting your immediate needs?": "Partially",
        "How simple is it to raise a case?": 3,
        "How can we make these sessions more valuable?": "Show the backlog earlier",
    }
    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "your response is recorded" in page


def test_staff_can_answer_a_poll_too(browser, staff):
    poll = make_poll()
    browser.login(staff)
    assert browser.post(f"/polls/{poll.id}", form_for(poll, "Yes", "5")).status_code == 303
    assert len(responses_of(poll)) == 1


def test_changing_a_response_keeps_one_row_and_the_form_shows_previous_answers(browser, participant):
    poll = make_poll()
    browser.login(participant)
    browser.post(f"/polls/{poll.id}", form_for(poll, "Yes", "2", "Earlier notice of incidents"))

    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Change your response" in page
    assert re.search(r'<input[^>]*checked[^>]*value="Yes"|<input[^>]*value="Yes"[^>]*checked', page)
    assert re.search(r'<input[^>]*checked[^>]*value="2"|<input[^>]*value="2"[^>]*checked', page)
    assert "Earlier notice of incidents</textarea>" in page

    response = browser.post(f"/polls/{poll.id}", form_for(poll, "No", "4", ""))
    assert response.status_code == 303
    [stored] = responses_of(poll)
    assert answers_by_text(stored) == {
        "Is this meeting your immediate needs?": "No",
        "How simple is it to raise a case?": 4,
    }
    assert count(PollAnswer) == 2  # the cleared optional answer is gone, not left behind


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (("Maybe", "3"), "Choose one of the options offered: Yes, Partially, No."),
        (("Yes", "7"), "Choose a rating from 1 to 5."),
        (("Yes", "abc"), "Choose a rating from 1 to 5."),
        (("Yes", "0"), "Choose a rating from 1 to 5."),
        ((None, "3"), "Choose an answer; this question is required."),
        (("Yes", None), "Choose a rating from 1 to 5; this question is required."),
        (("Yes", "3", "x" * 5_001), "Keep the answer under 5,000 characters"),
    ],
)
def test_bad_answer_is_refused_with_a_message_next_to_its_question(browser, participant, answers, message):
    poll = make_poll()
    browser.login(participant)

    response = browser.post(f"/polls/{poll.id}", form_for(poll, *answers))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    wrong = next(q for q, value in zip(poll.questions, list(answers) + [None] * 3, strict=False)
                 if poll_service_error(q, value))
    assert re.search(rf'id="q{wrong.id}-error" class="field-error">[^<]*{re.escape(message[:20])}', page)
    assert count(PollResponse) == 0 and count(PollAnswer) == 0


def poll_service_error(question, value) -> bool:
    try:
        poll_service.clean_answer(question, value)
    except poll_service.AnswerError:
        return True
    return False


def test_bad_answer_keeps_the_other_answers_on_the_form(browser, participant):
    poll = make_poll()
    browser.login(participant)
    page = browser.post(f"/polls/{poll.id}", form_for(poll, "Partially", "9", "Keep the recordings")).get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="Partially"|<input[^>]*value="Partially"[^>]*checked', page)
    assert "Keep the recordings</textarea>" in page


def test_required_free_text_must_be_written(browser, participant):
    poll = make_poll(questions=[QuestionSpec("If not, what would you change?", "text", True)])
    browser.login(participant)
    response = browser.post(f"/polls/{poll.id}", {f"q{poll.questions[0].id}": "   "})
    assert response.status_code == 422
    assert "Write an answer; this question is required." in response.get_data(as_text=True)
    assert count(PollResponse) == 0


def test_answer_to_a_question_of_another_poll_is_refused(browser, participant):
    poll = make_poll()
    other = make_poll(title="Another poll")
    browser.login(participant)
    data = form_for(poll, "Yes", "3")
    data[f"q{other.questions[0].id}"] = "Yes"

    response = browser.post(f"/polls/{poll.id}", data)

    assert response.status_code == 422
    assert "not part of this poll" in response.get_data(as_text=True)
    assert count(PollResponse) == 0 and count(PollAnswer) == 0


def test_service_refuses_foreign_question_ids_too(participant):
    poll = make_poll()
    with pytest.raises(poll_service.ResponseRejected) as refused:
        poll_service.record_response(poll, participant, {poll.questions[0].id: "Yes", poll.questions[1].id: "3", 99999: "x"})
    assert "not part of this poll" in refused.value.form_errors[0]
    assert count(PollResponse) == 0


def test_closed_poll_refuses_a_response_and_stores_nothing(browser, participant):
    poll = make_poll()
    browser.login(participant)
    browser.post(f"/polls/{poll.id}", form_for(poll, "Yes", "4"))
    poll_service.close_poll(poll)
    db.session.commit()

    response = browser.post(f"/polls/{poll.id}", form_for(poll, "No", "1"))

    assert response.status_code == 409
    assert "This poll is closed, so it takes no more responses. Nothing was recorded." in response.get_data(as_text=True)
    [stored] = responses_of(poll)
    assert answers_by_text(stored)["Is this meeting your immediate needs?"] == "Yes"


def test_poll_past_its_close_time_takes_no_responses(browser, participant):
    poll = make_poll(closes_at=utcnow() + timedelta(hours=1))
    poll.closes_at = utcnow() - timedelta(minutes=1)  # the meeting ran on
    db.session.commit()
    browser.login(participant)

    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Closed" in page and "Send response" not in page

    response = browser.post(f"/polls/{poll.id}", form_for(poll, "Yes", "3"))
    assert response.status_code == 409
    assert count(PollResponse) == 0


def test_poll_with_a_future_close_time_says_when_it_closes(browser, participant):
    poll = make_poll(closes_at=utcnow() + timedelta(hours=2))
    browser.login(participant)
    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Open for responses until" in page
    assert browser.post(f"/polls/{poll.id}", form_for(poll, "Yes", "3")).status_code == 303


def test_draft_poll_is_hidden_from_participants_and_takes_no_responses(browser, participant, staff):
    poll = make_poll(state="draft")
    browser.login(participant)
    assert browser.get(f"/polls/{poll.id}").status_code == 404
    assert browser.get(f"/polls/{poll.id}/results").status_code == 404
    assert browser.post(f"/polls/{poll.id}", form_for(poll, "Yes", "3")).status_code == 404
    assert "Forum feedback" not in browser.get("/forum").get_data(as_text=True)

    browser.logout()
    browser.login(staff)
    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Draft: only staff can see it" in page
    response = browser.post(f"/polls/{poll.id}", form_for(poll, "Yes", "3"))
    assert response.status_code == 409
    assert "not open yet" in response.get_data(as_text=True)
    assert count(PollResponse) == 0


# ---------------------------------------------------------------- results


def answer_as(make_user, poll, answers_list):
    for answers in answers_list:
        user = make_user("participant")
        poll_service.record_response(poll, user, {q.id: a for q, a in zip(poll.questions, answers, strict=False)})
        db.session.commit()


def test_results_show_counts_percentages_and_average_rating(browser, participant, make_user):
    poll = make_poll()
    answer_as(make_user, poll, [("Yes", "3", ""), ("Yes", "5", ""), ("Partially", "3", "")])
    browser.login(participant)

    fragment = browser.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true"}).get_data(as_text=True)

    assert "<html" not in fragment
    assert "<strong>3</strong> responses" in fragment
    assert re.search(r'<th scope="row">Yes</th>\s*<td class="bar"><progress max="3" value="2"', fragment)
    assert "2 <small>(67%)</small>" in fragment and "1 <small>(33%)</small>" in fragment
    assert re.search(r'<th scope="row">No</th>.*?0 <small>\(0%\)</small>', fragment, re.S)
    assert "average rating <strong>3.7</strong> out of 5" in fragment
    assert re.search(r'<th scope="row">3 = Meets Expectations</th>\s*<td class="bar"><progress max="3" value="2"', fragment)
    assert "style=" not in fragment  # the Content-Security-Policy forbids inline styles


def test_poll_page_says_how_many_responses_there_are(browser, participant, make_user):
    poll = make_poll()
    answer_as(make_user, poll, [("Yes", "3")])
    browser.login(participant)
    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "<strong>1</strong> response " in page


def test_free_text_answers_are_listed_anonymously_in_response_order(browser, participant, make_user):
    poll = make_poll()
    first = make_user("participant", name="Patricia Example", email="patricia@supplier.example")
    second = make_user("participant", name="Quentin Example", email="quentin@supplier.example")
    poll_service.record_response(poll, first, {q.id: a for q, a in zip(poll.questions, ["Yes", "3", "More on aged cases"],
                                                                       strict=False)})
    db.session.commit()
    poll_service.record_response(poll, second, {q.id: a for q, a in zip(poll.questions, ["No", "2", "Earlier comms"],
                                                                        strict=False)})
    db.session.commit()
    browser.login(participant)

    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)

    assert re.search(r"Anonymous User 1</strong><span class=\"prose\">More on aged cases", page)
    assert re.search(r"Anonymous User 2</strong><span class=\"prose\">Earlier comms", page)
    for secret in ("Patricia", "Quentin", "patricia@", "quentin@"):
        assert secret not in page


def test_results_poll_every_three_seconds_while_the_poll_is_open(browser, participant):
    poll = make_poll()
    browser.login(participant)
    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert f'hx-get="/polls/{poll.id}/results" hx-trigger="every 3s" hx-swap="outerHTML"' in page
    fragment = browser.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert 'hx-trigger="every 3s"' in fragment.get_data(as_text=True)


def test_results_tell_htmx_to_stop_polling_once_the_poll_closes(browser, participant):
    poll = make_poll()
    poll_service.close_poll(poll)
    db.session.commit()
    browser.login(participant)

    fragment = browser.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true"})

    assert fragment.status_code == 286
    text = fragment.get_data(as_text=True)
    assert "hx-trigger" not in text and "final: the poll is closed" in text
    assert browser.get(f"/polls/{poll.id}/results").status_code == 200  # a plain request gets the projector page
    assert "hx-trigger" not in browser.get(f"/polls/{poll.id}").get_data(as_text=True)


def test_unchanged_results_are_answered_with_304(browser, participant, make_user):
    poll = make_poll()
    browser.login(participant)
    first = browser.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true"})
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"

    again = browser.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""

    answer_as(make_user, poll, [("No", "1")])
    changed = browser.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true", "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "<strong>1</strong> response " in changed.get_data(as_text=True)


def test_changed_answer_changes_the_results_etag(browser, participant):
    poll = make_poll()
    browser.login(participant)
    browser.post(f"/polls/{poll.id}", form_for(poll, "Yes", "3"))
    etag = browser.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true"}).headers["ETag"]
    browser.post(f"/polls/{poll.id}", form_for(poll, "No", "3"))
    response = browser.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true", "If-None-Match": etag})
    assert response.status_code == 200


def test_signed_out_htmx_poll_is_sent_to_sign_in(client):
    poll = make_poll()
    response = client.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def queries_for_results(browser, poll) -> int:
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert browser.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true"}).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_results_take_the_same_number_of_queries_for_one_or_many_responses(browser, participant, make_user):
    poll = make_poll()
    browser.login(participant)

    answer_as(make_user, poll, [("Yes", "3", "first")])
    few = queries_for_results(browser, poll)
    answer_as(make_user, poll, [("No", str(1 + i % 5), f"note {i}") for i in range(25)])
    many = queries_for_results(browser, poll)
    assert few == many
    assert many <= 8


def test_browsers_asking_for_the_same_results_share_one_rendering(browser, participant, make_user):
    poll = make_poll()
    answer_as(make_user, poll, [("Yes", "3", "first")])
    browser.login(participant)
    first = queries_for_results(browser, poll)
    again = queries_for_results(browser, poll)  # no If-None-Match: like another browser
    assert again < first
    answer_as(make_user, poll, [("No", "1", "second")])
    fresh = browser.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<strong>2</strong> responses" in fresh and "second" in fresh


# ---------------------------------------------------------------- export


def test_staff_export_responses_as_anonymous_csv(browser, staff, make_user):
    poll = make_poll()
    answer_as(make_user, poll, [("Yes", "3", ""), ("Partially", "5", "=HYPERLINK(\"http://evil.example\")"),
                                ("No", "3", "Further visibility of Elexon process")])
    browser.login(staff)

    response = browser.get(f"/polls/{poll.id}/results.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Respondent", "Is this meeting your immediate needs?", "How simple is it to raise a case?",
                       "How can we make these sessions more valuable?"]
    assert rows[1] == ["Anonymous User 1", "Yes", "3 = Meets Expectations", ""]
    assert rows[2] == ["Anonymous User 2", "Partially", "5 = Excellent", "'=HYPERLINK(\"http://evil.example\")"]
    assert rows[3] == ["Anonymous User 3", "No", "3 = Meets Expectations", "Further visibility of Elexon process"]
    assert "@" not in response.get_data(as_text=True)


def test_participant_cannot_export_responses(browser, participant):
    poll = make_poll()
    browser.login(participant)
    assert browser.get(f"/polls/{poll.id}/results.csv").status_code == 403


# ---------------------------------------------------------------- building, opening, closing


def test_the_seeded_feedback_poll_asks_the_standard_questions(app, seeded_database):
    seeded = db.session.scalar(sa.select(Poll).where(Poll.seed_key.is_not(None)))
    standard = [(q.text, q.kind, q.required, q.options) for q in poll_service.STANDARD_FEEDBACK_QUESTIONS]
    assert [(q.text, q.kind, q.required, q.option_list) for q in seeded.questions] == standard
    assert [q.required for q in seeded.questions] == [True, False, True, False]


def test_staff_build_a_poll_from_the_standard_feedback_questions(browser, staff):
    meeting = make_meeting(utcnow().date() + timedelta(days=7))
    browser.login(staff)
    assert "Use the standard feedback questions" in browser.get(f"/polls/new?meeting_id={meeting.id}").get_data(as_text=True)

    response = browser.post("/polls/new", {"title": "Feedback – May 2026", "meeting_id": str(meeting.id), "use_standard": "y"})

    assert response.status_code == 303
    poll = db.session.scalar(sa.select(Poll))
    assert poll.state == "draft" and poll.meeting_id == meeting.id
    assert [(q.kind, q.required) for q in poll.questions] == [("choice", True), ("text", False), ("choice", True), ("text", False)]
    assert poll.questions[0].option_list == ["Yes", "Partially", "No"]
    assert "Tell us what's working" in poll.intro


def test_staff_build_a_poll_with_their_own_questions(browser, staff):
    browser.login(staff)
    response = browser.post("/polls/new", {
        "title": "Raising cases",
        "questions-0-text": "How simple is it to raise a case?",
        "questions-0-kind": "rating",
        "questions-0-required": "y",
        "questions-0-options": "1 = Very hard\n5 = Very easy",
        "questions-1-text": "Which channel do you use?",
        "questions-1-kind": "choice",
        "questions-1-options": "Portal\nEmail\n\nPhone",
        "questions-2-text": "",
        "questions-2-kind": "choice",
    })
    assert response.status_code == 303
    poll = db.session.scalar(sa.select(Poll))
    rating, channel = poll.questions
    assert rating.required and not channel.required
    assert poll_service.rating_labels(rating)[1] == "1 = Very hard"
    assert poll_service.rating_labels(rating)[3] == "3 = Meets Expectations"
    assert channel.option_list == ["Portal", "Email", "Phone"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"questions-0-kind": "choice", "questions-0-options": "Yes"}, "needs at least two options"),
        ({"questions-0-kind": "choice", "questions-0-options": "Yes\nyes"}, "Each option must be different"),
        ({"questions-0-kind": "rating", "questions-0-options": "Excellent"}, "is not a rating label"),
        ({"questions-0-kind": "text", "questions-0-options": "Yes\nNo"}, "A free-text question has no options"),
        ({"questions-0-kind": "essay"}, "Not a valid choice"),
    ],
)
def test_poll_builder_explains_a_bad_question_and_saves_nothing(browser, staff, row, message):
    browser.login(staff)
    data = {"title": "Feedback", "questions-0-text": "A question?", **row}
    response = browser.post("/polls/new", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "Questions, row 1" in page  # the summary points at the row
    assert count(Poll) == 0


def test_poll_builder_needs_at_least_one_question(browser, staff):
    browser.login(staff)
    response = browser.post("/polls/new", {"title": "Feedback"})
    assert response.status_code == 422
    assert "Add at least one question" in response.get_data(as_text=True)
    assert count(Poll) == 0


def test_poll_builder_refuses_a_close_time_in_the_past(browser, staff):
    browser.login(staff)
    response = browser.post("/polls/new", {"title": "Feedback", "use_standard": "y", "closes_at": "2020-01-01T10:00"})
    assert response.status_code == 422
    assert "That time has passed" in response.get_data(as_text=True)
    assert count(Poll) == 0


def test_close_time_is_read_as_uk_time(browser, staff):
    browser.login(staff)
    year = utcnow().year + 1
    browser.post("/polls/new", {"title": "Summer feedback", "use_standard": "y", "closes_at": f"{year}-07-14T12:00"})
    poll = db.session.scalar(sa.select(Poll))
    assert poll.closes_at.hour == 11  # 12:00 BST is 11:00 UTC


def test_add_another_question_shows_a_new_row_without_saving(browser, staff):
    browser.login(staff)
    response = browser.post("/polls/new", {"title": "Feedback", "questions-0-text": "First?", "questions-0-kind": "text",
                                           "add_question": "Add another question"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="questions-1-text"' in page and "First?" in page
    assert count(Poll) == 0


def test_staff_open_and_close_a_poll(browser, staff, participant):
    poll = make_poll(state="draft")
    browser.login(staff)
    assert browser.post(f"/polls/{poll.id}/open").status_code == 303
    db.session.expire_all()
    assert poll.state == "open" and poll.is_open()

    browser.logout()
    browser.login(participant)
    assert browser.post(f"/polls/{poll.id}", form_for(poll, "Yes", "3")).status_code == 303

    browser.logout()
    browser.login(staff)
    browser.post(f"/polls/{poll.id}/close")
    db.session.expire_all()
    assert poll.state == "closed" and not poll.is_open()
    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Reopen the poll" in page and "Closed" in page


def test_reopening_a_poll_past_its_close_time_clears_the_close_time(browser, staff):
    poll = make_poll(closes_at=utcnow() + timedelta(minutes=30))
    poll.closes_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    browser.login(staff)
    response = browser.post(f"/polls/{poll.id}/open", follow_redirects=True)
    assert "stays open until you close it" in response.get_data(as_text=True)
    db.session.expire_all()
    assert poll.is_open() and poll.closes_at is None


def test_a_poll_without_questions_cannot_be_opened(browser, staff):
    poll = make_poll(state="draft")
    poll.questions = []
    db.session.commit()
    browser.login(staff)
    response = browser.post(f"/polls/{poll.id}/open", follow_redirects=True)
    assert "Add at least one question before opening the poll." in response.get_data(as_text=True)
    db.session.expire_all()
    assert poll.state == "draft"


def test_staff_edit_a_draft_polls_questions(browser, staff):
    poll = make_poll(state="draft")
    browser.login(staff)
    page = browser.get(f"/polls/{poll.id}/edit").get_data(as_text=True)
    assert "How simple is it to raise a case?" in page
    response = browser.post(f"/polls/{poll.id}/edit", {
        "title": "Renamed",
        "questions-0-text": "Only question?", "questions-0-kind": "choice", "questions-0-options": "Yes\nNo",
        "questions-0-required": "y",
    })
    assert response.status_code == 303
    db.session.expire_all()
    assert poll.title == "Renamed"
    assert [q.text for q in poll.questions] == ["Only question?"]


def test_questions_cannot_change_once_the_poll_is_open(browser, staff):
    poll = make_poll()
    browser.login(staff)
    page = browser.get(f"/polls/{poll.id}/edit").get_data(as_text=True)
    assert "cannot change once the poll has been opened" in page
    response = browser.post(f"/polls/{poll.id}/edit", {
        "title": "Renamed", "questions-0-text": "Sneaky?", "questions-0-kind": "text",
    })
    assert response.status_code == 303
    db.session.expire_all()
    assert poll.title == "Renamed"
    assert [q.text for q in poll.questions] == [q.text for q in FEEDBACK]
    with pytest.raises(poll_service.PollError, match="cannot change once a poll has been opened"):
        poll_service.update_poll(poll, {"title": "x"}, [QuestionSpec("New?", "text")])


def test_editing_a_closed_poll_keeps_its_close_time(browser, staff):
    poll = make_poll(state="closed")
    closed_at = poll.closes_at
    browser.login(staff)
    page = browser.get(f"/polls/{poll.id}/edit").get_data(as_text=True)
    value = re.search(r'name="closes_at"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="closes_at"', page)
    response = browser.post(f"/polls/{poll.id}/edit", {"title": "Renamed", "closes_at": value.group(1) or value.group(2)})
    assert response.status_code == 303
    db.session.expire_all()
    assert poll.closes_at == closed_at


def test_seeded_feedback_poll_is_open_and_linked_from_home_and_forum(browser, participant, seeded_database):
    poll = db.session.scalar(sa.select(Poll).where(Poll.seed_key == "smf-feedback-2026-04"))
    browser.login(participant)
    assert f'href="/polls/{poll.id}"' in browser.get("/").get_data(as_text=True)
    assert f'href="/polls/{poll.id}"' in browser.get("/forum").get_data(as_text=True)
    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "is this meeting your immediate needs?" in page and "Send response" in page
