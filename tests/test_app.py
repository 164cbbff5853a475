import pytest
import sqlalchemy as sa

from issues_tracker import create_app
from issues_tracker.core.config import ConfigError


def test_healthz_reports_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok", "queue": {"status": "ok", "backend": "memory", "messages": 0}, "jobs_waiting": 0,
        "limiter": {"status": "ok", "storage": "memory", "shared": False},
    }


def test_secret_key_is_required_outside_development(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ISSUES_TRACKER_ENV", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_database_url_is_read_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgresql://user@db.example/issues")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.example/issues"
    assert app.config["DEMO_ACCOUNTS"] is False


def test_embedded_default_is_sqlite_in_instance_folder(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/issues_tracker.sqlite")


def test_security_headers_forbid_inline_script(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.get_data(as_text=True)


def test_htmx_is_served_from_our_own_static_files(client):
    page = client.get("/login").get_data(as_text=True)
    assert '/static/vendor/htmx-2.0.11.min.js' in page
    assert "unpkg" not in page and "cdn" not in page.lower()
    asset = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert asset.status_code == 200 and b"htmx" in asset.data


def test_unknown_page_gets_friendly_404(browser, participant):
    browser.login(participant)
    response = browser.get("/no-such-page")
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_unexpected_error_shows_no_stack_trace(app_of_its_own, participant):
    @app_of_its_own.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app_of_its_own.test_client().get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in text and "secret internals" not in text
    assert "Something went wrong on our side" in text


def test_postgresql_sessions_tell_the_planner_its_pages_are_in_memory(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.delenv("PGOPTIONS", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://user@db.example/issues")
    options = create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"] == {"options": "-c random_page_cost=1.1"}
    assert options["pool_pre_ping"] is True
    # The operator's own session options win, whether in the environment or in the address.
    monkeypatch.setenv("PGOPTIONS", "-c random_page_cost=2")
    assert "connect_args" not in create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]
    monkeypatch.setenv("PGOPTIONS", "")  # none at all: a pooler that refuses startup options
    assert "connect_args" not in create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]
    monkeypatch.delenv("PGOPTIONS")
    monkeypatch.setenv("DATABASE_URL", "postgresql://user@db.example/issues?options=-cwork_mem%3D64MB")
    assert "connect_args" not in create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]
    monkeypatch.delenv("DATABASE_URL")
    assert "connect_args" not in create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]  # SQLite


@pytest.mark.both_databases
def test_the_database_session_has_the_planner_setting(app):
    from issues_tracker.core.extensions import db

    if db.engine.dialect.name == "postgresql":
        assert db.session.execute(sa.text("SHOW random_page_cost")).scalar() == "1.1"
    else:
        assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
