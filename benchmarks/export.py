"""The export of every issue, as CSV and as Excel, through gunicorn over HTTP.

For each size of the run (--sizes) up to the row's 10,000 issues, gunicorn with one worker (so one process serves every
download, and its memory is the export's) and a signed-in staff member, who sees every issue,
downloads /issues.csv?status=all and /issues.xlsx?status=all: one untimed download of each,
then ROUNDS timed ones, each read to its last byte. The figures: the median and worst time
of a whole download, when its first byte came (a streamed CSV starts at once; the workbook
is built before it is sent), its size, its rows (checked against the issues in the database:
a file missing any fails the section), and how far the serving worker's peak memory rose
above what it held before the download (VmHWM in /proc, its peak reset through clear_refs
before each download; Linux only, else not shown). Judged against the "export" row of
targets.py at 10,000 issues and more, on the median.
"""

from __future__ import annotations

import csv
import http.client
import io
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa

from . import targets
from .harness import BenchmarkError, HttpClient, RunContext, gunicorn, sign_in
from .registry import Check, SectionResult, register

ROUNDS = 3
KINDS = {  # kind: (label, path, the row's limit)
    "csv": ("CSV", "/issues.csv?status=all", "csv_seconds"),
    "xlsx": ("Excel", "/issues.xlsx?status=all", "xlsx_seconds"),
}


def _download(client: HttpClient, path: str) -> tuple[bytes, float, float]:
    """The whole body, the seconds until its first byte, and until its last."""
    headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in client.cookies.items())}
    connection = http.client.HTTPConnection(client.host, client.port, timeout=300)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            raise BenchmarkError(f"GET {path} answered {response.status}")
        first = response.read(1)
        first_byte = time.perf_counter() - started
        body = first + response.read()
        return body, first_byte, time.perf_counter() - started
    finally:
        connection.close()


# ------------------------------------------------------------------ the server's memory (Linux /proc)


def _server_processes(base_url: str) -> list[int]:
    """The gunicorn master and workers serving base_url: their command line names its address."""
    address = f"127.0.0.1:{urlsplit(base_url).port}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"gunicorn" in command and address in command:
            found.append(int(entry.name))
    return found


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _start_watching(pids: list[int]) -> dict[int, int] | None:
    """Each process's memory now, its peak reset to it; None where /proc does not allow that."""
    held = {}
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak resident size (Linux 4.0+)
        except OSError:
            return None
        rss = _status_kb(pid, "VmRSS")
        if rss is None:
            return None
        held[pid] = rss
    return held or None


def _peak_growth_mb(held: dict[int, int] | None) -> float | None:
    """How far the most-grown process's peak rose above what it held at _start_watching."""
    if held is None:
        return None
    growth = [(_status_kb(pid, "VmHWM") or rss) - rss for pid, rss in held.items()]
    return max(0, max(growth)) / 1024


# ------------------------------------------------------------------ measuring


def _rows(kind: str, body: bytes) -> int:
    if kind == "csv":
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return sum(1 for _ in sheet.iter_rows(values_only=True)) - 1


def _issues_in(dataset) -> int:
    from issues_tracker.core.extensions import db
    from issues_tracker.models import Issue

    app = dataset.app()
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Issue))
        db.session.remove()
        db.engine.dispose()
    return count


def measure_size(ctx: RunContext, size: int) -> dict:
    dataset = ctx.dataset(size)
    issues = _issues_in(dataset)
    result = {"issues": issues}
    with gunicorn(dataset, 1) as base_url:
        client = HttpClient(base_url)
        sign_in(client, dataset.accounts["staff"])
        processes = _server_processes(base_url)
        for kind, (label, path, _) in KINDS.items():
            _download(client, path)  # warm: the worker's first export compiles its SQL and fills its caches
            seconds, first_bytes, growth = [], [], []
            body = b""
            for _ in range(ROUNDS):
                held = _start_watching(processes)
                body, first_byte, total = _download(client, path)
                growth.append(_peak_growth_mb(held))
                seconds.append(total)
                first_bytes.append(first_byte)
            rows = _rows(kind, body)
            if rows != issues:
                raise BenchmarkError(f"the {label} export of {issues:,} issues has {rows:,} rows")
            measured = [value for value in growth if value is not None]
            result[kind] = {
                "median_seconds": round(statistics.median(seconds), 3), "worst_seconds": round(max(seconds), 3),
                "first_byte_seconds": round(statistics.median(first_bytes), 3), "rows": rows,
                "megabytes": round(len(body) / 1e6, 2),
                "server_peak_growth_mb": round(max(measured), 1) if measured else None,
            }
            ctx.progress(f"  {size:,} issues, {label}: {_line(result[kind])}")
    return result


def _line(figures: dict) -> str:
    growth = figures["server_peak_growth_mb"]
    return (f"median {figures['median_seconds']:.2f} s, worst {figures['worst_seconds']:.2f} s, first byte "
            f"{figures['first_byte_seconds']:.2f} s, {figures['rows']:,} rows, {figures['megabytes']:.1f} MB"
            + (f", server peak +{growth:.0f} MB" if growth is not None else ""))


def checks(by_size: dict[int, dict]) -> list[Check]:
    found = []
    scale = int(targets.limit("export", "issues"))
    for kind, (label, _, limit_name) in KINDS.items():
        limit = targets.limit("export", limit_name)
        name = f"{label} export of every issue, staff (HTTP, median of {ROUNDS})"
        judged = [size for size in by_size if targets.at_target_scale("export", issues=size)]
        if not judged:
            found.append(Check(f"{name}, {scale:,} issues", "size not run", f"≤ {limit:g} s", None, "export"))
        for size, result in by_size.items():
            figures = result[kind]
            growth = figures["server_peak_growth_mb"]
            figure = (f"{figures['median_seconds']:.2f} s, {figures['rows']:,} rows"
                      + (f", server peak +{growth:.0f} MB" if growth is not None else ""))
            met = figures["median_seconds"] <= limit if size in judged else None
            found.append(Check(f"{name}, {size:,} issues", figure, f"≤ {limit:g} s", met, "export"))
    return found


@register("export", "Export of every issue, CSV and Excel")
def run(ctx: RunContext) -> SectionResult:
    # Up to the row's scale: an Excel file of 100,000 issues takes longer to build than a sync
    # gunicorn worker may keep one request (30 s), which is a limit of the web request, not a figure.
    row_scale = targets.limit("export", "issues")
    sizes = [size for size in ctx.options.sizes if size <= row_scale] or ctx.options.sizes[:1]
    by_size = {size: measure_size(ctx, size) for size in sizes}
    table = [f"gunicorn, 1 worker; signed in as staff; {ROUNDS} timed downloads of each after one untimed; server peak: "
             "the worker's peak memory over what it held before a download (the most of the rounds)",
             f"{'issues':>9}  {'export':6} {'median s':>9} {'worst s':>8} {'1st byte s':>10} {'rows':>8} {'MB':>6} "
             f"{'server peak':>11}"]
    for size, result in by_size.items():
        for kind, (label, _, _) in KINDS.items():
            figures = result[kind]
            growth = figures["server_peak_growth_mb"]
            peak = f"+{growth:.0f} MB" if growth is not None else "not shown"
            table.append(
                f"{size:>9,}  {label:6} {figures['median_seconds']:9.2f} {figures['worst_seconds']:8.2f} "
                f"{figures['first_byte_seconds']:10.2f} {figures['rows']:8,} {figures['megabytes']:6.1f} {peak:>11}"
            )
    return SectionResult(data={"rounds": ROUNDS, "sizes": {str(size): result for size, result in by_size.items()}},
                         table=table, checks=checks(by_size))
