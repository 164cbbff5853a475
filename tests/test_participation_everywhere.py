"""Participation where it meets the rest: the similar-issues list, search and the job queue."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.jobs import run_queued_jobs
from issues_tracker.models import AffectedDeclaration
from issues_tracker.participation import affected as affected_service
from issues_tracker.participation import comments as comment_service
from issues_tracker.participation import follows
from tests.helpers import make_issue
from tests.test_issue_workflow import edit_form

pytestmark = pytest.mark.both_databases


def similar(browser, summary):
    response = browser.get("/issues/similar", query_string={"summary": summary}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_participant_says_their_organisation_is_affected_from_the_similar_list_in_one_click(
        browser, staff, participant, outsider):
    issue = make_issue(outsider, publish_by=staff, summary="Certificate renewal failures at the DIP")
    browser.login(participant)
    html = similar(browser, "Certificate renewal failures")
    assert f"We are affected too ({issue.reference})" in html
    assert "Parties affected not yet known" in html

    response = browser.post(f"/issues/{issue.id}/affected", {"from": "similar", "action": "declare"}, htmx=True)

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<html" not in text and f'id="similar-affected-{issue.id}"' in text
    assert f"Northern Supply Co is now counted as affected by {issue.reference}." in text
    stored = db.session.scalars(sa.select(AffectedDeclaration)).all()
    assert [(d.issue_id, d.organisation_id) for d in stored] == [(issue.id, participant.organisation_id)]
    html = similar(browser, "Certificate renewal failures")
    assert "1 organisation affected (1 supplier, 0 distributors)" in html
    assert "Northern Supply Co already says it is affected." in html
    assert "We are affected too" not in html


def test_one_click_on_a_similar_issue_never_overwrites_what_the_organisation_said(browser, staff, participant, outsider):
    issue = make_issue(outsider, publish_by=staff, summary="Certificate renewal failures at the DIP")
    affected_service.declare_affected(participant, issue, note="About 1,200 of our sites", meter_points=1200)
    db.session.commit()
    browser.login(participant)
    response = browser.post(f"/issues/{issue.id}/affected", {"from": "similar", "action": "declare"}, htmx=True)
    assert "already says it is affected" in response.get_data(as_text=True)
    db.session.expire_all()
    (declaration,) = db.session.scalars(sa.select(AffectedDeclaration)).all()
    assert (declaration.note, declaration.meter_points) == ("About 1,200 of our sites", 1200)


def test_staff_are_offered_no_affected_button_among_similar_issues(browser, staff, participant):
    issue = make_issue(participant, publish_by=staff, summary="Certificate renewal failures at the DIP")
    browser.login(staff)
    html = similar(browser, "Certificate renewal failures")
    shown = " ".join(re.sub(r"<[^>]+>", " ", html).split())  # matching words are highlighted
    # The list shows the similar issue to staff, with what is known of who it affects...
    assert issue.reference in shown and "Certificate renewal failures at the DIP" in shown, shown
    assert "Parties affected not yet known" in html
    # ...and no button: staff speak for no organisation.
    assert "We are affected too" not in html and f'id="similar-affected-{issue.id}"' not in html


def test_comments_are_found_by_search_until_staff_hide_them(browser, staff, participant, outsider):
    issue = make_issue(participant, publish_by=staff, summary="Gateway timeouts")
    comment = comment_service.add_comment(issue, outsider, "We see the same with the kookaburra adapter.")
    db.session.commit()
    browser.login(participant)
    assert issue.reference in browser.get("/issues?q=kookaburra").get_data(as_text=True)
    comment_service.hide_comment(comment, staff, "Names a supplier's system.")
    db.session.commit()
    assert issue.reference not in browser.get("/issues?q=kookaburra").get_data(as_text=True)


def test_a_staff_change_is_emailed_to_followers_by_the_worker_not_the_request(browser, smtp, staff, participant):
    issue = make_issue(participant, publish_by=staff, summary="Message schema validation failures")
    follows.follow_issue(participant, issue)
    db.session.commit()
    run_queued_jobs()  # what setting the scene told is delivered and forgotten
    from issues_tracker.notifications.delivery import deliver_pending

    deliver_pending()
    smtp.received.clear()

    browser.login(staff)
    data = edit_form(browser, issue.id)
    data.update(status="Fix in progress", progress_note="Fix deployed to test; production on Thursday.")
    assert browser.post(f"/issues/{issue.id}/edit", data).status_code == 303
    assert smtp.received == []  # nothing is sent inside the request

    run_queued_jobs()  # the change poked the worker's delivery task

    (message,) = smtp.to(participant.email)
    assert issue.reference in message.subject
    assert "Fix deployed to test; production on Thursday." in message.text
