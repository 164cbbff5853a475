import os
import re
import uuid
from pathlib import Path

import sqlalchemy as sa

from issues_tracker.core.extensions import db, limiter
from issues_tracker.models import User


def test_sign_in_and_out(browser, participant):
    response = browser.post("/login", {"email": participant.email.upper(), "password": "correct-horse-battery"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = browser.get("/")
    assert home.status_code == 200
    assert "How are we doing" in home.get_data(as_text=True)

    response = browser.post("/logout")
    assert response.status_code == 303
    assert browser.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(browser, participant):
    response = browser.post("/login", {"email": participant.email, "password": "wrong-password"})
    assert response.status_code == 422
    assert "do not match an active account" in response.get_data(as_text=True)
    assert browser.get("/issues").status_code == 302


def test_unknown_email_gets_the_same_message(browser):
    response = browser.post("/login", {"email": "nobody@example.org", "password": "whatever-it-is"})
    assert response.status_code == 422
    assert "do not match an active account" in response.get_data(as_text=True)


def test_inactive_account_cannot_sign_in(browser, make_user):
    user = make_user(active=False)
    response = browser.post("/login", {"email": user.email, "password": "correct-horse-battery"})
    assert response.status_code == 422


def test_empty_login_form_gets_field_messages(browser):
    response = browser.post("/login", {"email": "", "password": ""})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your email address." in text
    assert "Enter your password." in text


def test_passwords_are_stored_hashed(participant):
    stored = db.session.scalar(sa.select(User.password_hash).where(User.id == participant.id))
    assert "correct-horse-battery" not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


def test_next_redirect_stays_on_this_site(browser, participant):
    response = browser.post("/login?next=/issues/new", {"email": participant.email, "password": "correct-horse-battery"})
    assert response.headers["Location"] == "/issues/new"


def test_next_redirect_to_another_site_is_ignored(browser, participant):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        browser.logout()
        response = browser.post(
            "/login?next=" + target, {"email": participant.email, "password": "correct-horse-battery"}
        )
        assert response.headers["Location"] == "/", target


def test_login_without_csrf_token_is_refused(browser, participant):
    response = browser.post("/login", {"email": participant.email, "password": "correct-horse-battery"}, csrf=False)
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def test_logout_needs_post_with_csrf(browser, participant):
    browser.login(participant)
    assert browser.get("/logout").status_code == 405
    assert browser.post("/logout", csrf=False).status_code == 400
    assert browser.get("/issues").status_code == 200


def test_session_cookie_is_httponly_and_samesite(browser, participant):
    response = browser.login(participant)
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_is_rate_limited(app, browser, participant):
    app.config["RATELIMIT_ENABLED"] = True
    limiter.enabled = True
    try:
        limiter.reset()
        statuses = [
            browser.post("/login", {"email": participant.email, "password": f"guess-{i}"}).status_code
            for i in range(8)
        ]
    finally:
        limiter.reset()
        limiter.enabled = False
    assert statuses[:5] == [422] * 5
    assert set(statuses[5:]) == {429}
    # Another account from the same address is not locked by those guesses.
    assert browser.post("/login", {"email": "someone-else@example.org", "password": "guess"}).status_code == 422


def test_signed_out_visitor_is_sent_to_login(client):
    response = client.get("/issues")
    assert response.status_code == 302
    assert re.match(r"^/login\?next=", response.headers["Location"])


def test_login_limits_are_shared_through_redis_when_configured(database_url, tmp_path):
    """With REDIS_URL set, sign-in attempts are counted in Redis, shared by every app server.

    Two separate processes stand for two app servers: together they exhaust one limit.
    """
    import subprocess
    import sys

    import redis

    connection = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    script = tmp_path / "attempts.py"
    script.write_text(
        "import sys\n"
        "from issues_tracker import create_app\n"
        "app = create_app({'TESTING': True, 'SECRET_KEY': 'k', 'WTF_CSRF_ENABLED': False,\n"
        "                  'SQLALCHEMY_DATABASE_URI': sys.argv[1]})\n"
        "assert app.config['RATELIMIT_STORAGE_URI'].startswith('redis://')\n"
        "client = app.test_client()\n"
        "print(' '.join(str(client.post('/login', data={'email': 'x@y.example', 'password': 'p'}).status_code)\n"
        "               for _ in range(int(sys.argv[2]))))\n"
    )
    root = str(Path(__file__).resolve().parent.parent)
    # A namespace of this run's own: another run of the suite may count sign-ins in the same Redis.
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/15", "PYTHONPATH": root,
           "REDIS_NAMESPACE": f"limits{uuid.uuid4().hex}"}
    try:
        run = [sys.executable, str(script), database_url]
        first = subprocess.run([*run, "3"], env=env, capture_output=True, text=True, check=True, cwd=root)
        second = subprocess.run([*run, "3"], env=env, capture_output=True, text=True, check=True, cwd=root)
    finally:
        for key in connection.scan_iter(f"{env['REDIS_NAMESPACE']}*"):
            connection.delete(key)
    assert first.stdout.split() == ["422"] * 3
    assert second.stdout.split() == ["422"] * 2 + ["429"]


def test_client_address_comes_from_the_proxy_when_configured(app, monkeypatch, database_url):
    from issues_tracker import create_app

    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "1")
    proxied = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": database_url})

    @proxied.get("/whoami")
    def whoami():
        from flask import request

        return request.remote_addr

    client = proxied.test_client()
    assert client.get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"}).data == b"203.0.113.9"
