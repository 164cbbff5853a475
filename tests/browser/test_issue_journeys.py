"""What a person does with the issues tracker, in real Chromium."""

import re

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import Issue, IssueEvent
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(seeded_database):
    return seeded_database

def result_count(page) -> str:
    return page.locator("#results .results-count").inner_text()


def test_filter_and_search_swap_rows_in_place_and_back_restores(page, participant, seeded):
    sign_in(page, participant)
    page.goto("/issues")
    assert "12 issues" in result_count(page)  # open issues, the list's default
    page.evaluate("window.__sameDocument = true")

    page.get_by_label("Service").select_option("ISD")
    page.wait_for_url(re.compile(r"/issues\?service=ISD$"))
    page.wait_for_function("document.querySelector('#results .results-count').innerText.startsWith('3 ')")
    assert page.locator("#results tbody tr").count() == 3

    page.get_by_label("Search").fill("reconciliation")
    page.wait_for_url(re.compile(r"q=reconciliation"))
    page.wait_for_function("document.querySelector('#results .results-count').innerText.startsWith('1 ')")
    assert "Data reconciliation discrepancies" in page.locator("#results").inner_text()
    assert page.evaluate("window.__sameDocument") is True  # no full page load happened

    page.go_back()
    page.wait_for_url(re.compile(r"/issues\?service=ISD$"))
    page.wait_for_function("document.querySelector('#results .results-count').innerText.startsWith('3 ')")
    assert page.get_by_label("Service").input_value() == "ISD"
    assert page.get_by_label("Search").input_value() == ""

    page.go_back()
    page.wait_for_url(re.compile(r"/issues$"))
    page.wait_for_function("document.querySelector('#results .results-count').innerText.startsWith('12 ')")
    assert page.get_by_label("Service").input_value() == ""

    page.go_forward()
    page.wait_for_url(re.compile(r"/issues\?service=ISD$"))
    assert page.get_by_label("Service").input_value() == "ISD"
    assert page.problems == []


def test_submit_with_a_mistake_fix_it_and_submit(page, participant):
    sign_in(page, participant)
    page.get_by_role("link", name="Submit", exact=True).click()
    page.get_by_label("Issue summary").fill("Late notification of DIP outages")
    page.get_by_label("Description").fill("We heard about the DIP large file issue at 4pm, hours after it began.")
    page.get_by_label("Suppliers impacted").fill("lots")
    page.get_by_role("button", name="Submit issue").click()

    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Choose at least one service or system." in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.get_by_label("Issue summary").input_value() == "Late notification of DIP outages"

    page.get_by_label("DIP – Data Integration Platform").check()
    page.get_by_label("Suppliers impacted").fill("Multiple")
    page.get_by_role("button", name="Submit issue").click()
    page.wait_for_url(re.compile(r"/issues/\d+$"))
    assert "awaits triage" in page.locator("#flashes").inner_text()
    assert page.get_by_role("heading", level=1).inner_text().endswith("Late notification of DIP outages")
    issue = db.session.scalar(sa.select(Issue))
    assert issue.supplier_impact == "Multiple" and list(issue.services) == ["DIP"]
    # Chromium logs the first attempt's 422 status itself; nothing else may appear.
    assert [p for p in page.problems if "status of 422" not in p] == []


def test_staff_update_shows_on_the_timeline(page, staff, participant, seeded):
    sign_in(page, staff)
    issue_id = db.session.scalar(sa.select(Issue.id).where(Issue.source_ref == "pack-2026-04:11"))
    page.goto(f"/issues/{issue_id}")
    page.get_by_role("button", name="Update issue").click()
    page.get_by_label("Current status").select_option("Fix in progress")
    page.get_by_label("Progress note").fill("Capacity increase deployed; monitoring peak periods this week.")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(rf"/issues/{issue_id}$"))
    timeline = page.locator(".timeline").inner_text()
    assert "Capacity increase deployed; monitoring peak periods this week." in timeline
    assert re.search(r"Under investigation\s*→\s*Fix in progress", timeline)
    assert "Last update today" in page.locator(".meta").inner_text()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent).where(IssueEvent.field == "status")) == 1
    assert page.problems == []


@pytest.mark.parametrize("path", ["/", "/issues", "/issues/new", "/issues/1", "/login"])
def test_main_pages_have_no_serious_accessibility_violations(page, staff, seeded, path):
    if path != "/login":
        sign_in(page, staff)
    page.goto(path)
    assert axe_violations(page) == []
    assert page.problems == []


def test_staff_import_the_tracker_and_watch_it_finish_without_reloading(page, staff, tmp_path, background_worker):
    sheet = tmp_path / "tracker.csv"
    sheet.write_text("Issue ID,Issue Summary,Service / System\nB-1,Imported while the page watched,DIP\n")
    sign_in(page, staff)
    page.goto("/issues/import")
    page.get_by_label("Tracker spreadsheet").set_input_files(str(sheet))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/issues/import/\d+$"))
    page.evaluate("window.__sameDocument = true")
    # The progress panel asks the server for its next state until the job is done.
    page.wait_for_selector("text=Imported the tracker from tracker.csv: 1 new", timeout=30_000)
    assert page.evaluate("window.__sameDocument") is True
    assert axe_violations(page) == []
    page.get_by_role("link", name="See the issues").click()
    assert "Imported while the page watched" in page.inner_text("#results")
    assert page.problems == []
