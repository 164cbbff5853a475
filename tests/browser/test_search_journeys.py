"""Finding issues and joining them, in real Chromium."""

import re

import pytest

from tests.browser.conftest import axe_violations, sign_in
from tests.helpers import make_issue

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(seeded_database):
    return seeded_database

def test_typing_a_summary_shows_similar_published_issues_in_place(page, participant, seeded):
    sign_in(page, participant)
    page.goto("/issues/new")
    page.evaluate("window.__sameDocument = true")
    panel = page.locator("#similar-issues")
    assert panel.locator("li").count() == 0

    page.get_by_label("Issue summary").press_sequentially("Certificate expi", delay=30)
    panel.locator("li").first.wait_for()
    first = panel.locator("li").first
    assert "Certificate expiry / TLS issues" in first.inner_text()
    assert "Resolved" in first.inner_text() or "Closed" in first.inner_text()
    assert first.locator("mark").count() >= 1

    # The description counts too: words only it holds bring their issues in.
    page.get_by_label("Issue summary").fill("Trouble since Monday")
    panel.locator("li").first.wait_for(state="detached")
    page.get_by_label("Description").fill("Our users cannot pass MFA when they sign in.")
    panel.locator("li", has_text="MFA access issues").wait_for()
    assert page.evaluate("window.__sameDocument") is True  # swapped in place, no page load
    assert page.get_by_label("Description").input_value() == "Our users cannot pass MFA when they sign in."
    assert axe_violations(page) == []
    assert page.problems == []


def test_search_marks_matches_and_a_chip_takes_a_filter_away(page, participant, seeded):
    sign_in(page, participant)
    page.goto("/issues")
    assert "12 issues" in page.locator("#results .results-count").inner_text()  # open issues by default
    page.get_by_label("Search").fill("reconciliation")
    page.wait_for_url(re.compile(r"q=reconciliation"))
    page.locator("#results mark").first.wait_for()
    assert page.locator("#results mark").first.inner_text().lower() == "reconciliation"
    assert "Data reconciliation discrepancies" in page.locator("#results tbody").inner_text()

    page.get_by_label("Current status").select_option("all")
    page.wait_for_url(re.compile(r"status=all"))
    page.locator(".chips a", has_text="Search").click()
    page.wait_for_url(re.compile(r"/issues\?status=all$"))
    page.wait_for_function("document.querySelector('#results .results-count').innerText.startsWith('15 ')")
    assert page.get_by_label("Search").input_value() == ""
    assert page.get_by_label("Current status").input_value() == "all"
    assert axe_violations(page) == []
    assert page.problems == []


def test_staff_see_possible_duplicates_when_triaging(page, staff, participant, seeded):
    submission = make_issue(participant, summary="Certificate expiry on our gateway", description="TLS handshake fails.")
    sign_in(page, staff)
    page.goto(f"/issues/{submission.id}")
    panel = page.locator("#similar-issues")
    assert "is this a duplicate?" in panel.inner_text()
    page.get_by_role("button", name=re.compile(r"Reject as a duplicate of IIT-")).first.click()
    page.wait_for_url(re.compile(rf"/issues/{submission.id}$"))
    assert "rejected as a duplicate" in page.locator("#flashes").inner_text()
    assert page.locator(".flash a", has_text="Certificate expiry / TLS issues").is_visible()
    assert axe_violations(page) == []
    assert page.problems == []


@pytest.mark.parametrize("path", ["/issues?q=DIP", "/issues?q=schema&status=all", "/issues/similar?summary=schema+validation"])
def test_search_pages_have_no_serious_accessibility_violations(page, participant, seeded, path):
    sign_in(page, participant)
    page.goto(path)
    assert axe_violations(page) == []
    assert page.problems == []


def test_a_journey_sees_console_errors_and_content_security_policy_violations(page, participant, seeded):
    """What every journey's `page.problems == []` stands on: a violation or an error would be caught."""
    sign_in(page, participant)
    page.goto("/issues?q=DIP")
    assert page.problems == []
    page.evaluate("""() => {
        const image = document.createElement('img');
        image.src = 'https://elsewhere.example/tracking.png';
        document.body.append(image);
        const script = document.createElement('script');
        script.textContent = 'window.__ran = true';
        document.body.append(script);
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran === undefined")  # the inline script was refused
    seen = " ".join(page.problems)
    assert "CSP violation: img-src refused https://elsewhere.example/tracking.png" in seen, page.problems
    assert "CSP violation: script-src" in seen and "refused inline" in seen, page.problems

