"""Industry Issues Tracker and Service Forum."""

from __future__ import annotations

import gc
import importlib
import os

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .core import config as config_module
from .core.extensions import csrf, db, htmx_ext, limiter, login_manager, migrate, talisman
from .core.logging import configure_logging, init_request_ids

JOB_MODULES = ("accounts.jobs", "issues.jobs", "log.jobs", "forum.jobs", "notifications.jobs", "servicedesk.jobs",
               "webhooks.jobs", "escalations.jobs")

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


class DatabaseIdConverter(IntegerConverter):
    """An <int:...> URL part that fits a database integer; anything larger is a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def register_cache_rule(app: Flask) -> None:
    """No shared cache (proxy, CDN) keeps a page or export: they may hold what only the
    signed-in person may see. A response that chose its own caching (the public calendar,
    a published log's immutable PDF, the poll results' ETag) keeps it; static files too."""

    @app.after_request
    def private_no_store(response):
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "private, no-store"
        if request.endpoint != "static":
            response.vary.add("Cookie")
        return response


def check_settings(config) -> None:
    """Settings read by one part are checked by that part: the app refuses to start with one it cannot use."""
    from .notifications.mailer import SmtpSettingsError, parse_smtp_url
    from .servicedesk.clock import BusinessHoursError, parse_business_hours

    try:
        if config["SMTP_URL"]:
            parse_smtp_url(config["SMTP_URL"])
    except SmtpSettingsError as exc:
        raise config_module.ConfigError(f"SMTP_URL: {exc}") from None
    try:
        parse_business_hours(config["BUSINESS_HOURS"])
    except BusinessHoursError as exc:
        raise config_module.ConfigError(f"BUSINESS_HOURS: {exc}") from None


def create_app(config: dict | None = None) -> Flask:
    # The instance folder (the SQLite files, the queue file without Redis, mail kept as files):
    # INSTANCE_PATH, or "instance" beside the package.
    instance_path = os.environ.get("INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path and os.path.abspath(instance_path),
                instance_relative_config=True, template_folder="core/templates")
    app.url_map.converters["int"] = DatabaseIdConverter
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config_module.from_environment(app.instance_path, config))
    check_settings(app.config)
    configure_logging(app)
    init_request_ids(app)
    if app.config["TRUSTED_PROXY_COUNT"]:
        # Behind a proxy, the client's address (for sign-in limits) and scheme come from its headers.
        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(app.root_path, "migrations")
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    htmx_ext.init_app(app)
    limiter.init_app(app)
    if not app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")) and not app.testing:
        app.logger.warning("Sign-in limits are counted by each app process on its own (no REDIS_URL): "
                           "with several processes, each allows the limit. Set REDIS_URL to share them.")
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )

    from . import models, search  # noqa: F401  (models: registers every part's tables)

    search.init_app(app)
    from .accounts import views as accounts
    from .admin import views as admin
    from .api import views as api
    from .escalations import views as escalations
    from .forum import views as forum
    from .home import views as home
    from .improvements import views as improvements
    from .issues import views as issues
    from .log import views as log
    from .notifications import views as notifications
    from .organisations import views as organisations
    from .participation import views as participation
    from .polls import views as polls
    from .servicedesk import views as servicedesk
    from .webhooks import views as webhooks

    # One blueprint per part of the product, each named as its package.
    for part in (home, accounts, organisations, issues, participation, notifications, admin, log, forum, polls, servicedesk,
                 api, webhooks, improvements, escalations):
        app.register_blueprint(part.bp)

    from .accounts import sso

    sso.init_app(app)  # the single sign-on providers of OIDC_PROVIDERS, if any

    from . import jobs

    # Each part's background jobs and upkeep register themselves as their module is imported:
    # every app server and worker knows them all.
    for module in JOB_MODULES:
        importlib.import_module(f"{__name__}.{module}")
    jobs.init_app(app)

    from .core import metrics
    from .core.errors import register_error_handlers
    from .core.templating import register_template_helpers

    register_error_handlers(app)
    metrics.init_app(app)
    register_template_helpers(app)
    register_cache_rule(app)

    from .cli import register_cli

    register_cli(app)
    if not app.testing:
        # What the app holds for its whole life (models, templates, routes) leaves the garbage
        # collector's sweeps: a request no longer pays to walk it, which takes a tenth off a page.
        gc.collect()
        gc.freeze()
    return app
