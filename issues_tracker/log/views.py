"""The weekly industry issues log: archive and summary, downloads, commentary, publishing."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.extensions import db
from ..core.formats import format_date
from ..core.forms import version_number
from ..core.htmx import wants_fragment
from ..core.permissions import staff_required
from ..core.transaction import ConflictError, unit_of_work
from ..jobs import enqueue
from ..jobs.models import ACTIVE_STATES, DONE, Job
from . import contents as log_contents
from . import operations as log_service
from . import weeks as log_weeks
from .forms import CommentaryForm, PreviewForm, PublishForm
from .models import PublishedLog

REVISION = re.compile(r"^[1-9]\d{0,3}$")


bp = Blueprint("log", __name__, template_folder="templates")

def week_from_url(text: str) -> date:
    """A Monday from the URL, or 404: a bad date in an address is a page that does not exist."""
    try:
        return log_weeks.parse_week(text)
    except log_weeks.LogError:
        abort(404)


def _pdf_response(log: PublishedLog, *, immutable: bool):
    """The stored bytes exactly as published: ETag is their SHA-256."""
    suffix = f"-r{log.revision}" if log.revision > 1 else ""
    response = make_response(log.pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'inline; filename="industry-issues-log-{log.week_commencing.isoformat()}{suffix}.pdf"'
    )
    response.set_etag(log.sha256)
    response.last_modified = log.published_at
    # A numbered revision never changes; the unnumbered addresses move on to newer revisions.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable" if immutable else "private, no-cache"
    response = response.make_conditional(request)
    # make_conditional stamps a Date header; the server adds its own, and two confuse caches.
    del response.headers["Date"]
    return response


REVISION_FOR_COMMENTARY = "The staff commentary was updated after publication."


def _publish_form(week: date | None = None, *, revise: bool = False, reason: str = "") -> PublishForm:
    form = PublishForm(formdata=None)
    form.week.data = (week or log_weeks.current_week()).isoformat()
    form.revise.data = revise
    form.reason.data = reason
    return form


def _publish_target(form: PublishForm):
    """The published log of the week the form names, if any: revision fields are offered only then."""
    try:
        week = log_weeks.parse_week(form.week.data or "")
    except log_weeks.LogError:
        return None
    return log_service.latest_revision(week)


def _panel_context(form: PublishForm, job: Job | None) -> dict:
    target = _publish_target(form)
    # Revision fields appear for a published week, or when the person already used them.
    show_revision = target is not None or bool(form.revise.data or form.reason.data or form.reason.errors
                                                or form.revise.errors)
    return {"publish_form": form, "job": job, "publish_target": target, "show_revision": show_revision}


def _preview_form(week: date) -> PreviewForm:
    form = PreviewForm(formdata=None)
    form.week.data = week.isoformat()
    return form


def _week_from_query() -> date | None:
    try:
        return log_weeks.parse_week(request.args.get("week", ""))
    except log_weeks.LogError:
        return None


def _index_context(publish_form: PublishForm | None = None, job: Job | None = None, notice: str = "") -> dict:
    week = log_weeks.current_week()
    summary = log_contents.executive_summary(week)
    context = {
        "week": week,
        "summary": summary,
        "attention": log_contents.needs_attention(summary),
        "archive": log_service.archive(),
    }
    if current_user.is_staff:
        context.update(
            commentary=log_contents.get_commentary(week),
            this_week_log=log_service.latest_revision(week),
            notice=notice,
            preview_form=_preview_form(week),
            preview_job=_active_job("log_preview"),
        )
        if publish_form is None:
            chosen = _week_from_query() or week
            revise = request.args.get("revise") == "1" and log_service.latest_revision(chosen) is not None
            publish_form = _publish_form(chosen, revise=revise, reason=REVISION_FOR_COMMENTARY if revise else "")
        context.update(_panel_context(publish_form, job or _active_job("log_publish")))
    return context


def _active_job(kind: str) -> Job | None:
    """A publication or preview under way, so the page shows its progress to every member of staff."""
    return db.session.scalar(
        sa.select(Job).where(Job.kind == kind, Job.state.in_(ACTIVE_STATES)).order_by(Job.id.desc()).limit(1)
    )


@bp.get("/log")
@login_required
def index():
    return render_template("log/index.html", **_index_context())


@bp.get("/log/latest.pdf")
@login_required
def latest_pdf():
    log = log_service.latest_log()
    if log is None:
        abort(404, description="No issues log has been published yet.")
    return _pdf_response(log, immutable=False)


@bp.get("/log/<week>.pdf")
@login_required
def week_pdf(week: str):
    week_date = week_from_url(week)
    revision_arg = request.args.get("revision")
    if revision_arg is not None and not REVISION.match(revision_arg):
        abort(404)
    log = log_service.get_log(week_date, int(revision_arg) if revision_arg else None)
    if log is None:
        abort(404, description=f"No issues log is published for the week commencing {format_date(week_date)}"
                               + (f" with revision {revision_arg}." if revision_arg else "."))
    return _pdf_response(log, immutable=revision_arg is not None)


def _render_preview_panel(form: PreviewForm, job: Job | None, status: int = 200):
    if wants_fragment():
        html = render_template("log/_preview_panel.html", preview_form=form, preview_job=job)
    else:
        html = render_template("log/preview.html", preview_form=form, preview_job=job)
    response = make_response(html, status)
    response.headers["Vary"] = "HX-Request"
    return response


@bp.post("/log/preview")
@staff_required
def start_preview():
    """Queue a render of the current draft; the panel follows the job until it is ready."""
    form = PreviewForm()
    if not form.validate_on_submit():
        return _render_preview_panel(form, None, 422)
    with unit_of_work():
        job = enqueue("log_preview", key=form.week_date.isoformat(), user=current_user, week=form.week_date.isoformat())
    if not wants_fragment():
        return redirect(url_for("log.preview", job_id=job.id), code=303)
    return _render_preview_panel(_preview_form(form.week_date), job, 202)


@bp.get("/log/preview/<int:job_id>")
@staff_required
def preview(job_id: int):
    """The draft's PDF once rendered; before that (and to htmx requests) the progress."""
    job = db.session.get(Job, job_id)
    if job is None or job.kind != "log_preview":
        abort(404)
    week = date.fromisoformat(job.params["week"])
    if job.state != DONE or wants_fragment():
        return _render_preview_panel(_preview_form(week), job)
    if job.output is None:
        abort(404, description="This draft is no longer kept; preview the log again.")
    response = make_response(job.output.data)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{job.output.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/log/commentary/<week>", methods=["GET", "POST"])
@staff_required
def commentary(week: str):
    week_date = week_from_url(week)
    existing = log_contents.get_commentary(week_date)
    form = CommentaryForm(obj=existing) if request.method == "GET" else CommentaryForm()
    if request.method == "GET":
        form.version.data = str(existing.version if existing else 0)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                log_service.save_commentary(
                    week_date, form.data, current_user, expected_version=version_number(form.version.data)
                )
        except ConflictError as exc:
            existing = log_contents.get_commentary(week_date)
            form.form_errors.append(f"{exc} Your text is kept below: compare it with the saved commentary, then save again.")
            form.version.data = str(existing.version if existing else 0)
            return render_template(
                "log/commentary.html", form=form, week=week_date, commentary=existing,
                published=log_service.latest_revision(week_date), conflict=True,
            ), 409
        published = log_service.latest_revision(week_date)
        if published is not None:
            # The published PDF never changes: offer the revision that carries the new commentary.
            flash(f"Commentary for the week commencing {format_date(week_date)} saved. That week is already published "
                  f"(revision {published.revision}): publish a revision now to include it; the reason is filled in.",
                  "success")
            return redirect(url_for("log.index", week=week_date.isoformat(), revise="1", _anchor="publish-panel"), code=303)
        flash(f"Commentary for the week commencing {format_date(week_date)} saved. "
              "It is printed in the log when the week is published.", "success")
        return redirect(url_for("log.index"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "log/commentary.html",
        form=form,
        week=week_date,
        commentary=existing,
        published=log_service.latest_revision(week_date),
    ), status


def _render_panel(form: PublishForm, job: Job | None, status: int = 200, notice: str = ""):
    if wants_fragment():
        html = render_template("log/_publish_panel.html", notice=notice, **_panel_context(form, job))
    else:
        html = render_template("log/index.html", **_index_context(form, job, notice))
    response = make_response(html, status)
    response.headers["Vary"] = "HX-Request"
    return response


@bp.get("/log/publish")
@staff_required
def publish_panel():
    """The publish panel for another week (the page swaps it in when the week changes)."""
    week = _week_from_query()
    if not wants_fragment():
        return redirect(url_for("log.index", week=week.isoformat() if week else None, _anchor="publish-panel"), code=303)
    form = PublishForm(formdata=None)
    form.week.data = request.args.get("week", "")[:40]
    if week is None:
        form.week.errors = ["Choose a Monday: the log is published for the week commencing a Monday."]
    return _render_panel(form, None, 200 if week else 422)


@bp.post("/log/publish")
@staff_required
def publish():
    form = PublishForm()
    if not form.validate_on_submit():
        return _render_panel(form, None, 422)
    week, revise, reason = form.week_date, bool(form.revise.data), form.reason.data or ""
    try:
        existing = log_service.check_publish_request(week, revise=revise, reason=reason)
    except log_weeks.LogError as exc:
        target = form.reason if exc.field == "reason" else form.week
        target.errors = [*target.errors, str(exc)]
        return _render_panel(form, None, 422)
    if existing is not None:
        message = log_service.PublishOutcome(existing, created=False).message
        if not wants_fragment():
            flash(message, "info")
            return redirect(url_for("log.index"), code=303)
        return _render_panel(_publish_form(week), None, notice=message)
    requested = {"week": week.isoformat(), "revise": revise, "reason": reason}
    with unit_of_work():
        job = enqueue("log_publish", key=week.isoformat(), user=current_user, **requested)
    notice = ""
    if job.params != requested:
        notice = (f"A publication of the week commencing {format_date(week)} is already under way; "
                  "when it is done, publish a revision if it still needs correcting.")
    if not wants_fragment():
        if notice:
            flash(notice, "info")
        return redirect(url_for("jobs.show", job_id=job.id), code=303)
    return _render_panel(_publish_form(week), job, 202, notice)
