"""A person's own data as JSON, and closing their account: their name leaves what they wrote,
their personal settings go, the industry record stays."""

import json

import sqlalchemy as sa

from issues_tracker.accounts.models import User, UserSession
from issues_tracker.core.extensions import db
from issues_tracker.notifications.models import NotificationSettings
from issues_tracker.participation import comments as comment_service
from issues_tracker.participation.models import Comment, Follow
from tests.conftest import PASSWORD, Browser
from tests.helpers import make_issue


def test_a_person_downloads_what_the_product_holds_about_them(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff, summary="Missing D0010 flows")
    comment_service.add_comment(issue, participant, "Seen at our end since Monday.")
    db.session.commit()
    browser.login(participant)
    response = browser.get("/account/data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["email"] == participant.email and data["account"]["organisation"] == "Northern Supply Co"
    assert [row["summary"] for row in data["issues_submitted"]] == ["Missing D0010 flows"]
    assert data["comments"][0]["body"] == "Seen at our end since Monday."
    assert data["sign_in"]["sessions"][0]["method"] == "password"
    assert "password_hash" not in response.get_data(as_text=True)


def test_closing_an_account_anonymises_it_and_keeps_what_it_wrote(app, browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    comment_service.add_comment(issue, participant, "We are affected as well.")
    db.session.add(NotificationSettings(user_id=participant.id))
    db.session.commit()
    email = participant.email
    other = Browser(app.test_client())
    other.login(participant)
    browser.login(participant)
    wrong = browser.post("/account/close", {"confirm_email": "someone@else.example", "current": PASSWORD})
    assert wrong.status_code == 422
    no_password = browser.post("/account/close", {"confirm_email": participant.email, "current": "not-it-at-all"})
    assert no_password.status_code == 422
    done = browser.post("/account/close", {"confirm_email": participant.email, "current": PASSWORD})
    assert done.status_code == 200 and "Your account is closed" in done.get_data(as_text=True)
    assert other.get("/issues").status_code == 302
    db.session.expire_all()
    user = db.session.get(User, participant.id)
    assert user.name == "Former member" and user.email != email and not user.active and user.closed_at
    assert db.session.scalar(sa.select(Comment.body)) == "We are affected as well."
    assert db.session.get(NotificationSettings, participant.id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Follow).where(Follow.user_id == participant.id)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0
    reader = Browser(app.test_client())
    reader.login(staff)
    page = reader.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "Former member" in page and "Pat Participant" not in page
    assert Browser(app.test_client()).post("/login", {"email": email, "password": PASSWORD}).status_code == 422


def test_an_admin_cannot_close_their_own_account(browser, admin):
    browser.login(admin)
    response = browser.post("/account/close", {"confirm_email": admin.email, "current": PASSWORD})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(User, admin.id).active


def test_a_person_ends_one_of_their_other_sessions_but_not_someone_elses(app, browser, participant, colleague):
    laptop = Browser(app.test_client())
    laptop.login(participant)
    theirs = Browser(app.test_client())
    theirs.login(colleague)
    browser.login(participant)
    page = browser.get("/account/security").get_data(as_text=True)
    assert "(this browser)" in page and "API tokens" in page
    laptop_session, colleague_session = (db.session.scalar(sa.select(UserSession.id).where(UserSession.user_id == uid)
                                         .order_by(UserSession.id)) for uid in (participant.id, colleague.id))
    assert browser.post(f"/account/sessions/{colleague_session}/end").status_code == 404
    assert theirs.get("/issues").status_code == 200
    assert browser.post(f"/account/sessions/{laptop_session}/end").status_code == 303
    assert laptop.get("/issues").status_code == 302
    assert browser.get("/issues").status_code == 200
