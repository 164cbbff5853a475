"""Background work of service performance, as a job on the shared queue: importing an extract.

The web pages keep the uploaded extract in the database and queue the job, so a worker
on any machine reads it; `flask servicedesk import FILE` checks and stores a file in its
own process with the same code (`import_file`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable

from flask import current_app

from ..accounts.models import User
from ..jobs import JobFailed, background_task, job, staff_upload
from .extract import ExtractError, open_extract

# Row problems quoted in a failed import's message.
LISTED_PROBLEMS = 200

Progress = Callable[[float, str], None]
# About how many bytes a row takes in each kind of file, to tell how far an import is.
ROW_BYTES = {"csv": 180, "xlsx": 65}


class ImportRefused(Exception):
    """The extract cannot be imported: `reason`, and one line per row problem in `details`."""

    def __init__(self, reason: str, details: list[str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.details = details or []

    def __str__(self) -> str:
        return "\n".join([self.reason, *self.details])


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} kB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def check_size(size: int) -> None:
    limit = current_app.config["SERVICEDESK_IMPORT_MAX_BYTES"]
    if size > limit:
        raise ImportRefused(f"The file is {file_size(size)}; an extract may be at most {file_size(limit)}.")


def import_extract_file(handle, filename: str, size: int, *, user: User | None, source: str,
                        progress: Progress | None = None) -> str:
    """Check and store an open extract (the caller commits): records are matched by Number, so a
    newer extract updates them. Rows are stored a chunk at a time as they are read and checked,
    inside a savepoint: a row with a problem stops the storing, every later row is still checked,
    and the savepoint is rolled back, so ImportRefused leaves nothing stored."""
    from ..core.transaction import savepoint
    from .operations import import_chunks

    report = progress or (lambda percent, message: None)
    check_size(size)
    report(2, "Reading the extract")
    expected_rows = max(1, size // ROW_BYTES["xlsx" if filename.lower().endswith(".xlsx") else "csv"])

    def stored(rows: int, message: str) -> None:
        report(min(90, 2 + rows * 88 // expected_rows), message)

    try:
        with savepoint(), open_extract(handle, filename, max_rows=current_app.config["SERVICEDESK_IMPORT_MAX_ROWS"],
                                       progress=lambda rows: stored(rows, f"Checked {rows:,} rows")) as reader:
            outcome = import_chunks(reader.chunks(), reader.fields, user=user, filename=filename, source=source,
                                    progress=stored)
    except ExtractError as exc:
        details = [problem.text for problem in exc.problems[:LISTED_PROBLEMS]]
        hidden = exc.problem_count - len(details)
        if hidden > 0:
            details.append(f"… and {hidden:,} more row problem{'' if hidden == 1 else 's'}.")
        raise ImportRefused(exc.message, details) from None
    report(100, outcome.message)
    return outcome.message


def import_file(path: str, *, user: User | None = None, source: str = "cli", progress: Progress | None = None) -> str:
    """Import an extract from a file on disk; its size is checked before it is read."""
    try:
        size = os.path.getsize(path)
    except OSError:
        raise ImportRefused(f"{path} cannot be read.") from None
    check_size(size)  # before the file is opened
    with open(path, "rb") as handle:
        return import_extract_file(handle, os.path.basename(path), size, user=user, source=source, progress=progress)


# Safe to run again: records are matched by Number, so a second run updates, never duplicates.
@job("servicedesk_import", retries=1, title="Importing the service-desk extract", slow=True)
def servicedesk_import_job(ctx, upload_id: int, filename: str = "") -> str:
    upload = staff_upload(ctx, upload_id, "import an extract")
    try:
        message = import_extract_file(io.BytesIO(upload.data), upload.filename, upload.size_bytes, user=ctx.user,
                                      source="upload", progress=ctx.progress)
    except ImportRefused as exc:
        raise JobFailed(str(exc)) from None
    ctx.link_to("servicedesk.index", "See the dashboard")
    return message




@background_task("mi-update-reminders", every_minutes=5)
def remind_mi_updates() -> None:
    """Staff are told by email when an open major-incident notice's next update is due."""
    from .mi_notices import remind_due_updates

    remind_due_updates()
