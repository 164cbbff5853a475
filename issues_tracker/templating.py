"""Template filters and globals: times in Europe/London, query-string helpers."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, request, url_for

from . import choices
from .models.base import utcnow
from .search.text import excerpt, highlight

LONDON = ZoneInfo("Europe/London")


def london(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(LONDON).strftime(fmt)


def short_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return value.strftime("%d %b %Y")


def days_ago(value: datetime | None) -> str:
    if value is None:
        return "never"
    days = (utcnow() - value).days
    if days <= 0:
        return "today"
    if days == 1:
        return "1 day ago"
    return f"{days} days ago"


def url_with(endpoint: str, args: dict, **changes) -> str:
    """The URL of endpoint with the given query arguments changed (None removes one)."""
    merged = {k: v for k, v in args.items() if v not in (None, "", [])}
    for key, value in changes.items():
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = value
    query = urlencode(merged, doseq=True)
    return url_for(endpoint) + (f"?{query}" if query else "")


# Navigation entries of the other sections, shown once their blueprint is registered.
SECTION_NAV = [
    ("log.index", "Issues log", "/log"),
    ("forum.index", "Forum", "/forum"),
    ("forum.actions", "Actions", "/actions"),
    ("performance.index", "Performance", "/performance"),
]


def register_template_helpers(app: Flask) -> None:
    extra_nav = [entry for entry in SECTION_NAV if entry[0] in app.view_functions]

    app.jinja_env.filters["london"] = london
    app.jinja_env.filters["short_date"] = short_date
    app.jinja_env.filters["days_ago"] = days_ago
    app.jinja_env.filters["highlight"] = highlight  # search matches in <mark>, the rest escaped
    app.jinja_env.filters["excerpt"] = excerpt
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["choices"] = choices
    app.jinja_env.globals["htmx_asset"] = "vendor/htmx-2.0.11.min.js"

    @app.context_processor
    def inject_request_path():
        return {
            "current_path": request.path,
            "extra_nav": extra_nav,
            "url_endpoints": app.view_functions,
            "today": utcnow().astimezone(LONDON).date(),
        }
