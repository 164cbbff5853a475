"""Following an issue, being told of a change by email, and saying "we are affected too", in real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from issues_tracker.core.extensions import db
from issues_tracker.notifications.delivery import deliver_pending
from issues_tracker.notifications.tokens import make_token
from issues_tracker.participation import comments as comment_service
from tests.browser.conftest import axe_violations, sign_in
from tests.conftest import BASE_URL
from tests.helpers import make_issue

pytestmark = pytest.mark.browser


def test_follow_an_issue_a_staff_member_changes_it_and_the_email_arrives(chromium, live_server, page, smtp, staff, participant):
    issue = make_issue(staff, publish_by=staff, summary="Large file processing delays at the DIP")
    sign_in(page, participant)
    page.goto(f"/issues/{issue.id}")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Follow this issue").click()
    expect(page.locator("#follow")).to_contain_text("You follow this issue. 1 follower")
    assert page.evaluate("window.__sameDocument") is True  # swapped in place

    staff_context = chromium.new_context(base_url=live_server)
    staff_page = staff_context.new_page()
    sign_in(staff_page, staff)
    staff_page.goto(f"/issues/{issue.id}/edit")
    staff_page.get_by_label("Current status").select_option("Fix in progress")
    staff_page.get_by_label("Progress note").fill("Capacity increase deployed; monitoring the overnight peak.")
    staff_page.get_by_role("button", name="Save changes").click()
    staff_page.wait_for_url(re.compile(rf"/issues/{issue.id}$"))
    staff_context.close()

    deliver_pending()  # what the background worker does
    received = smtp.wait_for(1)
    assert [item.recipients for item in received] == [[participant.email]]
    mail = received[0]
    assert mail.subject == f"[{issue.reference}] now Fix in progress: Large file processing delays at the DIP"
    assert "Capacity increase deployed" in mail.text
    assert f"{BASE_URL}/issues/{issue.id}" in mail.text
    assert page.problems == []


def test_another_organisation_says_it_is_affected_and_sees_the_count_change_in_place(page, staff, participant, outsider):
    issue = make_issue(participant, publish_by=staff, summary="Settlement reports missing MPANs",
                       supplier_impact="Individual")
    sign_in(page, outsider)
    page.goto(f"/issues/{issue.id}")
    expect(page.locator("#supplier-impact")).to_have_text("Individual (estimate)")
    page.evaluate("window.__sameDocument = true")

    page.get_by_text("Add a note or meter points (optional)").click()
    page.get_by_label("Meter points affected").fill("2,400")
    page.get_by_role("button", name="We are affected too").click()

    expect(page.locator(".affected-count")).to_contain_text("1 supplier and 0 distributors say they are affected")
    expect(page.locator(".affected-count")).to_contain_text("2,400 meter points")
    expect(page.locator("#supplier-impact")).to_have_text("1 (declared)")
    expect(page.get_by_role("button", name="We are no longer affected")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    assert page.problems == []


def test_a_comment_posted_in_place(page, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    sign_in(page, participant)
    page.goto(f"/issues/{issue.id}")
    page.get_by_label("Your comment").fill("We see this **every night** since the March release.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment-body strong")).to_have_text("every night")
    expect(page.get_by_label("Your comment")).to_have_value("")
    expect(page.locator("#follow")).to_contain_text("You follow this issue.")  # commenting follows it
    assert page.problems == []


@pytest.mark.parametrize("who", ["participant", "staff"])
def test_new_pages_have_no_serious_accessibility_violations(page, staff, participant, outsider, who):
    issue = make_issue(participant, publish_by=staff)
    comment = comment_service.add_comment(issue, outsider, "Same here, see [the note](https://example.org).")
    comment_service.add_comment(issue, participant, "Thanks.")
    comment_service.hide_comment(comment, staff, "Duplicate")
    db.session.commit()
    sign_in(page, staff if who == "staff" else participant)
    for path in (f"/issues/{issue.id}", "/account/notifications", "/issues?sort=affected",
                 f"/unsubscribe/{make_token(participant.id, 'issue', issue.id)}"):
        page.goto(path)
        assert axe_violations(page) == [], path
    page.goto("/")
    page.get_by_text("My views").click()
    expect(page.locator(".views-menu ul")).to_contain_text("Notifications and following")
    assert page.problems == []
