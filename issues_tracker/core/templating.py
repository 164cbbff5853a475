"""Template filters and globals: dates and times (see formats.py), counted nouns,
status pills, the navigation's current item, query-string helpers."""

from __future__ import annotations

import functools
from datetime import date, datetime
from urllib.parse import urlencode

from flask import Flask, request, url_for
from markupsafe import Markup, escape

from . import choices
from .formats import LONDON, format_date, format_datetime, format_week, plural
from .formats import days_ago as _days_ago
from .models import utcnow

__all__ = ["LONDON", "london", "short_date", "days_ago", "url_with", "register_template_helpers"]


def london(value: datetime | None, fmt: str | None = None) -> str:
    """A moment in Europe/London: the one date-and-time format unless a machine format is asked for."""
    if value is None:
        return "—"
    if fmt is None:
        return format_datetime(value)
    return value.astimezone(LONDON).strftime(fmt)


def short_date(value: date | datetime | None, weekday: bool = False) -> str:
    return format_date(value, weekday=weekday)


def london_today() -> date:
    return utcnow().astimezone(LONDON).date()


def days_ago(value: datetime | date | None) -> str:
    return _days_ago(value, london_today())


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


# ---------------------------------------------------------------- status pills

# One tone per state, shared by issue statuses, severities, triage, forum actions and polls,
# so a colour means the same thing on every page: ok (done), active, waiting, alert, neutral.
STATUS_TONES = {
    "New": "info",
    "Under investigation": "waiting",
    "Under analysis": "waiting",
    "Known behaviour": "neutral",
    "Fix in progress": "active",
    "Monitoring": "active",
    "Resolved": "ok",
    "Closed": "closed",
}
SEVERITY_TONES = {1: "alert", 2: "warning", 3: "waiting", 4: "neutral"}
TRIAGE_TONES = {"pending": "waiting", "published": "ok", "rejected": "closed"}
# The actions log: an open action is work in hand, a proposed close awaits agreement.
FORUM_ACTION_TONES = {"Open": "active", "Propose Close": "waiting", "Closed": "closed"}
ISSUE_ACTION_TONES = {"Open": "active", "In progress": "info", "Done": "closed"}
POLL_TONES = {"draft": "waiting", "open": "ok", "closed": "closed"}
IMPROVEMENT_ACTION_TONES = {"not_started": "neutral", "in_progress": "active", "complete": "ok"}
IMPROVEMENT_TONES = {"proposed": "waiting", "accepted": "active", "declined": "closed", "delivered": "ok"}
ESCALATION_TONES = {"open": "alert", "acknowledged": "active", "closed": "closed"}
PILL_KINDS = {
    "status": (STATUS_TONES, lambda value: str(value)),
    "severity": (SEVERITY_TONES, lambda value: f"P{value}"),
    "triage": (TRIAGE_TONES, lambda value: dict(choices.TRIAGE_STATES).get(value, str(value))),
    "forum_action": (FORUM_ACTION_TONES, lambda value: str(value)),
    "issue_action": (ISSUE_ACTION_TONES, lambda value: dict(choices.ACTION_STATUSES).get(value, str(value))),
    "poll": (POLL_TONES, lambda value: dict(choices.POLL_STATES).get(value, str(value))),
    "improvement_action": (IMPROVEMENT_ACTION_TONES,
                           lambda value: dict(choices.IMPROVEMENT_ACTION_STATUSES).get(value, str(value))),
    "improvement": (IMPROVEMENT_TONES, lambda value: dict(choices.IMPROVEMENT_STATES).get(value, str(value))),
    "escalation": (ESCALATION_TONES, lambda value: dict(choices.ESCALATION_STATUSES).get(value, str(value))),
}


def pill_parts(kind: str, value) -> tuple[str, str, str]:
    """(tone, short text, full text) of a status pill."""
    tones, text = PILL_KINDS[kind]
    short = text(value)
    full = choices.SEVERITY_LABELS.get(value, short) if kind == "severity" else short
    return tones.get(value, "neutral"), short, full


@functools.lru_cache(maxsize=1024)  # a few dozen states in all; a list page draws two pills a row
def pill(kind: str, value, compact: bool = False) -> Markup:
    """A coloured status pill, one look for a state wherever it appears (issue headers, the home
    page, the actions log, forum lists). kind: status | severity | triage | forum_action |
    issue_action | poll. compact: "P1" with the full label for screen readers and on hover."""
    tone, short, label = pill_parts(kind, value)
    if compact and label != short:
        rest = label[len(short):].strip(" –")
        return Markup(  # noqa: S704 (every part escaped)
            f'<span class="pill pill-{escape(tone)}" title="{escape(label)}">{escape(short)}'
            f'<span class="visually-hidden"> {escape(rest)}</span></span>'
        )
    return Markup(f'<span class="pill pill-{escape(tone)}">{escape(label)}</span>')  # noqa: S704 (every part escaped)


# ---------------------------------------------------------------- navigation

# Navigation entries of the other sections, shown once their blueprint is registered:
# (endpoint, label, the path it covers).
SECTION_NAV = [
    ("log.index", "Issues log", "/log"),
    ("forum.index", "Forum", "/forum"),
    ("forum.actions", "Actions", "/actions"),
    ("servicedesk.index", "Performance", "/performance"),
    ("improvements.index", "Improvements", "/improvements"),
    ("escalations.index", "Escalations", "/escalations"),
]
# Pages that belong to a section whose path they do not share.
NAV_ALIASES = {"/polls": "forum.index"}


def current_nav_item(path: str, entries: list[tuple[str, str, str]]) -> str | None:
    """The one navigation entry the page belongs to: the longest path that covers it."""
    covering = [(prefix, endpoint) for endpoint, _label, prefix in entries]
    covering += [(prefix, endpoint) for prefix, endpoint in NAV_ALIASES.items()]
    best = None
    for prefix, endpoint in covering:
        if path == prefix or path.startswith(prefix.rstrip("/") + "/") or path.startswith(prefix + "."):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, endpoint)
    return best[1] if best else None


def register_template_helpers(app: Flask) -> None:
    extra_nav = [entry for entry in SECTION_NAV if entry[0] in app.view_functions]

    app.jinja_env.filters["london"] = london
    app.jinja_env.filters["short_date"] = short_date
    app.jinja_env.filters["days_ago"] = days_ago
    app.jinja_env.filters["week_label"] = format_week
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["choices"] = choices
    app.jinja_env.globals["plural"] = plural
    app.jinja_env.globals["pill"] = pill
    app.jinja_env.globals["htmx_asset"] = "vendor/htmx-2.0.11.min.js"

    @app.context_processor
    def inject_request_path():
        entries = [("issues.index", "Issues", "/issues"), ("issues.new", "Submit", "/issues/new"), *extra_nav,
                   ("admin.index", "Admin", "/admin"), ("organisations.index", "My organisation", "/organisation")]
        return {
            "current_path": request.path,
            "extra_nav": extra_nav,
            "current_nav": current_nav_item(request.path, entries),
            "url_endpoints": app.view_functions,
            "today": london_today(),
        }
