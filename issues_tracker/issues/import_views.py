"""Staff import of the spreadsheet tracker."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..extensions import db
from ..forms.tracker_import import TrackerImportForm
from ..permissions import staff_required
from ..services.tracker_import import TrackerFileError, import_tracker
from ..transaction import commit
from . import bp


@bp.route("/issues/import", methods=["GET", "POST"])
@staff_required
def import_tracker_view():
    form = TrackerImportForm()
    errors: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = import_tracker(upload.filename, upload.read(), current_user)
            if result.errors:
                db.session.rollback()  # nothing is stored unless every row is valid
            else:
                commit()  # every row in one transaction
        except TrackerFileError as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
        else:
            if not result.errors:
                flash(
                    f"Imported the tracker: {result.created} new, {result.updated} updated, "
                    f"{result.unchanged} unchanged.",
                    "success",
                )
                return redirect(url_for("issues.index"), code=303)
            errors = result.errors
            form.form_errors.append("Nothing was imported. Correct these rows and import the file again.")
    status = 422 if form.errors or form.form_errors else 200
    return render_template("issues/import.html", form=form, row_errors=errors), status
