"""Operations: request ids that follow work into the worker, JSON logs, and the health check."""

from __future__ import annotations

import json
import logging
import re

from issues_tracker.core.extensions import db
from issues_tracker.core.logging import _formatter
from issues_tracker.jobs import enqueue, get_queue, run_queued_jobs
from issues_tracker.log import weeks as log_weeks
from issues_tracker.models import Job


def test_every_response_carries_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/login")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    kept = client.get("/healthz", headers={"X-Request-ID": "proxy-abc-12345"})
    assert kept.headers["X-Request-ID"] == "proxy-abc-12345"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id; with <angle> brackets"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])


def test_a_jobs_log_lines_carry_the_id_of_the_request_that_started_it(app, browser, staff, caplog):
    browser.login(staff)
    week = log_weeks.current_week().isoformat()
    response = browser.post("/log/publish", {"week": week}, htmx=True, headers={"X-Request-ID": "publish-click-0001"})
    assert response.headers["X-Request-ID"] == "publish-click-0001"
    job = db.session.scalar(db.select(Job))
    assert job.request_id == "publish-click-0001"
    with caplog.at_level(logging.INFO, logger="issues_tracker.jobs"):
        run_queued_jobs()
    lines = [record for record in caplog.records if record.name == "issues_tracker.jobs"]
    assert [record.getMessage().split(":")[0] for record in lines] == [f"Job {job.id} started", f"Job {job.id} done"]
    assert {record.request_id for record in lines} == {"publish-click-0001"}
    assert {record.job_id for record in lines} == {job.id}
    line = json.loads(_formatter("json").format(lines[-1]))
    assert line["request_id"] == "publish-click-0001" and line["job_id"] == job.id
    assert line["level"] == "INFO" and line["logger"] == "issues_tracker.jobs" and "time" in line


def test_the_access_log_names_the_request(app, client, caplog):
    with caplog.at_level(logging.INFO, logger="issues_tracker.request"):
        response = client.get("/healthz", headers={"X-Request-ID": "health-probe-001"})
    [record] = [r for r in caplog.records if r.name == "issues_tracker.request"]
    assert record.getMessage() == "GET /healthz 200" and record.request_id == "health-probe-001"
    assert record.status == 200 and record.ms >= 0 and response.status_code == 200


def test_health_reports_waiting_jobs_and_stays_up_when_only_the_queue_is_down(app, client, staff, monkeypatch):
    enqueue("log_preview", key="2026-04-13", user=staff, week="2026-04-13")
    db.session.commit()
    assert client.get("/healthz").get_json() == {
        "status": "ok", "queue": {"status": "ok", "backend": "memory", "messages": 1}, "jobs_waiting": 1,
        "limiter": {"status": "ok", "storage": "memory", "shared": False},
    }

    def down():
        raise ConnectionError("Redis is not answering")

    monkeypatch.setattr(get_queue(app), "waiting", down)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "queue": {"status": "unavailable", "backend": "memory"},
                                   "jobs_waiting": 1, "limiter": {"status": "ok", "storage": "memory", "shared": False}}


def test_health_fails_when_the_database_does_not_answer(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("database down")

    monkeypatch.setattr(db.session, "scalar", broken)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"status": "unavailable"}
