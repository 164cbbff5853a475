"""Atom feeds: the issues list (with its filters) and one issue's history.

A feed reader cannot sign in, so a personal feed key in the address (?key=…) lets it
read, and only read, what that person may see; the key is revocable on the account page.
Signed-in browsers need no key. Links in feeds are built from BASE_URL.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from feedgen.feed import FeedGenerator
from flask import abort, current_app, make_response, request
from flask_login import current_user

from ..extensions import db, login_manager
from ..models import Comment, Issue, IssueEvent, User
from ..models.base import utcnow
from ..notifications.kinds import kind_of
from ..notifications.preferences import user_for_feed_key
from ..permissions import can_view_issue
from ..services import issues as issue_service
from ..services.issues import FIELD_LABELS
from ..urls import external_url
from . import bp

FEED_ENTRIES = 50


def feed_reader() -> User | None:
    """The person the feed is for: by feed key, else the signed-in user; None: ask to sign in."""
    key = request.args.get("key")
    if key is not None:
        user = user_for_feed_key(key)
        if user is None:
            abort(403, description="This feed key is not valid: it may have been replaced or revoked. "
                                   "Copy the current feed address from your notification settings.")
        return user
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def _feed(title: str, feed_id: str, alternate: str, updated: datetime | None) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.author({"name": "Industry Issues Tracker"})
    feed.link(href=alternate, rel="alternate")
    feed.updated(updated or utcnow())
    feed.language("en-GB")
    return feed


def _response(feed: FeedGenerator):
    response = make_response(feed.atom_str(pretty=False))
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/issues.atom")
def issues_feed():
    user = feed_reader()
    if user is None:
        return login_manager.unauthorized()
    from ..issues.views import current_args, parse_filters

    _form, query, _page, _valid = parse_filters(user)
    # The view the feed follows, as its address says it (whatever order it was asked in).
    args = {name: value for name, value in current_args(query).items() if name != "sort"}
    query.sort = "updated"
    stale_days = current_app.config["STALE_AFTER_DAYS"]
    issues = db.session.scalars(
        issue_service.issue_select(query, user, stale_after_days=stale_days)
        .options(so.selectinload(Issue.service_links))
        .limit(FEED_ENTRIES)
    ).all()
    feed = _feed(
        "Industry issues" + (" (filtered)" if args else ""),
        external_url("issues.index", **args),
        external_url("issues.index", **args),
        issues[0].last_update_at if issues else None,
    )
    for issue in issues:
        link = external_url("issues.detail", issue_id=issue.id)
        entry = feed.add_entry(order="append")
        entry.id(link)
        entry.title(f"{issue.reference} {issue.summary}")
        entry.link(href=link, rel="alternate")
        entry.updated(issue.last_update_at)
        entry.published(issue.published_at or issue.created_at)
        entry.summary(
            f"Status: {issue.status}. Resolution: {issue.resolution_status}. "
            f"Will the next settlement run resolve it? {issue.next_run_resolves}. "
            f"Service: {issue.services_label}.\n\n{issue.description}"
        )
    return _response(feed)


@bp.get("/issues/<int:issue_id>.atom")
def issue_feed(issue_id: int):
    user = feed_reader()
    if user is None:
        return login_manager.unauthorized()
    issue = db.session.get(Issue, issue_id)
    if issue is None or not can_view_issue(user, issue):
        abort(404)
    events = db.session.scalars(
        sa.select(IssueEvent)
        .where(IssueEvent.issue_id == issue.id, IssueEvent.kind.in_(("change", "triage", "note", "comment")))
        .order_by(IssueEvent.created_at.desc(), IssueEvent.id.desc())
        .limit(FEED_ENTRIES * 3)
    ).all()
    comment_ids = [int(e.new_value) for e in events if e.kind == "comment" and e.new_value.isdigit()]
    comments = {
        c.id: c for c in db.session.scalars(sa.select(Comment).where(Comment.id.in_(comment_ids or [0])))
    }
    link = external_url("issues.detail", issue_id=issue.id)
    feed = _feed(f"{issue.reference} {issue.summary}", link, link, issue.last_update_at)
    shown = 0
    for event in events:
        kind = kind_of(event)
        if kind is None or shown >= FEED_ENTRIES:
            continue
        who = event.user.display_name if event.user else "Service management"
        if kind == "comment":
            comment = comments.get(int(event.new_value)) if event.new_value.isdigit() else None
            if comment is None:
                continue
            title = f"{who} commented"
            text = "(Hidden by the service-management team.)" if comment.hidden else comment.body
            entry_link = f"{link}#comment-{comment.id}"
        elif event.kind == "change":
            label = FIELD_LABELS.get(event.field, event.field)
            title = f"{label}: {event.new_value or '(blank)'}"
            text = f"{who} changed {label}: {event.old_value or '(blank)'} → {event.new_value or '(blank)'}"
            entry_link = link
        else:
            title = "Progress note" if event.kind == "note" else event.note
            text = f"{who}: {event.note}"
            entry_link = link
        entry = feed.add_entry(order="append")
        entry.id(f"{link}#event-{event.id}")
        entry.title(title)
        entry.link(href=entry_link, rel="alternate")
        entry.updated(event.created_at)
        entry.content(text, type="text")
        shown += 1
    return _response(feed)
