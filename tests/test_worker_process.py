"""`flask worker` as its own process, on the embedded queue (a SQLite file): what one machine runs."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from issues_tracker import create_app
from issues_tracker.core.extensions import db
from issues_tracker.models import Issue, Job
from tests.conftest import SECRET, Browser, IsolatedClient, _empty_all_tables
from tests.test_tracker_import import HEADER, ROW_1

pytestmark = pytest.mark.both_databases

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def sqlite_queue_app(app, database_url, tmp_path):
    """The app as a server on one machine sees it: the job queue in a SQLite file.

    It asks for the test app first (make_user uses it), so that app's teardown, which empties
    the tables, runs last: after the worker process has stopped, never while it still reads.
    """
    queue_file = tmp_path / "job-queue.sqlite"
    app = create_app({
        "TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False,
        "QUEUE_BACKEND": "sqlite", "QUEUE_SQLITE_PATH": str(queue_file), "MFA_REQUIRED_ROLES": "",
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def worker(sqlite_queue_app, database_url, tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "ISSUES_TRACKER_ENV", "FLASK_DEBUG")}
    env.update(DATABASE_URL=database_url, SECRET_KEY=SECRET, QUEUE_SQLITE_PATH=sqlite_queue_app.config["QUEUE_SQLITE_PATH"],
               LOG_FORMAT="json", LOG_LEVEL="INFO")
    log = (tmp_path / "worker.log").open("w+")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "issues_tracker", "worker"],
                               cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield process, log
    process.send_signal(signal.SIGINT)  # a graceful stop: what is running finishes first (as systemd is told to)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def csv_rows(count: int) -> bytes:
    lines = [",".join(f'"{cell}"' for cell in HEADER)]
    for number in range(1, count + 1):
        row = list(ROW_1)
        row[0], row[1] = f"T{number}", f"Imported issue number {number}"
        lines.append(",".join(f'"{cell}"' for cell in row))
    return "\n".join(lines).encode()


def test_a_worker_process_runs_an_import_whose_progress_the_server_shows_while_it_runs(
    sqlite_queue_app, worker, make_user
):
    staff = make_user("staff", org="Elexon", name="Sam Staff")
    browser = Browser(sqlite_queue_app.test_client())
    browser.login(staff)
    response = browser.post("/issues/import", {"file": (io.BytesIO(csv_rows(120)), "big.csv")},
                            content_type="multipart/form-data", headers={"X-Request-ID": "upload-req-0001"})
    assert response.status_code == 303
    job_id = int(re.search(r"/issues/import/(\d+)", response.headers["Location"]).group(1))

    seen_running, polls = [], []
    deadline = time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline, "the import did not finish within 120 s"
        started = time.monotonic()
        panel = browser.get(f"/jobs/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
        polls.append((round(time.monotonic() - started, 3), " ".join(re.sub(r"<[^>]+>", " ", panel).split())[:80]))
        if "Imported the tracker" in panel or "did not complete" in panel:
            break
        progress = re.search(r"Storing the issues: (\d+) of 120", panel)
        if progress:
            seen_running.append(int(progress.group(1)))
        time.sleep(0.05)
    assert "Imported the tracker from big.csv: 120 new, 0 updated, 0 unchanged." in panel
    # Progress came through while the worker was still writing, and never went back.
    assert seen_running and 0 < seen_running[0] < 120, f"no progress seen; the polls (seconds, panel): {polls}"
    assert seen_running == sorted(seen_running)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 120
    assert db.session.get(Job, job_id).state == "done"

    process, log = worker
    # The worker logs "done" just after its commit, which the panel may show first: wait for it.
    deadline = time.monotonic() + 20
    while True:
        log.flush()
        log.seek(0)
        lines = [json.loads(line) for line in log if line.startswith("{")]
        job_lines = [line for line in lines if line.get("job_id") == job_id]
        if any("done" in line["message"] for line in job_lines) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert job_lines and all(line["request_id"] == "upload-req-0001" for line in job_lines)
    assert any("done" in line["message"] for line in job_lines)
