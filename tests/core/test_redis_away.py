"""Redis going away (a Redis this test starts and stops) signs nobody out and loses no work: sign-in
counts its limits in memory meanwhile and says so in /healthz, which reports the limiter and the
queue apart, and the jobs queued while Redis was away run when it is back."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa

from issues_tracker import create_app
from issues_tracker.core.extensions import db, limiter
from issues_tracker.core.models import utcnow
from issues_tracker.jobs import run_queued_jobs
from issues_tracker.jobs.models import DONE, QUEUED, Job
from issues_tracker.jobs.runner import sweep_jobs
from issues_tracker.log.weeks import current_week
from tests.conftest import SECRET, Browser
from tests.mail import free_port

pytestmark = pytest.mark.both_databases


class OwnRedis:
    def __init__(self, folder):
        self.port = free_port()
        self.folder = folder
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (a Redis of the test's own, on loopback)
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)], stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("Redis did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def shared_limiter_restored():
    """The limiter is one object for every app in the process: put back what this test's app changes."""
    names = ("enabled", "_storage", "_limiter", "_storage_dead", "_fallback_limiter", "_fallback_storage",
             "_in_memory_fallback_enabled")
    saved = {name: getattr(limiter, name, None) for name in names}
    yield
    for name, value in saved.items():
        setattr(limiter, name, value)


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def test_with_redis_stopped_sign_in_works_health_says_so_and_queued_jobs_run_when_it_returns(
        database_url, own_redis, monkeypatch, staff, shared_limiter_restored):
    monkeypatch.setenv("REDIS_URL", own_redis.url)
    monkeypatch.setenv("REDIS_NAMESPACE", f"away{uuid.uuid4().hex[:8]}")
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": database_url,
                      "RATELIMIT_ENABLED": True, "MFA_REQUIRED_ROLES": ""})
    assert app.config["QUEUE_BACKEND"] == "redis"
    email = staff.email
    with app.app_context():
        browser = Browser(app.test_client())
        health = browser.get("/healthz").get_json()
        assert health["limiter"] == {"status": "ok", "storage": "redis", "shared": True}
        assert health["queue"]["status"] == "ok" and health["queue"]["backend"] == "redis"

        own_redis.stop()
        assert browser.post("/login", {"email": email, "password": "wrong password"}).status_code == 422
        browser.login(email)  # 303: signed in while Redis is away
        health = browser.get("/healthz")
        assert health.status_code == 200
        assert health.get_json()["limiter"] == {"status": "fallback", "storage": "memory", "shared": False}
        assert health.get_json()["queue"]["status"] == "unavailable"
        response = browser.post("/log/preview", {"week": current_week().isoformat()})
        assert response.status_code == 303  # a form post, not htmx: sent to the preview's progress
        assert response.headers["Location"] == f"/log/preview/{db.session.scalar(sa.select(Job.id))}"
        job = db.session.scalar(sa.select(Job).where(Job.kind == "log_preview"))
        assert job.state == QUEUED and job.sent_at is None  # the queue did not take it; the job is kept

        own_redis.start()
        assert sweep_jobs(now=utcnow() + timedelta(minutes=1))["resent"] == 1  # the worker's sweep, a minute on
        assert run_queued_jobs() == 1
        db.session.expire_all()
        assert db.session.get(Job, job.id).state == DONE
        db.session.remove()
        db.engine.dispose()
