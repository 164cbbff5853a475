"""The kinds of change a person can choose to hear about, and how often."""

from __future__ import annotations

from ..issues.models import IssueEvent

KINDS = [
    ("status", "Status changes", "The issue's current status changes, or it is published to the industry view."),
    ("resolution", "Resolution", "The resolution or its status changes."),
    ("next_run", "“Will the next settlement run resolve it?”", "The answer changes (Yes / No / Unknown)."),
    ("note", "Staff progress notes", "The service-management team adds a progress note."),
    ("comment", "New comments", "Someone comments on an issue you follow."),
    ("log", "A new Monday issues log", "The weekly industry issues log is published (to everyone)."),
    ("poll", "A new forum poll", "A Service Management Forum poll opens (to everyone)."),
]
KIND_CODES = [code for code, _, _ in KINDS]
KIND_LABELS = {code: label for code, label, _ in KINDS}
ISSUE_KINDS = ("status", "resolution", "next_run", "note", "comment")

MODES = [
    ("immediate", "Email at once"),
    ("daily", "Daily digest"),
    ("weekly", "Weekly digest"),
    ("off", "Off"),
]
MODE_CODES = [code for code, _ in MODES]
# The quickest wins when one change holds several kinds a person hears about differently.
MODE_RANK = {"immediate": 0, "daily": 1, "weekly": 2}

DEFAULT_MODES = {
    "status": "immediate",
    "resolution": "immediate",
    "next_run": "immediate",
    "note": "daily",
    "comment": "daily",
    "log": "immediate",
    "poll": "immediate",
}
DEFAULT_TIME_ZONE = "Europe/London"
DEFAULT_DIGEST_HOUR = 8
DEFAULT_WEEKLY_DAY = 0  # Monday
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

RESOLUTION_FIELDS = ("resolution_status", "resolution_description")


def kind_of(event: IssueEvent) -> str | None:
    """The kind of change a journal entry is, or None when nobody is told of it."""
    if event.kind == "change":
        if event.field == "status":
            return "status"
        if event.field in RESOLUTION_FIELDS:
            return "resolution"
        if event.field == "next_run_resolves":
            return "next_run"
        return None
    if event.kind == "triage":
        return "status"
    if event.kind == "note":
        return "note"
    if event.kind == "comment":
        return "comment"
    return None
