"""What staff see of the background work: per kind of job, its lane, what waits and for how long, and
how long jobs waited and ran over the last day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from prometheus_client.core import GaugeMetricFamily

from ..core.extensions import db
from ..core.metrics import state_source
from ..core.models import utcnow
from .models import ACTIVE_STATES, DONE, FAILED, QUEUED, RUNNING, Job
from .queue import LANES, get_queue


@dataclass
class KindLoad:
    kind: str
    title: str
    lane: str
    queued: int = 0
    running: int = 0
    oldest_queued_at: datetime | None = None
    finished: int = 0
    failed: int = 0
    mean_wait_seconds: float | None = None
    mean_run_seconds: float | None = None


def overview(now: datetime | None = None) -> tuple[list[KindLoad], dict[str, int | None]]:
    """Each kind's load, and the messages waiting in each lane (None where the queue does not answer)."""
    from . import JOB_KINDS

    now = now or utcnow()
    loads = {name: KindLoad(name, kind.title, kind.lane) for name, kind in JOB_KINDS.items()}

    def load(name: str) -> KindLoad:
        return loads.setdefault(name, KindLoad(name, name.replace("_", " ").capitalize(), "fast"))

    active = db.session.execute(
        sa.select(Job.kind, Job.state, sa.func.count(), sa.func.min(Job.created_at))
        .where(Job.state.in_(ACTIVE_STATES)).group_by(Job.kind, Job.state)
    ).all()
    for name, state, count, oldest in active:
        entry = load(name)
        if state == QUEUED:
            entry.queued, entry.oldest_queued_at = count, oldest
        elif state == RUNNING:
            entry.running = count
    # Means from the rows themselves (the same on SQLite and PostgreSQL): a day's jobs are few.
    waits: dict[str, list[float]] = {}
    runs: dict[str, list[float]] = {}
    for name, state, created, started, finished in db.session.execute(
        sa.select(Job.kind, Job.state, Job.created_at, Job.started_at, Job.finished_at)
        .where(Job.state.in_((DONE, FAILED)), Job.finished_at >= now - timedelta(days=1))
    ):
        entry = load(name)
        if state == DONE:
            entry.finished += 1
        else:
            entry.failed += 1
        if started and created:
            waits.setdefault(name, []).append((started - created).total_seconds())
        if started and finished:
            runs.setdefault(name, []).append((finished - started).total_seconds())
    for name, entry in loads.items():
        entry.mean_wait_seconds = _mean(waits.get(name))
        entry.mean_run_seconds = _mean(runs.get(name))
    queue = get_queue(current_app._get_current_object())
    messages: dict[str, int | None] = {}
    for lane in LANES:
        try:
            messages[lane] = queue.lanes[lane].pending_count()
        except Exception:  # the queue does not answer
            messages[lane] = None
    return sorted(loads.values(), key=lambda entry: (entry.lane, entry.title)), messages


def _mean(values: list[float] | None) -> float | None:
    return sum(values) / len(values) if values else None


@state_source
def job_metrics():
    """Jobs waiting and running per kind, and how long the oldest waiting one has waited."""
    waiting = GaugeMetricFamily("issues_tracker_jobs_waiting", "Jobs queued and not yet started, by kind.", labels=["kind"])
    running = GaugeMetricFamily("issues_tracker_jobs_running", "Jobs running, by kind.", labels=["kind"])
    oldest = GaugeMetricFamily("issues_tracker_job_oldest_wait_seconds",
                               "How long the oldest queued job of each kind has waited.", labels=["kind"])
    now = utcnow()
    for load in overview(now)[0]:
        waiting.add_metric([load.kind], load.queued)
        running.add_metric([load.kind], load.running)
        oldest.add_metric([load.kind], (now - load.oldest_queued_at).total_seconds() if load.oldest_queued_at else 0)
    return [waiting, running, oldest]
