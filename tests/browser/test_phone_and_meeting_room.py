"""Phones and the meeting room, in real Chromium at 390 × 844 and 1366 × 900: nothing clipped,
confirmations in view, the projector page live, and no serious accessibility problems."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service
from issues_tracker.models import ForumAction, Issue, Meeting, Poll
from tests.browser.conftest import axe_violations, sign_in, watch_problems

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SIZES = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]


@pytest.fixture
def seeded(seeded_database, staff):
    issue = db.session.scalar(sa.select(Issue).where(Issue.status == "Under investigation").order_by(Issue.id))
    issue_service.add_action(issue, staff, {"description": "Confirm the validation rules with the platform provider",
                                            "owner_name": "Sam Young"})
    db.session.commit()


@pytest.fixture
def sized(chromium, live_server, request):
    """A page at the size the test asks for (indirect parameter)."""
    context = chromium.new_context(base_url=live_server, viewport=request.param)
    context.set_default_timeout(15_000)
    page = context.new_page()
    watch_problems(page)
    page.viewport = request.param
    yield page
    context.close()


CLIPPED = """
() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  for (const el of document.querySelectorAll('button, [role=button], input:not([type=hidden]), select, textarea, a, .pill')) {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (el.closest('.visually-hidden, .skip-link, .default-submit')) continue;
    if (el.checkVisibility && !el.checkVisibility()) continue;  // e.g. inside a closed <details>
    // Inside a row that scrolls sideways by design (the sections of the header on a phone): reachable by scrolling.
    let scroller = el.parentElement;
    while (scroller && !['auto', 'scroll'].includes(getComputedStyle(scroller).overflowX)) scroller = scroller.parentElement;
    if (scroller && scroller !== document.documentElement && scroller.getBoundingClientRect().right <= width + 1) continue;
    if (box.left < -1 || box.right > width + 1) found.push((el.innerText || el.name || el.id || el.tagName).trim().slice(0, 40) + ' ' + Math.round(box.left) + '–' + Math.round(box.right));
  }
  return {found, scrollWidth: document.documentElement.scrollWidth, width};
}
"""


def paths():
    poll = db.session.scalar(sa.select(Poll.id))
    meeting = db.session.scalar(sa.select(Meeting.id).where(Meeting.title.like("%April%")))
    issue = db.session.scalar(sa.select(Issue.id).where(Issue.status == "Under investigation").order_by(Issue.id))
    action = db.session.scalar(sa.select(ForumAction.number).order_by(ForumAction.number))
    return {
        "home": "/", "issues": "/issues", "all issues": "/issues?status=all", "actions log": "/actions", "forum": "/forum", "meeting": f"/forum/meetings/{meeting}",
        "forum action": f"/actions/{action}", "poll": f"/polls/{poll}", "projector": f"/polls/{poll}/results",
        "issues log": "/log", "issue": f"/issues/{issue}", "admin": "/admin/", "new account": "/admin/users/new",
        "new meeting": "/forum/meetings/new",
    }


@pytest.mark.parametrize("sized", SIZES, indirect=True)
def test_no_control_is_clipped_and_no_page_scrolls_sideways(sized, admin, seeded):
    sign_in(sized, admin)
    for name, path in paths().items():
        sized.goto(path)
        result = sized.evaluate(CLIPPED)
        assert result["found"] == [], (name, result["found"])
        assert result["scrollWidth"] <= result["width"], (name, result)
    assert sized.problems == []


def card_refs(page) -> list[str]:
    return page.locator("#results tbody tr td:first-child a").all_inner_texts()


@pytest.mark.parametrize("sized", [pytest.param(PHONE, id="phone")], indirect=True)
def test_on_a_phone_the_issue_list_starts_on_the_first_screen_as_cards(sized, participant, seeded):
    sign_in(sized, participant)
    sized.goto("/issues")
    card = sized.locator("#results tbody tr").first
    assert card.evaluate("row => getComputedStyle(row).display") == "grid"  # a card, not a table row
    assert card.bounding_box()["y"] < PHONE["height"]  # the first result is on the first screen
    expect(card).to_be_in_viewport()
    assert re.match(r"IIT-\d{4}", card.locator("td").first.inner_text())
    expect(card.locator("td.card-status .pill")).to_be_visible()
    labels = card.evaluate("row => [...row.cells].map(cell => getComputedStyle(cell, '::before').content)")
    assert '"Service: "' in labels and '"Updated: "' in labels  # each value says what it is
    expect(card.locator("td[data-label=Service]")).to_have_text(re.compile(r"\S"))
    expect(card.locator("td[data-label=Updated]")).to_have_text(re.compile(r"ago|today|yesterday"))
    expect(card.locator("td.card-extra").first).to_be_hidden()

    # The search box is in view; the other filters fold behind a button that a tap opens.
    expect(sized.get_by_label("Search")).to_be_in_viewport()
    service = sized.get_by_label("Service", exact=True)
    expect(service).to_be_hidden()
    filters = sized.locator("details.filter-panel > summary")
    filters.click()
    expect(service).to_be_visible()
    expect(sized.get_by_label("Current status")).to_be_visible()
    expect(sized.get_by_role("button", name="Apply filters")).to_be_visible()
    result = sized.evaluate(CLIPPED)
    assert result["found"] == [] and result["scrollWidth"] <= result["width"], result
    assert axe_violations(sized) == []

    sized.get_by_text("My views").click()  # the menu opens within the screen
    expect(sized.get_by_role("link", name="Saved views")).to_be_visible()
    result = sized.evaluate(CLIPPED)
    assert result["found"] == [], result
    sized.get_by_text("My views").click()

    service.select_option("DIP")
    sized.wait_for_url(re.compile(r"service=DIP"))
    expect(filters).to_contain_text("(1 active)")
    expect(sized.locator("#results .results-count")).to_contain_text("match these filters")
    assert all("DIP" in text for text in sized.locator("#results td[data-label=Service]").all_inner_texts())
    assert sized.problems == []


@pytest.mark.parametrize("sized", [pytest.param(PHONE, id="phone")], indirect=True)
def test_on_a_phone_a_filter_in_error_stays_in_view(sized, participant, seeded):
    sign_in(sized, participant)
    sized.goto("/issues?service=NOPE")
    expect(sized.get_by_label("Service", exact=True)).to_be_visible()
    expect(sized.get_by_text("Not a valid choice, so this filter was ignored.")).to_be_visible()


@pytest.mark.parametrize("sized", [pytest.param(DESKTOP, id="desktop")], indirect=True)
def test_column_headers_sort_the_list_in_place_and_keep_the_filters(sized, participant, seeded):
    sign_in(sized, participant)
    sized.goto("/issues?status=all")
    expect(sized.locator("details.filter-panel > summary")).to_be_hidden()  # the filter bar is as it was
    expect(sized.get_by_label("Service", exact=True)).to_be_visible()
    updated = sized.locator("#results th", has_text="Last update")
    assert updated.get_attribute("aria-sort") == "descending"  # the default order
    sized.evaluate("window.__sameDocument = true")

    sized.locator("#results th a", has_text="ID").click()
    sized.wait_for_url(re.compile(r"[?&]sort=id"))
    assert "status=all" in sized.url
    id_header = sized.locator("#results th", has_text="ID")
    expect(id_header).to_have_attribute("aria-sort", "ascending")
    expect(id_header.locator(".sort-arrow")).to_have_text("↑")
    assert sized.locator("#results th[aria-sort]").count() == 1
    refs = card_refs(sized)
    assert refs == sorted(refs) and len(refs) == 15
    assert sized.get_by_label("Sort by").input_value() == "id"  # the filter form follows
    assert sized.evaluate("document.activeElement.dataset.sortColumn") == "id"  # focus stays on the header

    # From the keyboard: the last-update header sorts most recent first, then oldest first. The
    # settle delay is stretched so the second Enter lands before htmx would bind the new header
    # by itself: a fast keyboard user still sorts in place.
    sized.evaluate("htmx.config.defaultSettleDelay = 1000")
    sized.locator("#results th a", has_text="Last update").focus()
    sized.keyboard.press("Enter")
    expect(sized.locator("#results th", has_text="Last update")).to_have_attribute("aria-sort", "descending")
    assert "sort=" not in sized.url and "status=all" in sized.url  # the default order needs no parameter
    newest_first = card_refs(sized)
    assert sized.evaluate("document.activeElement.dataset.sortColumn") == "updated"
    sized.keyboard.press("Enter")
    sized.wait_for_url(re.compile(r"[?&]sort=stale"))
    expect(sized.locator("#results th", has_text="Last update")).to_have_attribute("aria-sort", "ascending")
    expect(sized.locator("#results th", has_text="Last update").locator(".sort-arrow")).to_have_text("↑")
    assert card_refs(sized) == list(reversed(newest_first))
    assert sized.evaluate("window.__sameDocument") is True  # swapped in place, not a new page

    sized.go_back()
    expect(sized.locator("#results th", has_text="Last update")).to_have_attribute("aria-sort", "descending")
    assert sized.problems == []


@pytest.mark.parametrize("sized", SIZES, indirect=True)
def test_the_pages_have_no_serious_accessibility_violations(sized, admin, seeded):
    sign_in(sized, admin)
    for name, path in paths().items():
        sized.goto(path)
        assert axe_violations(sized) == [], name
    assert sized.problems == []


@pytest.mark.parametrize("sized", [pytest.param(PHONE, id="phone")], indirect=True)
def test_on_a_phone_the_actions_log_is_cards_and_the_update_button_is_reachable(sized, staff, seeded):
    sign_in(sized, staff)
    sized.goto("/actions")
    first_row = sized.locator("#action-results tbody tr").first
    assert first_row.evaluate("row => getComputedStyle(row).display") == "block"  # a card, not a table row
    labels = first_row.evaluate("row => [...row.cells].map(cell => getComputedStyle(cell, '::before').content)")
    assert '"Owner"' in labels and '"Status"' in labels  # each value says what it is

    issue = db.session.scalar(sa.select(Issue.id).where(Issue.status == "Under investigation").order_by(Issue.id))
    sized.goto(f"/issues/{issue}")
    row = sized.locator("#actions tbody tr", has_text="Confirm the validation rules")
    update = row.get_by_role("button", name="Update")
    update.scroll_into_view_if_needed()
    box = update.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    row.get_by_label(re.compile("Status of the action “Confirm the validation rules")).select_option("Done")
    update.click()
    sized.wait_for_url(re.compile(r"#saved$"))
    saved = sized.locator("#saved")
    expect(saved).to_be_in_viewport()
    expect(saved).to_be_focused()
    assert "is now Done" in saved.inner_text()


@pytest.mark.parametrize("sized", SIZES, indirect=True)
def test_after_voting_the_confirmation_is_in_view_and_announced(sized, participant, seeded):
    poll = db.session.scalar(sa.select(Poll.id))
    sign_in(sized, participant)
    sized.goto(f"/polls/{poll}")
    sized.get_by_role("group", name=re.compile("is this meeting your immediate needs")).get_by_label("Yes").check()
    sized.get_by_role("group", name=re.compile("right level of insight")).get_by_label("Partially").check()
    sized.get_by_role("button", name="Send response").click()
    sized.wait_for_url(re.compile(r"#saved$"))
    saved = sized.locator("#saved")
    expect(saved).to_be_in_viewport()
    expect(saved).to_be_focused()
    assert saved.get_attribute("role") == "status"
    assert "your response is recorded" in saved.inner_text()
    assert sized.problems == []


@pytest.mark.parametrize("sized", [pytest.param(PHONE, id="phone")], indirect=True)
def test_after_updating_an_smf_action_the_confirmation_is_in_view(sized, staff, seeded):
    number = db.session.scalar(sa.select(ForumAction.number).where(ForumAction.status == "Open").order_by(ForumAction.number))
    sign_in(sized, staff)
    sized.goto(f"/actions/{number}")
    sized.get_by_label("Update", exact=False).last.fill("Backlog shared at the forum.")
    sized.get_by_role("button", name="Record update").click()
    saved = sized.locator("#saved")
    expect(saved).to_be_in_viewport()
    expect(saved).to_be_focused()
    assert f"SMF-{number} updated" in saved.inner_text()


@pytest.mark.parametrize("sized", [pytest.param(DESKTOP, id="desktop")], indirect=True)
def test_the_projector_page_updates_its_bars_live(sized, chromium, live_server, participant, outsider, seeded):
    poll = db.session.scalar(sa.select(Poll.id))
    sign_in(sized, participant)
    sized.goto(f"/polls/{poll}/results")
    qr = sized.locator("img.qr-code")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 200
    assert sized.evaluate("document.querySelector('img.qr-code').naturalWidth") > 0  # the SVG renders under the CSP
    bar = sized.locator(".result-bars progress").first
    assert bar.bounding_box()["height"] >= 30  # large bars for the back of the room
    sized.evaluate("window.__sameDocument = true")

    other = chromium.new_context(base_url=live_server)
    voter = other.new_page()
    sign_in(voter, outsider)
    voter.goto(f"/polls/{poll}")
    voter.get_by_role("group", name=re.compile("is this meeting your immediate needs")).get_by_label("No").check()
    voter.get_by_role("group", name=re.compile("right level of insight")).get_by_label("Yes").check()
    voter.get_by_role("button", name="Send response").click()
    voter.wait_for_url(re.compile(r"#saved$"))
    other.close()

    expect(sized.locator(".results-count")).to_contain_text(re.compile(r"\b1\s+response"), timeout=15_000)
    assert sized.evaluate("window.__sameDocument") is True
    assert sized.problems == []


@pytest.mark.parametrize("sized", [pytest.param(DESKTOP, id="desktop")], indirect=True)
def test_slash_focuses_the_search_box_but_not_while_typing(sized, participant, seeded):
    sign_in(sized, participant)
    sized.goto("/issues")
    sized.locator("body").press("/")
    assert sized.evaluate("document.activeElement.name") == "q"
    sized.keyboard.type("abc/")
    assert sized.locator("input[name=q]").input_value() == "abc/"


@pytest.mark.parametrize("sized", [pytest.param(PHONE, id="phone")], indirect=True)
def test_an_error_summary_link_moves_focus_to_the_first_choice_of_a_group(sized, participant):
    sign_in(sized, participant)
    sized.goto("/issues/new")
    sized.get_by_role("button", name="Submit issue").click()
    sized.locator(".error-summary a", has_text="Service / system").click()
    assert sized.evaluate("document.activeElement.id") == "services-0"
