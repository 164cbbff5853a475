"""The benchmark's machinery: databases, a real HTTP server, clients, timing, query counts.

Sections use these through the RunContext they are given, so every section measures
the same way: fresh databases built by the migrations, a warm-up, requests interleaved
with the /healthz floor, percentiles from the raw samples.
"""

from __future__ import annotations

import http.client
import math
import multiprocessing
import os
import platform
import queue as queue_module
import re
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


class BenchmarkError(RuntimeError):
    """The system under test did not behave as the benchmark needs (wrong status, no server)."""


@dataclass
class Options:
    sizes: list[int]
    requests: int = 200
    warmup: int = 20
    workers: int = 2
    random_seed: int = 2026
    database_url: str | None = None  # a PostgreSQL database to rebuild; None: SQLite files
    sections: list[str] | None = None
    output: Path = RESULTS_DIR / "bench.json"
    # The Monday log render: open issues per size, and rounds (medians count).
    log_sizes: list[int] = field(default_factory=lambda: [50, 200, 1000])
    log_rounds: int = 3
    # The poll results refresh: simulated browsers, how long they poll, and how often.
    poll_browsers: int = 300
    poll_servers: int = 2
    poll_seconds: float = 30.0
    poll_interval: float = 3.0
    # Service performance: records behind the dashboard, and rows in the import.
    servicedesk_records: int = 200_000
    import_rows: int = 50_000
    # Capacity: people driven by Locust against two servers of this gunicorn shape, and the Redis they share.
    capacity_people: int = 100
    capacity_seconds: float = 60.0
    capacity_gunicorn: str = "gthread:1x4"
    redis_url: str | None = None


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    role: str
    organisation: str


@dataclass
class Dataset:
    """A database built by the migrations, with the pack's seeds and `size` synthetic issues."""

    size: int
    url: str
    secret_key: str
    accounts: dict[str, Account]
    migrate_seconds: float
    load_seconds: float

    def app(self):
        from issues_tracker import create_app

        return create_app({
            "SQLALCHEMY_DATABASE_URI": self.url,
            "SECRET_KEY": self.secret_key,
            "SESSION_COOKIE_SECURE": False,  # plain HTTP on 127.0.0.1
        })


# The accounts the benchmark signs in with: a participant sees published issues plus its
# own organisation's (the OR visibility rule); staff see everything.
BENCH_ACCOUNTS = {
    "participant": ("bench.participant@brightwater-energy.example", "participant", "Brightwater Energy"),
    "staff": ("bench.staff@service-management.example", "staff", "Elexon"),
}


class RunContext:
    """What a section gets: the options, datasets built on demand, servers and clients."""

    def __init__(self, options: Options, workdir: Path):
        self.options = options
        self.workdir = workdir
        self._datasets: dict[int, Dataset] = {}

    def progress(self, text: str) -> None:
        """Figures as they come, on stderr; the final table goes to stdout."""
        print(text, file=sys.stderr, flush=True)

    def dataset(self, size: int) -> Dataset:
        """The database with `size` synthetic issues, built once per run (per size)."""
        if size not in self._datasets:
            if self.options.database_url:
                self._datasets.clear()  # one PostgreSQL database: rebuilt for each size
            self._datasets[size] = build_dataset(size, self._url_for(size), self.options.random_seed)
        return self._datasets[size]

    def _url_for(self, size: int) -> str:
        if self.options.database_url:
            return self.options.database_url
        return "sqlite:///" + str(self.workdir / f"bench-{size}.sqlite")

    @contextmanager
    def server(self, dataset: Dataset, config: dict | None = None) -> Iterator[str]:
        """gunicorn serving the dataset; config overrides go to create_app (e.g. RATELIMIT_ENABLED)."""
        with gunicorn(dataset, self.options.workers, config) as base_url:
            yield base_url

    @contextmanager
    def servers(self, dataset: Dataset, count: int, config: dict | None = None) -> Iterator[list[str]]:
        """`count` gunicorn servers (each with the run's --workers) on the same database, as behind a load balancer."""
        with ExitStack() as stack:
            yield [stack.enter_context(gunicorn(dataset, self.options.workers, config)) for _ in range(count)]

    def timed(self, client, endpoints: dict[str, Endpoint]) -> dict[str, dict]:
        samples = time_requests(client, endpoints, self.options.requests, self.options.warmup)
        return {name: summarise(values) for name, values in samples.items()}


def build_dataset(size: int, url: str, random_seed: int) -> Dataset:
    from flask_migrate import upgrade

    from issues_tracker import create_app
    from issues_tracker.accounts.operations import create_user
    from issues_tracker.core.extensions import db
    from issues_tracker.issues.synthetic import analyse_tables, generate
    from issues_tracker.seeds.loader import seed_all

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        _reset_postgresql(url)
    secret_key = secrets.token_hex(32)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key})
    print(f"\nBuilding a database with {size:,} synthetic issues ({_redacted(url)})", file=sys.stderr, flush=True)
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        seed_all()
        db.session.commit()
        migrated = time.perf_counter()
        generate(size, random_seed=random_seed, progress=True)
        db.session.commit()
        analyse_tables()
        loaded = time.perf_counter()
        accounts = {}
        for key, (email, role, organisation) in BENCH_ACCOUNTS.items():
            password = secrets.token_urlsafe(18)
            create_user(email, role=role, organisation_name=organisation, password=password, name=f"Benchmark {role}")
            accounts[key] = Account(email, password, role, organisation)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return Dataset(size, url, secret_key, accounts, migrated - started, loaded - migrated)


def _reset_postgresql(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _redacted(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


# ------------------------------------------------------------------ HTTP server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(dataset: Dataset, workers: int, config: dict | None = None) -> Iterator[str]:
    """The app under gunicorn on 127.0.0.1, configured from the environment as in production."""
    port = free_port()
    env = dict(os.environ)
    env.pop("ISSUES_TRACKER_ENV", None)
    env.pop("FLASK_DEBUG", None)
    env.update(DATABASE_URL=dataset.url, SECRET_KEY=dataset.secret_key, SESSION_COOKIE_SECURE="0")
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning", f"issues_tracker:create_app({config!r})" if config else "issues_tracker:create_app()",
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env)  # noqa: S603 (our own command line)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(base_url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    client = HttpClient(base_url)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"gunicorn exited with status {process.returncode}")
        try:
            if client.get("/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchmarkError(f"gunicorn did not answer /healthz within {timeout:.0f} s")


# ------------------------------------------------------------------ clients


class HttpClient:
    """A signed-in browser in miniature: one connection per request, cookies kept."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def _request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, data
        finally:
            connection.close()

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        return self._request("GET", path, headers=headers)

    def post_form(self, path: str, data: dict) -> tuple[int, bytes]:
        return self._request(
            "POST", path, body=urlencode(data), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )


class InProcessClient:
    """The Flask test client: the same requests without the server, sockets or worker processes."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        response = self.client.get(path, headers=headers)
        return response.status_code, response.get_data()

    def post_form(self, path: str, data: dict) -> tuple[int, bytes]:
        response = self.client.post(path, data=data)
        return response.status_code, response.get_data()


CSRF_FIELD = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


def sign_in(client, account: Account) -> None:
    status, page = client.get("/login")
    match = CSRF_FIELD.search(page)
    if status != 200 or not match:
        raise BenchmarkError(f"/login answered {status} without a CSRF token")
    data = {"email": account.email, "password": account.password, "csrf_token": match.group(1).decode()}
    status, _ = client.post_form("/login", data)
    if status != 303:
        raise BenchmarkError(f"signing in as {account.email} answered {status}")


# ------------------------------------------------------------------ a measurement in its own process


def in_fresh_process(target, *args, timeout: float) -> dict:
    """Run target(*args, queue) in a spawned process (its own memory, as a worker's job has)
    and return the figures it puts on the queue; a process that dies or overruns sends none."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=target, args=(*args, results))
    process.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                return results.get(timeout=1)
            except queue_module.Empty:
                # A process that died (out of memory, a crash) sends nothing: stop waiting for it.
                if (not process.is_alive() and results.empty()) or time.monotonic() > deadline:
                    process.kill()
                    raise RuntimeError(f"{target.__name__} sent no figures (exit status {process.exitcode})") from None
    finally:
        process.join()


# ------------------------------------------------------------------ timing


@dataclass(frozen=True)
class Endpoint:
    path: str
    headers: dict = field(default_factory=dict)
    expect: int = 200


def time_requests(client, endpoints: dict[str, Endpoint], requests: int, warmup: int) -> dict[str, list[float]]:
    """Milliseconds per request. Endpoints take turns, so noise falls on the floor and the pages alike."""
    for _ in range(warmup):
        for endpoint in endpoints.values():
            _call(client, endpoint)
    samples: dict[str, list[float]] = {name: [] for name in endpoints}
    for _ in range(requests):
        for name, endpoint in endpoints.items():
            started = time.perf_counter()
            _call(client, endpoint)
            samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def _call(client, endpoint: Endpoint) -> bytes:
    status, body = client.get(endpoint.path, endpoint.headers)
    if status != endpoint.expect:
        raise BenchmarkError(f"GET {endpoint.path} answered {status}, expected {endpoint.expect}")
    return body


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of samples at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summarise(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 3),
        "p95_ms": round(percentile(values, 0.95), 3),
        "mean_ms": round(statistics.fmean(values), 3),
        "min_ms": round(min(values), 3),
        "max_ms": round(max(values), 3),
    }


class QueryCounter:
    """SQL statements sent through an engine, counted with before_cursor_execute."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        self.count += 1

    @contextmanager
    def counting(self) -> Iterator[QueryCounter]:
        self.count = 0
        yield self

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlalchemy

    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
    }
