"""Capacity: 100 signed-in people on two app servers, PostgreSQL, Redis and a worker, driven by Locust.

    python -m benchmarks --sections capacity --sizes 10000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench --redis-url redis://127.0.0.1:6379/13 \\
        [--capacity-people 100] [--capacity-seconds 60] [--capacity-gunicorn gthread:1x4]

It is the "capacity" section of ``python -m benchmarks``. On the run's largest dataset
(PostgreSQL only: on SQLite files it reports "not measured"), it makes one account per
person with a known password — nine in ten participants across the industry's
organisations, one in ten staff — and starts the deployment of docs/deploy.md on this
machine: two gunicorn servers of the chosen shape and a worker, sharing PostgreSQL and
Redis (benchmarks/capacity_cluster.py). Locust then runs headless as a subprocess
(benchmarks/capacity_locustfile.py: what each person does) with the people arriving over
RAMP_SECONDS, each signing in from an address of their own; the measured window starts
once everyone has arrived and lasts --capacity-seconds. Locust runs on the same machine,
so its CPU is part of what the two cores carry, and is reported with the others.

Reported: requests per second in the window, p50/p95/p99 per kind of request as the
people saw them and as the servers logged them (the app's own request timing), errors
over the whole run (arrival included), and the CPU seconds of each process in the window.
Judged at the row's scale only: 10,000 issues, 100 people, two servers, a window of at
least MIN_WINDOW_SECONDS.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from . import targets
from .capacity_cluster import ServerShape, cluster, cpu_snapshot, cpu_used, process_groups, redis_problem
from .harness import REPO_ROOT, BenchmarkError, Dataset, percentile
from .registry import Check, SectionResult, register

LOCUSTFILE = Path(__file__).with_name("capacity_locustfile.py")
PASSWORD = "capacity-bench-password-2026"  # noqa: S105 (accounts on a throwaway database)
DEFAULT_PEOPLE = int(targets.limit("capacity", "people"))
DEFAULT_SECONDS = 60.0
MIN_WINDOW_SECONDS = 60.0
# The gunicorn shape of each server, chosen by measurement (docs/deploy.md has the figures).
DEFAULT_SHAPE = "gthread:1x4"
SERVERS = 2
STAFF_SHARE = 0.1
RAMP_SECONDS = 20.0
THINK_SECONDS = (0.5, 1.5)
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
ALL = "all requests"


# ------------------------------------------------------------------ people and what they look at


def make_people(dataset: Dataset, people: int) -> dict[str, list[str]]:
    """One account per person (one password hash, reused): participants across the organisations, and staff."""
    from werkzeug.security import generate_password_hash

    from issues_tracker.accounts.operations import create_user
    from issues_tracker.core.extensions import db
    from issues_tracker.core.models import utcnow
    from issues_tracker.issues.synthetic_words import ORGANISATIONS
    from issues_tracker.models import User

    staff_count = max(1, round(people * STAFF_SHARE)) if people > 1 else 0
    emails = {"participants": [f"capacity.reader{n:03d}@people.example" for n in range(people - staff_count)],
              "staff": [f"capacity.staff{n:02d}@service-management.example" for n in range(staff_count)]}
    password_hash = generate_password_hash(PASSWORD)
    app = dataset.app()
    with app.app_context():
        existing = set(db.session.scalars(sa.select(User.email).where(User.email.like("capacity.%"))))
        for kind, addresses in emails.items():
            for n, email in enumerate(addresses):
                if email in existing:
                    continue
                organisation = "Elexon" if kind == "staff" else ORGANISATIONS[n % len(ORGANISATIONS)][0]
                user = create_user(email, role="staff" if kind == "staff" else "participant", password=None,
                                   name=f"Capacity {kind[:-1]} {n}", organisation_name=organisation)
                user.password_hash, user.password_changed_at = password_hash, utcnow()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return emails


def plan(dataset: Dataset, people: dict[str, list[str]], hosts: list[str], workdir: Path, *,
         measure_seconds: float, think: tuple[float, float] = THINK_SECONDS, random_seed: int = 2026) -> dict:
    """What the Locust people need: servers, accounts, issues to open, searches, filters, the window."""
    from issues_tracker.core import choices
    from issues_tracker.core.extensions import db
    from issues_tracker.issues import queries as issue_queries
    from issues_tracker.issues.listing import COLUMN_SORTS
    from issues_tracker.models import Issue, User

    rng = random.Random(random_seed)
    app = dataset.app()
    with app.app_context():
        published = db.session.execute(
            sa.select(Issue.id, Issue.summary).where(Issue.triage_state == "published").order_by(Issue.id)).all()
        reader = db.session.scalar(sa.select(User).where(User.email == (people["participants"] or people["staff"])[0]))
        visible = issue_queries.count_issues(issue_queries.IssueQuery(status="open"), reader)
        per_page = app.config["ISSUES_PER_PAGE"]
        db.session.remove()
        db.engine.dispose()
    if not published:
        raise BenchmarkError("the dataset has no published issue to read")
    chosen = rng.sample(published, min(2_000, len(published)))
    return {
        "hosts": hosts, "password": PASSWORD, "random_seed": random_seed,
        "participants": people["participants"], "staff": people["staff"],
        "issues": [issue_id for issue_id, _ in chosen],
        "searches": searches([summary for _, summary in chosen], rng),
        "services": list(choices.SERVICE_CODES),
        "statuses": ["open", "all", "closed", *choices.STATUS_CODES],
        "sorts": [code for sorts in COLUMN_SORTS.values() for code, _ in sorts],
        "severities": [str(code) for code, _ in choices.SEVERITIES],
        "last_page": max(2, math.ceil(visible / per_page)),
        "think_seconds": list(think), "measure_seconds": measure_seconds,
        "samples_file": str(workdir / "samples.csv"), "window_file": str(workdir / "window.json"),
    }


def searches(summaries: list[str], rng: random.Random, count: int = 200) -> list[str]:
    """What people type into the search box: a word of an issue's summary, two words, or a word half typed."""
    found = []
    for summary in summaries[: count * 2]:
        words = re.findall(r"[A-Za-z][A-Za-z0-9-]{3,}", summary)
        if not words:
            continue
        start = rng.randrange(len(words))
        roll = rng.random()
        if roll < 0.5:
            found.append(words[start])
        elif roll < 0.8 and start + 1 < len(words):
            found.append(f"{words[start]} {words[start + 1]}")
        else:
            found.append(words[start][: max(4, len(words[start]) // 2)])
        if len(found) == count:
            break
    return found or ["DIP"]


# ------------------------------------------------------------------ running Locust


def drive(found, plan_data: dict, workdir: Path, *, people: int, ramp_seconds: float = RAMP_SECONDS) -> dict:
    """Run Locust headless against the cluster; return its samples, the window and the CPU used in it."""
    plan_path = workdir / "plan.json"
    plan_path.write_text(json.dumps(plan_data, indent=1), encoding="utf-8")
    for name in ("samples_file", "window_file"):
        Path(plan_data[name]).unlink(missing_ok=True)
    limit = ramp_seconds * 3 + plan_data["measure_seconds"] + 60  # Locust stops itself by then at the latest
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--users", str(people),
               "--spawn-rate", f"{max(0.1, people / ramp_seconds):g}", "--run-time", f"{math.ceil(limit)}s",
               "--host", found.bases[0], "--reset-stats", "--csv", str(workdir / "locust"), "--only-summary",
               "--loglevel", "WARNING", "--stop-timeout", "3"]
    env = dict(os.environ, CAPACITY_PLAN=str(plan_path))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    log_path = workdir / "locust.log"
    window_file = Path(plan_data["window_file"])
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            started = _wait_for(window_file, "started", process, limit)
            groups = process_groups(found, process.pid)
            before = cpu_snapshot(groups)
            window = _wait_for(window_file, "ended", process, plan_data["measure_seconds"] + 60)
            after = cpu_snapshot(process_groups(found, process.pid))
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    if started is None or window is None:
        raise BenchmarkError("Locust stopped before the measured window "
                             f"{'ended' if started else 'began'}: " + log_path.read_text(errors="replace")[-1500:])
    if not Path(plan_data["samples_file"]).exists():
        raise BenchmarkError("Locust wrote no samples: " + log_path.read_text(errors="replace")[-1500:])
    with open(plan_data["samples_file"], encoding="utf-8", newline="") as handle:
        samples = [(float(r["started"]), r["kind"], float(r["ms"]), int(r["status"]), r["error"])
                   for r in csv.DictReader(handle)]
    return {"samples": samples, "window": (window["started"], window["ended"]), "arrived": window["people"],
            "cpu": cpu_used(before, after), "locust_exit": process.returncode}


def _wait_for(window_file: Path, key: str, process: subprocess.Popen, seconds: float) -> dict | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if window_file.exists():
            try:
                window = json.loads(window_file.read_text())
            except ValueError:
                window = {}
            if key in window:
                return window
        if process.poll() is not None:
            return None
        time.sleep(0.05)
    return None


# ------------------------------------------------------------------ figures


def _stats(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 0.95), 1), "p99_ms": round(percentile(values, 0.99), 1),
            "max_ms": round(max(values), 1)}


def analyse(samples: list[tuple], window: tuple[float, float]) -> dict:
    """Requests in the window (started in it and answered before it closed), by kind; errors over the whole run."""
    start, end = window
    inside = [s for s in samples if s[0] >= start and s[0] + s[2] / 1000 <= end]
    kinds: dict[str, list[float]] = {}
    for _, kind, ms, _, _ in inside:
        kinds.setdefault(kind, []).append(ms)
    by_kind = {kind: _stats(values) for kind, values in sorted(kinds.items(), key=lambda item: -len(item[1]))}
    for kind, stats in by_kind.items():
        stats["errors"] = sum(1 for s in inside if s[1] == kind and s[4])
    if inside:
        by_kind[ALL] = {**_stats([s[2] for s in inside]), "errors": sum(1 for s in inside if s[4])}
    errors = [f"{kind}: {error}" for _, kind, _, _, error in samples if error]
    answered: dict[str, int] = {}
    for _, kind, _, _, error in samples:
        if not error:
            answered[kind] = answered.get(kind, 0) + 1
    return {"seconds": round(end - start, 1), "requests": len(inside),
            "requests_per_second": round(len(inside) / (end - start), 1) if end > start else 0.0,
            "by_kind": by_kind, "errors": len(errors), "first_errors": errors[:5],
            "answered_whole_run": answered}


def server_times(log_files: list[Path], window: tuple[float, float], kinds: list[str]) -> dict:
    """The app's own timing of each request in the window (its request log), by kind (from X-Request-ID)."""
    slugs = {re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-"): kind for kind in kinds}
    found: dict[str, list[float]] = {}
    for path in log_files:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"issues_tracker.request"' not in line:
                continue
            try:
                record = json.loads(line)
                logged = datetime.strptime(record["time"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            except (ValueError, KeyError):
                continue
            parts = str(record.get("request_id", "")).split(".")
            if len(parts) != 3 or parts[0] != "cap" or record.get("ms") is None:
                continue
            if window[0] <= logged <= window[1]:
                found.setdefault(slugs.get(parts[1], parts[1]), []).append(float(record["ms"]))
    every = [ms for values in found.values() for ms in values]
    result = {kind: _stats(values) for kind, values in found.items()}
    if every:
        result[ALL] = _stats(every)
    return result


def server_errors(log_files: list[Path], limit: int = 3) -> list[str]:
    """The first errors the servers and the worker logged (a 500's exception, say), shortened."""
    found = []
    for path in log_files:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{") and ('"level": "ERROR"' in line or '"level": "CRITICAL"' in line):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                text = " ".join(str(record.get(key, "")) for key in ("message", "exc_info")).strip()
                found.append(f"{path.parent.name}: {text[-600:]}")
            elif line.startswith("Traceback") or "[ERROR]" in line:  # gunicorn's own, not in JSON
                found.append(f"{path.parent.name}: {line[:300]}")
            if len(found) >= limit:
                return found
    return found


def table(result: dict) -> list[str]:
    lines = [
        f"{result['issues']:,} issues on PostgreSQL; {result['servers']} gunicorn servers ({result['shape']} each), "
        f"a worker and Redis; {result['people']} people ({result['participants']} participants reading, "
        f"{result['staff']} staff commenting and updating) by Locust on the same machine, thinking "
        f"{result['think_seconds'][0]:g}–{result['think_seconds'][1]:g} s; measured for {result['seconds']:g} s "
        f"after they arrived over {result['ramp_seconds']:g} s",
        f"{'request':24}{'count':>7}{'per s':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}{'errors':>7}"
        f"{'app p50':>9}{'app p95':>9}",
    ]
    for kind, stats in result["by_kind"].items():
        app = result["server_ms"].get(kind)
        lines.append(f"{kind:24}{stats['n']:>7}{stats['n'] / result['seconds']:>7.1f}{stats['p50_ms']:>8.1f}"
                     f"{stats['p95_ms']:>8.1f}{stats['p99_ms']:>8.1f}{stats['max_ms']:>8.0f}{stats['errors']:>7}"
                     + (f"{app['p50_ms']:>9.1f}{app['p95_ms']:>9.1f}" if app else ""))
    lines.append(f"errors over the whole run, arrival included: {result['errors']}"
                 + (f" {result['first_errors']}" if result["errors"] else ""))
    lines += [f"  logged: {text}" for text in result.get("server_errors", [])]
    cpu = result["cpu"]
    lines.append(f"CPU seconds in the {cpu['wall_seconds']:g} s window ({cpu['cores']} cores: "
                 f"{cpu['cores'] * cpu['wall_seconds']:.0f} s to give); the machine was busy {cpu['machine_busy']:.1f} s")
    for name, seconds in [*cpu["groups"].items(), ("everything else on the machine", cpu["everything_else"])]:
        share = seconds / cpu["wall_seconds"] if cpu["wall_seconds"] else 0
        lines.append(f"  {name:44}{seconds:8.1f} s  {share:5.0%} of a core")
    lines.append("(\"app\": the server's own timing from its request log; the rest is queueing, sockets and Locust)")
    return lines


def checks(result: dict | None, reason: str = "") -> list[Check]:
    rate_limit = targets.limit("capacity", "requests_per_second")
    p95_limit = targets.limit("capacity", "p95_ms")
    rate_target, p95_target, errors_target = f"≥ {rate_limit:g}/s", f"≤ {p95_limit:g} ms", "0"
    if result is None:
        return [Check(f"capacity, {name}", reason, target, None, "capacity")
                for name, target in (("requests/s", rate_target), ("p95", p95_target), ("errors", errors_target))]
    at_scale = (targets.at_target_scale("capacity", issues=result["issues"], people=result["people"])
                and result["servers"] >= SERVERS and result["seconds"] >= MIN_WINDOW_SECONDS)
    scale = f"{result['people']} people, {result['issues']:,} issues, {result['seconds']:g} s"
    overall = result["by_kind"].get(ALL)
    p95 = overall["p95_ms"] if overall else math.inf
    return [
        Check(f"capacity requests/s, {scale}", f"{result['requests_per_second']:.1f}/s", rate_target,
              result["requests_per_second"] >= rate_limit if at_scale else None, "capacity"),
        Check(f"capacity p95 of every request, {scale}", f"{p95:.1f} ms (p50 {overall['p50_ms']:.1f}, p99 "
              f"{overall['p99_ms']:.1f})" if overall else "no request answered", p95_target,
              p95 <= p95_limit if at_scale else None, "capacity"),
        Check(f"capacity errors, {scale}", f"{result['errors']}", errors_target,
              result["errors"] == 0 if at_scale else None, "capacity"),
    ]


def measure(dataset: Dataset, workdir: Path, *, people: int, seconds: float, shape: ServerShape,
            redis_url: str | None, servers: int = SERVERS, worker: bool = True, ramp_seconds: float = RAMP_SECONDS,
            think: tuple[float, float] = THINK_SECONDS, progress=print) -> dict:
    """Accounts, the cluster, Locust and the figures: the whole measurement on one dataset."""
    accounts = make_people(dataset, people)
    with _stoppable(), cluster(dataset, workdir, shape=shape, servers=servers, redis_url=redis_url, worker=worker) as found:
        plan_data = plan(dataset, accounts, found.bases, workdir, measure_seconds=seconds, think=think)
        progress(f"\n{people} people on {servers} servers ({shape.describe()} each); arriving over "
                 f"{ramp_seconds:g} s, then {seconds:g} s measured")
        run = drive(found, plan_data, workdir, people=people, ramp_seconds=ramp_seconds)
        logs = [path for name, path in found.logs.items() if name.startswith("server")]
        result = analyse(run["samples"], run["window"])
        result["server_ms"] = server_times(logs, run["window"], list(result["by_kind"]))
        result["server_errors"] = server_errors(list(found.logs.values()))
    result.update(issues=dataset.size, people=people, participants=len(accounts["participants"]),
                  staff=len(accounts["staff"]), servers=servers, shape=shape.describe(), shape_spec=str(shape),
                  think_seconds=list(think), ramp_seconds=ramp_seconds, cpu=run["cpu"],
                  locust_exit=run["locust_exit"])
    return result


@contextmanager
def _stoppable():
    """Ctrl-C or SIGTERM still stop the servers and Locust (a background shell ignores SIGINT by default)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@register("capacity", "Capacity: a mixed workload of signed-in people on two servers")
def run(ctx) -> SectionResult:
    options = ctx.options
    if not options.database_url:
        reason = "not measured: needs PostgreSQL (--database-url)"
        return SectionResult(data={"status": reason}, table=[reason], checks=checks(None, reason))
    redis_url = options.redis_url or DEFAULT_REDIS_URL
    problem = redis_problem(redis_url)
    if problem:
        reason = f"not measured: needs Redis at {redis_url} (--redis-url): {problem}"
        return SectionResult(data={"status": reason}, table=[reason], checks=checks(None, reason))
    size = max(options.sizes)
    dataset = ctx.dataset(size)
    workdir = ctx.workdir / "capacity"
    workdir.mkdir(exist_ok=True)
    result = measure(dataset, workdir, people=options.capacity_people, seconds=options.capacity_seconds,
                     shape=ServerShape.parse(options.capacity_gunicorn), redis_url=redis_url, progress=ctx.progress)
    lines = table(result)
    ctx.progress("\n".join(lines))
    return SectionResult(data=result, table=lines, checks=checks(result))


def main(argv=None) -> int:
    """Try gunicorn shapes on a database a run has built already (its issues kept; people added if missing)."""
    import argparse
    import secrets
    import tempfile

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database with the synthetic issues")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
    parser.add_argument("--shapes", default=DEFAULT_SHAPE, help="gunicorn shapes to try in turn, comma-separated")
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE)
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    args = parser.parse_args(argv)
    shapes = [ServerShape.parse(text) for text in args.shapes.split(",") if text.strip()]
    os.environ.setdefault("MFA_REQUIRED_ROLES", "")
    engine = sa.create_engine(args.database_url)
    with engine.connect() as conn:
        size = conn.scalar(sa.text("SELECT count(*) FROM issue"))
    engine.dispose()
    dataset = Dataset(size, args.database_url, secrets.token_hex(32), {}, 0.0, 0.0)
    summary = []
    for shape in shapes:
        folder = Path(tempfile.mkdtemp(prefix=f"capacity-{shape}-"))  # kept: the processes' logs are there
        result = measure(dataset, folder, people=args.people, seconds=args.seconds, shape=shape,
                         redis_url=args.redis_url)
        print(f"logs and samples: {folder}")
        print("\n".join(table(result)), flush=True)
        every, cpu = result["by_kind"].get(ALL, {}), result["cpu"]
        summary.append(f"{str(shape):14}{result['requests_per_second']:>8.1f}{every.get('p50_ms', 0):>8.1f}"
                       f"{every.get('p95_ms', 0):>8.1f}{every.get('p99_ms', 0):>8.1f}{result['errors']:>7}"
                       f"{sum(v for k, v in cpu['groups'].items() if k.startswith('server')):>9.1f}"
                       f"{cpu['everything_else']:>8.1f}")
    print(f"\n{'shape':14}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>7}{'app cpu':>9}{'other':>8}")
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
