"""A major-incident notice in real Chromium: staff publish it from the incident's page, and a participant in
another browser sees the banner on every page, on a desktop and on a phone, with no accessibility problems."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from issues_tracker.core.models import utcnow
from issues_tracker.servicedesk.clock import LONDON
from tests.browser.conftest import axe_violations, sign_in
from tests.servicedesk_builders import import_rows, record

pytestmark = pytest.mark.browser


def test_staff_publish_a_notice_and_a_participant_sees_the_banner_everywhere(page, chromium, live_server, staff,
                                                                             participant):
    opened = (utcnow() - timedelta(minutes=12)).astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
    import_rows([record("INC0200009", opened, priority="P1", state="In Progress", product="DIP",
                        description="DIP not accepting messages")])
    sign_in(page, staff)
    page.goto("/performance/incidents/INC0200009")
    page.get_by_label("Headline").fill("DIP not accepting messages")
    page.get_by_label("Message").fill("Messages to the DIP are refused. Hold retries until the next update.")
    page.get_by_role("button", name="Publish the notice").click()
    expect(page.locator(".mi-banner")).to_contain_text("Major incident – DIP: DIP not accepting messages")
    expect(page.locator("#notice")).to_contain_text("Messages to the DIP are refused")
    assert not page.problems

    for viewport in ({"width": 1366, "height": 900}, {"width": 390, "height": 844}):
        context = chromium.new_context(base_url=live_server, viewport=viewport)
        other = context.new_page()
        sign_in(other, participant)
        for path in ("/issues", "/forum", "/performance"):
            other.goto(path)
            banner = other.locator(".mi-banner")
            expect(banner).to_contain_text("DIP not accepting messages")
            expect(banner).to_contain_text("Next update by")
            assert banner.bounding_box()["y"] < viewport["height"] / 2  # at the top, in view
            if path != "/performance":  # (its month tables are wider than a phone; they scroll in their box)
                assert other.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path
        other.locator(".mi-banner a").first.click()
        expect(other.locator("#notice")).to_contain_text("Hold retries until the next update")
        assert axe_violations(other) == []
        context.close()
