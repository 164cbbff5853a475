"""The one place that reads the environment."""

from __future__ import annotations

import os
import secrets


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "issues_tracker.sqlite")
    # Hosting platforms hand out "postgres://" and "postgresql://"; we speak psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ConfigError(f"{name} must be a whole number, not {value!r}.")
    return int(value)


def from_environment(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment and explicit overrides."""
    overrides = dict(overrides or {})
    env = os.environ.get("ISSUES_TRACKER_ENV", "production")
    testing = bool(overrides.get("TESTING"))
    development = env == "development" or os.environ.get("FLASK_DEBUG") == "1"

    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if not (testing or development):
            raise ConfigError(
                "SECRET_KEY must be set outside development and testing "
                "(export SECRET_KEY=... or ISSUES_TRACKER_ENV=development)."
            )
        secret = secrets.token_hex(32)

    redis_url = os.environ.get("REDIS_URL") or None
    config = {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Sign-in attempts: per client address (generous, as a whole company may share
        # one address) and per address and account together (tight, against guessing one
        # password, without letting a stranger lock the account owner out).
        "LOGIN_RATE_LIMIT": "30 per minute;300 per hour",
        "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute;20 per hour",
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto.
        "TRUSTED_PROXY_COUNT": _int("TRUSTED_PROXY_COUNT", 0),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", not (testing or development)),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "ISSUES_PER_PAGE": 25,
        "STALE_AFTER_DAYS": 14,
        "DEVELOPMENT": development,
        # Demo accounts are created only on the local embedded default.
        "DEMO_ACCOUNTS": development and not os.environ.get("DATABASE_URL"),
        # The site's public address (e.g. https://issues.example.org), for links that leave the
        # browser: the meeting room's QR code, email, feeds. Unset, pages use the address they were asked on.
        "BASE_URL": (os.environ.get("BASE_URL") or "").strip().rstrip("/") or None,
        # Behind a TLS-terminating proxy leave this off and let the proxy redirect.
        "FORCE_HTTPS": _flag("FORCE_HTTPS", False),
    }
    config.update(overrides)
    return config
