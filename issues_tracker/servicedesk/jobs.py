"""Background work of service performance: importing an extract and rendering a meeting pack.

Each job is a plain function ``(ctx, **params) -> str``: it reports progress with
``ctx.progress(percent, message)``, calls services (which flush), returns the message
shown to the person who started it, and raises ``JobFailed`` with the reason for a
refusal. The runner commits once when the function returns and rolls back on any
exception, so a failed job stores nothing.

Two small runners stand in for the shared job queue here: ``run_job`` runs a job in
the caller's process (the import page and the CLI), and ``start_pack_render`` runs the
pack render in a fresh spawned process, so a render never runs inside a web request.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from ..extensions import db
from ..models import Meeting, MeetingPack, User
from ..models.base import utcnow
from .extract import ExtractError, read_extract

logger = logging.getLogger(__name__)

# What a fresh process needs to open the same database the same way.
CHILD_CONFIG_KEYS = ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "SECRET_KEY", "TESTING", "BUSINESS_HOURS",
                     "PACK_RENDER_TIMEOUT")
# Row problems quoted in a failed import's message.
LISTED_PROBLEMS = 200


class JobFailed(Exception):
    """A job refused its work; the reason is shown to the person who started it."""

    def __init__(self, reason: str, details: list[str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.details = details or []


class JobContext:
    """What a job gets: a way to say how far it has got."""

    def __init__(self, report: Callable[[int, str], None] | None = None):
        self._report = report
        self.percent, self.message = 0, ""

    def progress(self, percent: int, message: str) -> None:
        self.percent, self.message = max(0, min(100, int(percent))), message
        if self._report is not None:
            try:
                self._report(self.percent, message)
            except Exception:  # progress is shown on a best-effort basis; the work goes on
                logger.warning("Could not record job progress", exc_info=True)


@dataclass
class JobOutcome:
    succeeded: bool
    message: str
    details: list[str]


def run_job(function: Callable[..., str], ctx: JobContext | None = None, **params) -> JobOutcome:
    """Run a job now: commit once when it returns, roll everything back if it raises."""
    ctx = ctx or JobContext()
    try:
        message = function(ctx, **params)
    except JobFailed as exc:
        db.session.rollback()
        return JobOutcome(False, exc.reason, exc.details)
    except Exception:
        db.session.rollback()
        logger.exception("Job %s failed", getattr(function, "__name__", function))
        return JobOutcome(False, "The job stopped unexpectedly and nothing was changed. The error is in the server log.", [])
    db.session.commit()
    return JobOutcome(True, message, [])


# ---------------------------------------------------------------- the jobs


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} kB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def servicedesk_import(ctx, *, path: str, filename: str, user_id: int | None = None, source: str = "upload") -> str:
    """Check the whole extract, then store it: records matched by Number are updated."""
    from ..services.servicedesk import import_extract

    config = current_app.config
    try:
        size = os.path.getsize(path)
    except OSError:
        raise JobFailed("The uploaded file is no longer there; upload it again.") from None
    if size > config["SERVICEDESK_IMPORT_MAX_BYTES"]:
        raise JobFailed(f"The file is {file_size(size)}; an extract may be at most "
                        f"{file_size(config['SERVICEDESK_IMPORT_MAX_BYTES'])}.")
    ctx.progress(2, "Checking every row")
    try:
        with open(path, "rb") as handle:
            extract = read_extract(
                handle, filename, max_rows=config["SERVICEDESK_IMPORT_MAX_ROWS"],
                progress=lambda rows: ctx.progress(min(45, 2 + rows * 45 // max(1, size // 150)), f"Checked {rows:,} rows"),
            )
    except ExtractError as exc:
        details = [problem.text for problem in exc.problems[:LISTED_PROBLEMS]]
        hidden = exc.problem_count - len(details)
        if hidden > 0:
            details.append(f"… and {hidden:,} more row problem{'' if hidden == 1 else 's'}.")
        raise JobFailed(exc.message, details) from None
    ctx.progress(50, f"All {len(extract.rows):,} rows are valid; storing them")
    user = db.session.get(User, user_id) if user_id else None
    total = len(extract.rows)
    outcome = import_extract(
        extract, user=user, filename=filename, source=source,
        progress=lambda done, message: ctx.progress(50 + done * 45 // max(1, total), message),
    )
    ctx.progress(100, outcome.message)
    return outcome.message


def render_meeting_pack(ctx, *, meeting_id: int) -> str:
    """Gather the meeting's figures, lay the pack out and store the PDF."""
    from ..services import meeting_pack as pack_service

    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise JobFailed("That meeting no longer exists.")
    ctx.progress(10, "Gathering the figures")
    contents = pack_service.pack_contents(meeting)
    ctx.progress(30, "Laying out the pages")
    pdf = pack_service.render_pack_pdf(contents)
    ctx.progress(95, "Storing the PDF")
    pack = pack_service.store_pack(meeting, contents, pdf)
    return f"The pack for {meeting.title} is ready ({pack.size_bytes / 1024:.0f} kB)."


# ---------------------------------------------------------------- rendering the pack away from the web worker


def child_config(app: Flask) -> dict:
    return {key: app.config[key] for key in CHILD_CONFIG_KEYS if key in app.config}


def _record_pack_progress(meeting_id: int, percent: int, message: str) -> None:
    # Its own short transaction, so every app server sees it while the render goes on.
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(MeetingPack.__table__)
            .where(MeetingPack.__table__.c.meeting_id == meeting_id, MeetingPack.__table__.c.state == "rendering")
            .values(progress=percent, message=message[:500])
        )


def _record_pack_failure(meeting_id: int, message: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(MeetingPack.__table__)
            .where(MeetingPack.__table__.c.meeting_id == meeting_id, MeetingPack.__table__.c.state == "rendering")
            .values(state="failed", message=message[:500], finished_at=utcnow())
        )


def _render_in_child(config: dict, meeting_id: int) -> None:
    """Runs in the fresh process: render, store or record the failure, exit."""
    from .. import create_app

    app = create_app(config)
    with app.app_context():
        ctx = JobContext(lambda percent, message: _record_pack_progress(meeting_id, percent, message))
        outcome = run_job(render_meeting_pack, ctx, meeting_id=meeting_id)
        if not outcome.succeeded:
            _record_pack_failure(meeting_id, outcome.message)
        db.session.remove()
        db.engine.dispose()


def _watch(process, app: Flask, meeting_id: int, timeout: int) -> None:
    process.join(timeout)
    if process.is_alive():
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()
    if process.exitcode != 0:
        with app.app_context():
            _record_pack_failure(meeting_id, "The pack could not be rendered (the renderer stopped); try again.")
            db.session.remove()


def render_in_progress(pack: MeetingPack | None, timeout: int, now=None) -> bool:
    """A render under way that has not overrun its time."""
    now = now or utcnow()
    return (pack is not None and pack.state == "rendering" and pack.started_at is not None
            and now - pack.started_at < timedelta(seconds=timeout))


def start_pack_render(app: Flask, meeting_id: int) -> None:
    """Render the pack in a fresh process; the caller has committed the pack's "rendering" state."""
    process = multiprocessing.get_context("spawn").Process(
        target=_render_in_child, args=(child_config(app), meeting_id), name=f"meeting-pack-{meeting_id}"
    )
    process.start()
    timeout = int(app.config.get("PACK_RENDER_TIMEOUT", 300))
    threading.Thread(target=_watch, args=(process, app, meeting_id, timeout), daemon=True).start()
