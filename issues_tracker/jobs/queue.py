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


# Two lanes, each with its own worker threads, so short urgent work (email, digests, the sweep that
# recovers stopped jobs) never waits behind a render or an import of a minute.
FAST, SLOW = "fast", "slow"
LANES = (FAST, SLOW)


class JobQueue:
    """One app's queue: a Huey instance per lane, each running jobs; the fast lane also runs the
    sweep and the background tasks on their schedules."""

    def __init__(self, app: Flask):
        self.app = app
        config = app.config
        name = config["REDIS_NAMESPACE"]
        backend = config["QUEUE_BACKEND"]
        self.backend = backend
        if backend not in ("redis", "sqlite", "memory"):
            raise ValueError(f"QUEUE_BACKEND must be redis, sqlite or memory, not {backend!r}")
        pool = None
        if backend == "redis":
            from redis import ConnectionPool

            # Short connect timeout: /healthz must answer promptly when Redis is down.
            pool = ConnectionPool.from_url(
                config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=10, health_check_interval=30
            )
        self.lanes = {lane: self._huey(backend, name if lane == FAST else f"{name}-{lane}", pool, config)
                      for lane in LANES}
        self.huey = self.lanes[FAST]
        self.run_job = {}
        for lane, huey in self.lanes.items():
            self.run_job[lane] = self._job_task(huey)
        huey = self.huey

        @huey.periodic_task(crontab(minute="*"), name="sweep_jobs")
        def sweep() -> None:
            from .runner import sweep_jobs

            with app.app_context():
                sweep_jobs()

        self.background = {}
        from . import BACKGROUND_TASKS

        for task in BACKGROUND_TASKS.values():
            self.background[task.name] = self._background_task(task)

    @staticmethod
    def _huey(backend: str, name: str, pool, config):
        if backend == "redis":
            return RedisHuey(name, connection_pool=pool, results=False, utc=True)
        if backend == "sqlite":
            return SqliteHuey(name, filename=config["QUEUE_SQLITE_PATH"], results=False, utc=True, timeout=10)
        return MemoryHuey(name, results=False, utc=True)

    def _job_task(self, huey):
        app = self.app

        @huey.task(name="run_job")
        def run_job(job_id: int) -> bool:
            from .runner import execute_job

            with app.app_context():
                return execute_job(job_id)

        return run_job

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

    def send(self, job_id: int, delay_seconds: float = 0, lane: str = FAST) -> None:
        """Hand a job's id to the workers of its lane (raises when the queue does not answer)."""
        run_job = self.run_job[lane if lane in self.run_job else FAST]
        if delay_seconds > 0:
            run_job.schedule(args=(job_id,), delay=delay_seconds)
        else:
            run_job(job_id)

    def poke(self, name: str) -> None:
        """Ask a worker to run a background task soon; if the queue is down, its schedule runs it."""
        try:
            self.background[name]()
        except Exception:
            logger.warning("The queue did not take background task %s; its schedule will run it", name, exc_info=True)

    def move_due_scheduled(self) -> None:
        """Put retries whose time has come on the queue (the consumer's scheduler does this itself)."""
        for huey in self.lanes.values():
            for task in huey.read_schedule():
                huey.enqueue(task)

    def waiting(self) -> int:
        return sum(huey.pending_count() for huey in self.lanes.values())

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

    def consumer(self, workers: int = 1, lane: str = FAST):
        """A Huey consumer of one lane: `workers` threads running jobs, and its scheduler (retries;
        on the fast lane the sweep and the background tasks too)."""
        return self.lanes[lane].create_consumer(
            workers=workers,
            worker_type="thread",
            periodic=lane == FAST,
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
