"""The weekly industry issues log: archive and summary, downloads, commentary, publishing."""

from __future__ import annotations

import re
from datetime import date

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..formats import format_date
from ..forms.log import CommentaryForm, PreviewForm, PublishForm
from ..htmx import wants_fragment
from ..models import PublishedLog
from ..permissions import staff_required
from ..services import log as log_service
from . import bp, jobs

REVISION = re.compile(r"^[1-9]\d{0,3}$")


def week_from_url(text: str) -> date:
    """A Monday from the URL, or 404: a bad date in an address is a page that does not exist."""
    try:
        return log_service.parse_week(text)
    except log_service.LogError:
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
    form.week.data = (week or log_service.current_week()).isoformat()
    form.revise.data = revise
    form.reason.data = reason
    return form


def _publish_target(form: PublishForm):
    """The published log of the week the form names, if any: revision fields are offered only then."""
    try:
        week = log_service.parse_week(form.week.data or "")
    except log_service.LogError:
        return None
    return log_service.latest_revision(week)


def _panel_context(form: PublishForm, job: jobs.RenderJob | None) -> dict:
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
        return log_service.parse_week(request.args.get("week", ""))
    except log_service.LogError:
        return None


def _index_context(publish_form: PublishForm | None = None, job: jobs.RenderJob | None = None) -> dict:
    week = log_service.current_week()
    summary = log_service.executive_summary(week)
    context = {
        "week": week,
        "summary": summary,
        "attention": log_service.needs_attention(summary),
        "archive": log_service.archive(),
    }
    if current_user.is_staff:
        context.update(
            commentary=log_service.get_commentary(week),
            this_week_log=log_service.latest_revision(week),
            preview_form=_preview_form(week),
            preview_job=None,
        )
        if publish_form is None:
            chosen = _week_from_query() or week
            revise = request.args.get("revise") == "1" and log_service.latest_revision(chosen) is not None
            publish_form = _publish_form(chosen, revise=revise, reason=REVISION_FOR_COMMENTARY if revise else "")
        context.update(_panel_context(publish_form, job))
    return context


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


def _render_preview_panel(form: PreviewForm, job: jobs.RenderJob | None, status: int = 200):
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
    """Render the current draft in a separate process; the panel polls until it is ready."""
    form = PreviewForm()
    if not form.validate_on_submit():
        return _render_preview_panel(form, None, 422)
    job = jobs.start_preview(current_app._get_current_object(), form.week_date)
    if not wants_fragment():
        return redirect(url_for("log.preview", job_id=job.id), code=303)
    return _render_preview_panel(_preview_form(form.week_date), job, 202)


@bp.get("/log/preview/<job_id>")
@staff_required
def preview(job_id: str):
    """The draft's PDF once rendered; before that (and to htmx polls) the progress."""
    app = current_app._get_current_object()
    job = jobs.read_job(app, job_id, "preview")
    if job is None:
        abort(404)
    if job.state != "ready" or wants_fragment():
        return _render_preview_panel(_preview_form(job.week_date), job)
    response = make_response(jobs.preview_pdf(app, job))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="industry-issues-log-{job.week}-draft.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/log/commentary/<week>", methods=["GET", "POST"])
@staff_required
def commentary(week: str):
    week_date = week_from_url(week)
    existing = log_service.get_commentary(week_date)
    form = CommentaryForm(obj=existing) if request.method == "GET" else CommentaryForm()
    if form.validate_on_submit():
        log_service.save_commentary(week_date, form.data, current_user)
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


def _render_panel(form: PublishForm, job: jobs.RenderJob | None, status: int = 200):
    if wants_fragment():
        response = make_response(render_template("log/_publish_panel.html", **_panel_context(form, job)), status)
    else:
        response = make_response(render_template("log/index.html", **_index_context(form, job)), status)
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
    except log_service.LogError as exc:
        target = form.reason if exc.field == "reason" else form.week
        target.errors = [*target.errors, str(exc)]
        return _render_panel(form, None, 422)
    if existing is not None:
        message = log_service.PublishOutcome(existing, created=False).message
        if not wants_fragment():
            flash(message, "info")
            return redirect(url_for("log.index"), code=303)
        job = jobs.RenderJob(id="", kind="publish", week=week.isoformat(), revise=False, state="unchanged",
                             started_at=0, message=message, revision=existing.revision)
        return _render_panel(_publish_form(week), job)
    job = jobs.start_publish(
        current_app._get_current_object(), week, user_id=current_user.id, revise=revise, reason=reason
    )
    if not wants_fragment():
        flash(f"Publishing the log for the week commencing {format_date(week)}: it appears in the list "
              "below when it has rendered (usually within a minute). Reload to check.", "info")
        return redirect(url_for("log.index"), code=303)
    return _render_panel(_publish_form(week), job, 202)


@bp.get("/log/publish/<job_id>")
@staff_required
def publish_status(job_id: str):
    job = jobs.read_job(current_app._get_current_object(), job_id, "publish")
    if job is None:
        abort(404)
    response = _render_panel(_publish_form(job.week_date), job)
    if job.state == "published" and wants_fragment():
        # Summary, archive and panel all change: reload the page, with the outcome as a message.
        flash(job.message, "success")
        response.headers["HX-Refresh"] = "true"
    return response
