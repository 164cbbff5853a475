"""Questions for the forum in real Chromium: asked in one browser, published, upvoted in another,
and seen to arrive and move in the first without reloading."""

from datetime import timedelta

import pytest
from forum_builders import make_meeting, make_poll
from playwright.sync_api import expect

from issues_tracker.forum import operations as forum_service
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser


def test_a_question_asked_and_upvoted_in_one_browser_appears_in_another_without_reload(
    chromium, live_server, page, participant, outsider, staff
):
    meeting = make_meeting(forum_service.london_today() + timedelta(days=2), title="December forum")
    make_poll(meeting=meeting, title="December feedback")
    url = f"/forum/meetings/{meeting.id}/questions"

    sign_in(page, participant)
    page.goto(f"/forum/meetings/{meeting.id}")
    page.get_by_role("link", name="Ask a question or upvote others").click()
    page.get_by_label("Your question").fill("Will the DIP outage PIR be shared with participants?")
    page.get_by_label("Ask anonymously").check()
    page.get_by_role("button", name="Send question").click()
    expect(page.get_by_text("Your question is sent.")).to_be_visible()
    expect(page.locator("#meeting-questions")).to_contain_text("Waiting for staff to publish it")
    expect(page.locator(".meeting-room-poll")).to_contain_text("December feedback")

    chair_context = chromium.new_context(base_url=live_server)
    chair = chair_context.new_page()
    sign_in(chair, staff)
    chair.goto(url)
    expect(chair.locator("#meeting-questions")).to_contain_text("Pat Participant, Northern Supply Co (anonymous to participants)")
    chair.get_by_role("button", name="Publish").click()

    voter_context = chromium.new_context(base_url=live_server)
    voter = voter_context.new_page()
    sign_in(voter, outsider)
    voter.goto(url)
    item = voter.locator(".question-item", has_text="Will the DIP outage PIR be shared")
    expect(item).to_contain_text("Anonymous")
    item.get_by_role("button", name="Upvote").click()
    expect(item.get_by_role("button", name="Upvoted")).to_be_visible()

    # The asker's page was never reloaded: the list asked for itself and shows the vote and the publishing.
    mine = page.locator(".question-item", has_text="Will the DIP outage PIR be shared")
    expect(mine.locator(".vote-count")).to_have_text("1", timeout=15_000)
    expect(page.locator("#meeting-questions")).not_to_contain_text("Waiting for staff to publish it")

    # And a question staff ask shows up in the voter's open page too.
    chair.get_by_label("Your question").fill("Any other business for December?")
    chair.get_by_role("button", name="Send question").click()
    expect(voter.locator("#meeting-questions")).to_contain_text("Any other business for December?", timeout=15_000)

    assert axe_violations(page) == []
    assert page.problems == []
    chair_context.close()
    voter_context.close()
