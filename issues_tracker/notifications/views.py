"""What a person is told and how: notification settings, the feed key, one-click unsubscribe
from an email (which needs no sign-in), and the Atom feeds.

A feed reader cannot sign in, so a personal feed key in the address (?key=…) lets it
read, and only read, what that person may see; the key is revocable on the settings page.
Signed-in browsers need no key. Links in feeds are built from BASE_URL.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from feedgen.feed import FeedGenerator
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from ..accounts.models import User
from ..core.extensions import csrf, db, login_manager
from ..core.models import utcnow
from ..core.permissions import staff_required
from ..core.text import clean_text
from ..core.transaction import unit_of_work
from ..core.urls import external_url
from ..issues import queries as issue_queries
from ..issues.access import can_view_issue
from ..issues.fields import journal_label
from ..issues.listing import parse_filters
from ..issues.models import Issue, IssueEvent
from ..participation import follows as follow_service
from ..participation import saved_views as view_service
from ..participation.forms import EmptyForm, SavedViewForm
from ..participation.models import Comment
from . import preferences
from .delivery import outbox_state
from .forms import NotificationSettingsForm
from .kinds import KIND_CODES, KIND_LABELS, KINDS, kind_of
from .models import NotificationSettings
from .preferences import user_for_feed_key
from .tokens import read_token

bp = Blueprint("notifications", __name__, template_folder="templates")


def _settings_form(formdata=None) -> NotificationSettingsForm:
    if formdata is not None:
        return NotificationSettingsForm()
    row = db.session.get(NotificationSettings, current_user.id)
    prefs = preferences.Preferences.of(row)
    form = NotificationSettingsForm(formdata=None)
    for kind in KIND_CODES:
        form[f"mode_{kind}"].data = prefs.modes[kind]
    form.time_zone.data = prefs.time_zone
    form.digest_hour.data = prefs.digest_hour
    form.weekly_day.data = prefs.weekly_day
    form.follow_when_affected.data = prefs.follow_when_affected
    form.services.data = follow_service.followed_services(current_user)
    return form


FEED_ENDPOINTS = ("notifications.issues_feed", "notifications.issue_feed")


def _chosen_feed(address: str | None) -> tuple[str, dict] | None:
    """The feed a person came from (an issue's, or a list's with its filters), as (endpoint, values):
    the settings page then gives that feed's address with the new key. Anything else is ignored."""
    if not address:
        return None
    parts = urlsplit(address)
    if parts.scheme or parts.netloc:
        return None
    try:
        endpoint, values = current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return None
    if endpoint not in FEED_ENDPOINTS:
        return None
    query = {name: value for name, value in parse_qsl(parts.query) if name != "key"}
    return endpoint, {**query, **values}


def _page(form: NotificationSettingsForm, view_form: SavedViewForm | None = None, status: int = 200,
          new_feed_key: str | None = None):
    row = db.session.get(NotificationSettings, current_user.id)
    chosen = _chosen_feed(request.values.get("feed"))
    return render_template(
        "notifications/settings.html",
        form=form,
        kinds=KINDS,
        followed=follow_service.followed_issues(current_user),
        views=view_service.views_of(current_user),
        followed_views=view_service.followed_view_ids(current_user),
        view_form=view_form or SavedViewForm(formdata=None),
        feed_key_made=row.feed_key_created_at if row and row.feed_key_hash else None,
        # The key is shown once, as it is made: only its hash is kept.
        feed_url=external_url("notifications.issues_feed", key=new_feed_key) if new_feed_key else None,
        chosen_feed=request.values.get("feed") if chosen else None,
        chosen_feed_url=external_url(chosen[0], **chosen[1], key=new_feed_key) if chosen and new_feed_key else None,
    ), status


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings():
    if request.method == "GET":
        return _page(_settings_form())
    form = _settings_form(request.form)
    if not form.validate_on_submit():
        return _page(form, status=422)
    data = {kind: form[f"mode_{kind}"].data for kind in KIND_CODES}
    data.update(time_zone=form.time_zone.data, digest_hour=form.digest_hour.data, weekly_day=form.weekly_day.data,
                follow_when_affected=form.follow_when_affected.data)
    try:
        with unit_of_work():
            preferences.save_preferences(current_user, data)
            follow_service.set_followed_services(current_user, form.services.data or [])
    except (preferences.SettingsError, follow_service.FollowError) as exc:
        form.form_errors.append(str(exc))
        return _page(form, status=422)
    flash("Your notification settings are saved.", "success")
    return redirect(url_for("notifications.settings"), code=303)


@bp.post("/account/feed-key")
@login_required
def feed_key():
    if not EmptyForm().validate_on_submit():
        abort(400, description="Your form expired; reload the page and try again.")
    if request.form.get("action") == "revoke":
        with unit_of_work():
            preferences.revoke_feed_key(current_user)
        flash("Your feed key is revoked: feed readers using it can no longer read your feeds.", "success")
        return redirect(url_for("notifications.settings", _anchor="feeds"), code=303)
    with unit_of_work():
        key = preferences.new_feed_key(current_user)
    flash("You have a new feed key. Copy its address now: it is shown only this once. Feed readers using an "
          "earlier key can no longer read your feeds.", "success")
    response = make_response(_page(_settings_form(), new_feed_key=key))
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- the outbox, for staff


@bp.get("/notifications/outbox")
@staff_required
def outbox():
    """Emails waiting, retrying after a failure, and given up (with why): one bad message fails alone."""
    return render_template("notifications/outbox.html", state=outbox_state())


# ---------------------------------------------------------------- unsubscribe


def _what(scope: str, target: str) -> str:
    if scope == "issue":
        return f"emails about issue IIT-{int(target):04d}"
    if scope == "kind":
        return f"emails about {KIND_LABELS[target].lower()}"
    return f"your {target} digest emails"


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail programs post here with no session (RFC 8058); the signed token is the proof
def unsubscribe(token: str):
    request_ = read_token(token)
    user = db.session.get(User, request_.user_id) if request_ else None
    if request_ is None or user is None:
        return render_template("notifications/unsubscribe.html", invalid=True, token=token), 404
    what = _what(request_.scope, request_.target)
    if request.method == "GET":
        return render_template("notifications/unsubscribe.html", invalid=False, done=False, what=what, token=token)
    with unit_of_work():
        preferences.unsubscribe(user, request_.scope, request_.target)
    return render_template("notifications/unsubscribe.html", invalid=False, done=True, what=what, token=token)


# ---------------------------------------------------------------- feeds

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
    feed.title(clean_text(title, single_line=True))
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
    _form, query, _page, _valid = parse_filters(user=user)
    # The view the feed follows, as its address says it (whatever order it was asked in).
    args = {name: value for name, value in query.args().items() if name != "sort"}
    query.sort = "updated"
    stale_days = current_app.config["STALE_AFTER_DAYS"]
    issues = db.session.scalars(
        issue_queries.issue_select(query, user, stale_after_days=stale_days)
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
        entry.title(clean_text(f"{issue.reference} {issue.summary}", single_line=True))
        entry.link(href=link, rel="alternate")
        entry.updated(issue.last_update_at)
        entry.published(issue.published_at or issue.created_at)
        entry.summary(clean_text(
            f"Status: {issue.status}. Resolution: {issue.resolution_status}. "
            f"Will the next settlement run resolve it? {issue.next_run_resolves}. "
            f"Service: {issue.services_label}.\n\n{issue.description}"
        ))
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
            label = journal_label(event.field)
            title = f"{label}: {event.new_value or '(blank)'}"
            text = f"{who} changed {label}: {event.old_value or '(blank)'} → {event.new_value or '(blank)'}"
            entry_link = link
        else:
            title = "Progress note" if event.kind == "note" else event.note
            text = f"{who}: {event.note}"
            entry_link = link
        entry = feed.add_entry(order="append")
        entry.id(f"{link}#event-{event.id}")
        entry.title(clean_text(title, single_line=True))
        entry.link(href=entry_link, rel="alternate")
        entry.updated(event.created_at)
        entry.content(clean_text(text), type="text")
        shown += 1
    return _response(feed)
