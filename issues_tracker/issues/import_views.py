"""Staff import of the spreadsheet tracker: the file is kept, a worker checks and stores it."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user

from ..extensions import db
from ..forms.tracker_import import TrackerImportForm
from ..jobs import job_or_404, queue_upload_job, store_upload
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
            job = queue_upload_job("tracker_import", upload, current_user)
            return redirect(url_for("issues.import_progress", job_id=job.id), code=303)
    status = 422 if form.errors else 200
    return render_template("issues/import.html", form=form, job=None), status


@bp.get("/issues/import/<int:job_id>")
@staff_required
def import_progress(job_id: int):
    """An import's progress and outcome, with the form for the next one."""
    job = job_or_404(job_id, "tracker_import")
    return render_template("issues/import.html", form=TrackerImportForm(formdata=None), job=job)
