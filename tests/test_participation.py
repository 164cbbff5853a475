"""Following, comments, "we are affected too", notification settings, saved views, feeds
and unsubscribe links, as people use them."""

from __future__ import annotations

import hashlib
import re
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.log.contents import log_contents, render_log_html
from issues_tracker.models import (
    AffectedDeclaration,
    Comment,
    Follow,
    Issue,
    IssueEvent,
    NotificationSettings,
    Organisation,
    SavedView,
)
from issues_tracker.notifications.preferences import new_feed_key
from issues_tracker.notifications.tokens import make_token
from issues_tracker.participation import affected as affected_service
from issues_tracker.participation import comments as comment_service
from issues_tracker.participation import follows
from tests.conftest import BASE_URL
from tests.helpers import VALID_SUBMISSION, make_issue

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def issue(staff, participant):
    return make_issue(participant, publish_by=staff, summary="Message schema validation failures",
                      supplier_impact="Multiple", distributor_impact="Individual")


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# ---------------------------------------------------------------- follow


def test_follow_and_unfollow_in_place(browser, issue, outsider):
    browser.login(outsider)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "Follow this issue" in page and "0 followers" in page

    fragment = browser.post(f"/issues/{issue.id}/follow", {"action": "follow"}, htmx=True)
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'id="follow"' in html
    assert "You follow this issue." in html and "1 follower" in html and "Unfollow" in html
    assert follows.is_following(outsider, issue)

    html = browser.post(f"/issues/{issue.id}/follow", {}, htmx=True).get_data(as_text=True)  # no action: toggles
    assert "Follow this issue" in html and "0 followers" in html
    assert db.session.scalar(sa.select(Follow.active).where(Follow.user_id == outsider.id)) is False


def test_submitting_an_issue_follows_it(browser, participant):
    browser.login(participant)
    response = browser.post("/issues/new", VALID_SUBMISSION)
    assert response.status_code == 303
    issue = db.session.scalar(sa.select(Issue))
    assert follows.is_following(participant, issue)
    assert db.session.scalar(sa.select(Follow.reason)) == "submitted"


def test_following_a_service_and_kinds_of_change_on_the_settings_page(browser, participant):
    browser.login(participant)
    page = browser.get("/account/notifications").get_data(as_text=True)
    # Sensible defaults: status at once, progress notes in the daily digest, London time.
    assert 'checked id="mode_status-0" name="mode_status" required type="radio" value="immediate"' in page
    assert 'checked id="mode_note-1" name="mode_note" required type="radio" value="daily"' in page
    assert '<option selected value="Europe/London">' in page

    form = {f"mode_{kind}": "immediate" for kind in ("status", "resolution", "next_run", "note", "comment", "log", "poll")}
    form.update(mode_note="weekly", mode_poll="off", time_zone="America/New_York", digest_hour="7", weekly_day="4",
                services=["DIP", "ISD"])
    response = browser.post("/account/notifications", form)
    assert response.status_code == 303
    row = db.session.get(NotificationSettings, participant.id)
    assert (row.note_mode, row.poll_mode, row.time_zone, row.digest_hour, row.weekly_day) == (
        "weekly", "off", "America/New_York", 7, 4)
    assert row.follow_when_affected is False  # unticked
    assert sorted(follows.followed_services(participant)) == ["DIP", "ISD"]


def test_bad_settings_are_refused_with_a_message_and_nothing_changes(browser, participant):
    browser.login(participant)
    form = {f"mode_{kind}": "immediate" for kind in ("status", "resolution", "next_run", "note", "comment", "log", "poll")}
    form.update(mode_status="hourly", time_zone="Mars/Olympus", digest_hour="25", weekly_day="1", services=["NOPE"])
    response = browser.post("/account/notifications", form)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "There is a problem" in text and "Not a valid choice" in text
    assert db.session.get(NotificationSettings, participant.id) is None
    assert follows.followed_services(participant) == []


# ---------------------------------------------------------------- comments


def test_comments_render_a_little_markdown_and_nothing_dangerous(browser, issue, outsider):
    browser.login(outsider)
    body = ("We see it **nightly**; see [the runbook](https://example.org/runbook).\n\n"
            "<script>alert(1)</script> [bad](javascript:alert(2)) <img src=x onerror=alert(3)>")
    response = browser.post(f"/issues/{issue.id}/comments", {"body": body}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>nightly</strong>" in html
    assert '<a href="https://example.org/runbook" rel="nofollow noopener noreferrer">the runbook</a>' in html
    assert "<script>alert" not in html and 'href="javascript' not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as the text it was
    comment = db.session.scalar(sa.select(Comment))
    assert comment.body == body and comment.author_id == outsider.id
    assert follows.is_following(outsider, issue)  # commenting follows the issue
    assert count(IssueEvent, IssueEvent.kind == "comment", IssueEvent.new_value == str(comment.id)) == 1


def test_an_empty_or_overlong_comment_is_refused_and_kept_for_correction(browser, issue, participant):
    browser.login(participant)
    empty = browser.post(f"/issues/{issue.id}/comments", {"body": "   "}, htmx=True)
    assert empty.status_code == 422 and "Write a comment before posting it." in empty.get_data(as_text=True)
    long_text = "x" * 5001
    long = browser.post(f"/issues/{issue.id}/comments", {"body": long_text})
    assert long.status_code == 422
    assert "at most 5,000 characters" in long.get_data(as_text=True) and long_text in long.get_data(as_text=True)
    assert count(Comment) == 0


def test_staff_hide_a_comment_with_a_reason_and_the_hide_is_journalled(browser, issue, staff, outsider, participant):
    comment = comment_service.add_comment(issue, outsider, "Call me on 07700 900123")
    db.session.commit()
    browser.login(staff)
    refused = browser.post(f"/issues/{issue.id}/comments/{comment.id}/hide", {"reason": ""}, htmx=True)
    assert refused.status_code == 422 and "Say why the comment is hidden." in refused.get_data(as_text=True)
    response = browser.post(f"/issues/{issue.id}/comments/{comment.id}/hide", {"reason": "Personal data"}, htmx=True)
    assert response.status_code == 200
    assert "Comment hidden by the service-management team: Personal data" in response.get_data(as_text=True)
    event = db.session.scalar(sa.select(IssueEvent).where(IssueEvent.kind == "moderation"))
    assert event.user_id == staff.id and "Personal data" in event.note
    browser.logout()

    browser.login(participant)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "07700 900123" not in page and "Personal data" in page
    feed = browser.get(f"/issues/{issue.id}.atom").get_data(as_text=True)
    assert "07700 900123" not in feed and "Hidden by the service-management team" in feed


def test_comments_on_an_issue_awaiting_triage_are_seen_only_by_those_who_see_it(browser, staff, participant, colleague, outsider):
    pending = make_issue(participant, summary="Awaiting triage")
    comment_service.add_comment(pending, staff, "Which MPANs? Please send a sample.")
    db.session.commit()
    browser.login(colleague)
    page = browser.get(f"/issues/{pending.id}").get_data(as_text=True)
    assert "Which MPANs?" in page and "only Northern Supply Co and the service-management team" in page
    browser.logout()
    browser.login(outsider)
    assert browser.get(f"/issues/{pending.id}").status_code == 404
    assert browser.get(f"/issues/{pending.id}.atom").status_code == 404
    assert "Which MPANs?" not in browser.get("/issues.atom").get_data(as_text=True)


# ---------------------------------------------------------------- we are affected too


def test_declaring_affected_counts_suppliers_and_distributors_in_place(browser, issue, make_user, outsider):
    supplier = make_user("participant", org="Brightwater Energy", name="Bea Bright")
    browser.login(supplier)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "Multiple (estimate)" in page and "No organisation has said it is affected yet" in page

    response = browser.post(f"/issues/{issue.id}/affected",
                            {"action": "declare", "note": "Our D0010s bounce", "meter_points": "1,200"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert re.search(r"<strong>1</strong> supplier and\s+<strong>0</strong> distributors", html)
    assert "1,200 meter points in all" in html
    assert '<span id="supplier-impact" hx-swap-oob="true">1 (declared)</span>' in html  # replaces the estimate
    browser.logout()

    browser.login(outsider)  # Eastern Networks: made a distributor here
    db.session.get(Organisation, outsider.organisation_id).kind = "distributor"
    db.session.commit()
    browser.post(f"/issues/{issue.id}/affected", {"action": "declare"})
    db.session.expire_all()
    counts = affected_service.affected_count(db.session.get(Issue, issue.id))
    assert (counts.suppliers, counts.distributors, counts.meter_points) == (1, 1, 1200)
    assert db.session.get(Issue, issue.id).affected_org_count == 2

    # Posting again without saying what withdraws it.
    browser.post(f"/issues/{issue.id}/affected", {})
    db.session.expire_all()
    assert count(AffectedDeclaration) == 1
    assert db.session.get(Issue, issue.id).affected_org_count == 1


def test_updating_a_declaration_keeps_one_per_organisation(browser, issue, participant, colleague):
    browser.login(participant)
    browser.post(f"/issues/{issue.id}/affected", {"action": "declare", "meter_points": "10"})
    browser.logout()
    browser.login(colleague)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "Update our declaration" in page and "We are no longer affected" in page
    browser.post(f"/issues/{issue.id}/affected", {"action": "declare", "meter_points": "25", "note": "More today"})
    db.session.expire_all()
    declaration = db.session.scalar(sa.select(AffectedDeclaration))
    assert (declaration.meter_points, declaration.note, declaration.declared_by_id) == (25, "More today", colleague.id)
    assert count(AffectedDeclaration) == 1 and db.session.get(Issue, issue.id).affected_org_count == 1


def test_bad_meter_points_are_refused_and_nothing_is_declared(browser, issue, participant):
    browser.login(participant)
    response = browser.post(f"/issues/{issue.id}/affected", {"action": "declare", "meter_points": "lots"}, htmx=True)
    assert response.status_code == 422
    assert "Enter a whole number of meter points" in response.get_data(as_text=True)
    assert count(AffectedDeclaration) == 0


def test_declaring_does_not_invalidate_a_staff_members_open_edit(browser, issue, staff, participant):
    version = db.session.get(Issue, issue.id).version
    affected_service.declare_affected(participant, issue)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).version == version


def test_the_list_sorts_by_organisations_affected_and_the_log_shows_declared_counts(app, browser, staff, participant, make_user):
    quiet = make_issue(participant, publish_by=staff, summary="Nobody else affected", supplier_impact="Individual")
    busy = make_issue(participant, publish_by=staff, summary="Many affected")
    some = make_issue(participant, publish_by=staff, summary="Some affected")
    for number in range(3):
        person = make_user("participant", org=f"Supplier {number}")
        affected_service.declare_affected(person, busy)
        if number == 0:
            affected_service.declare_affected(person, some)
    db.session.commit()
    browser.login(participant)
    html = browser.get("/issues?sort=affected", headers={"HX-Request": "true"}).get_data(as_text=True)
    order = [html.index(title) for title in ("Many affected", "Some affected", "Nobody else affected")]
    assert order == sorted(order)

    contents = log_contents(__import__("issues_tracker.log.operations", fromlist=["current_week"]).current_week())
    text = render_log_html(contents, published_at=contents.summary.as_of, revision=1)
    assert "Suppliers: 3 (declared); distributors: 0 (declared)" in text
    assert "Suppliers: Individual (estimate)" in text
    counts = affected_service.affected_counts([quiet.id, busy.id, some.id])
    assert quiet.id not in counts and counts[busy.id].suppliers == 3 and counts[some.id].organisations == 1


# ---------------------------------------------------------------- saved views


def test_save_a_filtered_view_see_it_in_the_menu_follow_and_delete_it(browser, participant):
    browser.login(participant)
    response = browser.post("/account/views", {"name": "DIP still open", "query": "service=DIP&status=open&bogus=1",
                                               "follow": "y"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/issues?service=DIP&status=open")
    view = db.session.scalar(sa.select(SavedView))
    assert (view.name, view.query) == ("DIP still open", "service=DIP&status=open")
    assert count(Follow, Follow.saved_view_id == view.id, Follow.active.is_(True)) == 1
    menu = browser.get("/account/views/menu").get_data(as_text=True)
    assert '<a href="/issues?service=DIP&amp;status=open">DIP still open</a>' in menu

    browser.post(f"/account/views/{view.id}/follow", {"action": "unfollow"})
    assert count(Follow, Follow.saved_view_id == view.id) == 0
    browser.post(f"/account/views/{view.id}/delete")
    assert count(SavedView) == 0


def test_a_view_without_a_name_is_not_saved(browser, participant):
    browser.login(participant)
    response = browser.post("/account/views", {"name": "", "query": "service=DIP"}, follow_redirects=True)
    assert "The view was not saved" in response.get_data(as_text=True)
    assert count(SavedView) == 0


# ---------------------------------------------------------------- feeds


def entries(xml: str) -> list[dict]:
    root = ElementTree.fromstring(xml)  # noqa: S314 (our own feed, in a test)
    return [{"title": e.find(f"{ATOM}title").text, "link": e.find(f"{ATOM}link").get("href")}
            for e in root.findall(f"{ATOM}entry")]


def test_the_issues_feed_follows_the_lists_filters_and_links_to_base_url(app, browser, staff, participant):
    app.config["BASE_URL"] = BASE_URL
    dip = make_issue(participant, publish_by=staff, services=["DIP"], summary="DIP <b>rejections</b> & delays")
    make_issue(participant, publish_by=staff, services=["ISD"], summary="ISD late")
    key = new_feed_key(participant)
    db.session.commit()
    response = browser.client.get(f"/issues.atom?service=DIP&key={key}", headers={"Host": "attacker.example"})
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    assert "private" in response.headers["Cache-Control"]
    found = entries(response.get_data(as_text=True))
    assert found == [{"title": f"{dip.reference} DIP <b>rejections</b> & delays", "link": f"{BASE_URL}/issues/{dip.id}"}]
    assert "attacker.example" not in response.get_data(as_text=True)
    assert key not in response.get_data(as_text=True)
    # A search's feed is named and linked by the view's own address, whatever order was asked for.
    for sort in ("", "&sort=severity"):
        text = browser.client.get(f"/issues.atom?q=rejections&status=all{sort}&key={key}").get_data(as_text=True)
        assert f"<id>{BASE_URL}/issues?q=rejections&amp;status=all</id>" in text
        assert f'href="{BASE_URL}/issues?q=rejections&amp;status=all"' in text


def test_the_issue_feed_lists_its_changes_and_comments(app, browser, issue, staff, participant, outsider):
    app.config["BASE_URL"] = BASE_URL
    from issues_tracker.issues import operations as issue_service

    issue_service.update_issue(issue, {"status": "Fix in progress"}, staff, expected_version=None, note="Patch on Thursday")
    comment_service.add_comment(issue, outsider, "Thanks, we will retest.")
    db.session.commit()
    browser.login(participant)
    titles = [entry["title"] for entry in entries(browser.get(f"/issues/{issue.id}.atom").get_data(as_text=True))]
    assert titles[:3] == ["Olive Outsider commented", "Progress note", "Current status: Fix in progress"]


def test_a_revoked_or_replaced_feed_key_stops_working(browser, participant):
    old = new_feed_key(participant)
    db.session.commit()
    browser.login(participant)
    page = browser.get("/account/notifications").get_data(as_text=True)
    assert old not in page and "You have a feed key, made" in page  # shown once, when it was made
    made = browser.post("/account/feed-key", {"action": "new"})
    new = re.search(r"issues\.atom\?key=([A-Za-z0-9_-]{40,})", made.get_data(as_text=True)).group(1)
    assert new != old and "shown only this once" in made.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(NotificationSettings, participant.id).feed_key_hash == hashlib.sha256(new.encode()).hexdigest()
    assert new not in browser.get("/account/notifications").get_data(as_text=True)
    client = browser.client.application.test_client()
    assert client.get(f"/issues.atom?key={old}").status_code == 403
    assert client.get(f"/issues.atom?key={new}").status_code == 200
    browser.post("/account/feed-key", {"action": "revoke"})
    assert client.get(f"/issues.atom?key={new}").status_code == 403


# ---------------------------------------------------------------- unsubscribe


def test_unsubscribe_from_a_kind_or_a_digest_turns_exactly_that_off(client, participant):
    kind = make_token(participant.id, "kind", "poll")
    assert "Stop emails about a new forum poll?" in client.get(f"/unsubscribe/{kind}").get_data(as_text=True)
    assert client.post(f"/unsubscribe/{kind}").status_code == 200
    row = db.session.get(NotificationSettings, participant.id)
    assert row.poll_mode == "off" and row.log_mode == "immediate"

    digest = make_token(participant.id, "digest", "daily")
    client.post(f"/unsubscribe/{digest}")
    db.session.refresh(row)
    assert (row.note_mode, row.comment_mode, row.status_mode) == ("off", "off", "immediate")


def test_an_unsubscribe_token_cannot_be_pointed_at_someone_else(client, participant, outsider):
    token = make_token(participant.id, "kind", "poll")
    payload, signature = token.split(".")
    forged = make_token(outsider.id, "kind", "poll").split(".")[0] + "." + signature
    assert client.post(f"/unsubscribe/{forged}").status_code == 404
    assert db.session.get(NotificationSettings, outsider.id) is None


def test_an_issues_atom_link_leads_to_an_address_a_feed_reader_can_read(app, browser, staff, participant):
    """A feed reader cannot sign in: the issue page's Atom link leads to making a key, and the
    address given then reads that issue's feed with no session at all."""
    app.config["BASE_URL"] = BASE_URL
    issue = make_issue(participant, publish_by=staff, summary="Meter reads arriving late from the DIP")
    browser.login(participant)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">Atom feed</a>', page).group(1).replace("&amp;", "&")
    settings = browser.get(link).get_data(as_text=True)
    assert "To follow" in settings and "make a feed key below" in settings
    chosen = re.search(r'name="feed" value="([^"]+)"', settings).group(1)
    made = browser.post("/account/feed-key", {"action": "new", "feed": chosen}).get_data(as_text=True)
    address = re.search(r'id="chosen-feed-url" value="([^"]+)"', made).group(1).replace("&amp;", "&")
    assert address.startswith(f"{BASE_URL}/issues/{issue.id}.atom?key=")

    reader = app.test_client()  # no session: as a feed reader
    feed = reader.get(address.removeprefix(BASE_URL))
    assert feed.status_code == 200
    assert "Meter reads arriving late from the DIP" in feed.get_data(as_text=True)


@pytest.mark.parametrize("feed", ["https://attacker.example/issues.atom", "/admin/", "/issues/abc.atom", "//evil.example/x"])
def test_a_feed_address_is_only_ever_made_for_the_products_own_feeds(browser, participant, feed):
    browser.login(participant)
    made = browser.post("/account/feed-key", {"action": "new", "feed": feed}).get_data(as_text=True)
    assert 'id="chosen-feed-url"' not in made
    assert 'id="feed-url"' in made  # the all-issues address is still given
