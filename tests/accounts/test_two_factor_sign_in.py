"""Two-factor sign-in with an authenticator app: enrolment by QR code with the key as text, the
code as sign-in's second step (a field named `code`), ten single-use recovery codes, who must
have a second factor, and second-factor attempts limited like passwords."""

import re

import pyotp
import pytest
import sqlalchemy as sa

from issues_tracker.accounts.models import RecoveryCode, User
from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from tests.accounts.identity_helpers import deliver
from tests.conftest import PASSWORD, Browser


def enrol(browser) -> tuple[str, list[str]]:
    """Turn on the authenticator from the security page, as a person with the app would."""
    page = browser.get("/account/two-factor/setup").get_data(as_text=True)
    key = re.search(r'<code class="totp-key" id="totp-key">([A-Z2-7]+)</code>', page).group(1)
    assert "<svg" in page  # the QR code beside it
    done = browser.post("/account/two-factor/setup", {"code": pyotp.TOTP(key).now()})
    assert done.status_code == 200, done.data[:300]
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", done.get_data(as_text=True))
    return key, codes


def password_step(browser, user, password=PASSWORD):
    return browser.post("/login", {"email": user.email, "password": password})


def previous_code(key: str) -> str:
    totp = pyotp.TOTP(key)
    return totp.generate_otp(totp.timecode(utcnow()) - 1)


def next_code(key: str) -> str:
    """The code of the next 30-second step (accepted a step early, for clocks that drift): the current
    one was spent at enrolment, and a code is never accepted twice."""
    totp = pyotp.TOTP(key)
    return totp.generate_otp(totp.timecode(utcnow()) + 1)


def test_turning_on_the_authenticator_shows_the_key_and_ten_recovery_codes_once(browser, smtp, participant):
    browser.login(participant)
    key, codes = enrol(browser)
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.expire_all()
    assert db.session.get(User, participant.id).has_totp
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(code.replace("-", "") for code in codes) & set(stored)
    assert key not in (db.session.get(User, participant.id).totp_secret or b"").decode("latin-1")
    page = browser.get("/account/security").get_data(as_text=True)
    assert "The authenticator app is on" in page and codes[0] not in page
    assert "authenticator app was turned on" in deliver(smtp, 1)[0].text


def test_a_wrong_code_at_enrolment_keeps_it_off(browser, participant):
    browser.login(participant)
    browser.get("/account/two-factor/setup")
    response = browser.post("/account/two-factor/setup", {"code": "000000"})
    assert response.status_code == 422
    assert 'name="code"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, participant.id).has_totp


def test_sign_in_asks_for_the_code_as_its_second_step(app, browser, participant):
    browser.login(participant)
    key, _ = enrol(browser)
    browser.logout()
    first = password_step(browser, participant)
    assert first.status_code == 303 and first.location.endswith("/login/verify")
    assert browser.get("/issues").status_code == 302  # not signed in yet
    form = browser.get("/login/verify").get_data(as_text=True)
    assert 'name="code"' in form
    assert browser.post("/login/verify", {"code": "123456"}).status_code == 422
    assert browser.post("/login/verify", {"code": pyotp.TOTP(key).now()}).status_code == 422  # spent at enrolment
    done = browser.post("/login/verify", {"code": next_code(key)})
    assert done.status_code == 303
    assert browser.get("/issues").status_code == 200


def test_a_code_is_accepted_once(app, browser, participant):
    browser.login(participant)
    key, _ = enrol(browser)
    browser.logout()
    code = next_code(key)
    password_step(browser, participant)
    assert browser.post("/login/verify", {"code": code}).status_code == 303
    other = Browser(app.test_client())
    password_step(other, participant)
    assert other.post("/login/verify", {"code": code}).status_code == 422
    assert other.post("/login/verify", {"code": previous_code(key)}).status_code == 422  # older than the one used


def test_a_recovery_code_signs_in_once(app, browser, participant):
    browser.login(participant)
    _, codes = enrol(browser)
    browser.logout()
    password_step(browser, participant)
    response = browser.post("/login/verify", {"code": codes[3].upper()})
    assert response.status_code == 303
    assert "9 left" in browser.get("/").get_data(as_text=True)
    other = Browser(app.test_client())
    password_step(other, participant)
    assert other.post("/login/verify", {"code": codes[3]}).status_code == 422


def test_without_the_password_step_the_code_page_starts_again(browser):
    response = browser.post("/login/verify", {"code": "123456"})
    assert response.status_code == 303 and response.location.endswith("/login")


def test_staff_must_set_up_a_second_factor_when_the_setting_requires_it(app, browser, staff):
    app.config["MFA_REQUIRED_ROLES"] = "staff,admin"
    first = password_step(browser, staff)
    assert first.location.endswith("/login/setup")
    page = browser.get("/login/setup").get_data(as_text=True)
    assert browser.get("/issues").status_code == 302
    key = re.search(r'id="totp-key">([A-Z2-7]+)<', page).group(1)
    done = browser.post("/login/setup", {"code": pyotp.TOTP(key).now()})
    assert done.status_code == 200 and "recovery codes" in done.get_data(as_text=True)
    assert browser.get("/issues").status_code == 200


def test_with_second_factors_required_for_staff_a_participant_still_signs_in_with_a_password(app, browser, participant):
    app.config["MFA_REQUIRED_ROLES"] = "staff,admin"
    browser.login(participant)  # POST /login: 303 and signed in
    assert browser.get("/issues").status_code == 200


def test_an_organisation_admin_can_require_two_factor_for_everyone_in_the_organisation(browser, make_user, participant):
    admin = make_user("participant", org=participant.organisation.name, name="Olga Orgadmin")
    admin.organisation_admin = True
    db.session.commit()
    browser.login(admin)
    organisation = participant.organisation
    response = browser.post(f"/organisations/{organisation.id}/settings", {"require_mfa": "y", "version": organisation.version, "back": "own"})
    assert response.status_code == 303
    other = Browser(browser.client.application.test_client())
    assert password_step(other, participant).location.endswith("/login/setup")


def test_second_factor_attempts_are_limited_like_passwords(app, browser, participant):
    from issues_tracker.core.extensions import limiter

    browser.login(participant)
    key, _ = enrol(browser)
    browser.logout()
    password_step(browser, participant)
    app.config["RATELIMIT_ENABLED"] = True
    limiter.enabled = True
    try:
        limiter.reset()
        statuses = [browser.post("/login/verify", {"code": "000000"}).status_code for _ in range(6)]
        right_code_too_late = browser.post("/login/verify", {"code": next_code(key)}).status_code
    finally:
        limiter.reset()
        limiter.enabled = False
    assert statuses[:5] == [422] * 5 and statuses[5] == 429
    assert right_code_too_late == 429
    assert browser.get("/issues").status_code == 302


@pytest.mark.parametrize("path", ["/account/two-factor/setup", "/account/security"])
def test_security_pages_need_sign_in(browser, path):
    response = browser.get(path)
    assert response.status_code == 302 and "/login" in response.location


def test_turning_the_authenticator_off_needs_the_password(browser, smtp, participant):
    browser.login(participant)
    enrol(browser)
    assert browser.post("/account/two-factor/disable", {"current": "wrong-password-here"}).status_code == 422
    db.session.expire_all()
    assert db.session.get(User, participant.id).has_totp
    assert browser.post("/account/two-factor/disable", {"current": PASSWORD}).status_code == 303
    db.session.expire_all()
    assert not db.session.get(User, participant.id).has_totp
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert "turned off" in deliver(smtp, 2)[-1].text


def test_a_forged_passkey_answer_signs_nobody_in(browser, participant):
    from tests.conftest import csrf_for

    client = browser.client

    def post(path, body=None):
        return client.post(path, json=body or {}, headers={"X-CSRFToken": csrf_for(client)})

    assert client.post("/login/passkey", json={}).status_code == 400  # no CSRF token
    assert post("/login/passkey", {"credential": {"id": "abc"}}).status_code == 400  # no ceremony started
    options = post("/login/passkey/options")
    assert options.status_code == 200 and options.json["userVerification"] == "required"
    forged = {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
              "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA", "userHandle": "MQ"}}
    response = post("/login/passkey", {"credential": forged})
    assert response.status_code == 400 and "error" in response.json
    assert client.get("/issues").status_code == 302
