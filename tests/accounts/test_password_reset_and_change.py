"""Passwords: changing one's own, resetting a forgotten one by an emailed single-use link, and the
rules (a minimum length, no composition rules, no common or breached passwords)."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from issues_tracker.accounts.models import PasswordReset, User, UserSession
from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from tests.accounts.identity_helpers import deliver, last_to, link_in
from tests.conftest import PASSWORD, Browser

NEW_PASSWORD = "plum-orchard-telescope"


def test_login_page_links_to_forgotten_password_and_asking_for_access(browser):
    page = browser.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page
    assert 'href="/access/request"' in page


def test_a_forgotten_password_is_reset_by_the_emailed_link_once(app, browser, smtp, participant):
    response = browser.post("/password/forgot", {"email": participant.email.upper()})
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    mail = deliver(smtp, 1)[0]
    assert mail.recipients == [participant.email]
    assert mail.subject == "Reset your password"
    path = link_in(mail, "/password/reset/")
    stored = db.session.scalar(sa.select(PasswordReset))
    assert path.rsplit(".", 1)[1] not in (stored.verifier_hash, stored.selector)  # only a hash is kept
    assert browser.get(path).status_code == 200

    weak = browser.post(path, {"password": "password123", "confirm": "password123"})
    assert weak.status_code == 422
    assert "common or breached" in weak.get_data(as_text=True) or "too easy to guess" in weak.get_data(as_text=True)

    done = browser.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.location.endswith("/login")
    assert browser.post("/login", {"email": participant.email, "password": PASSWORD}).status_code == 422
    browser.login(participant, NEW_PASSWORD)

    again = Browser(app.test_client()).post(path, {"password": "another-orchard-pass", "confirm": "another-orchard-pass"})
    assert again.status_code == 410
    assert "used already" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, participant.id).check_password(NEW_PASSWORD)
    notice = deliver(smtp, 2)[-1]
    assert notice.subject == "Your sign-in settings changed"
    assert "reset" in notice.text


def test_forgot_password_answers_the_same_for_an_unknown_address(browser, smtp, participant):
    def page(email):
        text = browser.post("/password/forgot", {"email": email}).get_data(as_text=True).replace(email, "ADDRESS")
        return re.sub(r'"X-CSRFToken": "[^"]+"', "", text)  # the one part that differs on every page

    assert page(participant.email) == page("nobody@nowhere.example")
    received = deliver(smtp, 2)
    stranger = last_to(smtp, "nobody@nowhere.example")
    assert "no account" in stranger.text and "/password/reset/" not in stranger.text
    assert len(received) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordReset)) == 1


def test_a_reset_link_expires_after_an_hour(browser, smtp, participant):
    browser.post("/password/forgot", {"email": participant.email})
    path = link_in(deliver(smtp, 1)[0], "/password/reset/")
    db.session.execute(sa.update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = browser.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, participant.id).check_password(PASSWORD)


@pytest.mark.parametrize("mangle", [lambda t: t[:-5], lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
                                    lambda t: "x" * 12 + "." + "y" * 43, lambda t: t.replace(".", "")])
def test_forged_and_truncated_reset_links_are_refused_and_change_nothing(browser, smtp, participant, mangle):
    browser.post("/password/forgot", {"email": participant.email})
    token = link_in(deliver(smtp, 1)[0], "/password/reset/").rsplit("/", 1)[1]
    bad = mangle(token)
    assert browser.get(f"/password/reset/{bad}").status_code == 400
    assert browser.post(f"/password/reset/{bad}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, participant.id).check_password(PASSWORD)
    assert db.session.scalar(sa.select(PasswordReset.used_at)) is None


def test_a_reset_ends_every_session_of_the_account(app, browser, smtp, participant):
    other = Browser(app.test_client())
    other.login(participant)
    browser.post("/password/forgot", {"email": participant.email})
    path = link_in(deliver(smtp, 1)[0], "/password/reset/")
    browser.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert other.get("/issues").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_changing_ones_own_password_needs_the_current_one_and_signs_out_other_sessions(app, browser, smtp, participant):
    other = Browser(app.test_client())
    other.login(participant)
    browser.login(participant)
    wrong = browser.post("/account/password", {"current": "not-my-password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422
    assert "not your current password" in wrong.get_data(as_text=True)
    short = browser.post("/account/password", {"current": PASSWORD, "password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    common = browser.post("/account/password", {"current": PASSWORD, "password": "qwertyuiop123", "confirm": "qwertyuiop123"})
    assert common.status_code == 422
    ok = browser.post("/account/password", {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert ok.status_code == 303
    assert browser.get("/account/security").status_code == 200  # this session goes on
    assert other.get("/account/security").status_code == 302  # the other one has ended
    mail = deliver(smtp, 1)[0]
    assert mail.recipients == [participant.email] and "Your password was changed." in mail.text


def test_a_password_with_no_symbols_or_capitals_is_accepted(browser, participant):
    browser.login(participant)
    response = browser.post("/account/password", {"current": PASSWORD, "password": "lantern river biscuit", "confirm": "lantern river biscuit"})
    assert response.status_code == 303


def test_a_password_built_from_the_persons_own_name_is_refused(browser, make_user):
    person = make_user("participant", name="Gwendolyn Featherstonehaugh", email="gwendolyn@northern.example")
    browser.login(person)
    response = browser.post("/account/password", {"current": PASSWORD, "password": "gwendolyn2026", "confirm": "gwendolyn2026"})
    assert response.status_code == 422
