"""Industry issues: list, submit, view, update, triage, actions, exports."""

from __future__ import annotations

import math
import secrets

import sqlalchemy.orm as so
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.extensions import db
from ..core.formats import plural
from ..core.htmx import render_page_or_fragment, wants_fragment
from ..core.permissions import staff_required
from ..core.templating import url_with
from ..core.transaction import ConflictError, unit_of_work
from ..jobs import job_or_404, queue_upload_job, store_upload
from ..participation import follows as follow_service
from . import fields
from . import operations as issue_service
from . import queries as issue_queries
from .access import can_view_issue
from .export import csv_response, exported_batches, xlsx_response
from .forms import (
    ActionStatusForm,
    DuplicateForm,
    IssueActionForm,
    IssueForm,
    StaffIssueForm,
    TrackerImportForm,
    TriageForm,
)
from .listing import active_filters, filters_in_use, parse_filters, sort_headers, staff_choices
from .models import Issue, IssueAction
from .pages import detail_page, similar_context

bp = Blueprint("issues", __name__, template_folder="templates")


def get_issue(issue_id: int, *, options: tuple = ()) -> Issue:
    """Load the issue, or 404 when it does not exist or the current user may not see it:
    a hidden issue answers exactly as a missing one, so its number confirms nothing."""
    issue = db.session.get(Issue, issue_id, options=options)
    if issue is None or not can_view_issue(current_user, issue):
        abort(404)
    return issue


@bp.get("/issues")
@login_required
def index():
    form, query, page, valid = parse_filters()
    per_page = current_app.config["ISSUES_PER_PAGE"]
    stale_days = current_app.config["STALE_AFTER_DAYS"]
    total = issue_queries.count_issues(query, current_user, stale_after_days=stale_days)
    # A search counts one past the cap; more than that is "more than the cap", paged as the cap.
    capped = query.search is not None and total > issue_queries.search_queries.COUNT_CAP
    if capped:
        total = issue_queries.search_queries.COUNT_CAP
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages)
    pick_page = issue_queries.ranked_page if query.ranked else issue_queries.issues_page
    rows, excerpts = pick_page(
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
        args=query.args(),
        stale_days=stale_days,
        search=query.search,
        excerpts=excerpts,
        capped=capped,
        chips=active_filters(form, query),
        sort_headers=sort_headers(query),
        filters_in_use=filters_in_use(query),
        status_all=query.status == "",
    )
    if not valid:
        response.status_code = 400
    if wants_fragment():
        # The address bar shows only the filters in use, so the link is short to share.
        response.headers["HX-Push-Url"] = url_with("issues.index", query.args(), page=page if page > 1 else None)
    return response


def _export_batches():
    """The view's issues for an export, in batches; a 400 for filters that are not valid, before
    anything is sent."""
    form, query, _page, valid = parse_filters()
    if not valid:
        abort(400, description="Some filters are not valid; correct them on the list and export again.")
    return exported_batches(query, current_user, stale_after_days=current_app.config["STALE_AFTER_DAYS"])


@bp.get("/issues.csv")
@login_required
def export_csv():
    return csv_response(_export_batches(), current_app.config["STALE_AFTER_DAYS"])


@bp.get("/issues.xlsx")
@login_required
def export_xlsx():
    return xlsx_response(_export_batches(), current_app.config["STALE_AFTER_DAYS"])


NOT_ISSUE_FIELDS = ("csrf_token", "submit", "progress_note", "version", "submission_token")


def _form_data(form) -> dict:
    return {name: field.data for name, field in form._fields.items() if name not in NOT_ISSUE_FIELDS}


@bp.route("/issues/new", methods=["GET", "POST"])
@login_required
def new():
    form = IssueForm()
    if request.method == "GET":
        # Sent back with the form: a second submit of the same form finds the issue the first made.
        form.submission_token.data = secrets.token_hex(16)
    if form.validate_on_submit():
        token = form.submission_token.data or None
        earlier = issue_service.issue_for_submission(token, current_user)
        if earlier is not None:
            return _already_submitted(earlier)
        try:
            with unit_of_work():
                issue = issue_service.submit_issue(_form_data(form), current_user, submission_token=token)
                follow_service.follow_issue(current_user, issue, reason="submitted")
        except ConflictError:
            # The same form sent twice at once (a double click): the other request stored it.
            earlier = issue_service.issue_for_submission(token, current_user)
            if earlier is None:
                raise
            return _already_submitted(earlier)
        flash(
            f"Thank you. {issue.reference} is submitted and awaits triage by the service-management team; "
            "your organisation can see it meanwhile.",
            "success",
        )
        return redirect(url_for("issues.detail", issue_id=issue.id), code=303)
    status = 422 if request.method == "POST" else 200
    # Without JavaScript the similar issues still show once the form comes back with its messages.
    similar, similar_search = issue_service.similar_issues(form.summary.data or "", form.description.data or "")
    return render_template("issues/new.html", form=form, **similar_context(similar, similar_search)), status


SIMILAR_TEXT_LIMIT = 2_000


@bp.get("/issues/similar")
@login_required
def similar():
    """Up to five published issues like the summary (and description) being typed: an htmx fragment."""
    summary = request.args.get("summary", "")[:SIMILAR_TEXT_LIMIT]
    description = request.args.get("description", "")[:SIMILAR_TEXT_LIMIT]
    issues, search = issue_service.similar_issues(summary, description)
    response = render_page_or_fragment(
        "issues/similar.html", "issues/_similar.html", summary=summary, **similar_context(issues, search)
    )
    return response


def _already_submitted(issue: Issue):
    flash(f"This form was sent already: {issue.reference} holds it, so no second issue was made.", "info")
    return redirect(url_for("issues.detail", issue_id=issue.id), code=303)


@bp.get("/issues/<int:issue_id>")
@login_required
def detail(issue_id: int):
    # Its services, messages and owner come with it in one statement rather than three more.
    return detail_page(get_issue(issue_id, options=DETAIL_LOADS))


DETAIL_LOADS = (so.joinedload(Issue.service_links), so.joinedload(Issue.message_links), so.joinedload(Issue.owner),
                so.joinedload(Issue.organisation))


CONFLICT_MESSAGE = "Someone else changed this issue at the same moment, so your change was not saved."


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
            with unit_of_work():
                # A field left out of the submission is left as it is (unticked boxes are never sent, so
                # the services and messages lists are read as sent).
                data = {name: value for name, value in _form_data(form).items()
                        if name in request.form or name in ("services", "messages")}
                events = issue_service.update_issue(
                    issue, data, current_user, expected_version=expected, note=form.progress_note.data or ""
                )
        except issue_service.IssueRuleError as exc:
            form.resolution_description.errors.append(str(exc))
            return render_template("issues/edit.html", form=form, issue=get_issue(issue_id), conflict=False), 422
        except ConflictError:
            fresh = get_issue(issue_id)
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
        return detail_page(issue, triage_form=form, status=422)
    try:
        with unit_of_work():
            issue_service.triage_issue(issue, current_user, form.decision.data, form.reason.data or "")
    except (issue_service.TriageError, ConflictError) as exc:
        message = str(exc) if isinstance(exc, issue_service.TriageError) else CONFLICT_MESSAGE
        form.form_errors.append(message + " Your decision is kept below.")
        return detail_page(get_issue(issue_id), triage_form=form, status=409)
    flash(
        f"{issue.reference} published to the industry view."
        if issue.triage_state == "published"
        else f"{issue.reference} rejected; the submitter's organisation can see why.",
        "success",
    )
    return redirect(url_for("issues.detail", issue_id=issue.id), code=303)


@bp.post("/issues/<int:issue_id>/duplicate")
@staff_required
def reject_duplicate(issue_id: int):
    issue = get_issue(issue_id)
    form = DuplicateForm()
    if not form.validate_on_submit():
        abort(400, description="Choose the published issue this one duplicates.")
    original = db.session.get(Issue, form.original.data)
    if original is None:
        abort(400, description="That issue does not exist; choose one of the similar issues listed.")
    try:
        with unit_of_work():
            issue_service.reject_as_duplicate(issue, original, current_user)
    except issue_service.TriageError as exc:
        abort(409, description=str(exc))
    except ConflictError:
        abort(409, description=CONFLICT_MESSAGE + " Nothing was changed; look at the issue again and decide.")
    flash(f"{issue.reference} rejected as a duplicate of {original.reference}; the submitter's organisation can see it.",
          "success")
    return redirect(url_for("issues.detail", issue_id=issue.id), code=303)


@bp.post("/issues/<int:issue_id>/actions")
@staff_required
def add_action(issue_id: int):
    issue = get_issue(issue_id)
    form = IssueActionForm()
    if not form.validate_on_submit():
        return detail_page(issue, action_form=form, status=422)
    try:
        with unit_of_work():
            issue_service.add_action(issue, current_user, form.data)
    except ConflictError:
        form.form_errors.append(CONFLICT_MESSAGE + " Your action is kept below: check the issue, then add it again.")
        return detail_page(get_issue(issue_id), action_form=form, status=409)
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
    try:
        with unit_of_work():
            issue_service.set_action_status(action, current_user, form.status.data)
    except ConflictError:
        status_form = ActionStatusForm(formdata=None)
        status_form.form_errors.append(
            CONFLICT_MESSAGE + f" You set an action to “{form.status.data}”: check the issue, then set it again."
        )
        return detail_page(get_issue(issue_id), status_form=status_form, status=409)
    flash(f"Action updated: “{action.description[:80]}” is now {form.status.data}.", "saved")
    return redirect(url_for("issues.detail", issue_id=issue.id, _anchor="saved"), code=303)


@bp.route("/issues/import", methods=["GET", "POST"])
@staff_required
def import_tracker_view():
    form = TrackerImportForm()
    if form.validate_on_submit():
        if not form.file.data.stream.read(1):
            form.file.errors.append("The file is empty.")
        else:
            form.file.data.stream.seek(0)
            with unit_of_work():
                job = queue_upload_job("tracker_import", store_upload(form.file.data, user=current_user), current_user)
            return redirect(url_for("issues.import_progress", job_id=job.id), code=303)
    status = 422 if form.errors else 200
    return render_template("issues/import.html", form=form, job=None), status


@bp.get("/issues/import/<int:job_id>")
@staff_required
def import_progress(job_id: int):
    """An import's progress and outcome, with the form for the next one."""
    job = job_or_404(job_id, "tracker_import")
    return render_template("issues/import.html", form=TrackerImportForm(formdata=None), job=job)


# The tracker's fields for every template, the printed log's too: `issue_fields.summary.label`.
bp.add_app_template_global(fields.BY_NAME, "issue_fields")
bp.add_app_template_global(fields.journal_label, "journal_label")
