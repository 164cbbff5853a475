"""Background jobs: slow work (rendering the log, imports, email) off the web request.

    from issues_tracker.jobs import job, enqueue, JobFailed

    @job("tracker_import", retries=1, title="Importing the tracker")
    def tracker_import(ctx, upload_id: int) -> str:
        ctx.progress(40, "Checking rows")
        ...                                   # services add and flush
        return "Imported 120 issues."         # the result the starter sees
        # raise JobFailed("Row 12: ...")      # failed with that reason; nothing stored

    job_row = enqueue("tracker_import", key=sha256_hex, user=current_user, upload_id=7)
    # the request's unit of work commits: the message goes to the queue after that

The `job` row lives in the application database, so every app server shows its
state; the queue (Huey on Redis, or a SQLite file on the embedded default) only
carries its id to a worker (`flask --app issues_tracker worker`). The runner
commits the job's work together with its "done" state once the function returns,
and rolls everything back when it raises. A job of the same kind and key that is
queued or running is returned instead of a second one: the database's unique index
on (kind, key) among active jobs decides, whichever server asks.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..core.extensions import db
from ..core.logging import current_request_id
from ..core.models import utcnow
from .models import ACTIVE_PREDICATE, ACTIVE_STATES, DONE, FAILED, QUEUED, RUNNING, Job, Upload
from .queue import get_queue

__all__ = [
    "DONE",
    "FAILED",
    "JOB_KINDS",
    "QUEUED",
    "RUNNING",
    "Job",
    "JobFailed",
    "Upload",
    "enqueue",
    "get_queue",
    "background_task",
    "job",
    "job_or_404",
    "poke_after_commit",
    "queue_upload_job",
    "run_background_tasks",
    "run_queued_jobs",
    "staff_upload",
    "store_upload",
]

PENDING_SEND = "jobs_to_send"
PENDING_POKES = "background_tasks_to_poke"


class JobFailed(Exception):
    """A job cannot be done, for a reason its starter should read; it is not retried."""


@dataclass(frozen=True)
class JobKind:
    name: str
    function: Callable[..., str]
    retries: int = 0
    retry_delay: float = 5.0
    title: str = ""
    lane: str = "fast"  # "slow": long renders and imports, run by worker threads of their own


JOB_KINDS: dict[str, JobKind] = {}


def job(kind: str, *, retries: int = 0, retry_delay: float = 5.0, title: str | None = None, slow: bool = False):
    """Register a job function `(ctx, **params) -> result message` under `kind`.

    `retries`: how many more times an unexpected error (not JobFailed) is retried; give
    more than 0 only where running the job again is safe. Waits between attempts double
    from `retry_delay` seconds. `title` names the work in the progress panel. `slow`: a render or
    an import that may take a minute runs in the slow lane, so email and the sweep never wait for it.
    """
    if retries < 0:
        raise ValueError("retries cannot be negative")

    def decorator(function):
        existing = JOB_KINDS.get(kind)
        if existing is not None and existing.function.__qualname__ != function.__qualname__:
            raise ValueError(f"Job kind {kind!r} is registered twice")
        JOB_KINDS[kind] = JobKind(
            kind, function, retries, retry_delay, title or kind.replace("_", " ").capitalize(), "slow" if slow else "fast"
        )
        return function

    return decorator


@dataclass(frozen=True)
class BackgroundTask:
    """Upkeep that needs no job row (nobody waits for it): run by a worker when poked and on a schedule."""

    name: str
    function: Callable[[], object]
    every_minutes: int


BACKGROUND_TASKS: dict[str, BackgroundTask] = {}


def background_task(name: str, *, every_minutes: int = 1):
    """Register `function()` (run inside an app context) as background upkeep: a worker runs it
    every `every_minutes`, soon after `poke_after_commit(name)`, and once in `worker --burst`.
    It must be safe to run at any time and at once on several workers."""
    if not 1 <= every_minutes <= 59:
        raise ValueError("every_minutes is 1 to 59")

    def decorator(function):
        BACKGROUND_TASKS[name] = BackgroundTask(name, function, every_minutes)
        return function

    return decorator


def poke_after_commit(name: str, session: Session | None = None) -> None:
    """Ask a worker to run a background task soon after the current transaction commits."""
    if name not in BACKGROUND_TASKS:
        raise ValueError(f"Unknown background task {name!r}")
    (session or db.session).info.setdefault(PENDING_POKES, set()).add(name)


def run_background_tasks() -> list[str]:
    """Run every background task once, now, in this process (what `worker --burst` ends with)."""
    ran = []
    from .runner import run_task

    for task in BACKGROUND_TASKS.values():
        run_task(task)
        ran.append(task.name)
    return ran


def _active_job(kind: str, key: str) -> Job | None:
    return db.session.scalar(
        sa.select(Job).where(Job.kind == kind, Job.key == key, Job.state.in_(ACTIVE_STATES)).limit(1)
    )


def enqueue(kind: str, *, key: str, user=None, **params) -> Job:
    """Add a job in the current transaction; its message goes to the queue after commit.

    If a job of this kind and key is queued or running, that one is returned instead.
    """
    if kind not in JOB_KINDS:
        raise ValueError(f"Unknown job kind {kind!r}")
    key = str(key)
    if not key or len(key) > 200:
        raise ValueError("A job key is 1 to 200 characters")
    json.dumps(params)  # parameters travel as JSON: refuse anything else now, not in the worker
    user_id = getattr(user, "id", None) if user is not None and getattr(user, "is_authenticated", True) else None
    values = {
        "kind": kind, "key": key, "params": params, "state": QUEUED, "progress": 0, "progress_message": "",
        "result_message": "", "result_url": "", "result_label": "", "failure_reason": "", "attempts": 0,
        "user_id": user_id, "request_id": current_request_id(), "created_at": utcnow(),
    }
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    active = sa.text(ACTIVE_PREDICATE)
    for _attempt in range(3):
        # Insert unless an active job of this kind and key exists (the partial unique index decides).
        statement = (
            insert(Job).values(**values)
            .on_conflict_do_nothing(index_elements=["kind", "key"], index_where=active)
            .returning(Job.id)
        )
        new_id = db.session.execute(statement).scalar()
        if new_id is not None:
            db.session.info.setdefault(PENDING_SEND, []).append(new_id)
            return db.session.get(Job, new_id)
        existing = _active_job(kind, key)
        if existing is not None:
            return existing
        # It finished between the two statements: try again.
    raise RuntimeError(f"Could not queue a {kind} job for {key!r}")


def store_upload(file, filename: str | None = None, user=None) -> Upload:
    """Keep an uploaded file (a werkzeug FileStorage, a file object or bytes) in the database.

    Added and flushed in the current transaction (the caller commits), so a worker on
    another machine can read it: `upload.open()` gives a binary file object.
    """
    if isinstance(file, bytes | bytearray | memoryview):
        data = bytes(file)
    else:
        data = file.read()
        filename = filename or getattr(file, "filename", None)
    name = os.path.basename((filename or "upload").replace("\\", "/"))[:255] or "upload"
    content_type = getattr(file, "mimetype", None) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    upload = Upload(
        filename=name,
        content_type=content_type[:120],
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by_id=getattr(user, "id", None) if user is not None else None,
        created_at=utcnow(),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def queue_upload_job(kind: str, upload: Upload, user) -> Job:
    """Queue the job that imports a stored upload (the caller's unit of work commits).

    One job per file at a time: the same file again while its job is queued or running
    follows that job, and the copy just stored is dropped.
    """
    job_row = enqueue(kind, key=upload.sha256, user=user, upload_id=upload.id, filename=upload.filename)
    if job_row.params.get("upload_id") != upload.id:
        db.session.delete(upload)  # the same file is being imported already: keep no second copy
    return job_row


def staff_upload(ctx, upload_id: int, work: str) -> Upload:
    """The upload a staff member's import job reads; JobFailed if it or their staff role has gone."""
    upload = db.session.get(Upload, upload_id)
    if upload is None:
        raise JobFailed("The uploaded file is no longer kept; upload it again.")
    user = ctx.user
    if user is None or not user.is_staff:
        raise JobFailed(f"Only staff can {work}, and the account that started this import no longer can.")
    return upload


def job_or_404(job_id: int, kind: str) -> Job:
    """A job of this kind, for the page that follows it; 404 for any other id."""
    from flask import abort

    job_row = db.session.scalar(sa.select(Job).where(Job.id == job_id, Job.kind == kind))
    if job_row is None:
        abort(404)
    return job_row


def run_queued_jobs(limit: int | None = None) -> int:
    """Run the jobs waiting now, one after another, and return how many ran.

    What `flask --app issues_tracker worker --burst` does; tests call it (inside an app
    context) where a worker would run. Each job runs in its own app context and
    session, as in the worker.
    """
    from .runner import run_burst

    ran = run_burst(current_app._get_current_object(), limit)
    session = db.session
    if not (session.new or session.dirty or session.deleted):
        session.expire_all()  # the caller's objects show what the jobs stored
    return ran


# ---------------------------------------------------------------- sending after commit


@sa.event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    job_ids = session.info.pop(PENDING_SEND, None)
    pokes = session.info.pop(PENDING_POKES, None)
    if not has_app_context():
        return
    app = current_app._get_current_object()
    if job_ids:
        from .runner import send_jobs

        send_jobs(app, job_ids)
    for name in sorted(pokes or ()):
        get_queue(app).poke(name)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, and its new jobs, are gone
        session.info.pop(PENDING_SEND, None)
        session.info.pop(PENDING_POKES, None)


# ---------------------------------------------------------------- the app


def job_title(job_row: Job) -> str:
    kind = JOB_KINDS.get(job_row.kind)
    return kind.title if kind else job_row.kind.replace("_", " ").capitalize()


def init_app(app) -> None:
    """The progress route, the template helpers and `flask worker`."""
    from .cli import register_worker_cli
    from .runner import live_progress
    from .views import bp

    app.register_blueprint(bp)
    app.jinja_env.globals.update(job_live=live_progress, job_title=job_title)
    register_worker_cli(app)
