"""Links leaving the site come from BASE_URL; nothing signed-in is kept by a shared cache;
hidden things answer exactly as missing ones."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from forum_builders import make_action, make_meeting, make_poll
from icalendar import Calendar

from issues_tracker import create_app
from issues_tracker.core.config import ConfigError
from issues_tracker.core.urls import external_url
from tests.conftest import SECRET
from tests.helpers import make_issue


def _app(database_url, **config):
    return create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": database_url,
                       "RATELIMIT_ENABLED": False, "MFA_REQUIRED_ROLES": "", **config})


def test_calendar_links_come_from_base_url_not_from_request_headers(app, database_url, staff):
    meeting = make_meeting(date(2026, 5, 12))
    site = _app(database_url, BASE_URL="https://issues.example.org/tracker", TRUSTED_PROXY_COUNT=1)
    response = site.test_client().get(
        "/forum/calendar.ics",
        headers={"Host": "evil.example", "X-Forwarded-Host": "attacker.example", "X-Forwarded-Proto": "http"},
    )
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    [event] = [component for component in calendar.walk("VEVENT")]
    assert str(event["url"]) == f"https://issues.example.org/tracker/forum/meetings/{meeting.id}"
    assert "evil.example" not in response.get_data(as_text=True)
    assert "attacker.example" not in response.get_data(as_text=True)


def test_external_url_needs_no_request(app):
    app.config["BASE_URL"] = "https://issues.example.org"
    assert external_url("issues.detail", issue_id=42) == "https://issues.example.org/issues/42"


@pytest.mark.parametrize("value", ["issues.example.org", "ftp://x.example", "https://", "https://x.example/?a=1"])
def test_a_base_url_that_is_not_a_site_address_is_refused_at_start(monkeypatch, value):
    monkeypatch.setenv("BASE_URL", value)
    with pytest.raises(ConfigError, match="BASE_URL"):
        create_app({"TESTING": True, "SECRET_KEY": SECRET})


def test_signed_in_pages_and_exports_say_private_no_store(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    poll = make_poll()
    meeting = make_meeting(date(2026, 5, 12))
    action = make_action(staff)

    def private(url, status=200):
        response = browser.get(url)
        assert response.status_code == status, url
        assert response.headers["Cache-Control"] == "private, no-store", url
        assert "Cookie" in response.headers.get("Vary", ""), url

    browser.login(staff)
    for url in ["/", "/issues", "/issues.csv", "/issues.xlsx", f"/issues/{issue.id}", f"/issues/{issue.id}/edit", "/log",
                "/forum", f"/forum/meetings/{meeting.id}", "/actions", f"/actions/{action.number}", f"/polls/{poll.id}",
                f"/polls/{poll.id}/results.csv", "/admin/", "/issues/new", "/issues/import"]:
        private(url)
    browser.logout()
    browser.login(participant)
    private("/admin/", 403)  # a refusal is not kept by a shared cache either


def test_the_public_calendar_keeps_its_own_caching(client):
    assert client.get("/forum/calendar.ics").headers["Cache-Control"] == "public, max-age=3600"


def test_a_hidden_issue_answers_exactly_as_a_missing_one(browser, participant, outsider):
    hidden = make_issue(participant, summary="Northern's pending issue")
    browser.login(outsider)
    browser.get("/")  # the welcome message is shown once
    seen = browser.get(f"/issues/{hidden.id}")
    missing = browser.get("/issues/999999")
    assert seen.status_code == missing.status_code == 404

    def main_content(response):
        return re.search(r"<main.*</main>", response.get_data(as_text=True), re.S).group(0)

    assert main_content(seen) == main_content(missing)


def test_an_issue_id_named_in_a_forum_action_confirms_nothing_to_those_who_cannot_see_it(browser, participant, outsider,
                                                                                         staff):
    hidden = make_issue(participant, summary="Northern's pending issue")
    action = make_action(staff, issue=hidden)
    browser.login(outsider)
    page = browser.get(f"/actions/{action.number}").get_data(as_text=True)
    assert "Northern&#39;s pending issue" not in page and "Northern's pending issue" not in page
    assert browser.get(f"/issues/{hidden.id}").status_code == 404


def test_uploading_is_not_cached_either(browser, staff):
    browser.login(staff)
    response = browser.post("/issues/import", {"file": (io.BytesIO(b"x"), "t.txt")}, content_type="multipart/form-data")
    assert response.headers["Cache-Control"] == "private, no-store"
