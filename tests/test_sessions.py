"""Sign-in and sessions: sign-out ends the session on the server, refusals take the same
work whether the account exists, and the sign-in limit counts one address once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from issues_tracker.accounts import operations as accounts
from issues_tracker.core.extensions import db, limiter
from issues_tracker.core.models import utcnow
from issues_tracker.models import UserSession
from tests.conftest import PASSWORD, Browser


def _copy_cookies(source, target) -> None:
    for cookie in source.client._cookies.values():
        target.client.set_cookie(cookie.key, cookie.value, domain=cookie.domain)


def test_a_copied_session_cookie_stops_working_after_sign_out(app, browser, participant):
    browser.login(participant)
    thief = Browser(app.test_client())
    _copy_cookies(browser, thief)
    assert thief.get("/issues").status_code == 200  # the copy works while the session lasts

    browser.logout()

    assert thief.get("/issues").status_code == 302
    assert "/login" in thief.get("/").headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_signing_out_ends_only_that_session(app, browser, participant):
    browser.login(participant)
    phone = Browser(app.test_client())
    with app.app_context():
        phone.login(participant)
    browser.logout()
    assert phone.get("/issues").status_code == 200


def test_a_password_change_ends_the_accounts_other_sessions(app, browser, admin, participant):
    laptop = Browser(app.test_client())
    with app.app_context():
        laptop.login(participant)
    browser.login(admin)
    form = {"email": participant.email, "name": participant.name, "role": "participant",
            "organisation_id": str(participant.organisation_id), "active": "y", "password": "a-brand-new-password"}
    assert browser.post(f"/admin/users/{participant.id}", form).status_code == 303
    assert laptop.get("/issues").status_code == 302
    assert browser.get("/admin/").status_code == 200


def test_unknown_and_known_accounts_are_refused_after_the_same_password_check(browser, participant, monkeypatch):
    checked = []
    real_check = accounts.check_password_hash

    def recording_check(pwhash, password):
        checked.append(pwhash.split(":", 1)[0])
        return real_check(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", recording_check)
    monkeypatch.setattr("issues_tracker.accounts.models.check_password_hash", recording_check)
    participant.password_hash = generate_password_hash(PASSWORD)  # as the app makes them (scrypt)
    db.session.commit()

    known = browser.post("/login", {"email": participant.email, "password": "wrong-password"})
    unknown = browser.post("/login", {"email": "nobody@example.org", "password": "wrong-password"})

    assert known.status_code == unknown.status_code == 422
    assert checked == ["scrypt", "scrypt"]  # one hash of the same kind checked either way


def test_the_sign_in_limit_counts_variants_of_one_address_together(app, browser, participant):
    app.config["RATELIMIT_ENABLED"] = True
    limiter.enabled = True
    variants = [participant.email, participant.email.upper(), f"  {participant.email}  ",
                participant.email.replace("@", "\x00@"), "\x07" + participant.email, participant.email + "\x1b",
                participant.email.replace("@", "@\x01"), participant.email.title()]
    try:
        limiter.reset()
        statuses = [browser.post("/login", {"email": email, "password": f"guess-{i}"}).status_code
                    for i, email in enumerate(variants)]
    finally:
        limiter.reset()
        limiter.enabled = False
    assert statuses[:5] == [422] * 5
    assert set(statuses[5:]) == {429}


def test_a_sign_in_ends_after_its_lifetime_and_the_worker_forgets_it(app, browser, participant):
    browser.login(participant)
    assert browser.get("/issues").status_code == 200
    # A month and a day later the same cookie no longer signs anyone in.
    db.session.execute(sa.update(UserSession).values(created_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    assert browser.get("/issues").status_code == 302

    from issues_tracker.jobs import run_background_tasks

    assert "sessions" in run_background_tasks()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0
