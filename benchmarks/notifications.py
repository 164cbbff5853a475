"""Notification fan-out and the daily digest, through a real SMTP server.

Fan-out: one issue followed by 2,000 people. A staff member changes its status (with a
progress note) through gunicorn, repeatedly: the request only writes the journal (the
outbox), so its time should not depend on the followers; p95 is the figure. Then one
worker (`flask notifications deliver`, a separate process) fans the last change out and
hands every email to an SMTP server (aiosmtpd on a loopback port); the figure is the time
from the worker's start until the server has all 2,000.

Daily digest: 5,000 people each follow two of 40 issues, staff add a progress note to
each issue, and at the digest hour one worker sends every person's digest; the figure is
the time from the digest hour's run until the server has all 5,000.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from . import targets
from .harness import REPO_ROOT, HttpClient, RunContext, free_port, percentile, sign_in, summarise
from .registry import Check, SectionResult, register

FOLLOWERS = int(targets.limit("fan_out", "followers"))
DIGEST_PEOPLE = int(targets.limit("digest", "people"))
DIGEST_ISSUES = 40
CHANGE_P95_TARGET_MS = targets.limit("fan_out", "request_p95_ms")
FAN_OUT_TARGET_S = targets.limit("fan_out", "seconds")
DIGEST_TARGET_S = targets.limit("digest", "seconds")
BASE_URL = "https://issues.example.org"
VERSION_FIELD = re.compile(rb'id="version" name="version" type="hidden" value="(\d+)"')
CSRF_FIELD = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


class Sink:
    """An SMTP server that counts what it is handed (aiosmtpd, in a thread of this process)."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.count = 0
        self.recipients: set[str] = set()
        self.lock = threading.Lock()
        self.last_at = 0.0
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink.lock:
                    sink.count += 1
                    sink.recipients.update(envelope.rcpt_tos)
                    sink.last_at = time.perf_counter()
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                if self.count >= count:
                    return True
            time.sleep(0.02)
        return False


def _people(prefix: str, count: int, organisations: int) -> list[int]:
    """Participants added in bulk (a cheap password hash: they never sign in)."""
    from werkzeug.security import generate_password_hash

    from issues_tracker.core.extensions import db
    from issues_tracker.core.models import utcnow
    from issues_tracker.models import Organisation, User

    orgs = []
    for number in range(organisations):
        org = Organisation(name=f"{prefix} organisation {number}", kind="supplier" if number % 3 else "distributor")
        db.session.add(org)
        orgs.append(org)
    db.session.flush()
    password = generate_password_hash("not-used", method="pbkdf2:sha256:1000")
    now = utcnow()
    rows = [{"email": f"{prefix}.{number}@bench.example", "name": f"{prefix.title()} person {number}",
             "password_hash": password, "role": "participant", "organisation_id": orgs[number % organisations].id,
             "active": True, "created_at": now} for number in range(count)]
    db.session.execute(sa.insert(User), rows)
    db.session.commit()
    return db.session.scalars(sa.select(User.id).where(User.email.like(f"{prefix}.%@bench.example"))).all()


def _staff_form(issue, version: int, status: str, note: str) -> dict:
    data = {name: getattr(issue, name) or "" for name in (
        "summary", "description", "root_cause", "root_cause_certainty", "supplier_impact", "distributor_impact",
        "settlement_impact", "dependencies", "parties_responsible", "next_run_resolves", "service_desk_refs",
        "impact_assessment", "action_underway", "resolution_description", "resolution_status")}
    data.update(severity=str(issue.severity), owner_id=str(issue.owner_id or 0), status=status, progress_note=note,
                version=str(version), target_date=issue.target_date.isoformat() if issue.target_date else "")
    return data


def _form_body(data: dict, services: list[str], messages: list[str]) -> str:
    from urllib.parse import urlencode

    pairs = list(data.items()) + [("services", s) for s in services] + [("messages", m) for m in messages]
    return urlencode(pairs)


def measure_fan_out(ctx: RunContext, dataset) -> dict:
    from issues_tracker.core.extensions import db
    from issues_tracker.core.models import utcnow
    from issues_tracker.models import Follow, Issue, IssueEvent

    app = dataset.app()
    with app.app_context():
        issue = db.session.scalar(
            sa.select(Issue).where(Issue.triage_state == "published", Issue.status == "Under investigation")
            .order_by(Issue.id).limit(1)
        ) or db.session.scalar(sa.select(Issue).where(Issue.triage_state == "published").order_by(Issue.id).limit(1))
        issue_id = issue.id
        followers = _people("follower", FOLLOWERS, 40)
        now = utcnow()
        db.session.execute(sa.insert(Follow), [
            {"user_id": user_id, "issue_id": issue_id, "active": True, "reason": "chose", "created_at": now}
            for user_id in followers
        ])
        # Everything journalled so far is history: only the timed changes are news.
        db.session.execute(sa.update(IssueEvent).where(IssueEvent.fanned_out_at.is_(None)).values(fanned_out_at=now))
        db.session.commit()
        services, messages = list(issue.services), list(issue.messages)
        db.session.remove()
        db.engine.dispose()

    changes = max(20, min(ctx.options.requests, 100))
    samples = []
    with ctx.server(dataset) as base_url:
        client = HttpClient(base_url)
        sign_in(client, dataset.accounts["staff"])
        for number in range(ctx.options.warmup // 4 + changes):
            status, page = client.get(f"/issues/{issue_id}/edit")
            version = int(VERSION_FIELD.search(page).group(1))
            csrf = CSRF_FIELD.search(page).group(1).decode()
            with app.app_context():
                current = db.session.get(Issue, issue_id)
                data = _staff_form(current, version, "Fix in progress" if number % 2 else "Monitoring",
                                   f"Benchmark progress note {number}")
                db.session.remove()
            data["csrf_token"] = csrf
            body = _form_body(data, services, messages)
            started = time.perf_counter()
            status, _ = client._request("POST", f"/issues/{issue_id}/edit", body=body,
                                        headers={"Content-Type": "application/x-www-form-urlencoded"})
            elapsed = (time.perf_counter() - started) * 1000
            if status != 303:
                raise RuntimeError(f"the staff change answered {status}")
            if number >= ctx.options.warmup // 4:
                samples.append(elapsed)
    ctx.progress(f"change request with {FOLLOWERS:,} followers: p95 {percentile(samples, 0.95):.1f} ms")

    with app.app_context():
        # Only the last change is delivered (2,000 emails); the others stand for history.
        last = db.session.scalar(sa.select(sa.func.max(IssueEvent.created_at)).where(IssueEvent.issue_id == issue_id))
        db.session.execute(sa.update(IssueEvent).where(IssueEvent.fanned_out_at.is_(None), IssueEvent.created_at < last)
                           .values(fanned_out_at=utcnow()))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    with Sink() as sink:
        env = dict(os.environ, DATABASE_URL=dataset.url, SECRET_KEY=dataset.secret_key, SMTP_URL=sink.url,
                   BASE_URL=BASE_URL, MAIL_FROM="Issues <issues@example.org>")
        env.pop("ISSUES_TRACKER_ENV", None)
        started = time.perf_counter()
        worker = subprocess.run(  # noqa: S603 (our own command line)
            [sys.executable, "-m", "flask", "--app", "issues_tracker", "notifications", "deliver"],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
        )
        finished = time.perf_counter()
        complete = sink.wait_for(FOLLOWERS, timeout=5)
        handed = (sink.last_at - started) if sink.count else None
    if worker.returncode != 0:
        raise RuntimeError(f"the worker failed: {worker.stderr[-2000:]}")
    ctx.progress(f"one worker handed {sink.count:,} emails to SMTP in {handed or 0:.1f} s ({worker.stdout.strip()})")
    return {
        "followers": FOLLOWERS,
        "changes_timed": len(samples),
        "change_request": summarise(samples),
        "emails_received": sink.count,
        "distinct_recipients": len(sink.recipients),
        "all_received": complete and sink.count == FOLLOWERS,
        "worker_seconds": round(finished - started, 2),
        "seconds_until_last_email": round(handed, 2) if handed is not None else None,
        "worker_output": worker.stdout.strip(),
    }


def measure_digest(ctx: RunContext, dataset) -> dict:
    from issues_tracker.core.extensions import db
    from issues_tracker.core.models import utcnow
    from issues_tracker.issues import operations as issue_service
    from issues_tracker.models import Follow, Issue, NotificationSettings, User
    from issues_tracker.notifications.delivery import deliver_pending, fan_out_all
    from issues_tracker.notifications.preferences import Preferences, next_digest_at

    app = dataset.app()
    with app.app_context():
        people = _people("digest", DIGEST_PEOPLE, 100)
        issues = db.session.scalars(
            sa.select(Issue.id).where(Issue.triage_state == "published").order_by(Issue.id.desc()).limit(DIGEST_ISSUES)
        ).all()
        start = utcnow()
        db.session.execute(sa.insert(NotificationSettings), [
            {"user_id": user_id, "status_mode": "daily", "resolution_mode": "daily", "next_run_mode": "daily",
             "note_mode": "daily", "comment_mode": "daily", "log_mode": "off", "poll_mode": "off",
             "time_zone": "Europe/London", "digest_hour": 8, "weekly_day": 0, "follow_when_affected": True,
             "updated_at": start} for user_id in people
        ])
        db.session.execute(sa.insert(Follow), [
            {"user_id": user_id, "issue_id": issues[(index + offset) % len(issues)], "active": True, "reason": "chose",
             "created_at": start - timedelta(minutes=1)}
            for index, user_id in enumerate(people) for offset in (0, 7)
        ])
        db.session.commit()
        staff = db.session.scalar(sa.select(User).where(User.email == dataset.accounts["staff"].email))
        for issue_id in issues:
            issue_service.update_issue(db.session.get(Issue, issue_id), {}, staff, expected_version=None,
                                       note="Overnight run completed; monitoring continues.", now=start)
        db.session.commit()
        app.config.update(BASE_URL=BASE_URL)
        began = time.perf_counter()
        records, deliveries = fan_out_all(now=start + timedelta(seconds=1))
        fan_out_seconds = time.perf_counter() - began
        ctx.progress(f"digest fan-out: {records} journal entries into {deliveries:,} deliveries in {fan_out_seconds:.1f} s")
        due = next_digest_at("daily", Preferences(), start + timedelta(seconds=1))
        with Sink() as sink:
            app.config.update(SMTP_URL=sink.url)
            began = time.perf_counter()
            report = deliver_pending(now=due)
            sent_seconds = time.perf_counter() - began
            complete = sink.wait_for(DIGEST_PEOPLE, timeout=10)
            last = sink.last_at - began if sink.count else None
        db.session.remove()
        db.engine.dispose()
    ctx.progress(f"daily digest for {DIGEST_PEOPLE:,} people: {sink.count:,} emails in {sent_seconds:.1f} s")
    return {
        "people": DIGEST_PEOPLE,
        "issues": len(issues),
        "deliveries": deliveries,
        "fan_out_seconds": round(fan_out_seconds, 2),
        "digest_seconds": round(sent_seconds, 2),
        "seconds_until_last_email": round(last, 2) if last is not None else None,
        "emails_received": sink.count,
        "all_received": complete and sink.count == DIGEST_PEOPLE,
        "summary": report.summary,
    }


@register("notifications", "Notification fan-out and daily digest")
def run(ctx: RunContext) -> SectionResult:
    dataset = ctx.dataset(min(ctx.options.sizes))
    fan = measure_fan_out(ctx, dataset)
    digest = measure_digest(ctx, dataset)
    p95 = fan["change_request"]["p95_ms"]
    handed = fan["seconds_until_last_email"]
    digest_seconds = digest["seconds_until_last_email"]
    table = [
        f"{dataset.size:,} issues; one issue followed by {FOLLOWERS:,} people",
        f"staff status change + note, {fan['changes_timed']} requests: p50 {fan['change_request']['p50_ms']:.1f} ms, "
        f"p95 {p95:.1f} ms (HTTP, gunicorn {ctx.options.workers} workers)",
        f"one worker (flask notifications deliver): {fan['emails_received']:,} emails to "
        f"{fan['distinct_recipients']:,} people, last handed to SMTP after {handed or 0:.1f} s "
        f"(process ran {fan['worker_seconds']:.1f} s)",
        f"daily digest: {DIGEST_PEOPLE:,} people following 2 of {digest['issues']} issues; fan-out "
        f"{digest['deliveries']:,} deliveries in {digest['fan_out_seconds']:.1f} s; "
        f"{digest['emails_received']:,} digests sent in {digest['digest_seconds']:.1f} s",
    ]
    checks = [
        Check(f"change request p95, issue with {FOLLOWERS:,} followers (HTTP)", f"{p95:.1f} ms",
              f"≤ {CHANGE_P95_TARGET_MS:g} ms", p95 <= CHANGE_P95_TARGET_MS, "fan_out"),
        Check(f"every email handed to SMTP, {FOLLOWERS:,} followers, one worker",
              f"{handed:.1f} s, {fan['emails_received']:,} emails" if handed is not None else "none received",
              f"≤ {FAN_OUT_TARGET_S:g} s",
              bool(fan["all_received"] and handed is not None and handed <= FAN_OUT_TARGET_S), "fan_out"),
        Check(f"daily digest, {DIGEST_PEOPLE:,} people",
              f"{digest_seconds:.1f} s, {digest['emails_received']:,} emails" if digest_seconds is not None else "none received",
              f"≤ {DIGEST_TARGET_S:g} s",
              bool(digest["all_received"] and digest_seconds is not None and digest_seconds <= DIGEST_TARGET_S),
              "digest"),
    ]
    return SectionResult(data={"fan_out": fan, "digest": digest}, table=table, checks=checks)
