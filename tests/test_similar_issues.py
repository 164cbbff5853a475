"""Similar issues while typing a new one, and staff rejecting a submission as a duplicate."""

import re

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service
from issues_tracker.models import Issue, IssueEvent
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases


def similar_refs(html: str) -> list[str]:
    return re.findall(r'<span class="ref">(IIT-\d+)</span>', html)


def fragment(browser, summary, description=""):
    response = browser.get(
        "/issues/similar", query_string={"summary": summary, "description": description}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_similar_published_issues_are_listed_best_first_with_status_and_impact(browser, staff, participant):
    exact = make_issue(participant, publish_by=staff, summary="DIP certificate renewal failures",
                       supplier_impact="Multiple", distributor_impact="3")
    partial = make_issue(participant, publish_by=staff, summary="Certificate expiry warnings",
                         description="Renewal reminders arrive late.")
    make_issue(participant, publish_by=staff, summary="Onboarding queries for wave 1", services=["Other"])
    browser.login(participant)
    html = fragment(browser, "Certificate renewal failures at the DIP")
    assert "<html" not in html and html.lstrip().startswith('<section id="similar-issues"')
    assert similar_refs(html) == [exact.reference, partial.reference]
    assert "Under investigation" in html
    assert "Affects suppliers: Multiple, distributors: 3" in html
    assert "<mark>certificate</mark>" in html.lower()


def test_at_most_five_are_shown_and_unpublished_ones_never(browser, staff, participant, colleague, outsider):
    published = [make_issue(outsider, publish_by=staff, summary=f"Settlement run delays number {n}") for n in range(7)]
    make_issue(colleague, summary="Settlement run delays in our own draft")  # awaiting triage, own organisation
    rejected = make_issue(outsider, summary="Settlement run delays rejected")
    issue_service.triage_issue(rejected, staff, "reject", "Not an industry issue.")
    db.session.commit()
    browser.login(participant)
    refs = similar_refs(fragment(browser, "Settlement run delays"))
    assert len(refs) == 5
    assert set(refs) <= {issue.reference for issue in published}


def test_the_description_finds_issues_the_summary_alone_misses(browser, staff, participant):
    issue = make_issue(participant, publish_by=staff, summary="Flows rejected overnight", description="The kestrel adapter drops them")
    browser.login(participant)
    assert similar_refs(fragment(browser, "Trouble since Monday")) == []
    assert similar_refs(fragment(browser, "Trouble since Monday", "Our kestrel adapter fails")) == [issue.reference]


def test_nothing_to_compare_gives_an_empty_panel(browser, staff, participant):
    make_issue(participant, publish_by=staff, summary="Certificate expiry warnings")
    browser.login(participant)
    html = fragment(browser, "")
    assert similar_refs(html) == [] and "No similar" not in html
    html = fragment(browser, "the of and")
    assert similar_refs(html) == []
    assert "No similar published issues found." in fragment(browser, "zebra crossing")


def test_the_same_address_without_javascript_is_a_page(browser, staff, participant):
    issue = make_issue(participant, publish_by=staff, summary="Certificate expiry warnings")
    browser.login(participant)
    html = browser.get("/issues/similar?summary=certificate+expiry").get_data(as_text=True)
    assert "<html" in html and issue.reference in html


def test_signing_in_is_needed(client):
    response = client.get("/issues/similar?summary=anything")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_new_issue_form_asks_for_similar_issues_as_people_type(browser, staff, participant):
    issue = make_issue(participant, publish_by=staff, summary="Certificate expiry warnings")
    browser.login(participant)
    html = browser.get("/issues/new").get_data(as_text=True)
    assert 'hx-get="/issues/similar"' in html and "from:#summary" in html and "from:#description" in html
    # A submission sent back with its messages lists them too (no JavaScript needed).
    response = browser.post("/issues/new", {"summary": "Certificate expiry again", "description": ""})
    assert response.status_code == 422
    assert issue.reference in response.get_data(as_text=True)


# ------------------------------------------------------------------ duplicates


def test_staff_reject_a_submission_as_a_duplicate_of_a_similar_issue(browser, staff, participant, colleague):
    original = make_issue(participant, publish_by=staff, summary="Certificate expiry warnings")
    submission = make_issue(colleague, summary="Certificate expiry warnings again")
    browser.login(staff)
    page = browser.get(f"/issues/{submission.id}").get_data(as_text=True)
    assert "is this a duplicate?" in page
    assert f"Reject as a duplicate of {original.reference}" in page

    response = browser.post(f"/issues/{submission.id}/duplicate", {"original": original.id})
    assert response.status_code == 303
    db.session.expire_all()
    submission = db.session.get(Issue, submission.id)
    assert submission.triage_state == "rejected" and submission.duplicate_of_id == original.id
    event = db.session.scalar(sa.select(IssueEvent).where(IssueEvent.issue_id == submission.id, IssueEvent.kind == "triage"))
    assert event.note == f"Rejected as a duplicate of {original.reference}" and event.user_id == staff.id
    browser.logout()

    browser.login(colleague)
    page = browser.get(f"/issues/{submission.id}").get_data(as_text=True)
    assert f'as a duplicate of\n  <a href="/issues/{original.id}">{original.reference}' in page
    assert "Reject as a duplicate" not in page


def test_a_duplicate_must_point_at_a_published_issue_and_be_awaiting_triage(browser, staff, participant):
    original = make_issue(participant, publish_by=staff, summary="Certificate expiry warnings")
    draft = make_issue(participant, summary="Another draft")
    submission = make_issue(participant, summary="Certificate expiry again")
    browser.login(staff)
    assert browser.post(f"/issues/{submission.id}/duplicate", {"original": draft.id}).status_code == 409
    assert browser.post(f"/issues/{submission.id}/duplicate", {"original": submission.id}).status_code == 409
    assert browser.post(f"/issues/{submission.id}/duplicate", {"original": 99999}).status_code == 400
    assert browser.post(f"/issues/{submission.id}/duplicate", {"original": "abc"}).status_code == 400
    assert browser.post(f"/issues/{original.id}/duplicate", {"original": submission.id}).status_code == 409
    assert browser.post(f"/issues/{submission.id}/duplicate", {"original": original.id}, csrf=False).status_code == 400
    assert browser.post("/issues/99999/duplicate", {"original": original.id}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Issue, submission.id).triage_state == "pending"
    assert db.session.get(Issue, original.id).triage_state == "published"


def test_participants_cannot_reject_duplicates(browser, staff, participant):
    original = make_issue(participant, publish_by=staff, summary="Certificate expiry warnings")
    submission = make_issue(participant, summary="Certificate expiry again")
    browser.login(participant)
    assert browser.post(f"/issues/{submission.id}/duplicate", {"original": original.id}).status_code == 403
    assert "is this a duplicate?" not in browser.get(f"/issues/{submission.id}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Issue, submission.id).triage_state == "pending"
