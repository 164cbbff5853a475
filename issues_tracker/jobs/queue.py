"""The message queue under the jobs: Huey on Redis, on a SQLite file, or in memory (tests).

The queue only carries job ids; what a job is, who started it and how it went live
in the `job` table. Besides the messages, the queue's storage keeps each running
job's live progress and heartbeat: a job's own database transaction may hold
SQLite's write lock for its whole run, so progress written to the application
database could not be seen (or even written) until the job ended. The queue's
storage is shared by everything that can start or run a job (Redis for several
servers; the SQLite file for the embedded single machine), so every app server
reads the same progress.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from flask import Flask
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

logger = logging.getLogger(__name__)

_lock = threading.Lock()
EXTENSION = "job_queue"


class JobQueue:
    """One app's Huey instance with the two tasks the jobs need: run a job, and the sweep."""

    def __init__(self, app: Flask):
        self.app = app
        config = app.config
        name = config["REDIS_NAMESPACE"]
        backend = config["QUEUE_BACKEND"]
        self.backend = backend
        if backend == "redis":
            from redis import ConnectionPool

            # Short connect timeout: /healthz must answer promptly when Redis is down.
            pool = ConnectionPool.from_url(
                config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=10, health_check_interval=30
            )
            self.huey = RedisHuey(name, connection_pool=pool, results=False, utc=True)
        elif backend == "sqlite":
            self.huey = SqliteHuey(name, filename=config["QUEUE_SQLITE_PATH"], results=False, utc=True, timeout=10)
        elif backend == "memory":
            self.huey = MemoryHuey(name, results=False, utc=True)
        else:
            raise ValueError(f"QUEUE_BACKEND must be redis, sqlite or memory, not {backend!r}")

        huey = self.huey

        @huey.task(name="run_job")
        def run_job(job_id: int) -> bool:
            from .runner import execute_job

            with app.app_context():
                return execute_job(job_id)

        @huey.periodic_task(crontab(minute="*"), name="sweep_jobs")
        def sweep() -> None:
            from .runner import sweep_jobs

            with app.app_context():
                sweep_jobs()

        self.run_job = run_job
        self.background = {}
        from . import BACKGROUND_TASKS

        for task in BACKGROUND_TASKS.values():
            self.background[task.name] = self._background_task(task)

    def _background_task(self, task):
        app, huey = self.app, self.huey

        def run() -> None:
            from .runner import run_task

            with app.app_context():
                run_task(task)

        poked = huey.task(name=f"background:{task.name}")(run)
        huey.periodic_task(crontab(minute=f"*/{task.every_minutes}"), name=f"every:{task.name}")(run)
        return poked

    # ---------------------------------------------------------------- messages

    def send(self, job_id: int, delay_seconds: float = 0) -> None:
        """Hand a job's id to the workers (raises when the queue does not answer)."""
        if delay_seconds > 0:
            self.run_job.schedule(args=(job_id,), delay=delay_seconds)
        else:
            self.run_job(job_id)

    def poke(self, name: str) -> None:
        """Ask a worker to run a background task soon; if the queue is down, its schedule runs it."""
        try:
            self.background[name]()
        except Exception:
            logger.warning("The queue did not take background task %s; its schedule will run it", name, exc_info=True)

    def move_due_scheduled(self) -> None:
        """Put retries whose time has come on the queue (the consumer's scheduler does this itself)."""
        for task in self.huey.read_schedule():
            self.huey.enqueue(task)

    def waiting(self) -> int:
        return self.huey.pending_count()

    # ---------------------------------------------------------------- live progress

    @staticmethod
    def _progress_key(job_id: int) -> str:
        return f"job-progress:{job_id}"

    def put_progress(self, job_id: int, percent: int, message: str, beat: float | None = None) -> None:
        self.huey.put(self._progress_key(job_id), {"percent": percent, "message": message, "beat": beat or time.time()})

    def progress(self, job_id: int) -> dict | None:
        try:
            return self.huey.get(self._progress_key(job_id), peek=True)
        except Exception:  # the queue is down: the job row's own figures are shown instead
            logger.warning("Could not read the progress of job %s from the queue", job_id, exc_info=True)
            return None

    def forget_progress(self, job_id: int) -> None:
        try:
            self.huey.delete(self._progress_key(job_id))
        except Exception:
            logger.warning("Could not clear the progress of job %s", job_id, exc_info=True)

    # ---------------------------------------------------------------- the worker

    def consumer(self, workers: int = 1):
        """A Huey consumer: `workers` threads running jobs, and the scheduler (retries, the sweep)."""
        return self.huey.create_consumer(
            workers=workers,
            worker_type="thread",
            periodic=True,
            initial_delay=0.1,
            backoff=1.15,
            # The SQLite queue is polled: at most a second's wait for a new job.
            max_delay=1.0,
            check_worker_health=True,
        )


def get_queue(app: Flask) -> JobQueue:
    """The app's queue, made on first use (so an app that never queues never opens it)."""
    queue = app.extensions.get(EXTENSION)
    if queue is None:
        with _lock:
            queue = app.extensions.get(EXTENSION)
            if queue is None:
                queue = app.extensions[EXTENSION] = JobQueue(app)
    return queue


def retry_delay(base_seconds: float, attempt: int) -> timedelta:
    """Waits grow with each attempt: base, 2 × base, 4 × base..."""
    return timedelta(seconds=base_seconds * (2 ** max(0, attempt - 1)))
