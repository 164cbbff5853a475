"""Guessing one account's password from many addresses pauses sign-in to that account, from every
address; its owner is emailed a link that sets a new password, and signing in with it is not paused.
An edit of an account opened before someone else's is refused with the input kept."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from issues_tracker import create_app
from issues_tracker.core.extensions import db, limiter
from issues_tracker.models import User
from tests.conftest import BASE_URL, SECRET, Browser, IsolatedClient

pytestmark = pytest.mark.both_databases


@pytest.fixture
def limited(database_url, smtp):
    """An app whose sign-in limits are on, as in production (the suite's own app has them off)."""
    names = ("enabled", "_storage", "_limiter", "_storage_dead", "_fallback_limiter", "_fallback_storage")
    saved = {name: getattr(limiter, name, None) for name in names}
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": database_url,
                      "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", "MFA_REQUIRED_ROLES": "",
                      "SMTP_URL": smtp.url, "BASE_URL": BASE_URL, "MAIL_FROM": "Issues <issues@example.org>"})
    app.test_client_class = IsolatedClient
    limiter.reset()
    with app.app_context():
        yield Browser(app.test_client())
        db.session.remove()
    limiter.reset()
    for name, value in saved.items():
        setattr(limiter, name, value)


def attempt(browser, email, password, address):
    return browser.post("/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def test_thirty_guesses_from_six_addresses_pause_the_account_and_its_owner_gets_a_way_back_in(
        smtp, participant, limited):
    browser = limited
    email = participant.email
    statuses = [attempt(browser, email, f"guess {n}", f"198.51.100.{n % 6 + 1}").status_code for n in range(30)]
    assert statuses[:20] == [422] * 20 and set(statuses[20:]) == {429}
    right = attempt(browser, email, "correct-horse-battery", "203.0.113.7")  # the right password, a seventh address
    assert right.status_code == 429 and "Sign-in for it is paused" in right.get_data(as_text=True)

    from issues_tracker.notifications.delivery import deliver_pending

    deliver_pending()
    [mail] = smtp.to(email)
    assert mail.subject == "Sign-in to your account is paused" and "198.51.100." in mail.text
    link = re.search(r"https?://\S+/password/reset/\S+", mail.text).group(0)
    path = link.removeprefix(BASE_URL)
    assert browser.get(path).status_code == 200
    done = browser.post(path, {"password": "a brand new passphrase 42", "confirm": "a brand new passphrase 42"})
    assert done.status_code == 303
    assert attempt(browser, email, "a brand new passphrase 42", "203.0.113.7").status_code == 303  # not paused


def test_an_unknown_address_is_paused_the_same_way_and_nobody_is_emailed(smtp, limited):
    browser = limited
    statuses = [attempt(browser, "nobody@nowhere.example", f"guess {n}", f"198.51.100.{n % 6 + 1}").status_code
                for n in range(22)]
    assert statuses[:20] == [422] * 20 and set(statuses[20:]) == {429}
    from issues_tracker.notifications.delivery import deliver_pending

    deliver_pending()
    assert smtp.received == []


def test_an_admins_edit_opened_before_anothers_save_is_refused_with_the_input_kept(browser, admin, participant,
                                                                                   make_user):
    other = make_user("admin", org="Elexon", name="Other Admin")
    browser.login(admin)
    page = browser.get(f"/admin/users/{participant.id}").get_data(as_text=True)
    opened = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    form = {"email": participant.email, "name": "Pat Renamed", "role": "participant",
            "organisation_id": str(participant.organisation_id), "active": "y", "version": opened}
    second = Browser(browser.client.application.test_client())
    second.login(other)
    assert second.post(f"/admin/users/{participant.id}", dict(form, role="staff", name="Pat Participant")).status_code == 303
    response = browser.post(f"/admin/users/{participant.id}", form)
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and "Someone else changed this account" in text and "Pat Renamed" in text
    db.session.expire_all()
    stored = db.session.scalar(sa.select(User).where(User.id == participant.id))
    assert (stored.role, stored.name) == ("staff", "Pat Participant")
