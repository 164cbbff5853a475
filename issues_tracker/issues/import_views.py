"""Staff import of the spreadsheet tracker: the file is kept, a worker checks and stores it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from ..extensions import db
from ..forms.tracker_import import TrackerImportForm
from ..jobs import enqueue, store_upload
from ..models import Job
from ..permissions import staff_required
from . import bp, jobs  # noqa: F401  (registers the import job)


@bp.route("/issues/import", methods=["GET", "POST"])
@staff_required
def import_tracker_view():
    form = TrackerImportForm()
    if form.validate_on_submit():
        upload = store_upload(form.file.data, user=current_user)
        if upload.size_bytes == 0:
            db.session.rollback()
            form.file.errors.append("The file is empty.")
        else:
            # One import per file at a time: the same file again while it is queued or running
            # follows that import (and the copy just stored is dropped).
            job = enqueue("tracker_import", key=upload.sha256, user=current_user, upload_id=upload.id,
                          filename=upload.filename)
            if job.params.get("upload_id") != upload.id:
                db.session.rollback()
            else:
                db.session.commit()
            return redirect(url_for("issues.import_progress", job_id=job.id), code=303)
    status = 422 if form.errors else 200
    return render_template("issues/import.html", form=form, job=None), status


@bp.get("/issues/import/<int:job_id>")
@staff_required
def import_progress(job_id: int):
    """An import's progress and outcome, with the form for the next one."""
    job = db.session.scalar(sa.select(Job).where(Job.id == job_id, Job.kind == "tracker_import"))
    if job is None:
        abort(404)
    return render_template("issues/import.html", form=TrackerImportForm(formdata=None), job=job)
