"""SMTP_URL, MAIL_FROM and BASE_URL as the environment gives them."""

import pytest

from issues_tracker import create_app
from issues_tracker.core.config import ConfigError, from_environment
from issues_tracker.notifications.mailer import SmtpSettings, SmtpSettingsError, parse_smtp_url


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://127.0.0.1:1025", SmtpSettings("127.0.0.1", 1025, "plain")),
    ("smtp://mail.internal", SmtpSettings("mail.internal", 25, "plain")),
    ("smtp+starttls://issues%40example.org:p%3Ass@smtp.example.org:587",
     SmtpSettings("smtp.example.org", 587, "starttls", "issues@example.org", "p:ss")),
    ("smtps://user:secret@smtp.example.org", SmtpSettings("smtp.example.org", 465, "tls", "user", "secret")),
])
def test_smtp_urls_people_write(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(("url", "message"), [
    ("http://mail.example.org", "use smtp://"),
    ("smtp://", "name the mail server"),
    ("smtp://mail.example.org:port", "the port must be a number"),
])
def test_a_wrong_smtp_url_stops_the_app_with_the_reason(monkeypatch, tmp_path, url, message):
    with pytest.raises(SmtpSettingsError, match=message):
        parse_smtp_url(url)
    monkeypatch.setenv("SMTP_URL", url)
    with pytest.raises(ConfigError, match="SMTP_URL"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}"})


def test_mail_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SMTP_URL", "smtp://127.0.0.1:2525")
    monkeypatch.setenv("MAIL_FROM", "Industry Issues <issues@example.org>")
    monkeypatch.setenv("BASE_URL", "https://issues.example.org/")
    config = from_environment(str(tmp_path), {"TESTING": True})
    assert (config["SMTP_URL"], config["MAIL_FROM"], config["BASE_URL"]) == (
        "smtp://127.0.0.1:2525", "Industry Issues <issues@example.org>", "https://issues.example.org")
    monkeypatch.setenv("BASE_URL", "issues.example.org")
    with pytest.raises(ConfigError, match="BASE_URL must be the site's address"):
        from_environment(str(tmp_path), {"TESTING": True})
    monkeypatch.delenv("SMTP_URL")
    monkeypatch.delenv("BASE_URL")
    assert from_environment(str(tmp_path), {"TESTING": True})["SMTP_URL"] is None
