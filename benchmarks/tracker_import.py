"""Tracker import: a 5,000-row sheet of new issues, then the same sheet again, as a worker runs them.

`python -m benchmarks --sections tracker_import`. A scratch database
(the forum's seeds) is built by the migrations; staff upload a CSV of the tracker's columns
in the web request's way (the file kept, the job queued), and a fresh process runs the job
as `flask worker` would. The target (docs/performance.md): 5,000 rows ≤ 5 s, all or nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

from . import targets
from .harness import in_fresh_process
from .log_render import peak_rss_kb
from .registry import Check, SectionResult, register
from .servicedesk import _app, _import_in_child, seeded_scratch

DEFAULT_ROWS = int(targets.limit("tracker_import", "rows"))
TARGET_SECONDS = targets.limit("tracker_import", "seconds")
TIMEOUT_SECONDS = 600
HEADER = ("Issue ID", "Issue Summary", "Service / System", "Root Cause (Known / Suspected)", "Impact Assessment Status",
          "Supplier Count Impacted", "Distributor Count Impacted", "Affected Settlement Messages", "Settlement Impact",
          "Current Status", "Action Underway", "Resolution Description", "Resolution Status", "Dependencies",
          "Parties Responsible for Resolution", "Will Next Settlement Run Resolve?")
SERVICES = ("DIP", "ISD", "DIP; ISD", "Platform")
STATUSES = ("Known behaviour", "Under investigation", "Monitoring", "Fix in progress")


def write_sheet(path: Path, rows: int) -> Path:
    lines = [",".join(f'"{cell}"' for cell in HEADER)]
    for number in range(1, rows + 1):
        row = (f"T{number}", f"Imported issue number {number} about message processing delays",
               SERVICES[number % len(SERVICES)], "Participant message format errors", "In Progress", "Multiple",
               "Multiple", "Dflows", "Rejections causing processing delays", STATUSES[number % len(STATUSES)],
               "Schema validation guidance issued", "Participants updating message structures", "In Progress",
               "Participant changes", "Participants / Elexon", "No")
        lines.append(",".join(f'"{cell}"' for cell in row))
    path.write_text("\n".join(lines) + "\n")
    return path


def _queue_in_child(url: str, path: str, results) -> None:
    """What the upload request does: keep the file and queue the job for staff."""
    from issues_tracker.accounts.operations import create_user
    from issues_tracker.core.extensions import db
    from issues_tracker.core.transaction import unit_of_work
    from issues_tracker.jobs import queue_upload_job, store_upload

    app = _app(url)
    with app.app_context():
        from issues_tracker.models import User

        staff = db.session.scalar(db.select(User).where(User.email == "tracker-staff@benchmark.example"))
        if staff is None:
            staff = create_user("tracker-staff@benchmark.example", role="staff", organisation_name="Elexon",
                                password="benchmark-only-password")  # noqa: S106 (a throwaway database)
            db.session.commit()
        data = Path(path).read_bytes()
        with unit_of_work():  # as the upload request: the job is queued once its row is committed
            upload = store_upload(data, Path(path).name, user=staff)
            job = queue_upload_job("tracker_import", upload, staff)
        results.put({"job_id": job.id, "peak_mb": peak_rss_kb() / 1024})


@register("tracker_import", "Tracker import: 5,000 rows as a worker runs it")
def run(ctx) -> SectionResult:
    rows = DEFAULT_ROWS
    url = seeded_scratch(ctx, "tracker-import.sqlite")
    sheet = write_sheet(ctx.workdir / "tracker-import.csv", rows)
    found, checks, table = {"rows": rows}, [], [f"{'run':<22} {'job':>8} {'queue drained':>14}"]
    for label in ("new issues", "the same sheet again"):
        # The sheet's second run is queued as a new job: the first has finished.
        queued = in_fresh_process(_queue_in_child, url, str(sheet), timeout=TIMEOUT_SECONDS)
        started = time.perf_counter()
        result = in_fresh_process(_import_in_child, url, queued["job_id"], timeout=TIMEOUT_SECONDS)
        if not result["succeeded"]:
            raise RuntimeError(f"tracker import ({label}) failed: {result['message']}")
        job, drained = result["job_seconds"], result["seconds"]
        ctx.progress(f"  tracker import, {label}: job {job:.1f} s, queue drained in {drained:.1f} s "
                     f"(process {time.perf_counter() - started:.1f} s), peak {result['peak_mb']:.0f} MB — {result['message']}")
        found[label] = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in result.items()}
        table.append(f"{label:<22} {job:6.1f} s {drained:12.1f} s   peak {result['peak_mb']:4.0f} MB   {result['message']}")
        # The import is the job: its issues are all there when it ends. The notifications of
        # what it changed are a job of their own that follows (the second figure).
        checks.append(Check(f"tracker import {rows:,} rows, {label}",
                            f"{job:.1f} s (then its notifications fanned out: {drained - job:.1f} s more)",
                            f"≤ {TARGET_SECONDS:g} s", met=job <= TARGET_SECONDS, row="tracker_import"))
    return SectionResult(data=found, table=table, checks=checks)
