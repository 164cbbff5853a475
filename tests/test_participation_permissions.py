"""Who may use each new route: anonymous, participant, another organisation's participant,
staff and admin; on a published issue and on one awaiting triage (404 where the person
may not know the issue exists)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import AffectedDeclaration, Comment, Follow, SavedView
from issues_tracker.notifications.preferences import new_feed_key
from issues_tracker.notifications.tokens import make_token
from issues_tracker.participation import comments as comment_service
from tests.helpers import make_issue

ROLES = ("anonymous", "participant", "outsider", "staff", "admin")


@pytest.fixture
def scene(staff, admin, participant, outsider):
    published = make_issue(participant, publish_by=staff, summary="Published DIP rejections")
    pending = make_issue(participant, summary="Awaiting triage: our own submission")
    comment = comment_service.add_comment(published, outsider, "Seen here too.")
    db.session.commit()
    return {"published": published.id, "pending": pending.id, "comment": comment.id,
            "people": {"participant": participant, "outsider": outsider, "staff": staff, "admin": admin}}


def signed_in(browser, scene, role):
    if role != "anonymous":
        browser.login(scene["people"][role])
    return browser


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


# Expected status per role for (route, issue) — "login" means a redirect to sign in.
POSTS = {
    ("follow", "published"): {"participant": 303, "outsider": 303, "staff": 303, "admin": 303},
    ("follow", "pending"): {"participant": 303, "outsider": 404, "staff": 303, "admin": 303},
    ("comments", "published"): {"participant": 303, "outsider": 303, "staff": 303, "admin": 303},
    ("comments", "pending"): {"participant": 303, "outsider": 404, "staff": 303, "admin": 303},
    ("affected", "published"): {"participant": 303, "outsider": 303, "staff": 403, "admin": 403},
    ("affected", "pending"): {"participant": 409, "outsider": 404, "staff": 403, "admin": 403},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "which"), list(POSTS))
def test_issue_posts_by_role(browser, scene, role, route, which):
    signed_in(browser, scene, role)
    data = {"body": "A comment"} if route == "comments" else {}
    response = browser.post(f"/issues/{scene[which]}/{route}", data)
    if role == "anonymous":
        assert is_login_redirect(response)
    else:
        assert response.status_code == POSTS[(route, which)][role], response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["hide", "restore"])
def test_only_staff_hide_and_restore_comments(browser, scene, role, action):
    if action == "restore":
        comment_service.hide_comment(db.session.get(Comment, scene["comment"]), scene["people"]["staff"], "Off topic")
        db.session.commit()
    signed_in(browser, scene, role)
    response = browser.post(f"/issues/{scene['published']}/comments/{scene['comment']}/{action}", {"reason": "Off topic"})
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in ("participant", "outsider"):
        assert response.status_code == 403
    else:
        assert response.status_code == 303
    hidden = db.session.scalar(sa.select(Comment.hidden_at).where(Comment.id == scene["comment"])) is not None
    allowed = role in ("staff", "admin")
    assert hidden == (allowed if action == "hide" else not allowed)


def test_a_comment_of_another_issue_is_not_found(browser, scene):
    browser.login(scene["people"]["staff"])
    response = browser.post(f"/issues/{scene['pending']}/comments/{scene['comment']}/hide", {"reason": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_posts_without_a_csrf_token_are_refused(browser, scene, role):
    signed_in(browser, scene, role)
    for url in (f"/issues/{scene['published']}/follow", f"/issues/{scene['published']}/comments",
                f"/issues/{scene['published']}/affected", "/account/notifications", "/account/feed-key",
                "/account/views"):
        response = browser.post(url, {"body": "x", "name": "x"}, csrf=False)
        assert response.status_code == 400, url
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AffectedDeclaration)) == 0


@pytest.mark.parametrize("role", ROLES)
def test_account_pages_need_sign_in(browser, scene, role):
    signed_in(browser, scene, role)
    for url in ("/account/notifications", "/account/views/menu"):
        response = browser.get(url)
        if role == "anonymous":
            assert is_login_redirect(response)
        else:
            assert response.status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_feeds_by_role(browser, scene, role):
    signed_in(browser, scene, role)
    listing = browser.get("/issues.atom")
    published = browser.get(f"/issues/{scene['published']}.atom")
    pending = browser.get(f"/issues/{scene['pending']}.atom")
    if role == "anonymous":
        assert all(is_login_redirect(r) for r in (listing, published, pending))
        return
    assert listing.status_code == 200 and published.status_code == 200
    assert pending.status_code == (404 if role == "outsider" else 200)
    assert ("Awaiting triage: our own submission" in listing.get_data(as_text=True)) == (role != "outsider")


def test_a_feed_key_reads_only_what_its_owner_may_see_and_a_bad_key_reads_nothing(client, scene):
    outsider = scene["people"]["outsider"]
    key = new_feed_key(outsider)
    db.session.commit()
    listing = client.get(f"/issues.atom?key={key}")
    assert listing.status_code == 200
    assert "Published DIP rejections" in listing.get_data(as_text=True)
    assert "Awaiting triage" not in listing.get_data(as_text=True)
    assert client.get(f"/issues/{scene['pending']}.atom?key={key}").status_code == 404
    assert client.get("/issues.atom?key=not-a-key").status_code == 403
    # The key opens feeds only, never a page.
    assert is_login_redirect(client.get(f"/issues?key={key}"))
    assert is_login_redirect(client.get(f"/account/notifications?key={key}"))


def test_saved_views_belong_to_their_owner(browser, scene):
    participant, outsider = scene["people"]["participant"], scene["people"]["outsider"]
    view = SavedView(user_id=participant.id, name="Mine", query="service=DIP")
    db.session.add(view)
    db.session.commit()
    browser.login(outsider)
    assert browser.post(f"/account/views/{view.id}/delete").status_code == 404
    assert browser.post(f"/account/views/{view.id}/follow", {"action": "follow"}).status_code == 404
    assert db.session.get(SavedView, view.id) is not None
    assert db.session.scalar(sa.select(Follow).where(Follow.saved_view_id == view.id)) is None
    assert "Mine" not in browser.get("/account/views/menu").get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_unsubscribe_needs_no_sign_in_and_shows_nothing_else(browser, scene, role):
    participant = scene["people"]["participant"]
    signed_in(browser, scene, role)
    token = make_token(participant.id, "issue", scene["published"])
    page = browser.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"IIT-{scene['published']:04d}" in text
    if role == "anonymous":  # the link alone reveals neither the issue's summary nor whose link it is
        assert "Published DIP rejections" not in text and participant.email not in text
    assert browser.get(f"/unsubscribe/{token[:-3]}xyz").status_code == 404
    assert browser.post(f"/unsubscribe/{token}x", csrf=False).status_code == 404
