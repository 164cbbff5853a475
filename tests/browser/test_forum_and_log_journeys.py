"""Voting in a live poll and the Monday log, in real Chromium."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from issues_tracker.core.extensions import db
from issues_tracker.models import Meeting, Poll, PublishedLog
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(seeded_database):
    return seeded_database

def response_count(page) -> str:
    return page.locator(".poll-results").first.inner_text()


def test_vote_and_see_the_results_change_live(chromium, live_server, page, participant, outsider, seeded):
    poll_id = db.session.scalar(sa.select(Poll.id))
    sign_in(page, participant)
    page.goto(f"/polls/{poll_id}")
    assert re.search(r"\b0\s+responses", page.inner_text("body"))

    # Someone else answers in their own browser while the first person watches.
    other = chromium.new_context(base_url=live_server)
    voter = other.new_page()
    sign_in(voter, outsider)
    voter.goto(f"/polls/{poll_id}")
    voter.get_by_role("group", name=re.compile("is this meeting your immediate needs")).get_by_label("Partially").check()
    voter.get_by_label(re.compile("If not, please highlight")).fill("More detail on aged cases, please.")
    voter.get_by_role("group", name=re.compile("right level of insight")).get_by_label("Yes").check()
    voter.get_by_role("button", name="Send response").click()
    voter.wait_for_load_state()
    assert "More detail on aged cases, please." in voter.inner_text("body")
    other.close()

    # The watcher's results refresh by themselves (htmx polling), with no reload.
    page.evaluate("window.__sameDocument = true")
    expect(page.locator(".poll-results").first).to_contain_text(re.compile(r"\b1\s+response"), timeout=15_000)
    body = page.inner_text("body")
    assert "Anonymous User 1" in body and "More detail on aged cases, please." in body
    assert outsider.name not in body and outsider.email not in body
    assert page.evaluate("window.__sameDocument") is True
    assert page.problems == []


def test_staff_publish_the_log_and_a_participant_downloads_it(chromium, live_server, background_worker, page, staff, participant,
                                                              seeded):
    sign_in(page, staff)
    page.get_by_role("link", name="Issues log").click()
    page.get_by_role("button", name="Publish the log").click()
    page.wait_for_selector("#flashes >> text=Published the industry issues log", timeout=60_000)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedLog)) == 1
    assert page.problems == []

    reader_context = chromium.new_context(base_url=live_server, accept_downloads=True)
    reader = reader_context.new_page()
    sign_in(reader, participant)
    reader.goto("/log")
    with reader.expect_response(re.compile(r"/log/latest\.pdf$")) as response_info:
        reader.get_by_role("button", name="Download the latest log (PDF)").click()
    response = response_info.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    # Chromium hands the PDF to its viewer; fetch the same address with the reader's session for the bytes.
    assert reader_context.request.get("/log/latest.pdf").body()[:5] == b"%PDF-"
    reader_context.close()


@pytest.mark.parametrize("path", ["/forum", "/actions", "/polls/{poll}", "/forum/meetings/{meeting}", "/log"])
def test_forum_and_log_pages_have_no_serious_accessibility_violations(page, staff, seeded, path):
    poll = db.session.scalar(sa.select(Poll.id))
    meeting = db.session.scalar(sa.select(Meeting.id).where(Meeting.title.like("%April%")))
    sign_in(page, staff)
    page.goto(path.format(poll=poll, meeting=meeting))
    assert axe_violations(page) == []
    assert page.problems == []
