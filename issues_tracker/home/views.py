"""Home dashboard and health check."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..core import choices
from ..core.extensions import db, limiter
from ..core.models import utcnow
from ..core.templating import LONDON
from ..forum.models import Meeting
from ..issues.access import visible_issues_clause
from ..issues.models import Issue
from ..issues.queries import open_issue_counts
from ..jobs import get_queue
from ..jobs.models import QUEUED, Job
from ..log.models import PublishedLog
from ..polls.models import Poll
from .summary import how_we_are_doing

bp = Blueprint("home", __name__, template_folder="templates")
logger = logging.getLogger(__name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 while the database answers. The queue is reported but does not fail the web check:
    pages still work without it, and jobs queued meanwhile are sent when it is back."""
    try:
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.state == QUEUED))
    except Exception:  # any database failure means unhealthy
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    app = current_app._get_current_object()
    try:
        queue = {"status": "ok", "backend": get_queue(app).backend, "messages": get_queue(app).waiting()}
    except Exception:
        logger.warning("The job queue does not answer", exc_info=True)
        queue = {"status": "unavailable", "backend": app.config["QUEUE_BACKEND"]}
    return jsonify(status="ok", queue=queue, jobs_waiting=waiting, limiter=limiter_state(app))


def limiter_state(app) -> dict:
    """Where sign-in limits are counted: shared in Redis, or in this process's memory (per process,
    either because no REDIS_URL is set or because Redis is away for now)."""
    shared = app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://"))
    if not shared:
        return {"status": "ok", "storage": "memory", "shared": False}
    if getattr(limiter, "_storage_dead", False):
        return {"status": "fallback", "storage": "memory", "shared": False}
    return {"status": "ok", "storage": "redis", "shared": True}


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/")
@login_required
def home():
    visible = visible_issues_clause(current_user)
    open_issue = sa.and_(visible, Issue.status.in_(choices.OPEN_STATUSES))
    counts = open_issue_counts(open_issue)
    by_status, by_service = counts.by_status, counts.by_service
    stale_days = current_app.config["STALE_AFTER_DAYS"]
    stale_cutoff = utcnow() - timedelta(days=stale_days)
    stale = db.session.scalars(
        sa.select(Issue)
        .where(open_issue, Issue.last_update_at <= stale_cutoff)
        # Ordered by an expression no index holds, so the few open issues are found through the
        # (status, last update) index and sorted, rather than by walking every issue ever updated
        # oldest first (mostly closed ones) until five open ones turn up: 9 ms → 0.9 ms at 10,000.
        .order_by(sa.func.coalesce(Issue.last_update_at, Issue.created_at), Issue.id)
        .limit(5)
    ).all()
    stale_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Issue).where(open_issue, Issue.last_update_at <= stale_cutoff)
    )
    pending_count = None
    if current_user.is_staff:
        pending_count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Issue).where(Issue.triage_state == "pending")
        )
    # Rejected submissions are closed, so they are not open issues; they are counted on their own.
    rejected_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Issue).where(visible, Issue.triage_state == "rejected")
    )
    today = utcnow().astimezone(LONDON).date()
    next_meeting = db.session.scalar(
        sa.select(Meeting).where(Meeting.meeting_date >= today).order_by(Meeting.meeting_date).limit(1)
    )
    latest_log = db.session.scalar(
        sa.select(PublishedLog)
        .order_by(PublishedLog.week_commencing.desc(), PublishedLog.revision.desc())
        .limit(1)
    )
    open_polls = db.session.scalars(
        sa.select(Poll).where(Poll.state == "open").order_by(Poll.created_at.desc()).limit(5)
    ).all()
    open_polls = [poll for poll in open_polls if poll.is_open()]
    return render_template(
        "home/index.html",
        by_status=[(code, by_status[code]) for code in choices.OPEN_STATUSES if by_status.get(code)],
        by_service=[(code, by_service[code]) for code in choices.SERVICE_CODES if by_service.get(code)],
        unassigned_service=counts.without_service,
        open_total=sum(by_status.values()),
        stale=stale,
        stale_count=stale_count,
        stale_days=stale_days,
        pending_count=pending_count,
        rejected_count=rejected_count,
        next_meeting=next_meeting,
        latest_log=latest_log,
        open_polls=open_polls,
        doing=how_we_are_doing(current_user, today),
    )
