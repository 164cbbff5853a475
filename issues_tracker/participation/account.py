"""The person's notification settings, what they follow, their saved views and feed key;
and one-click unsubscribe from an email, which needs no sign-in."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import csrf, db
from ..forms.participation import EmptyForm, FollowForm, NotificationSettingsForm, SavedViewForm
from ..models import Issue, NotificationSettings, SavedView, User
from ..notifications import preferences
from ..notifications.kinds import KIND_CODES, KIND_LABELS, KINDS
from ..notifications.tokens import read_token
from ..services import follows as follow_service
from ..services import saved_views as view_service
from ..urls import external_url
from . import bp


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


def _page(form: NotificationSettingsForm, view_form: SavedViewForm | None = None, status: int = 200):
    row = db.session.get(NotificationSettings, current_user.id)
    feed_key = row.feed_key if row else None
    return render_template(
        "account/notifications.html",
        form=form,
        kinds=KINDS,
        followed=follow_service.followed_issues(current_user),
        views=view_service.views_of(current_user),
        followed_views=view_service.followed_view_ids(current_user),
        view_form=view_form or SavedViewForm(formdata=None),
        feed_key=feed_key,
        feed_url=external_url("participation.issues_feed", key=feed_key) if feed_key else None,
    ), status


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notification_settings():
    if request.method == "GET":
        return _page(_settings_form())
    form = _settings_form(request.form)
    if not form.validate_on_submit():
        return _page(form, status=422)
    data = {kind: form[f"mode_{kind}"].data for kind in KIND_CODES}
    data.update(time_zone=form.time_zone.data, digest_hour=form.digest_hour.data, weekly_day=form.weekly_day.data,
                follow_when_affected=form.follow_when_affected.data)
    try:
        preferences.save_preferences(current_user, data)
        follow_service.set_followed_services(current_user, form.services.data or [])
    except (preferences.SettingsError, follow_service.FollowError) as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _page(form, status=422)
    db.session.commit()
    flash("Your notification settings are saved.", "success")
    return redirect(url_for("participation.notification_settings"), code=303)


@bp.post("/account/feed-key")
@login_required
def feed_key():
    if not EmptyForm().validate_on_submit():
        abort(400, description="Your form expired; reload the page and try again.")
    if request.form.get("action") == "revoke":
        preferences.revoke_feed_key(current_user)
        flash("Your feed key is revoked: feed readers using it can no longer read your feeds.", "success")
    else:
        preferences.new_feed_key(current_user)
        flash("You have a new feed key. Feed readers using the old one can no longer read your feeds.", "success")
    db.session.commit()
    return redirect(url_for("participation.notification_settings", _anchor="feeds"), code=303)


# ---------------------------------------------------------------- saved views


def _own_view(view_id: int) -> SavedView:
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != current_user.id:
        abort(404)
    return view


@bp.post("/account/views")
@login_required
def save_view():
    form = SavedViewForm()
    if not form.validate_on_submit():
        flash("The view was not saved: " + " ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("issues.index") + _query_suffix(form.query.data), code=303)
    try:
        view = view_service.save_view(current_user, form.name.data, form.query.data or "", follow=form.follow.data)
    except view_service.SavedViewError as exc:
        db.session.rollback()
        flash(f"The view was not saved: {exc}", "error")
        return redirect(url_for("issues.index") + _query_suffix(form.query.data), code=303)
    db.session.commit()
    flash(f"Saved the view “{view.name}”; it is in your menu under My views.", "success")
    return redirect(url_for("issues.index") + _query_suffix(view.query), code=303)


def _query_suffix(query: str | None) -> str:
    query = view_service.canonical_query(view_service.query_from_string(query or "", current_user))
    return f"?{query}" if query else ""


@bp.post("/account/views/<int:view_id>/follow")
@login_required
def follow_view(view_id: int):
    view = _own_view(view_id)
    form = FollowForm()
    if not form.validate_on_submit():
        abort(400, description="Choose to follow or unfollow the view.")
    follow = form.action.data != "unfollow"
    view_service.set_view_followed(current_user, view, follow)
    db.session.commit()
    flash(f"You {'follow' if follow else 'no longer follow'} the view “{view.name}”.", "success")
    return redirect(url_for("participation.notification_settings", _anchor="views"), code=303)


@bp.post("/account/views/<int:view_id>/delete")
@login_required
def delete_view(view_id: int):
    view = _own_view(view_id)
    if not EmptyForm().validate_on_submit():
        abort(400, description="Your form expired; reload the page and try again.")
    name = view.name
    view_service.delete_view(view)
    db.session.commit()
    flash(f"Deleted the view “{name}”.", "success")
    return redirect(url_for("participation.notification_settings", _anchor="views"), code=303)


@bp.get("/account/views/menu")
@login_required
def views_menu():
    return render_template("account/_views_menu.html", views=view_service.views_of(current_user))


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
        return render_template("account/unsubscribe.html", invalid=True, token=token), 404
    what = _what(request_.scope, request_.target)
    if request.method == "GET":
        return render_template("account/unsubscribe.html", invalid=False, done=False, what=what, token=token)
    if request_.scope == "issue":
        issue = db.session.get(Issue, int(request_.target))
        if issue is not None:
            follow_service.unfollow_issue(user, issue)
    else:
        row = preferences.settings_row(user)
        for kind in KIND_CODES:
            mode_attr = f"{kind}_mode"
            if (request_.scope == "kind" and kind == request_.target) or (
                request_.scope == "digest" and getattr(row, mode_attr) == request_.target
            ):
                setattr(row, mode_attr, "off")
    db.session.commit()
    return render_template("account/unsubscribe.html", invalid=False, done=True, what=what, token=token)
