"""Following an issue, commenting on it, saying "we are affected too", and saved views of the list."""

from __future__ import annotations

from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.extensions import db
from ..core.htmx import wants_fragment
from ..core.permissions import staff_required
from ..core.transaction import ConflictError, unit_of_work
from ..issues.access import can_view_issue
from ..issues.listing import query_from_string
from ..issues.models import Issue
from ..issues.pages import detail_page
from . import affected as affected_service
from . import comments as comment_service
from . import follows as follow_service
from . import saved_views as view_service
from .forms import AffectedForm, CommentForm, EmptyForm, FollowForm, HideCommentForm, SavedViewForm
from .models import Comment, SavedView
from .panel import participation_context

bp = Blueprint("participation", __name__, template_folder="templates")


def visible_issue(issue_id: int) -> Issue:
    """The issue, or 404 when it does not exist or the person may not know it does."""
    issue = db.session.get(Issue, issue_id)
    if issue is None or not can_view_issue(current_user, issue):
        abort(404)
    return issue


def _back_to_issue(issue: Issue, anchor: str | None = None):
    return redirect(url_for("issues.detail", issue_id=issue.id, _anchor=anchor), code=303)


def _fragment(template: str, issue: Issue, status: int = 200, message: str | None = None, **overrides):
    """The part of the issue page that changed, for htmx to swap in place."""
    context = participation_context(issue, **overrides)
    return render_template(template, issue=issue, oob=True, message=message, **context), status


# ---------------------------------------------------------------- follow


@bp.post("/issues/<int:issue_id>/follow")
@login_required
def follow(issue_id: int):
    issue = visible_issue(issue_id)
    form = FollowForm()
    if not form.validate_on_submit():
        abort(400, description="Choose to follow or unfollow the issue.")
    action = form.action.data or ("unfollow" if follow_service.is_following(current_user, issue) else "follow")
    with unit_of_work():
        if action == "follow":
            follow_service.follow_issue(current_user, issue)
        else:
            follow_service.unfollow_issue(current_user, issue)
    if wants_fragment():
        return _fragment("participation/_follow.html", issue)
    flash(
        f"You follow {issue.reference}: you will hear of its changes as your notification settings say."
        if action == "follow"
        else f"You no longer follow {issue.reference}; you will not be told of its changes.",
        "success",
    )
    if request.form.get("next") == "account":
        return redirect(url_for("notifications.settings", _anchor="following"), code=303)
    return _back_to_issue(issue)


# ---------------------------------------------------------------- comments


@bp.post("/issues/<int:issue_id>/comments")
@login_required
def add_comment(issue_id: int):
    issue = visible_issue(issue_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _comment_problem(issue, form)
    try:
        with unit_of_work():
            comment = comment_service.add_comment(issue, current_user, form.body.data)
    except comment_service.CommentError as exc:
        form.body.errors = [str(exc)]
        return _comment_problem(issue, form)
    if wants_fragment():
        return _fragment("participation/_comments.html", issue)
    flash("Your comment is posted. You follow this issue now.", "success")
    return _back_to_issue(issue, f"comment-{comment.id}")


def _comment_problem(issue: Issue, form: CommentForm):
    if wants_fragment():
        return _fragment("participation/_comments.html", issue, 422, comment_form=form)

    return detail_page(issue, comment_form=form, status=422)


def _comment_of(issue: Issue, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.issue_id != issue.id:
        abort(404)
    return comment


@bp.post("/issues/<int:issue_id>/comments/<int:comment_id>/hide")
@staff_required
def hide_comment(issue_id: int, comment_id: int):
    issue = visible_issue(issue_id)
    comment = _comment_of(issue, comment_id)
    form = HideCommentForm()
    problem = None
    if form.validate_on_submit():
        try:
            with unit_of_work():
                comment_service.hide_comment(comment, current_user, form.reason.data)
        except comment_service.CommentError as exc:
            problem = str(exc)
    else:
        problem = " ".join(form.reason.errors) or "Your form expired; reload the page and try again."
    if problem:
        if comment.hidden:
            abort(409, description=problem)
        form.reason.errors = [problem]
        if wants_fragment():
            return _fragment("participation/_comments.html", issue, 422, hide_forms={comment.id: form})

        return detail_page(issue, hide_forms={comment.id: form}, status=422)
    if wants_fragment():
        return _fragment("participation/_comments.html", issue)
    flash("The comment is hidden; the reason shows in its place.", "success")
    return _back_to_issue(issue, f"comment-{comment.id}")


@bp.post("/issues/<int:issue_id>/comments/<int:comment_id>/restore")
@staff_required
def restore_comment(issue_id: int, comment_id: int):
    issue = visible_issue(issue_id)
    comment = _comment_of(issue, comment_id)
    if not EmptyForm().validate_on_submit():
        abort(400, description="Your form expired; reload the page and try again.")
    try:
        with unit_of_work():
            comment_service.restore_comment(comment, current_user)
    except comment_service.CommentError as exc:
        abort(409, description=str(exc))
    if wants_fragment():
        return _fragment("participation/_comments.html", issue)
    flash("The comment is shown again.", "success")
    return _back_to_issue(issue, f"comment-{comment.id}")


# ---------------------------------------------------------------- we are affected too


@bp.post("/issues/<int:issue_id>/affected")
@login_required
def affected(issue_id: int):
    issue = visible_issue(issue_id)
    try:
        affected_service.check_can_declare(current_user, issue)
    except affected_service.AffectedError as exc:
        abort(403 if current_user.is_staff else 409, description=str(exc))
    form = AffectedForm()
    if not form.validate_on_submit():
        if wants_fragment():
            return _fragment("participation/_affected.html", issue, 422, affected_form=form)

        return detail_page(issue, affected_form=form, status=422)
    own = affected_service.declaration_of(issue, current_user.organisation_id)
    action = form.action.data or ("withdraw" if own else "declare")
    if own and request.form.get("from") == "similar":
        # A one-click "affected" on a similar issue never overwrites what the organisation said.
        message = f"{current_user.organisation.name} already says it is affected by {issue.reference}."
        if wants_fragment():
            return render_template("participation/_similar_affected.html", issue=issue, message=message)
        flash(message, "info")
        return _back_to_issue(issue, "affected")
    try:
        with unit_of_work():
            if action == "withdraw":
                withdrawn = affected_service.withdraw_affected(current_user, issue)
                message = (f"{current_user.organisation.name} no longer says it is affected by {issue.reference}."
                           if withdrawn else "Your organisation had not said it is affected; nothing changed.")
            else:
                affected_service.declare_affected(current_user, issue, note=form.note.data or "",
                                                  meter_points=form.meter_points.data)
                message = (f"Updated what {current_user.organisation.name} says about {issue.reference}." if own
                           else f"{current_user.organisation.name} is now counted as affected by {issue.reference}.")
    except (sa.exc.IntegrityError, ConflictError):
        # A colleague declared for the organisation at the same moment: theirs stands.
        message = "Someone in your organisation declared it at the same moment; their declaration stands."
    if wants_fragment() and request.form.get("from") == "similar":
        # One click on a similar issue while writing a new one: only that line changes.
        return render_template("participation/_similar_affected.html", issue=issue, message=message)
    if wants_fragment():
        return _fragment("participation/_affected.html", issue, message=message)
    flash(message, "success")
    return _back_to_issue(issue, "affected")


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
        with unit_of_work():
            view = view_service.save_view(current_user, form.name.data, query_from_string(form.query.data, current_user),
                                          follow=form.follow.data)
    except view_service.SavedViewError as exc:
        flash(f"The view was not saved: {exc}", "error")
        return redirect(url_for("issues.index") + _query_suffix(form.query.data), code=303)
    flash(f"Saved the view “{view.name}”; it is in your menu under My views.", "success")
    return redirect(url_for("issues.index") + _query_suffix(view.query), code=303)


def _query_suffix(query: str | None) -> str:
    args = urlencode(query_from_string(query, current_user).args(explicit_status=True))
    return f"?{args}" if args else ""


@bp.post("/account/views/<int:view_id>/follow")
@login_required
def follow_view(view_id: int):
    view = _own_view(view_id)
    form = FollowForm()
    if not form.validate_on_submit():
        abort(400, description="Choose to follow or unfollow the view.")
    follow = form.action.data != "unfollow"
    with unit_of_work():
        view_service.set_view_followed(current_user, view, follow)
    flash(f"You {'follow' if follow else 'no longer follow'} the view “{view.name}”.", "success")
    return redirect(url_for("notifications.settings", _anchor="views"), code=303)


@bp.post("/account/views/<int:view_id>/delete")
@login_required
def delete_view(view_id: int):
    view = _own_view(view_id)
    if not EmptyForm().validate_on_submit():
        abort(400, description="Your form expired; reload the page and try again.")
    name = view.name
    with unit_of_work():
        view_service.delete_view(view)
    flash(f"Deleted the view “{name}”.", "success")
    return redirect(url_for("notifications.settings", _anchor="views"), code=303)


@bp.get("/account/views/menu")
@login_required
def views_menu():
    return render_template("participation/_views_menu.html", views=view_service.views_of(current_user))
