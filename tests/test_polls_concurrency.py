"""Many people answering at once during a meeting: every response counted exactly once."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from forum_builders import form_for, make_poll

from issues_tracker.core.extensions import db
from issues_tracker.models import PollAnswer, PollResponse
from issues_tracker.polls import operations as poll_service
from issues_tracker.polls import results as poll_results

pytestmark = pytest.mark.both_databases

CHOICES = ["Yes", "Partially", "No"]


def run_together(jobs):
    """Start every job at the same instant (a barrier) and collect their results or errors."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def signed_in_browser(app, browser, user):
    """A separate browser (own cookie jar) signed in as user.

    Signs in inside a fresh app context: requests reuse the test's app context, and
    Flask-Login remembers the signed-in user in its g, which would leak between browsers.
    """
    other = type(browser)(app.test_client())
    with app.app_context():
        other.login(user)
    return other


def test_twenty_people_answering_at_once_are_all_counted_once(app, browser, make_user):
    poll = make_poll()
    people = [make_user("participant", org=f"Supplier {i}") for i in range(20)]
    browsers = [signed_in_browser(app, browser, person) for person in people]
    expected = {choice: 0 for choice in CHOICES}
    jobs = []
    for i, person_browser in enumerate(browsers):
        choice = CHOICES[i % 3]
        expected[choice] += 1
        data = form_for(poll, choice, str(1 + i % 5), f"note {i}")
        jobs.append(lambda b=person_browser, d=data, url=f"/polls/{poll.id}": b.post(url, d).status_code)

    statuses = run_together(jobs)

    assert statuses == [303] * 20
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PollResponse)) == 20
    assert sorted(db.session.scalars(sa.select(PollResponse.user_id))) == sorted(p.id for p in people)
    results = poll_results.poll_results(poll)
    assert results.total == 20
    assert {o.label: o.count for o in results.questions[0].options} == expected
    assert results.questions[1].answered == 20
    assert results.questions[1].average == round(sum(1 + i % 5 for i in range(20)) / 20, 1)
    assert len(results.questions[2].texts) == 20


def test_same_person_answering_twice_at_once_gets_one_response(app, browser, participant):
    poll = make_poll()
    first = signed_in_browser(app, browser, participant)
    second = signed_in_browser(app, browser, participant)

    url = f"/polls/{poll.id}"
    laptop, phone = form_for(poll, "Yes", "5", "from the laptop"), form_for(poll, "No", "1", "from the phone")

    statuses = run_together([
        lambda: first.post(url, laptop).status_code,
        lambda: second.post(url, phone).status_code,
    ])

    assert statuses == [303, 303]
    db.session.expire_all()
    [response] = db.session.scalars(sa.select(PollResponse)).all()
    answers = {a.question_id: a for a in response.answers}
    assert len(answers) == 3
    # One submission won in full: the answers are never a mix of the two.
    stored = (answers[poll.questions[0].id].choice, answers[poll.questions[1].id].rating, answers[poll.questions[2].id].text)
    assert stored in {("Yes", 5, "from the laptop"), ("No", 1, "from the phone")}


def test_many_repeats_by_one_person_at_once_leave_one_row(app, browser, participant):
    poll = make_poll()
    browsers = [signed_in_browser(app, browser, participant) for _ in range(6)]
    url = f"/polls/{poll.id}"
    forms = [form_for(poll, CHOICES[i % 3], "3", f"try {i}") for i in range(6)]
    statuses = run_together([
        (lambda b=b, data=data: b.post(url, data).status_code) for b, data in zip(browsers, forms, strict=True)
    ])
    assert statuses == [303] * 6
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PollResponse)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PollAnswer)) == 3


def test_first_response_that_loses_the_race_updates_the_winner_instead(monkeypatch, participant):
    """The unique (poll, user) constraint refuses the second insert; the service then updates."""
    poll = make_poll()
    poll_service.record_response(poll, participant, {q.id: a for q, a in zip(poll.questions, ["Yes", "4", ""], strict=False)})
    db.session.commit()
    real_lookup = poll_service._existing_response
    lookups = []

    def lookup_that_misses_the_other_request_once(poll_id, user_id, **kw):
        lookups.append(poll_id)
        # As if the other request's row was not yet committed when this one looked.
        return None if len(lookups) == 1 else real_lookup(poll_id, user_id, **kw)

    monkeypatch.setattr(poll_service, "_existing_response", lookup_that_misses_the_other_request_once)

    response = poll_service.record_response(
        poll, participant, {q.id: a for q, a in zip(poll.questions, ["No", "2", "changed"], strict=False)}
    )
    db.session.commit()

    assert len(lookups) == 2  # the insert failed on the constraint and the retry found the row
    db.session.expire_all()
    [stored] = db.session.scalars(sa.select(PollResponse)).all()
    assert stored.id == response.id
    stored_answers = {(a.choice, a.rating, a.text) for a in stored.answers}
    assert stored_answers == {("No", None, None), (None, 2, None), (None, None, "changed")}
