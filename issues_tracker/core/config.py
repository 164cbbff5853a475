"""The one place that reads the environment.

Settings that belong to one part are checked by that part as the app starts (see
create_app's check_settings): SMTP_URL by notifications.mailer, BUSINESS_HOURS by
servicedesk.clock."""

from __future__ import annotations

import os
import re
import secrets
from urllib.parse import urlsplit


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


# PostgreSQL's planner assumes by default that reading a page at random costs four times a
# sequential read, as on spinning disks. This database is small enough to live in memory (or on
# SSD), where the two cost about the same; left at 4, the planner scans whole tables where an
# index answers in a fraction of the time (a search: 7 ms scanning, 2 ms through its index).
POSTGRES_SESSION_OPTIONS = "-c random_page_cost=1.1"


def _engine_options(database_url: str) -> dict:
    options: dict = {"pool_pre_ping": True}
    # The operator's own session options (PGOPTIONS, even empty, or ?options= in DATABASE_URL) come first.
    if database_url.startswith("postgresql") and "options=" not in database_url and "PGOPTIONS" not in os.environ:
        options["connect_args"] = {"options": POSTGRES_SESSION_OPTIONS}
    return options


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


DEFAULT_BASE_URL = "http://localhost:5000"


def _base_url() -> str:
    """The site's public address, for links that leave the site (calendar files, email, feeds)."""
    value = os.environ.get("BASE_URL", "").strip() or DEFAULT_BASE_URL
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"BASE_URL must be the site's address, such as https://issues.example.org, not {value!r}.")
    return value.rstrip("/")


# The business calendar of the P2–P4 service-level clocks. Format (every part optional):
#   BUSINESS_HOURS="days=Mon-Fri; hours=09:00-17:00; timezone=Europe/London; holidays=GB-ENG"
# days: a range or a comma list of Mon..Sun; hours: HH:MM-HH:MM in the timezone;
# holidays: a country code with an optional subdivision from the `holidays` package
# (GB-ENG: England and Wales bank holidays), or "none".
DEFAULT_BUSINESS_HOURS = "days=Mon-Fri; hours=09:00-17:00; timezone=Europe/London; holidays=GB-ENG"


def _networks(name: str) -> tuple:
    """A comma-separated list of networks ("10.0.0.0/8, 127.0.0.1")."""
    import ipaddress

    networks = []
    for part in (os.environ.get(name) or "").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ConfigError(f"{name}: {part.strip()!r} is not a network such as 10.0.0.0/8.") from None
    return tuple(networks)


def from_environment(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment and explicit overrides."""
    overrides = dict(overrides or {})
    env = os.environ.get("ISSUES_TRACKER_ENV", "production")
    testing = bool(overrides.get("TESTING"))
    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or _database_url(instance_path)
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
    # One Redis may serve several sites: their queues and rate limits are kept apart by name.
    namespace = re.sub(r"[^A-Za-z0-9_]", "", os.environ.get("REDIS_NAMESPACE", "") or "issues_tracker")
    log_format = (os.environ.get("LOG_FORMAT") or ("text" if development else "json")).strip().lower()
    if log_format not in ("json", "text"):
        raise ConfigError(f"LOG_FORMAT must be json or text, not {log_format!r}.")
    config = {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        "REDIS_URL": redis_url,
        # Links in calendar files, email and feeds are built from this, never from request headers.
        "BASE_URL": _base_url(),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis away: sign-in limits are counted in each process's memory until it answers again
        # (the limiter checks it now and then); sign-in keeps working meanwhile.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": bool(redis_url),
        "RATELIMIT_KEY_PREFIX": namespace,
        "REDIS_NAMESPACE": namespace,
        # Background jobs: Redis when REDIS_URL is set (every app server and worker shares it);
        # otherwise a SQLite file in the instance folder, for everything on one machine. Tests
        # get a queue in memory unless they ask for another.
        "QUEUE_BACKEND": "redis" if redis_url else ("memory" if testing else "sqlite"),
        "QUEUE_SQLITE_PATH": os.environ.get("QUEUE_SQLITE_PATH") or os.path.join(instance_path, "job-queue.sqlite"),
        # A running job's worker reports every few seconds; one silent for this long has stopped.
        "JOB_HEARTBEAT_SECONDS": 10,
        "JOB_STALE_AFTER_SECONDS": 120,
        # A queued job whose message has not been picked up after this long is sent again.
        "JOB_RESEND_AFTER_SECONDS": 300,
        # Finished jobs and stored files (uploads, draft PDFs) are cleared after this many days.
        "JOB_KEEP_DAYS": 90,
        "UPLOAD_KEEP_DAYS": 7,
        # Records of emails finished (sent, recorded, skipped, given up) are deleted after this many days.
        "DELIVERY_KEEP_DAYS": 90,
        "LOG_FORMAT": log_format,
        "LOG_LEVEL": (os.environ.get("LOG_LEVEL") or "INFO").strip().upper(),
        "RATELIMIT_HEADERS_ENABLED": True,
        # The IETF's field names (the API documents them); the reset is when the window ends (Unix time).
        "RATELIMIT_HEADER_LIMIT": "RateLimit-Limit",
        "RATELIMIT_HEADER_REMAINING": "RateLimit-Remaining",
        "RATELIMIT_HEADER_RESET": "RateLimit-Reset",
        # Sign-in attempts: per client address (generous, as a whole company may share
        # one address) and per address and account together (tight, against guessing one
        # password, without letting a stranger lock the account owner out).
        "LOGIN_RATE_LIMIT": "30 per minute;300 per hour",
        "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute;20 per hour",
        # Refused sign-ins to one account from every address together: past this, sign-in to it
        # pauses and its owner is emailed a link to set a new password (which is counted afresh).
        "LOGIN_ACCOUNT_WIDE_RATE_LIMIT": "20 per 15 minutes",
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
        # A sign-in lasts this long at most; the worker forgets older session records.
        "SESSION_LIFETIME_DAYS": _int("SESSION_LIFETIME_DAYS", 30),
        "DEVELOPMENT": development,
        # Demo accounts are created only on the local embedded default.
        "DEMO_ACCOUNTS": development and not os.environ.get("DATABASE_URL"),
        # Behind a TLS-terminating proxy leave this off and let the proxy redirect.
        "FORCE_HTTPS": _flag("FORCE_HTTPS", False),
        "BUSINESS_HOURS": os.environ.get("BUSINESS_HOURS", "").strip() or DEFAULT_BUSINESS_HOURS,
        # A service-desk extract may be larger than other uploads; it is streamed to a
        # temporary file, and the request is refused before reading past this size.
        "SERVICEDESK_IMPORT_MAX_BYTES": 64 * 1024 * 1024,
        "SERVICEDESK_IMPORT_MAX_ROWS": 250_000,
        # Each app worker keeps the dashboard's rendered results while the data behind them is
        # unchanged (see core/render_cache.py); False renders every request afresh.
        "PERFORMANCE_CACHE": True,
        # Where email goes: smtp://host:port, smtp+starttls://user:pass@host:587 or
        # smtps://user:pass@host:465. Unset: notifications are recorded but not sent.
        "SMTP_URL": (os.environ.get("SMTP_URL") or "").strip() or None,
        "MAIL_FROM": (os.environ.get("MAIL_FROM") or "").strip() or "Industry Issues Tracker <noreply@localhost>",
        # GET /metrics (Prometheus): readable with this bearer token, or from these networks; off without either.
        # Requests per API token.
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "").strip() or "600 per minute",
        # Webhooks may reach private, loopback and link-local addresses: tests and development only.
        "WEBHOOK_ALLOW_PRIVATE": _flag("WEBHOOK_ALLOW_PRIVATE", testing or development),
        # A failed delivery is tried again after this many seconds, doubling each time (at most hourly)...
        "WEBHOOK_RETRY_SECONDS": _int("WEBHOOK_RETRY_SECONDS", 30),
        # ...and an endpoint failing this long is disabled and its owner emailed.
        "WEBHOOK_DISABLE_AFTER_HOURS": _int("WEBHOOK_DISABLE_AFTER_HOURS", 24),
        "METRICS_TOKEN": (os.environ.get("METRICS_TOKEN") or "").strip() or None,
        "METRICS_ALLOWED_NETWORKS": _networks("METRICS_ALLOWED_NETWORKS"),
        # Roles whose password sign-in needs a second factor (authenticator code or passkey);
        # empty: a second factor is optional for everyone. Checked by accounts.mfa.
        "MFA_REQUIRED_ROLES": os.environ.get("MFA_REQUIRED_ROLES", "staff,admin"),
        # Single sign-on: a JSON list of OpenID Connect providers (name, issuer, client_id,
        # client_secret, domains, optional staff_claim); unset, single sign-on is off.
        # Checked by accounts.sso as the app starts.
        "OIDC_PROVIDERS": (os.environ.get("OIDC_PROVIDERS") or "").strip(),
        # Links sent by email: a password reset lasts an hour, an invitation a week, a link
        # that confirms an address (asking for access) a day. Each works once.
        "PASSWORD_RESET_MINUTES": _int("PASSWORD_RESET_MINUTES", 60),
        "INVITATION_DAYS": _int("INVITATION_DAYS", 7),
        "ACCESS_REQUEST_VERIFY_HOURS": _int("ACCESS_REQUEST_VERIFY_HOURS", 24),
        # Second-factor attempts, per account: limited like passwords.
        "SECOND_FACTOR_RATE_LIMIT": "5 per minute;20 per hour",
        # Asking for access and for a password reset, per client address.
        "ACCOUNT_EMAIL_RATE_LIMIT": "10 per minute;50 per hour",
    }
    config.update(overrides)
    return config
