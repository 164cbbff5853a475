"""The processes behind the capacity benchmark, as docs/deploy.md lays them out, and the CPU each one uses.

Two gunicorn app servers and a worker (`flask worker`), each as on a machine of its own
(its own working and instance folder, its log in a file), sharing only PostgreSQL and
Redis; the environment of docs/deploy.md (DATABASE_URL, REDIS_URL, SECRET_KEY,
TRUSTED_PROXY_COUNT=1), JSON logs at INFO as in production, and Redis keys under a name of
the run's own that are removed afterwards. Then the CPU seconds each process (with its
children) spent in a window, read with psutil: the servers, the worker, Locust, this
database's PostgreSQL connections and PostgreSQL's own background processes, and the
Redis server (shared with whatever else uses it).
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import sqlalchemy as sa

from .harness import REPO_ROOT, BenchmarkError, Dataset, _wait_until_healthy, free_port

SHAPE = re.compile(r"(sync|gthread):(\d+)(?:x(\d+))?")


@dataclass(frozen=True)
class ServerShape:
    """gunicorn's worker class, workers and threads per worker, written "gthread:2x4" or "sync:3"."""

    worker_class: str
    workers: int
    threads: int = 1

    @classmethod
    def parse(cls, text: str) -> ServerShape:
        match = SHAPE.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"say sync:WORKERS or gthread:WORKERSxTHREADS (e.g. gthread:2x4), not {text!r}")
        kind, workers, threads = match.group(1), int(match.group(2)), int(match.group(3) or 1)
        if not (1 <= workers <= 32 and 1 <= threads <= 64):
            raise ValueError(f"{text!r}: between 1 and 32 workers and 1 and 64 threads")
        if kind == "sync" and threads != 1:
            raise ValueError(f"{text!r}: a sync worker has one thread; say gthread:{workers}x{threads}")
        return cls(kind, workers, threads)

    def arguments(self) -> list[str]:
        arguments = ["--worker-class", self.worker_class, "--workers", str(self.workers)]
        return arguments + (["--threads", str(self.threads)] if self.worker_class == "gthread" else [])

    def __str__(self) -> str:
        return f"{self.worker_class}:{self.workers}" + (f"x{self.threads}" if self.worker_class == "gthread" else "")

    def describe(self) -> str:
        workers = f"{self.workers} {self.worker_class} worker{'s' if self.workers != 1 else ''}"
        return workers + (f" × {self.threads} threads" if self.worker_class == "gthread" else "")


@dataclass
class Cluster:
    bases: list[str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    database_url: str = ""
    redis_url: str | None = None


def environment(dataset: Dataset, redis_url: str | None, namespace: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("ISSUES_TRACKER_ENV", "FLASK_DEBUG")}
    env.pop("REDIS_URL", None)
    env.update(DATABASE_URL=dataset.url, SECRET_KEY=dataset.secret_key, SESSION_COOKIE_SECURE="0",
               TRUSTED_PROXY_COUNT="1", LOG_FORMAT="json", LOG_LEVEL="INFO", REDIS_NAMESPACE=namespace,
               MFA_REQUIRED_ROLES=os.environ.get("MFA_REQUIRED_ROLES", ""))
    if redis_url:
        env["REDIS_URL"] = redis_url
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


@contextmanager
def cluster(dataset: Dataset, workdir: Path, *, shape: ServerShape, servers: int = 2, redis_url: str | None = None,
            worker: bool = True) -> Iterator[Cluster]:
    """`servers` gunicorn servers of `shape` and (with `worker`) one worker, on the dataset's database."""
    namespace = f"capacity_{secrets.token_hex(4)}"
    env = environment(dataset, redis_url, namespace)
    found = Cluster([], database_url=dataset.url, redis_url=redis_url)
    handles = []

    def start(name: str, command: list[str]) -> subprocess.Popen:
        folder = workdir / re.sub(r"\W+", "-", name)
        (folder / "instance").mkdir(parents=True, exist_ok=True)
        log_path = folder / "log.jsonl"
        handle = log_path.open("w", encoding="utf-8")
        handles.append(handle)
        process = subprocess.Popen(command, cwd=folder, env=dict(env, INSTANCE_PATH=str(folder / "instance")),  # noqa: S603
                                   stdout=handle, stderr=subprocess.STDOUT)
        found.processes[name], found.logs[name] = process, log_path
        return process

    try:
        for number in range(1, servers + 1):
            port = free_port()
            # Each server's control socket in its own folder, as on a machine of its own (gunicorn's
            # default, ~/.gunicorn/gunicorn.ctl, is one per user: the second server would find it taken).
            folder = workdir / f"server-{number}"
            start(f"server {number}", [sys.executable, "-m", "gunicorn", *shape.arguments(),
                                       "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                                       "--control-socket", str(folder / "gunicorn.ctl"),
                                       "issues_tracker:create_app()"])
            found.bases.append(f"http://127.0.0.1:{port}")
        if worker:
            start("worker", [sys.executable, "-m", "flask", "--app", "issues_tracker", "worker",
                             "--threads", "2", "--slow-threads", "1"])
        for number, base in enumerate(found.bases, start=1):
            _wait_until_healthy(base, found.processes[f"server {number}"])
        if worker and found.processes["worker"].poll() is not None:
            raise BenchmarkError(f"the worker exited with status {found.processes['worker'].returncode}: "
                                 + found.logs["worker"].read_text(errors="replace")[-800:])
        yield found
    finally:
        for name, process in found.processes.items():
            if process.poll() is None:
                process.send_signal(signal.SIGINT if name == "worker" else signal.SIGTERM)
        for process in found.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for handle in handles:
            handle.close()
        if redis_url:
            _forget_keys(redis_url, namespace)


def _forget_keys(redis_url: str, namespace: str) -> None:
    import redis

    try:
        store = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
        keys = list(store.scan_iter(match=f"*{namespace}*"))
        if keys:
            store.delete(*keys)
    except redis.RedisError:
        pass


def redis_problem(redis_url: str) -> str | None:
    """Why Redis at redis_url cannot serve the run, or None when it answers."""
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except (redis.RedisError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


# ------------------------------------------------------------------ CPU seconds


def _tree(pid: int) -> list[int]:
    try:
        root = psutil.Process(pid)
        return [pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.Error:
        return []


def process_groups(found: Cluster, locust_pid: int | None) -> dict[str, list[int]]:
    """The processes to account for, by what they are: each server, the worker, Locust, PostgreSQL, Redis."""
    groups = {name: _tree(process.pid) for name, process in found.processes.items()}
    if locust_pid:
        groups["Locust"] = _tree(locust_pid)
    if found.database_url.startswith("postgresql"):
        groups.update(_postgresql_pids(found.database_url))
    if found.redis_url:
        import redis

        with suppress(redis.RedisError, KeyError, ValueError):  # no figure for Redis is better than no run
            pid = int(redis.Redis.from_url(found.redis_url, socket_connect_timeout=2).info("server")["process_id"])
            groups["Redis (the whole server)"] = [pid]
    return groups


def _postgresql_pids(url: str) -> dict[str, list[int]]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            database = conn.scalar(sa.text("SELECT current_database()"))
            rows = conn.execute(sa.text("SELECT pid, datname, backend_type FROM pg_stat_activity")).all()
    finally:
        engine.dispose()
    ours = [pid for pid, name, kind in rows if name == database and kind == "client backend"]
    background = [pid for pid, name, kind in rows if kind != "client backend"]
    if ours:
        try:
            background.append(psutil.Process(ours[0]).ppid())  # the postmaster
        except psutil.Error:
            pass
    return {"PostgreSQL (this database's connections)": ours, "PostgreSQL (its own background processes)": background}


def cpu_snapshot(groups: dict[str, list[int]]) -> dict:
    """Seconds of CPU (user + system) so far, per process of each group, and the machine's busy seconds."""
    seen: dict[str, dict[int, float]] = {}
    for name, pids in groups.items():
        seen[name] = {}
        for pid in pids:
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            seen[name][pid] = times.user + times.system
    total = psutil.cpu_times()
    busy = sum(total) - total.idle - getattr(total, "iowait", 0.0)
    return {"groups": seen, "busy": busy, "at": time.monotonic()}


def cpu_used(before: dict, after: dict) -> dict:
    """CPU seconds each group used between two snapshots; a process that started between them counts whole."""
    used = {}
    for name, pids in after["groups"].items():
        earlier = before["groups"].get(name, {})
        used[name] = round(sum(seconds - earlier.get(pid, 0.0) for pid, seconds in pids.items()), 2)
    busy = after["busy"] - before["busy"]
    return {"groups": used, "machine_busy": round(busy, 2),
            "everything_else": round(max(0.0, busy - sum(used.values())), 2),
            "wall_seconds": round(after["at"] - before["at"], 2), "cores": psutil.cpu_count()}
