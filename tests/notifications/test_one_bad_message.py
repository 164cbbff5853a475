"""One email that cannot be written or sent fails alone: it is recorded with its reason, tried
again later a few times, then given up and shown to staff; everyone else's email goes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.issues import operations as issue_service
from issues_tracker.models import Delivery, Issue
from issues_tracker.notifications import compose
from issues_tracker.notifications.delivery import deliver_pending
from issues_tracker.notifications.sending import MAX_UNWRITABLE_ATTEMPTS
from issues_tracker.participation import follows
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases


def followed_change(issue, follower, staff, status="Fix in progress"):
    follows.follow_issue(follower, issue)
    db.session.commit()
    issue_service.update_issue(issue, {"status": status}, staff, expected_version=None)
    db.session.commit()


def test_a_summary_stored_with_a_line_break_before_it_was_cleaned_still_makes_one_line_subject(
        smtp, staff, participant, colleague):
    poisoned = make_issue(participant, publish_by=staff, summary="Settlement run late")
    plain = make_issue(participant, publish_by=staff, summary="Dflow rejections")
    deliver_pending()
    smtp.received.clear()
    # Written as rows were before every stored text was cleaned: past the column type, straight in SQL.
    db.session.execute(sa.text("UPDATE issue SET summary = :summary WHERE id = :id"),
                       {"summary": "Settlement run late\nBcc: everyone@example.org\ufffe", "id": poisoned.id})
    db.session.commit()
    db.session.expire_all()
    followed_change(db.session.get(Issue, poisoned.id), participant, staff)
    followed_change(db.session.get(Issue, plain.id), colleague, staff)

    report = deliver_pending()

    assert report.immediate.sent == 2 and report.immediate.retrying == 0
    subject = smtp.to(participant.email)[0].subject
    assert subject == f"[{poisoned.reference}] now Fix in progress: Settlement run late Bcc: everyone@example.org"
    assert [item.recipients for item in smtp.received if "everyone@example.org" in item.recipients] == []
    assert smtp.to(colleague.email)[0].subject.endswith("Dflow rejections")


def test_an_email_that_cannot_be_written_is_retried_then_given_up_without_holding_back_the_others(
        smtp, staff, participant, colleague, outsider, browser, monkeypatch):
    broken = make_issue(outsider, publish_by=staff, summary="An issue whose email fails to write")
    fine = make_issue(outsider, publish_by=staff, summary="An issue whose email goes")
    fine_later = make_issue(outsider, publish_by=staff, summary="Another change after the broken one")
    deliver_pending()
    smtp.received.clear()
    # In one batch: the broken one between two that are fine.
    followed_change(fine, colleague, staff)
    followed_change(broken, participant, staff)
    followed_change(fine_later, outsider, staff)
    real = compose.change_message

    def failing(batch, delivery, items, now):
        if delivery.issue_id == broken.id:
            raise ValueError("the template could not be rendered")
        return real(batch, delivery, items, now)

    monkeypatch.setattr(compose, "change_message", failing)
    monkeypatch.setattr("issues_tracker.notifications.sending.change_message", failing)
    now = utcnow()

    first = deliver_pending(now=now)

    assert {r for item in smtp.received for r in item.recipients} == {colleague.email, outsider.email}
    assert first.immediate.retrying == 1
    stuck = db.session.scalar(sa.select(Delivery).where(Delivery.issue_id == broken.id))
    assert stuck.state == "pending" and stuck.attempts == 1 and stuck.claim is None
    assert "could not be written" in stuck.last_error and "template could not be rendered" in stuck.last_error
    assert stuck.next_attempt_at > now

    moment = now
    for _ in range(MAX_UNWRITABLE_ATTEMPTS):
        moment += timedelta(days=1)
        deliver_pending(now=moment)
    db.session.expire_all()
    stuck = db.session.get(Delivery, stuck.id)
    assert stuck.state == "failed" and stuck.attempts == MAX_UNWRITABLE_ATTEMPTS
    assert deliver_pending(now=moment + timedelta(days=1)).immediate.handled == 0  # given up: never tried again

    browser.login(staff)
    page = browser.get("/notifications/outbox").get_data(as_text=True)
    assert "Given up" in page and participant.email in page and "template could not be rendered" in page
    assert "<title>Email outbox · Service Forum</title>" in page
    assert page.count("<h2>Other emails</h2>") == 1
    browser.logout()
    browser.login(participant)
    assert browser.get("/notifications/outbox").status_code == 403
