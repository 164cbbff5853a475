"""Rendering the log away from the web worker.

Laying out a long log takes seconds to a minute and hundreds of megabytes, so
the web app never does it in a web worker: a publication or a preview runs in a
fresh ('spawn') process, the request returns at once, and the page polls for
progress. A renderer that crashes, runs out of memory or overruns its time takes
only itself down. Progress is a small JSON file in the instance folder (a
preview's PDF sits beside it), so any worker of this server can answer a poll.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from flask import Flask

logger = logging.getLogger(__name__)

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
# What a fresh process needs to open the same database the same way.
CHILD_CONFIG_KEYS = ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "SECRET_KEY", "TESTING", "STALE_AFTER_DAYS")
KEEP_JOB_FILES_SECONDS = 24 * 3600


@dataclass
class RenderJob:
    id: str
    kind: str  # publish | preview
    week: str
    revise: bool
    state: str  # rendering | published | unchanged | ready (a preview) | failed
    started_at: float
    finished_at: float | None = None
    message: str = ""
    revision: int | None = None

    @property
    def running(self) -> bool:
        return self.state == "rendering"

    @property
    def week_date(self) -> date:
        return date.fromisoformat(self.week)

    @property
    def elapsed_seconds(self) -> int:
        return int((self.finished_at or time.time()) - self.started_at)


def render_timeout(app: Flask) -> int:
    return int(app.config.get("LOG_RENDER_TIMEOUT", 600))


def child_config(app: Flask) -> dict:
    return {key: app.config[key] for key in CHILD_CONFIG_KEYS if key in app.config}


def _folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "log-jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_atomically(path: Path, data: bytes) -> None:
    # Write then rename, so a poll never reads half a file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)


def _write(folder: Path, job: RenderJob) -> None:
    _write_atomically(folder / f"{job.id}.json", json.dumps(asdict(job)).encode())


def _read(folder: Path, job_id: str) -> RenderJob | None:
    if not JOB_ID.match(job_id or ""):
        return None
    try:
        return RenderJob(**json.loads((folder / f"{job_id}.json").read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None


def read_job(app: Flask, job_id: str, kind: str) -> RenderJob | None:
    job = _read(_folder(app.instance_path), job_id)
    return job if job is not None and job.kind == kind else None


def preview_pdf(app: Flask, job: RenderJob) -> bytes:
    return (_folder(app.instance_path) / f"{job.id}.pdf").read_bytes()


def _finish(folder: Path, job_id: str, state: str, message: str, revision: int | None = None, *, only_if_running=False):
    job = _read(folder, job_id)
    if job is None or (only_if_running and not job.running):
        return
    job.state, job.message, job.revision, job.finished_at = state, message, revision, time.time()
    _write(folder, job)


def _running_job_for(folder: Path, kind: str, week: str, timeout: int) -> RenderJob | None:
    """A render of the same kind and week still under way; day-old files are cleared on the way."""
    now = time.time()
    found = None
    for path in folder.iterdir():
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if age > KEEP_JOB_FILES_SECONDS:
            path.unlink(missing_ok=True)
            continue
        if path.suffix != ".json":
            continue
        job = _read(folder, path.stem)
        if job and job.running and job.kind == kind and job.week == week and now - job.started_at < timeout:
            found = job
    return found


def _start(app: Flask, kind: str, week: date, target, extra_args: tuple, *, revise: bool = False) -> RenderJob:
    folder = _folder(app.instance_path)
    timeout = render_timeout(app)
    running = _running_job_for(folder, kind, week.isoformat(), timeout)
    if running is not None:
        return running
    job = RenderJob(id=uuid.uuid4().hex, kind=kind, week=week.isoformat(), revise=revise, state="rendering",
                    started_at=time.time())
    _write(folder, job)
    process = multiprocessing.get_context("spawn").Process(
        target=target, args=(child_config(app), str(folder), job.id, job.week, *extra_args), name=f"{kind}-log-{job.week}"
    )
    process.start()
    # The thread waits for the process (and reaps it); the request returns at once.
    threading.Thread(target=_watch, args=(process, folder, job.id, timeout), daemon=True).start()
    return job


def start_publish(app: Flask, week: date, *, user_id: int | None, revise: bool, reason: str) -> RenderJob:
    """Publish in a fresh process; a publication of that week already under way is returned instead."""
    return _start(app, "publish", week, _publish_in_child, (user_id, revise, reason), revise=revise)


def start_preview(app: Flask, week: date) -> RenderJob:
    """Render the draft in a fresh process; a preview of that week already under way is returned instead."""
    return _start(app, "preview", week, _preview_in_child, ())


def _watch(process, folder: Path, job_id: str, timeout: int) -> None:
    process.join(timeout)
    if process.is_alive():
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()
        _finish(folder, job_id, "failed", f"Rendering took longer than {timeout} seconds and was stopped.",
                only_if_running=True)
    elif process.exitcode != 0:
        _finish(folder, job_id, "failed", f"The renderer stopped unexpectedly (exit code {process.exitcode}).",
                only_if_running=True)


def _publish_in_child(config, folder, job_id, week, user_id, revise, reason) -> None:
    """Runs in the fresh process: publish, record the outcome, exit."""
    from .. import create_app
    from ..extensions import db
    from ..models import User
    from ..services.log import LogError, publish_log

    folder = Path(folder)
    app = create_app(config)
    with app.app_context():
        try:
            user = db.session.get(User, user_id) if user_id else None
            outcome = publish_log(date.fromisoformat(week), user=user, revise=revise, reason=reason)
            db.session.commit()
        except LogError as exc:
            db.session.rollback()
            _finish(folder, job_id, "failed", str(exc))
        except Exception:
            db.session.rollback()
            logger.exception("Publishing the log for %s failed", week)
            _finish(folder, job_id, "failed", "The log could not be rendered; nothing was published. "
                    "The error is in the server log.")
        else:
            _finish(folder, job_id, "published" if outcome.created else "unchanged", outcome.message, outcome.log.revision)


def _preview_in_child(config, folder, job_id, week) -> None:
    """Runs in the fresh process: render the draft beside the job file, record the outcome, exit."""
    from .. import create_app
    from ..services.log import render_draft

    folder = Path(folder)
    app = create_app(config)
    with app.app_context():
        try:
            pdf = render_draft(date.fromisoformat(week))
        except Exception:
            logger.exception("Rendering the draft log for %s failed", week)
            _finish(folder, job_id, "failed", "The preview could not be rendered; the error is in the server log.")
            return
    _write_atomically(folder / f"{job_id}.pdf", pdf)
    _finish(folder, job_id, "ready", f"The draft for the week commencing {date.fromisoformat(week):%d %b %Y} is ready.")
