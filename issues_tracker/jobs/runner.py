"""Running a job: claim it, call its function, commit or roll back, record how it went.

A job is claimed by one conditional UPDATE (queued → running) committed at once, so
every server sees it running and no second worker takes it. The function's work and
the job's "done" state are committed together, and only if the job is still this
attempt's: a run that the sweep gave up on (its worker went quiet) stores nothing
when it finally ends. Any exception rolls the whole job back.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from ..accounts.models import User
from ..core.extensions import db
from ..core.logging import JOB_ID, REQUEST_ID
from ..core.models import utcnow
from .models import DONE, FAILED, QUEUED, RUNNING, Job, Upload
from .queue import JobQueue, get_queue, retry_delay

logger = logging.getLogger("issues_tracker.jobs")

GENERIC_FAILURE = (
    "Something went wrong while this job ran, and nothing was stored. Try again; if it fails again, "
    "tell the service desk, quoting reference {reference}."
)
STOPPED_FAILURE = (
    "The worker running this job stopped before it finished, and nothing was stored. Start it again."
)
# A job sent to the queue this recently is left alone by the sweep (its message is on its way).
JUST_SENT_SECONDS = 10


class JobContext:
    """What a job function gets: its identity, progress reporting, a result link, an output file."""

    def __init__(self, job: Job, queue: JobQueue):
        self.job_id = job.id
        self.kind = job.kind
        self.key = job.key
        self.attempt = job.attempts
        self.user_id = job.user_id
        self.request_id = job.request_id
        self.queue = queue
        self.percent = 0
        self.message = ""
        self.result_url = ""
        self.result_label = ""
        self.output_id: int | None = None
        self._lock = threading.Lock()

    @property
    def user(self) -> User | None:
        """Who started the job (None for the scheduler or the command line)."""
        return db.session.get(User, self.user_id) if self.user_id else None

    def progress(self, percent: float, message: str = "") -> None:
        """Report how far the job is (0–100) and what it is doing; every app server shows it at once."""
        with self._lock:
            self.percent = max(0, min(100, int(percent)))
            self.message = str(message or "")[:300]
        self.beat()

    def beat(self) -> None:
        with self._lock:
            percent, message = self.percent, self.message
        try:
            self.queue.put_progress(self.job_id, percent, message)
        except Exception:  # progress is a courtesy: the job goes on without it
            logger.warning("Could not report the progress of job %s", self.job_id, exc_info=True)

    def link(self, url: str, label: str) -> None:
        """A link shown with the result (e.g. the published PDF)."""
        self.result_url, self.result_label = url[:500], label[:120]

    def link_to(self, endpoint: str, label: str, **values) -> None:
        """A link to one of the app's pages, built without a web request."""
        from flask import url_for

        with current_app.test_request_context():
            self.link(url_for(endpoint, **values), label)

    def keep_output(self, data: bytes, filename: str, content_type: str = "application/octet-stream") -> Upload:
        """Store a file the job made (e.g. a draft PDF) with the job, for the starter to download."""
        from . import store_upload

        upload = store_upload(data, filename)
        upload.content_type = content_type
        self.output_id = upload.id
        return upload


class _Heartbeat(threading.Thread):
    """Tells the sweep the job's worker is alive, even while the job is busy with one long step."""

    def __init__(self, context: JobContext, interval: float):
        super().__init__(name=f"job-{context.job_id}-heartbeat", daemon=True)
        self.context, self.interval = context, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.context.beat()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def _finish(job_id: int, attempt: int, state: str, **values) -> bool:
    """Set the outcome in the current transaction, if the job is still this attempt's run."""
    result = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.state == RUNNING, Job.attempts == attempt)
        .values(state=state, finished_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _claim(job_id: int, now: datetime) -> bool:
    result = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.state == QUEUED, sa.or_(Job.run_after.is_(None), Job.run_after <= now))
        .values(state=RUNNING, started_at=now, finished_at=None, attempts=Job.attempts + 1,
                progress=0, progress_message="", failure_reason="")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def execute_job(job_id: int) -> bool:
    """Run one job if it is queued and due; True if it ran (whatever the outcome)."""
    from . import JOB_KINDS, JobFailed

    app = current_app._get_current_object()
    queue = get_queue(app)
    if not _claim(job_id, utcnow()):
        return False
    job = db.session.get(Job, job_id)
    kind = JOB_KINDS.get(job.kind)
    attempt, params = job.attempts, dict(job.params or {})
    context = JobContext(job, queue)
    request_token, job_token = REQUEST_ID.set(job.request_id), JOB_ID.set(job.id)
    heartbeat = _Heartbeat(context, app.config["JOB_HEARTBEAT_SECONDS"])
    context.progress(0, "Started")
    heartbeat.start()
    logger.info("Job %s started: %s %s, attempt %s", job_id, job.kind, job.key, attempt)
    try:
        try:
            if kind is None:
                raise JobFailed(f"This server does not know how to run “{job.kind}” jobs.")
            message = str(kind.function(context, **params) or "Done.")
            if not _finish(job_id, attempt, DONE, progress=100, progress_message=context.message,
                           result_message=message[:10_000], result_url=context.result_url,
                           result_label=context.result_label, output_id=context.output_id):
                db.session.rollback()
                logger.warning("Job %s was given up while it ran; its work was not stored", job_id)
                return True
            db.session.commit()
            logger.info("Job %s done: %s", job_id, message)
        except JobFailed as exc:
            db.session.rollback()
            reason = str(exc) or "The job could not be done."
            _finish(job_id, attempt, FAILED, failure_reason=reason[:10_000], progress=context.percent,
                    progress_message=context.message)
            db.session.commit()
            logger.info("Job %s failed: %s", job_id, reason.splitlines()[0])
        except Exception:
            db.session.rollback()
            logger.exception("Job %s (%s) raised an error on attempt %s", job_id, job.kind if kind else "?", attempt)
            _after_error(queue, job_id, attempt, kind.retries if kind else 0, kind.retry_delay if kind else 0,
                         context, kind.lane if kind else "fast")
    finally:
        heartbeat.stop()
        queue.forget_progress(job_id)
        JOB_ID.reset(job_token)
        REQUEST_ID.reset(request_token)
    return True


def _after_error(queue: JobQueue, job_id: int, attempt: int, retries: int, base_delay: float, context,
                 lane: str = "fast") -> None:
    """Retry while attempts remain (the job's kind says retrying is safe); otherwise fail with a generic reason."""
    now = utcnow()
    if attempt <= retries:
        delay = retry_delay(base_delay, attempt)
        requeued = db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.state == RUNNING, Job.attempts == attempt)
            .values(state=QUEUED, run_after=now + delay, sent_at=now, progress=0,
                    progress_message=f"An error stopped attempt {attempt} of {retries + 1}; trying again shortly.")
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if requeued:
            try:
                queue.send(job_id, delay.total_seconds(), lane=lane)
            except Exception:
                logger.warning("The queue did not take the retry of job %s; the sweep sends it", job_id, exc_info=True)
        return
    reference = context.request_id or f"job {job_id}"
    _finish(job_id, attempt, FAILED, failure_reason=GENERIC_FAILURE.format(reference=reference),
            progress=context.percent, progress_message=context.message)
    db.session.commit()


# ---------------------------------------------------------------- sending


def lane_of(kind_name: str) -> str:
    from . import JOB_KINDS

    kind = JOB_KINDS.get(kind_name)
    return kind.lane if kind else "fast"


def send_jobs(app: Flask, job_ids: list[int]) -> list[int]:
    """Hand jobs to the queue, each to its lane; the ones it takes are stamped as sent. The rest wait
    for the sweep."""
    queue = get_queue(app)
    sent = []
    if not job_ids:
        return sent
    with db.engine.connect() as connection:
        kinds = dict(connection.execute(sa.select(Job.id, Job.kind).where(Job.id.in_(job_ids))).all())
    for job_id in job_ids:
        try:
            queue.send(job_id, lane=lane_of(kinds.get(job_id, "")))
        except Exception:
            logger.warning("The queue did not take job %s; the sweep will send it again", job_id, exc_info=True)
            break
        sent.append(job_id)
    if sent:
        try:
            with db.engine.begin() as connection:
                connection.execute(sa.update(Job.__table__).where(Job.id.in_(sent)).values(sent_at=utcnow()))
        except Exception:
            logger.warning("Could not note that jobs %s were sent", sent, exc_info=True)
    return sent


# ---------------------------------------------------------------- the worker's loops


def run_burst(app: Flask, limit: int | None = None) -> int:
    """Run what is waiting: the queue's messages, then any due job the queue never got; then stop."""
    queue = get_queue(app)
    ran = 0
    tried_from_database: set[int] = set()
    while limit is None or ran < limit:
        queue.move_due_scheduled()
        huey, task = next(((huey, task) for huey in queue.lanes.values() if (task := huey.dequeue()) is not None),
                          (None, None))
        if task is not None:
            if huey.execute(task):
                ran += 1
            continue
        with app.app_context():
            query = sa.select(Job.id).where(
                Job.state == QUEUED, sa.or_(Job.run_after.is_(None), Job.run_after <= utcnow())
            )
            if tried_from_database:
                query = query.where(Job.id.not_in(tried_from_database))
            job_id = db.session.scalar(query.order_by(Job.id).limit(1))
            if job_id is None:
                break
            tried_from_database.add(job_id)
            if execute_job(job_id):
                ran += 1
    return ran


def sweep_jobs(now: datetime | None = None) -> dict[str, int]:
    """Every minute in the worker: nothing lost, nothing stuck, nothing kept for ever.

    - a queued job whose message never reached the queue (it was down at commit) or
      was lost is sent again (a duplicate message is harmless: only one claim wins);
    - a running job whose worker has gone quiet is retried if its kind allows, or
      failed with a reason;
    - finished jobs and stored files past their keeping time are deleted.
    """
    from . import JOB_KINDS

    app = current_app._get_current_object()
    config = app.config
    queue = get_queue(app)
    now = now or utcnow()
    counts = {"resent": 0, "stopped": 0, "deleted_jobs": 0, "deleted_files": 0}

    resend_before = now - timedelta(seconds=config["JOB_RESEND_AFTER_SECONDS"])
    lost = db.session.scalars(
        sa.select(Job.id)
        .where(
            Job.state == QUEUED,
            sa.or_(Job.run_after.is_(None), Job.run_after <= now),
            sa.or_(
                sa.and_(Job.sent_at.is_(None), Job.created_at <= now - timedelta(seconds=JUST_SENT_SECONDS)),
                Job.sent_at <= resend_before,
            ),
        )
        .order_by(Job.id)
        .limit(500)
    ).all()
    db.session.rollback()
    counts["resent"] = len(send_jobs(app, list(lost)))

    running = db.session.execute(
        sa.select(Job.id, Job.kind, Job.attempts, Job.started_at).where(Job.state == RUNNING)
    ).all()
    db.session.rollback()
    stale_after = config["JOB_STALE_AFTER_SECONDS"]
    for job_id, kind_name, attempts, started_at in running:
        try:
            live = queue.huey.get(queue._progress_key(job_id), peek=True)
        except Exception:
            logger.warning("The queue does not answer; running jobs are not checked", exc_info=True)
            break
        last_sign = live["beat"] if live else (started_at or now).timestamp()
        if now.timestamp() - last_sign <= stale_after:
            continue
        kind = JOB_KINDS.get(kind_name)
        fence = sa.and_(Job.id == job_id, Job.state == RUNNING, Job.attempts == attempts)
        if kind is not None and attempts <= kind.retries:
            changed = db.session.execute(
                sa.update(Job).where(fence)
                .values(state=QUEUED, run_after=None, sent_at=None,
                        progress_message="The worker stopped; the job will be run again.")
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.commit()
            if changed:
                send_jobs(app, [job_id])
        else:
            changed = db.session.execute(
                sa.update(Job).where(fence)
                .values(state=FAILED, finished_at=now, failure_reason=STOPPED_FAILURE)
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.commit()
        if changed:
            counts["stopped"] += 1
            logger.warning("Job %s (%s) had no sign of life for %s s", job_id, kind_name, stale_after)

    old_files = sa.select(Upload.id).where(Upload.created_at < now - timedelta(days=config["UPLOAD_KEEP_DAYS"]))
    db.session.execute(
        sa.update(Job).where(Job.output_id.in_(old_files)).values(output_id=None)
        .execution_options(synchronize_session=False)
    )
    counts["deleted_files"] = db.session.execute(
        sa.delete(Upload).where(Upload.id.in_(old_files)).execution_options(synchronize_session=False)
    ).rowcount
    counts["deleted_jobs"] = db.session.execute(
        sa.delete(Job)
        .where(Job.state.in_((DONE, FAILED)), Job.finished_at < now - timedelta(days=config["JOB_KEEP_DAYS"]))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if any(counts.values()):
        logger.info("Job sweep: %s", counts)
    return counts


def run_task(task) -> None:
    """Run a background task: its work is committed when it returns, rolled back if it raises."""
    try:
        task.function()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.remove()


def live_progress(job: Job) -> tuple[int, str]:
    """A job's percent and message as every server sees them: live from the queue while it runs."""
    if job.state == RUNNING:
        live = get_queue(current_app._get_current_object()).progress(job.id)
        if live:
            return int(live.get("percent", 0)), str(live.get("message", ""))
    return job.progress, job.progress_message

