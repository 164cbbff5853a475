"""Words and formats people read: one date format, "today", counted nouns, one current
navigation item, the next forum on the home page, status pills, the triage buttons."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from issues_tracker.core.extensions import db
from issues_tracker.core.formats import days_ago, format_date, format_datetime, format_week, plural
from issues_tracker.core.models import utcnow
from tests.forum_builders import make_meeting
from tests.helpers import make_issue


def test_one_date_format_for_dates_and_moments():
    assert format_date(date(2026, 4, 6)) == "6 Apr 2026"
    assert format_date(date(2026, 4, 14), weekday=True) == "Tue 14 Apr 2026"
    # A moment late on a summer evening in UTC is already the next day in London.
    assert format_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "1 Jul 2026"
    assert format_datetime(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "1 Jul 2026 00:30"
    assert format_datetime(datetime(2026, 1, 5, 9, 5, tzinfo=UTC)) == "5 Jan 2026 09:05"
    assert format_week(date(2026, 4, 13)) == "week commencing 13 Apr 2026"
    assert format_date(None) == "—"


def test_days_ago_says_today_and_yesterday():
    today = date(2026, 4, 14)
    assert days_ago(datetime(2026, 4, 14, 8, 0, tzinfo=UTC), today) == "today"
    assert days_ago(datetime(2026, 4, 13, 22, 0, tzinfo=UTC), today) == "yesterday"
    assert days_ago(datetime(2026, 4, 4, 12, 0, tzinfo=UTC), today) == "10 days ago"
    assert days_ago(None, today) == "never"


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 issues match"), (1, "1 issue matches"), (2, "2 issues match"), (21, "21 issues match")],
)
def test_counted_nouns_agree_with_their_number(count, expected):
    assert plural(count, "issue matches", "issues match") == expected


def test_counted_nouns_add_an_s_by_default():
    assert plural(1, "day") == "1 day" and plural(3, "day") == "3 days"


def test_a_fresh_issue_was_updated_today_not_zero_days_ago(browser, participant):
    issue = make_issue(participant)
    browser.login(participant)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "Last update <strong>today</strong>" in page
    assert "0 days ago" not in page
    assert "Age 0 days" in page


def test_timeline_and_facts_use_the_one_date_format(browser, participant):
    issue = make_issue(participant)
    browser.login(participant)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert format_datetime(issue.created_at) in page
    assert not re.search(r">\d{2}/\d{2}/\d{4}<", page)


def current_items(page: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"[^>]*aria-current="page"', page)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "/"),
        ("/issues", "/issues"),
        ("/issues/new", "/issues/new"),
        ("/log", "/log"),
        ("/forum", "/forum"),
        ("/actions", "/actions"),
        ("/admin/", "/admin/"),
        ("/admin/users/new", "/admin/"),
    ],
)
def test_navigation_marks_exactly_one_current_item(browser, admin, path, expected):
    browser.login(admin)
    page = browser.get(path).get_data(as_text=True)
    assert current_items(page) == [expected]


def test_an_issue_page_belongs_to_issues_in_the_navigation(browser, participant):
    issue = make_issue(participant)
    browser.login(participant)
    assert current_items(browser.get(f"/issues/{issue.id}").get_data(as_text=True)) == ["/issues"]


def test_home_page_links_the_next_forum_to_its_meeting(browser, participant):
    today = utcnow().date()
    make_meeting(today - timedelta(days=30), title="Service Management Forum – last month")
    upcoming = make_meeting(today + timedelta(days=9), title="Service Management Forum – next",
                            agenda=[(1, "Escalation routes", "Ian Giles")])
    make_meeting(today + timedelta(days=40), title="Service Management Forum – later")
    db.session.commit()
    browser.login(participant)
    page = browser.get("/").get_data(as_text=True)
    card = page[page.index("<h2>Next forum</h2>"):]
    assert f'href="/forum/meetings/{upcoming.id}"' in card
    assert "Service Management Forum – next" in card and "later" not in card[:card.index("</article>")]
    assert format_date(upcoming.meeting_date, weekday=True) in card
    assert "1 agenda item" in card


def test_home_and_issue_pages_show_status_and_severity_pills(browser, participant, staff):
    issue = make_issue(participant, severity=1, publish_by=staff)
    db.session.commit()
    browser.login(participant)
    detail = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert '<span class="pill pill-waiting">Under investigation</span>' in detail
    assert '<span class="pill pill-alert">P1 – Critical</span>' in detail
    home = browser.get("/").get_data(as_text=True)
    assert '<span class="pill pill-waiting">Under investigation</span>' in home


def test_triage_offers_two_buttons_and_the_reason_is_marked_required_only(browser, participant, staff):
    issue = make_issue(participant)
    browser.login(staff)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    triage = page[page.index('class="triage-form"'):page.index("</form>", page.index('class="triage-form"'))]
    assert re.search(r'<button type="submit" name="decision" value="publish"[^>]*>Publish to the industry view</button>', triage)
    assert re.search(r'<button type="submit" name="decision" value="reject"[^>]*>Reject with this reason</button>', triage)
    label = re.search(r'<label for="reason">(.*?)</label>', triage, re.S).group(1)
    assert "(required)" in label and "optional" not in label


def test_rejecting_without_a_reason_marks_the_reason_field(browser, participant, staff):
    issue = make_issue(participant)
    browser.login(staff)
    response = browser.post(f"/issues/{issue.id}/triage", {"decision": "reject", "reason": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'<textarea[^>]*aria-invalid="true"[^>]*name="reason"|<textarea[^>]*name="reason"[^>]*aria-invalid="true"', page)
    assert 'href="#reason"' in page


def test_triage_without_a_decision_says_which_buttons_to_use(browser, participant, staff):
    issue = make_issue(participant)
    browser.login(staff)
    response = browser.post(f"/issues/{issue.id}/triage", {"reason": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose Publish or Reject." in page
    assert 'href="#decision"' in page and 'id="decision"' in page  # the summary link lands on the Publish button
    db.session.refresh(issue)
    assert issue.triage_state == "pending"


def test_a_new_account_password_is_required_and_not_kept(browser, admin):
    browser.login(admin)
    page = browser.get("/admin/users/new").get_data(as_text=True)
    field = page[page.index('<label for="password">'):page.index("</div>", page.index('<label for="password">'))]
    assert "Leave blank to keep the current password" not in field
    assert "(required)" in field and "optional" not in field
    edit = browser.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "Leave blank to keep the current password" in edit


def test_no_label_says_both_required_and_optional(browser, staff, participant):
    issue = make_issue(participant)
    browser.login(staff)
    for path in ("/issues/new", f"/issues/{issue.id}", f"/issues/{issue.id}/edit", "/log", "/forum/meetings/new",
                 "/actions/new", "/polls/new"):
        response = browser.get(path)
        assert response.status_code == 200, path
        labels = [re.sub(r"<[^>]+>", " ", label).lower()
                  for label in re.findall(r"<(?:label|legend)\b.*?</(?:label|legend)>", response.get_data(as_text=True), re.S)]
        # Every one of these pages is a form that marks what it needs: finding no such label
        # would be a test that checks nothing.
        assert any("required" in text or "optional" in text for text in labels), (path, labels)
        for text in labels:
            assert not ("required" in text and "optional" in text), (path, text)
