"""The tracker import as a background job: a 5,000-row sheet is checked and stored by a worker."""

from __future__ import annotations

from ..jobs import JobFailed, job, staff_upload
from .tracker_import import TrackerFileError, import_tracker


# Safe to run again: rows are matched by their Issue ID, so a second run updates, never duplicates.
@job("tracker_import", retries=1, title="Importing the tracker", slow=True)
def tracker_import_job(ctx, upload_id: int, filename: str = "") -> str:
    upload = staff_upload(ctx, upload_id, "import the tracker")
    try:
        result = import_tracker(upload.filename, upload.data, ctx.user, progress=ctx.progress)
    except TrackerFileError as exc:
        raise JobFailed(str(exc)) from None
    if result.errors:
        raise JobFailed("Nothing was imported. Correct these rows and import the file again.\n" + "\n".join(result.errors))
    ctx.link_to("issues.index", "See the issues")
    return (f"Imported the tracker from {upload.filename}: {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged.")
