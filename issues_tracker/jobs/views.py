"""GET /jobs/<id>: a job's progress, for htmx to poll from whichever app server answers; GET /jobs:
the background work as staff see it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, render_template, request
from flask_login import current_user, login_required

from ..core.extensions import db
from ..core.htmx import wants_fragment
from ..core.models import utcnow
from ..core.permissions import staff_required
from .models import DONE, Job
from .overview import overview

bp = Blueprint("jobs", __name__, template_folder="templates")

# What a page may ask the fragment to do when the job it follows has finished.
THEN_CHOICES = ("reload",)


def visible_job(job_id: int) -> Job:
    """The job, for the person who started it or staff; anyone else gets 404, as if it did not exist."""
    job = db.session.get(Job, job_id)
    if job is None or not (current_user.is_staff or (job.user_id is not None and job.user_id == current_user.id)):
        abort(404)
    return job


@bp.get("/jobs/<int:job_id>")
@login_required
def show(job_id: int):
    job = visible_job(job_id)
    then = request.args.get("then") if request.args.get("then") in THEN_CHOICES else None
    if wants_fragment():
        response = make_response(render_template("jobs/_progress.html", job=job, job_then=then))
        if then == "reload" and job.state == DONE:
            # The page around the panel changes too (e.g. a new log in the archive): reload it,
            # with the outcome as a message.
            flash(job.result_message, "success")
            response.headers["HX-Refresh"] = "true"
    else:
        response = make_response(render_template("jobs/show.html", job=job, job_then=None))
    response.headers["Vary"] = "HX-Request"
    return response


@bp.get("/jobs")
@staff_required
def index():
    """Each kind of job: its lane, what waits and since when, and a day's waits and run times."""
    loads, messages = overview()
    return render_template("jobs/index.html", loads=loads, messages=messages, now=utcnow())
