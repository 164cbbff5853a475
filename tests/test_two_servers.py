"""Two app servers under gunicorn and one worker, on one PostgreSQL and one Redis.

What a deployment with several app servers behind a load balancer relies on: a job
started through one server is followed through the other, its result is seen
everywhere, sign-in limits count across servers, and live poll results agree. Each
process runs as on a machine of its own: its own working folder and instance folder,
so nothing but PostgreSQL and Redis is shared (a queue that fell back to a SQLite file
would leave the job unseen by the worker, and the test says which process did).
Needs TEST_DATABASE_URL (PostgreSQL; a database "<name>_servers" is made beside it, or
TEST_SERVERS_DATABASE_URL names the one to empty and use)
and Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379/0; keys are kept apart
by a name of their own and removed afterwards). scripts/test.sh runs it as its own
step: `pytest -m servers`.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa

from benchmarks.poll_results import poll_form

pytestmark = pytest.mark.servers

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "two-servers-password-1"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class Response:
    def __init__(self, raw: http.client.HTTPResponse, body: bytes):
        self.status, self.headers, self.body = raw.status, raw.headers, body
        self.text = body.decode("utf-8", "replace")

    def getheader(self, name, default=None):
        return self.headers.get(name, default)


class Visitor:
    """One person's browser; each request goes to whichever server it is sent to (as a load balancer would)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.token = ""

    def via(self, base: str) -> Visitor.Through:
        return Visitor.Through(self, base)

    class Through:
        def __init__(self, visitor, base):
            self.visitor, self.base = visitor, base
            parts = urlsplit(base)
            self.host, self.port = parts.hostname, parts.port

        def request(self, method, path, body=None, headers=None):
            """(response, text, seconds), as benchmarks.poll_results expects of a browser."""
            headers = dict(headers or {})
            if self.visitor.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.visitor.cookies.items())
            if isinstance(body, dict):
                body = urlencode(body, doseq=True)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                raw = connection.getresponse()
                response = Response(raw, raw.read())
            finally:
                connection.close()
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.visitor.cookies[name] = rest.split(";", 1)[0]
            match = TOKEN.search(response.text)
            if match:
                self.visitor.token = match.group(1) or match.group(2)
            return response, response.text, time.perf_counter() - started

        def get(self, path, htmx=False, headers=None):
            headers = dict(headers or {})
            if htmx:
                headers["HX-Request"] = "true"
            return self.request("GET", path, headers=headers)[0]

        def post(self, path, data, htmx=False):
            if not self.visitor.token:
                self.get("/login")
            data = dict(data, csrf_token=self.visitor.token)
            return self.request("POST", path, data, {"HX-Request": "true"} if htmx else None)[0]

        def upload(self, path, field, filename, content: bytes):
            if not self.visitor.token:
                self.get("/login")
            boundary = uuid.uuid4().hex
            body = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{self.visitor.token}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
            return self.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})[0]

        def login(self, email, password=PASSWORD):
            self.get("/login")
            response = self.post("/login", {"email": email, "password": password})
            if response.status == 303:  # follow it, as a browser does: the new session has a new form token
                self.get(response.getheader("Location"))
            return response


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(base: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{base} exited with status {process.returncode}"
        try:
            if Visitor().via(base).get("/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} did not answer /healthz within {seconds} s")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    base_url = os.environ.get("TEST_DATABASE_URL", "")
    if not base_url.startswith("postgresql"):
        pytest.fail("The two-server test needs PostgreSQL: set TEST_DATABASE_URL (scripts/test.sh does).")
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    import redis

    store = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    try:
        store.ping()
    except redis.RedisError as exc:
        pytest.fail(f"The two-server test needs Redis at {redis_url}: {exc}")

    url = sa.engine.make_url(base_url)
    url = url.set(database=f"{url.database}_servers")
    if os.environ.get("TEST_SERVERS_DATABASE_URL"):  # a database of its own instead (it is emptied)
        url = sa.engine.make_url(os.environ["TEST_SERVERS_DATABASE_URL"])
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}):
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    database_url = url.render_as_string(hide_password=False)
    fresh = sa.create_engine(database_url)
    with fresh.begin() as conn:  # an empty schema: the migrations build it
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    fresh.dispose()

    namespace = f"servers_test_{secrets.token_hex(4)}"
    env = {key: value for key, value in os.environ.items() if key not in ("ISSUES_TRACKER_ENV", "FLASK_DEBUG")}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace,
               SECRET_KEY=secrets.token_hex(32), SESSION_COOKIE_SECURE="0", LOG_FORMAT="json", MFA_REQUIRED_ROLES="")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    logs = tmp_path_factory.mktemp("servers")
    machines = tmp_path_factory.mktemp("machines")

    def machine(name: str) -> tuple[Path, dict]:
        """A working folder and an instance folder of the process's own, as on a machine of its own."""
        folder = machines / name
        (folder / "instance").mkdir(parents=True)
        return folder, dict(env, INSTANCE_PATH=str(folder / "instance"))

    flask = [sys.executable, "-m", "flask", "--app", "issues_tracker"]
    setup, setup_env = machine("setup")
    subprocess.run([*flask, "db", "upgrade"], cwd=setup, env=setup_env, check=True, capture_output=True)
    subprocess.run([*flask, "seed"], cwd=setup, env=setup_env, check=True, capture_output=True)

    from issues_tracker import create_app
    from issues_tracker.accounts.operations import create_user
    from issues_tracker.core.extensions import db
    from issues_tracker.models import Poll

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        create_user("staff@servers.example", role="staff", organisation_name="Elexon", password=PASSWORD)
        for number in range(1, 5):
            create_user(f"member{number}@servers.example", role="participant",
                        organisation_name="Northern Supply Co", password=PASSWORD)
        db.session.commit()
        poll_id = db.session.scalar(sa.select(Poll.id).where(Poll.state == "open"))
        db.session.remove()
        db.engine.dispose()

    processes = []

    def start(name, command):
        log = (logs / f"{name}.log").open("w")
        folder, own_env = machine(name)
        process = subprocess.Popen(command, cwd=folder, env=own_env, stdout=log, stderr=subprocess.STDOUT)
        processes.append((process, log))
        return process

    servers = []
    for name in ("a", "b"):
        port = _free_port()
        process = start(name, [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                               "issues_tracker:create_app()"])
        servers.append((f"http://127.0.0.1:{port}", process))
    start("worker", [*flask, "worker"])
    for base, process in servers:
        _wait_healthy(base, process)
    try:
        yield {"a": servers[0][0], "b": servers[1][0], "poll_id": poll_id, "logs": logs, "redis": store,
               "machines": machines}
    finally:
        for process, _log in processes:
            process.terminate()
        for process, log in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        keys = list(store.scan_iter(match=f"*{namespace}*"))
        if keys:
            store.delete(*keys)


def follow(through, job_id, seconds=120):
    """Poll a job's progress fragment as htmx does; return every fragment seen, the last one finished."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = through.get(f"/jobs/{job_id}?then=reload", htmx=True)
        assert response.status == 200, response.text[:300]
        seen.append(response)
        if "hx-get" not in response.text:
            return seen
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish within {seconds} s: {seen[-1].text[:300]}")


def test_every_process_queues_jobs_in_redis_and_keeps_nothing_shared_on_its_own_disk(cluster):
    for name in ("a", "b"):
        health = Visitor().via(cluster[name]).get("/healthz")
        assert health.status == 200, health.text[:300]
        report = json.loads(health.text)
        assert report["queue"] == {"status": "ok", "backend": "redis", "messages": report["queue"]["messages"]}, name
        assert report["limiter"] == {"status": "ok", "storage": "redis", "shared": True}, name
    deadline = time.monotonic() + 30
    worker_log = ""
    while "Worker running jobs" not in worker_log and time.monotonic() < deadline:
        time.sleep(0.2)
        worker_log = (cluster["logs"] / "worker.log").read_text()
    assert "Worker running jobs from the redis queue" in worker_log, worker_log[-2000:]
    # Each process has its own folders, and none of them keeps a queue of its own.
    folders = sorted(path.name for path in cluster["machines"].iterdir())
    assert folders == ["a", "b", "setup", "worker"]
    assert_no_queue_on_any_disk(cluster)


def test_staff_publish_through_one_server_while_following_the_progress_through_the_other(cluster):
    staff = Visitor()
    a, b = staff.via(cluster["a"]), staff.via(cluster["b"])
    assert a.login("staff@servers.example").status == 303
    started = time.monotonic()
    response = a.post("/log/publish", {"week": _this_monday()}, htmx=True)
    assert response.status == 202, response.text[:500]
    job_id = int(re.search(r'id="job-(\d+)"', response.text).group(1))

    seen = follow(b, job_id)
    running = [r.text for r in seen if "Publishing the log: Collecting the issues" in r.text]
    assert running, "server B never showed the publication running"
    print(f"\npublish on A, followed on B: done in {time.monotonic() - started:.1f} s; B answered {len(seen)} polls, "
          f"{len(running)} of them showing the render under way")
    finished = seen[-1]
    assert "Published the industry issues log" in finished.text and finished.getheader("HX-Refresh") == "true"
    from_a, from_b = a.get("/log/latest.pdf"), b.get("/log/latest.pdf")
    assert from_a.status == from_b.status == 200 and from_a.body[:5] == b"%PDF-"
    assert hashlib.sha256(from_a.body).digest() == hashlib.sha256(from_b.body).digest()

    worker_log = (cluster["logs"] / "worker.log").read_text()
    request_id = next(line for line in worker_log.splitlines() if f'"job_id": {job_id}' in line)
    assert '"request_id": "' in request_id and '"request_id": ""' not in request_id
    assert_no_queue_on_any_disk(cluster)


def assert_no_queue_on_any_disk(cluster):
    """The jobs went through Redis: no process made a queue file in its instance folder."""
    assert not list(cluster["machines"].glob("*/instance/job-queue*")), sorted(cluster["machines"].rglob("*"))


def test_an_import_started_on_one_server_completes_and_shows_on_the_other(cluster):
    staff = Visitor()
    a, b = staff.via(cluster["a"]), staff.via(cluster["b"])
    assert b.login("staff@servers.example").status == 303
    sheet = (b"Issue ID,Issue Summary,Service / System,Current Status\n"
             b"SRV-1,Settlement reports late from the second server,DIP,Under investigation\n")
    response = b.upload("/issues/import", "file", "servers.csv", sheet)
    assert response.status == 303, response.text[:500]
    job_id = int(re.search(r"/issues/import/(\d+)", response.getheader("Location")).group(1))
    started = time.monotonic()
    finished = follow(a, job_id)[-1]
    print(f"\nimport on B, followed on A: done {time.monotonic() - started:.1f} s after the upload answered")
    assert "Imported the tracker from servers.csv: 1 new" in finished.text
    listing = a.get("/issues?q=second+server")
    shown = " ".join(re.sub(r"<[^>]+>", "", listing.text).split())  # the matching words are highlighted
    assert "1 issue matches" in shown and "Settlement reports late from the second server" in shown
    assert_no_queue_on_any_disk(cluster)


def test_the_sign_in_limit_counts_attempts_on_every_server(cluster):
    guesser = Visitor()
    statuses = []
    for attempt in range(6):
        through = guesser.via(cluster["a"] if attempt % 2 == 0 else cluster["b"])
        statuses.append(through.login("member4@servers.example", password="wrong-password-guess").status)
    # Five tries a minute for one account from one address: each server saw three, together six.
    assert statuses == [422, 422, 422, 422, 422, 429]
    assert guesser.via(cluster["a"]).login("member4@servers.example").status == 429


def test_live_poll_results_are_the_same_whichever_server_answers(cluster):
    poll_id = cluster["poll_id"]
    for number, base in ((1, "a"), (2, "b"), (3, "a")):
        member = Visitor().via(cluster[base])
        assert member.login(f"member{number}@servers.example").status == 303
        choices, text_fields = poll_form(member, poll_id)
        answers = {name: values[number % len(values)] for name, values in choices.items()}
        answers.update({name: f"Comment from member {number}" for name in text_fields})
        assert member.post(f"/polls/{poll_id}", answers).status == 303
    watcher = Visitor()
    assert watcher.via(cluster["b"]).login("staff@servers.example").status == 303
    from_a = watcher.via(cluster["a"]).get(f"/polls/{poll_id}/results", htmx=True)
    from_b = watcher.via(cluster["b"]).get(f"/polls/{poll_id}/results", htmx=True)
    assert from_a.status == from_b.status == 200
    assert "<strong>3</strong> responses" in from_a.text and from_a.text == from_b.text
    assert from_a.getheader("ETag") == from_b.getheader("ETag")
    # A browser's cached copy from one server is still current on the other.
    again = watcher.via(cluster["b"]).get(f"/polls/{poll_id}/results", htmx=True,
                                          headers={"If-None-Match": from_a.getheader("ETag")})
    assert again.status == 304


def _this_monday() -> str:
    from issues_tracker.log.weeks import current_week

    return current_week().isoformat()
