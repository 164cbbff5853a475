"""Screens that fit, in real Chromium: the header in two rows on a phone, settings and
performance without sideways scrolling, similar issues in view while typing a summary, and a
cue on every table that scrolls."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def seeded(seeded_database):
    return seeded_database


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(base_url=live_server, viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.problems = problems
    yield page
    context.close()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_on_a_phone_the_header_takes_two_rows_and_its_sections_scroll_in_one(phone, staff, seeded):
    sign_in(phone, staff)
    phone.goto("/issues")
    tops = phone.locator(".nav-links > li").evaluate_all("items => items.map(li => Math.round(li.getBoundingClientRect().top))")
    assert len(set(tops)) == 1, tops  # every section in one row
    header = phone.locator(".site-header").bounding_box()
    assert header["height"] < 135
    for name in ("My views", "Sign out"):
        box = phone.get_by_text(name, exact=True).first.bounding_box()
        assert box["y"] < tops[0], name  # beside the brand, above the sections
    # The row scrolls to the last section, which can be reached and opened; the current one is in view.
    phone.get_by_role("link", name="Admin").click()
    expect(phone).to_have_url(re.compile(r"/admin/$"))
    phone.wait_for_load_state("load")  # the row is scrolled once the page's script has run
    current = phone.locator('.nav-links [aria-current="page"]').bounding_box()
    assert 0 <= current["x"] and current["x"] + current["width"] <= PHONE["width"], current
    assert page_width(phone) == PHONE["width"]
    assert phone.problems == []


def test_on_a_phone_notification_settings_fit_with_one_card_per_kind(phone, participant):
    sign_in(phone, participant)
    phone.goto("/account/notifications")
    assert page_width(phone) == PHONE["width"]
    status = phone.locator(".mode-table tbody tr").first
    expect(status.locator("th")).to_contain_text("Status changes")
    expect(status.locator(".mode-label", has_text="Daily digest")).to_be_visible()  # each choice labelled on the card
    status.get_by_label("Daily digest").check()
    phone.get_by_role("button", name="Save settings").click()
    expect(phone.get_by_text("Your notification settings are saved.")).to_be_visible()


def test_on_a_phone_performance_shows_every_month_as_a_card_and_readable_charts(phone, staff, seeded):
    sign_in(phone, staff)
    phone.goto("/performance?start=2025-10&end=2026-03")
    assert page_width(phone) == PHONE["width"]
    cards = phone.locator("section:has(#cases-h) .month-card")
    expect(cards).to_have_count(6)
    expect(cards.first.locator("h3")).to_have_text("March 2026")
    expect(cards.last).to_contain_text("Raised")
    smallest = phone.locator(".column-chart text").evaluate_all(
        "texts => Math.min(...texts.map(t => t.getBoundingClientRect().height))")
    assert smallest >= 8, f"chart text {smallest:.1f} px high"


def test_similar_issues_show_in_view_while_the_summary_is_typed_on_a_phone(phone, participant, seeded):
    sign_in(phone, participant)
    phone.goto("/issues/new")
    phone.get_by_label("Issue summary").press_sequentially("message processing status", delay=15)
    panel = phone.locator("#similar-issues")
    expect(panel).to_contain_text("Similar published issues")
    box = panel.bounding_box()
    assert box["y"] < PHONE["height"] - 120, box  # its heading and first suggestion are on screen


def test_a_table_that_scrolls_sideways_says_so(chromium, live_server, staff, seeded):
    context = chromium.new_context(base_url=live_server, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    sign_in(page, staff)
    page.goto("/performance?start=2025-10&end=2026-03")
    states = page.locator(".table-wrap").evaluate_all("""wraps => wraps.map(w => ({
        scrolls: w.scrollWidth > w.clientWidth + 1,
        hinted: !!(w.previousElementSibling && w.previousElementSibling.matches('.scroll-hint') && !w.previousElementSibling.hidden)}))""")
    assert any(state["scrolls"] for state in states)
    assert all(state["scrolls"] == state["hinted"] for state in states), states
    expect(page.locator(".scroll-hint:not([hidden])").first).to_have_text("Scroll sideways for more columns →")
    context.close()
