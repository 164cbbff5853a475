"""Industry issues: list, submit, view, update, triage, actions, exports."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..formats import plural
from ..forms.issues import (
    ActionStatusForm,
    IssueActionForm,
    IssueFilterForm,
    IssueForm,
    StaffIssueForm,
    TriageForm,
)
from ..htmx import render_page_or_fragment, wants_fragment
from ..models import Issue, IssueAction, User
from ..permissions import can_view_issue, staff_required
from ..services import issues as issue_service
from ..templating import url_with
from . import bp
from .export import csv_response, xlsx_response


def get_issue(issue_id: int) -> Issue:
    """Load or 404, then 403 unless the current user may see it."""
    issue = db.session.get(Issue, issue_id)
    if issue is None:
        abort(404)
    if not can_view_issue(current_user, issue):
        abort(403)
    return issue


def staff_choices() -> list[tuple[int, str]]:
    users = db.session.scalars(
        sa.select(User).where(User.role.in_(("staff", "admin")), User.active.is_(True)).order_by(User.name, User.email)
    )
    return [(user.id, user.display_name) for user in users]


def build_filter_form() -> IssueFilterForm:
    form = IssueFilterForm(formdata=MultiDict(request.args))
    owners = [("", "Anyone"), ("none", "Unassigned")] + [(str(uid), name) for uid, name in staff_choices()]
    form.owner.choices = owners
    return form


def parse_filters() -> tuple[IssueFilterForm, issue_service.IssueQuery, int, bool]:
    """Read the list's query string; invalid values are reported and ignored."""
    form = build_filter_form()
    valid = form.validate()
    values = {}
    for name in IssueFilterForm.FILTER_FIELDS + ("sort",):
        field = getattr(form, name)
        if field.errors:
            continue
        values[name] = field.data or ""
    if not current_user.is_staff:
        values.pop("triage", None)
    page = form.page.data if not form.page.errors and form.page.data else 1
    query = issue_service.IssueQuery(**{k: str(v) for k, v in values.items()})
    if not query.sort:
        query.sort = "updated"
    return form, query, page, valid


def current_args(query: issue_service.IssueQuery) -> dict:
    args = {k: v for k, v in vars(query).items() if v}
    if args.get("sort") == "updated":
        args.pop("sort")
    return args


@bp.get("/issues")
@login_required
def index():
    form, query, page, valid = parse_filters()
    per_page = current_app.config["ISSUES_PER_PAGE"]
    stale_days = current_app.config["STALE_AFTER_DAYS"]
    total = issue_service.count_issues(query, current_user, stale_after_days=stale_days)
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages)
    rows = issue_service.issues_page(
        query, current_user, page=page, per_page=per_page, total=total, stale_after_days=stale_days
    )
    response = render_page_or_fragment(
        "issues/index.html",
        "issues/_results.html",
        form=form,
        issues=rows,
        total=total,
        page=page,
        pages=pages,
        per_page=per_page,
        args=current_args(query),
        stale_days=stale_days,
    )
    if not valid:
        response.status_code = 400
    if wants_fragment():
        # The address bar shows only the filters in use, so the link is short to share.
        response.headers["HX-Push-Url"] = url_with("issues.index", current_args(query), page=page if page > 1 else None)
    return response


def _export_rows():
    form, query, _page, valid = parse_filters()
    if not valid:
        abort(400, description="Some filters are not valid; correct them on the list and export again.")
    stale_days = current_app.config["STALE_AFTER_DAYS"]
    stmt = issue_service.issue_select(query, current_user, stale_after_days=stale_days).options(
        *issue_service.list_loader_options()
    )
    return db.session.scalars(stmt).unique().all()


@bp.get("/issues.csv")
@login_required
def export_csv():
    return csv_response(_export_rows(), current_app.config["STALE_AFTER_DAYS"])


@bp.get("/issues.xlsx")
@login_required
def export_xlsx():
    return xlsx_response(_export_rows(), current_app.config["STALE_AFTER_DAYS"])


NOT_ISSUE_FIELDS = ("csrf_token", "submit", "progress_note", "version")


def _form_data(form) -> dict:
    return {name: field.data for name, field in form._fields.items() if name not in NOT_ISSUE_FIELDS}


@bp.route("/issues/new", methods=["GET", "POST"])
@login_required
def new():
    form = IssueForm()
    if form.validate_on_submit():
        issue = issue_service.submit_issue(_form_data(form), current_user)
        flash(
            f"Thank you. {issue.reference} is submitted and awaits triage by the service-management team; "
            "your organisation can see it meanwhile.",
            "success",
        )
        return redirect(url_for("issues.detail", issue_id=issue.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("issues/new.html", form=form), status


@bp.get("/issues/<int:issue_id>")
@login_required
def detail(issue_id: int):
    return _detail_page(get_issue(issue_id))


def _detail_page(issue: Issue, *, triage_form=None, action_form=None, status: int = 200):
    """The issue page; staff see its forms, a submitted one with its messages."""
    staff = current_user.is_staff
    return render_template(
        "issues/detail.html",
        issue=issue,
        stale_days=current_app.config["STALE_AFTER_DAYS"],
        triage_form=(triage_form or TriageForm(formdata=None)) if staff else None,
        action_form=(action_form or IssueActionForm(formdata=None)) if staff else None,
        status_form=ActionStatusForm(formdata=None) if staff else None,
    ), status


def _staff_form(issue: Issue | None = None) -> StaffIssueForm:
    form = StaffIssueForm(obj=issue) if request.method == "GET" else StaffIssueForm()
    form.owner_id.choices = [(0, "Unassigned")] + staff_choices()
    if request.method == "GET" and issue is not None:
        form.services.data = list(issue.services)
        form.messages.data = list(issue.messages)
        form.owner_id.data = issue.owner_id or 0
        form.version.data = str(issue.version)
    return form


@bp.route("/issues/<int:issue_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(issue_id: int):
    issue = get_issue(issue_id)
    form = _staff_form(issue)
    if form.validate_on_submit():
        try:
            expected = int(form.version.data)
        except (TypeError, ValueError):
            expected = -1
        try:
            events = issue_service.update_issue(
                issue, _form_data(form), current_user, expected_version=expected, note=form.progress_note.data or ""
            )
        except issue_service.ConcurrentEditError:
            db.session.rollback()
            fresh = db.session.get(Issue, issue_id)
            form.form_errors.append(
                "Someone else saved this issue after you opened it, so your changes were not saved. "
                "Your input is kept below: compare it with the current issue, then save again."
            )
            form.version.data = str(fresh.version)
            return render_template("issues/edit.html", form=form, issue=fresh, conflict=True), 409
        if events:
            flash(f"{issue.reference} updated ({plural(len(events), 'change')}).", "success")
        else:
            flash("Nothing changed, so nothing was saved.", "info")
        return redirect(url_for("issues.detail", issue_id=issue.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("issues/edit.html", form=form, issue=issue, conflict=False), status


@bp.post("/issues/<int:issue_id>/triage")
@staff_required
def triage(issue_id: int):
    issue = get_issue(issue_id)
    form = TriageForm()
    if not form.validate_on_submit():
        return _detail_page(issue, triage_form=form, status=422)
    try:
        issue_service.triage_issue(issue, current_user, form.decision.data, form.reason.data or "")
    except issue_service.TriageError as exc:
        abort(409, description=str(exc))
    flash(
        f"{issue.reference} published to the industry view."
        if issue.triage_state == "published"
        else f"{issue.reference} rejected; the submitter's organisation can see why.",
        "success",
    )
    return redirect(url_for("issues.detail", issue_id=issue.id), code=303)


@bp.post("/issues/<int:issue_id>/actions")
@staff_required
def add_action(issue_id: int):
    issue = get_issue(issue_id)
    form = IssueActionForm()
    if not form.validate_on_submit():
        return _detail_page(issue, action_form=form, status=422)
    issue_service.add_action(issue, current_user, form.data)
    flash("Action added.", "saved")
    return redirect(url_for("issues.detail", issue_id=issue.id, _anchor="saved"), code=303)


@bp.post("/issues/<int:issue_id>/actions/<int:action_id>")
@staff_required
def update_action(issue_id: int, action_id: int):
    issue = get_issue(issue_id)
    action = db.session.get(IssueAction, action_id)
    if action is None or action.issue_id != issue.id:
        abort(404)
    form = ActionStatusForm()
    if not form.validate_on_submit():
        abort(400, description="Choose one of the listed action statuses.")
    issue_service.set_action_status(action, current_user, form.status.data)
    flash(f"Action updated: “{action.description[:80]}” is now {form.status.data}.", "saved")
    return redirect(url_for("issues.detail", issue_id=issue.id, _anchor="saved"), code=303)


@bp.context_processor
def inject_field_labels():
    return {"field_labels": issue_service.FIELD_LABELS}
