"""The service-performance dashboard in real Chromium: months and filters change figures and charts in place."""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from issues_tracker.core.extensions import db
from issues_tracker.jobs import enqueue
from issues_tracker.models import Meeting
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(seeded_database):
    return seeded_database

def test_changing_the_months_changes_the_figures_and_charts_in_place(page, participant, seeded):
    sign_in(page, participant)
    page.get_by_role("link", name="Performance").click()
    page.wait_for_url(re.compile(r"/performance$"))
    results = page.locator("#performance-results")
    expect(results.locator(".period-label")).to_have_text("Oct 2025 – Mar 2026")
    case_chart = page.locator("#chart-case-volumes-desc")
    expect(case_chart).to_contain_text("Oct 25: Raised 231, Resolved 225")
    assert page.locator("svg[aria-labelledby^='chart-case-volumes'] rect[fill='#1d4ed8']").count() == 6 + 1  # + legend
    page.evaluate("window.__sameDocument = true")

    page.get_by_label("From", exact=True).select_option("2025-12")
    page.wait_for_url(re.compile(r"/performance\?from=2025-12&to=2026-03$"))
    expect(results.locator(".period-label")).to_have_text("Dec 2025 – Mar 2026")
    expect(case_chart).to_contain_text("Dec 25: Raised 116, Resolved 112")
    expect(case_chart).not_to_contain_text("Oct 25")
    assert page.locator("svg[aria-labelledby^='chart-case-volumes'] rect[fill='#1d4ed8']").count() == 4 + 1
    first_header = results.locator("table.kpi-table").first.locator("thead th").nth(1)
    expect(first_header).to_have_text("Dec 25")

    page.get_by_label("Service", exact=True).select_option("DIP")
    page.wait_for_url(re.compile(r"service=DIP"))
    expect(results.locator(".performance-head")).to_contain_text("DIP")
    expect(case_chart).not_to_contain_text("Dec 25: Raised 116,")
    assert page.evaluate("window.__sameDocument") is True  # swapped in place, no page load

    page.go_back()
    page.wait_for_url(re.compile(r"/performance\?from=2025-12&to=2026-03$"))
    expect(case_chart).to_contain_text("Dec 25: Raised 116, Resolved 112")
    assert page.get_by_label("Service", exact=True).input_value() == ""
    page.go_back()
    page.wait_for_url(re.compile(r"/performance$"))
    expect(case_chart).to_contain_text("Oct 25: Raised 231, Resolved 225")
    # The controls show the default months again, and today for the aged cases.
    assert page.get_by_label("From", exact=True).input_value() == "2025-10"
    assert page.get_by_label("To", exact=True).input_value() == "2026-03"
    assert page.get_by_label("Aged cases as at", exact=True).input_value() != ""
    assert page.problems == []  # no console errors, no Content-Security-Policy violations


def test_the_same_address_without_javascript_shows_the_same_figures(chromium, live_server, participant, seeded):
    context = chromium.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, participant)
    page.goto("/performance?from=2025-12&to=2026-03&service=DIP")
    assert "Dec 2025 – Mar 2026" in page.inner_text(".period-label")
    assert page.get_by_label("Service", exact=True).input_value() == "DIP"
    page.get_by_label("From", exact=True).select_option("2025-11")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"from=2025-11"))
    assert "Nov 2025 – Mar 2026" in page.inner_text(".period-label")
    context.close()


@pytest.mark.parametrize("path", ["/performance", "/performance?as_at=2026-04-14", "/performance/import",
                                  "/performance/import/{job}", "/performance/incidents/INC0139429", "/forum/meetings/{meeting}/pack",
                                  "/forum/meetings/{meeting}"])
def test_performance_pages_have_no_serious_accessibility_violations(page, staff, seeded, path):
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.meeting_date == date(2026, 4, 14)))
    enqueue("meeting_pack", key=str(meeting.id), meeting_id=meeting.id)  # queued: its progress shows
    job = enqueue("servicedesk_import", key="extract", user=staff, upload_id=0, filename="extract.csv")
    db.session.commit()
    sign_in(page, staff)
    page.goto(path.format(meeting=meeting.id, job=job.id))
    assert axe_violations(page) == []
    assert page.problems == []
