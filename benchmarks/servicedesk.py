"""Service performance: the KPI dashboard and kpis.csv at 200,000 records, importing 50,000
rows, and rendering a meeting's pack.

    python -m benchmarks --sections servicedesk [--servicedesk-records 200000] [--import-rows 50000]

It is the "servicedesk" section of ``python -m benchmarks``:

- Pages: a fresh database (the migrations, the pack's seeds, then the synthetic
  generator's cases and incidents over three years) served by gunicorn; a participant
  signs in and asks, in turn with /healthz as the floor, for the dashboard (the
  default last six months), the dashboard's htmx fragment for a service over two years,
  kpis.csv for six months and for three years, and aged.csv. p50/p95 over the run's
  requests after a warm-up; targets p95 ≤ 50 ms for the dashboard and kpis.csv. The
  dashboard keeps its rendered results while the data is unchanged, so it is measured
  again on a second server with that off (PERFORMANCE_CACHE=False): every request
  computed, as for the first reader after an import.
- Import: a CSV and an Excel extract of 50,000 generated rows with ServiceNow's labels,
  each imported by the import job in a fresh process (as a worker runs it) into a fresh
  database, then the CSV again unchanged and changed in a fifth of its rows (updates).
  The Excel file is laid out as Excel saves one (text in the shared-strings table, times
  as date cells); the same rows with every text inline, as openpyxl writes a workbook,
  are imported too. Wall time and the process's peak resident memory (VmHWM), and the
  upload request that keeps the file and queues the job; targets ≤ 15 s, ≤ 300 MB, ≤ 200 ms.
- Pack: the April 2026 forum pack rendered by its job in a fresh process, on the seeds
  (the pack as the forum sees it) and on the 200,000-record database; target ≤ 10 s.
"""

from __future__ import annotations

import csv
import io
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import targets, web_renders
from .harness import (
    Account,
    Dataset,
    Endpoint,
    HttpClient,
    InProcessClient,
    QueryCounter,
    _redacted,
    _reset_postgresql,
    in_fresh_process,
    sign_in,
)
from .log_render import peak_rss_kb
from .registry import Check, SectionResult, register

DEFAULT_RECORDS = int(targets.limit("kpis", "records"))
DEFAULT_IMPORT_ROWS = int(targets.limit("servicedesk_import", "rows"))
TIMEOUT_SECONDS = 900


def _app(url: str, secret: str = "benchmark-only-secret"):  # noqa: S107 (a throwaway database)
    from issues_tracker import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "SESSION_COOKIE_SECURE": False})


def seeded_scratch(ctx, filename: str) -> str:
    """A database of the forum's seeds alone, built afresh by the migrations: a SQLite file in
    the run's folder, or the --database-url PostgreSQL database (rebuilt). Returns its URL."""
    url = ctx.options.database_url or "sqlite:///" + str(ctx.workdir / filename)
    if ctx.options.database_url:
        ctx._datasets.clear()  # the one PostgreSQL database is rebuilt here
    _fresh(url)
    app = _app(url)
    with app.app_context():
        from issues_tracker.core.extensions import db
        from issues_tracker.seeds.loader import seed_all

        seed_all()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


def _fresh(url: str) -> None:
    from flask_migrate import upgrade

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        _reset_postgresql(url)
    app = _app(url)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "issues_tracker" / "migrations"))
        from issues_tracker.core.extensions import db

        db.session.remove()
        db.engine.dispose()


def build(url: str, records: int, random_seed: int, progress) -> tuple[Dataset, float]:
    """Migrations, the seeds, `records` generated cases and incidents, and a participant account."""
    from issues_tracker.accounts.operations import create_user
    from issues_tracker.core.extensions import db
    from issues_tracker.seeds.loader import seed_all
    from issues_tracker.servicedesk.synthetic import analyse_tables, generate_records

    progress(f"\nBuilding a database with {records:,} service-desk records ({_redacted(url)})")
    _fresh(url)
    secret = secrets.token_hex(32)
    app = _app(url, secret)
    with app.app_context():
        seed_all()
        started = time.perf_counter()
        generate_records(records, random_seed=random_seed, progress=True)
        db.session.commit()
        analyse_tables()
        load_seconds = time.perf_counter() - started
        password = secrets.token_urlsafe(18)
        email = "bench.participant@brightwater-energy.example"
        create_user(email, role="participant", organisation_name="Brightwater Energy", password=password,
                    name="Benchmark participant")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    account = Account(email, password, "participant", "Brightwater Energy")
    return Dataset(records, url, secret, {"participant": account}, 0.0, load_seconds), load_seconds


def endpoints(url: str) -> dict[str, Endpoint]:
    from issues_tracker.core.extensions import db
    from issues_tracker.servicedesk import performance, periods

    app = _app(url)
    with app.app_context():
        period = periods.default_period()
        services, _ = performance.filter_choices()
        db.session.remove()
        db.engine.dispose()
    last = f"{period.last // 100:04d}-{period.last % 100:02d}"
    first_of_three_years = f"{period.last // 100 - 3:04d}-{period.last % 100:02d}"
    first_of_two_years = f"{period.last // 100 - 2:04d}-{period.last % 100:02d}"
    service = services[0] if services else ""
    return {
        "healthz": Endpoint("/healthz"),
        "dashboard": Endpoint("/performance"),
        "dashboard fragment": Endpoint(f"/performance?from={first_of_two_years}&to={last}&service={service}",
                                       {"HX-Request": "true"}),
        "kpis.csv": Endpoint("/performance/kpis.csv"),
        "kpis.csv, 3 years": Endpoint(f"/performance/kpis.csv?from={first_of_three_years}&to={last}"),
        "aged.csv": Endpoint("/performance/aged.csv"),
    }


# ---------------------------------------------------------------- import and render, each in a fresh process


def write_extracts(folder: Path, rows: int, random_seed: int) -> dict[str, Path]:
    """CSV and Excel extracts of generated rows with ServiceNow's labels, and the CSV with a fifth changed."""
    import random

    from openpyxl import Workbook

    from issues_tracker.servicedesk.clock import LONDON
    from issues_tracker.servicedesk.synthetic import _opened, _record
    from issues_tracker.servicedesk.vocabulary import COLUMNS, PRIORITY_LABELS

    rng = random.Random(random_seed)
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    start = datetime(2024, 12, 1, tzinfo=UTC)
    span = (now - start).total_seconds()

    def moment(value):
        return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S") if value else ""

    lines = []
    for n in range(rows):
        kind = "case" if n % 3 else "incident"
        number = f"CS7{n:08d}" if kind == "case" else f"INC7{n:08d}"
        r = _record(rng, number, kind, _opened(rng, start, span), now)
        lines.append([r.number, moment(r.opened_at), PRIORITY_LABELS.get(r.priority, "5 - Planning"), r.state,
                      r.short_description, r.assignment_group, r.product, r.category, moment(r.responded_at),
                      moment(r.resolved_at), moment(r.closed_at), "", r.aged_reason, r.aged_reason_detail,
                      "Y" if r.major_incident else "N", moment(r.mi_portal_banner_at), moment(r.mi_email_at),
                      moment(r.industry_circular_at), r.pir_published_on.isoformat() if r.pir_published_on else ""])
    paths = {"csv": folder / "extract.csv", "changed": folder / "extract-changed.csv",
             "xlsx": folder / "extract.xlsx", "xlsx inline": folder / "extract-inline-strings.xlsx"}
    for key, changed in (("csv", False), ("changed", True)):
        with open(paths[key], "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for index, line in enumerate(lines):
                if changed and index % 5 == 0:
                    line = [*line[:3], "Awaiting Info" if line[3] != "Awaiting Info" else "In Progress", *line[4:]]
                writer.writerow(line)
    times = {1, 8, 9, 10, 15, 16, 17}  # Opened, Responded, Resolved, Closed and the MI times
    cells = [[datetime.strptime(v, "%Y-%m-%d %H:%M:%S") if i in times and v else v for i, v in enumerate(line)]
             for line in lines]
    write_excel_xlsx(paths["xlsx"], [COLUMNS, *cells])
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Page 1")
    sheet.append(COLUMNS)
    for line in cells:
        sheet.append(line)
    book.save(paths["xlsx inline"])
    return paths


def _column(index: int) -> str:
    name, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def write_excel_xlsx(path: Path, rows: list[list]) -> None:
    """A workbook laid out as Excel (and ServiceNow's export) saves one: text in the shared-strings
    table, times as date cells. openpyxl writes every text inline instead."""
    import zipfile
    from xml.sax.saxutils import escape

    epoch = datetime(1899, 12, 30)
    strings: dict[str, int] = {}
    sheet_rows = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            ref = f"{_column(c)}{r}"
            if isinstance(value, datetime):
                cells.append(f'<c r="{ref}" s="1"><v>{(value - epoch).total_seconds() / 86400:.10f}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="s"><v>{strings.setdefault(str(value), len(strings))}</v></c>')
        sheet_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006"
    kinds = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{package}/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kinds}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kinds}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{kinds}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kinds}.sharedStrings+xml"/></Types>'))
        z.writestr("_rels/.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {main} xmlns:r="{office}"><sheets>'
            '<sheet name="Page 1" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        z.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{office}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{office}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
        z.writestr("xl/styles.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {main}><numFmts count="1">'
            '<numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'))
        z.writestr("xl/sharedStrings.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><sst {main} count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in strings) + "</sst>"))
        z.writestr("xl/worksheets/sheet1.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet {main}>'
            f'<dimension ref="A1:{_column(len(rows[0]) - 1)}{len(rows)}"/><sheetData>'
            + "".join(sheet_rows) + "</sheetData></worksheet>"))


BENCH_STAFF = "import-staff@benchmark.example"
BENCH_PASSWORD = "benchmark-only-password"  # noqa: S105 (a throwaway database)


def _upload_in_child(url: str, path: str, results) -> None:
    """The staff upload as the web request handles it: keep the file, queue the job, answer."""
    import sqlalchemy as sa

    from issues_tracker import create_app
    from issues_tracker.accounts.operations import create_user
    from issues_tracker.core.extensions import db
    from issues_tracker.models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark-only-secret", "SESSION_COOKIE_SECURE": False,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "QUEUE_BACKEND": "memory"})
    with app.app_context():
        if db.session.scalar(sa.select(User.id).where(User.email == BENCH_STAFF)) is None:
            create_user(BENCH_STAFF, role="staff", organisation_name="Elexon", password=BENCH_PASSWORD)
            db.session.commit()
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"email": BENCH_STAFF, "password": BENCH_PASSWORD})
    client.get("/performance/import")  # a warm server: templates compiled, connection open
    with open(path, "rb") as handle:
        data = handle.read()
    started = time.perf_counter()
    response = client.post("/performance/import", data={"file": (io.BytesIO(data), Path(path).name)},
                           content_type="multipart/form-data")
    seconds = time.perf_counter() - started
    location = response.headers.get("Location", "")
    results.put({"seconds": seconds, "status": response.status_code, "job_id": int(location.rsplit("/", 1)[1])
                 if location.startswith("/performance/import/") else None})


def _import_in_child(url: str, job_id: int, results) -> None:
    """The queued import as a worker runs it."""
    from issues_tracker.core.extensions import db
    from issues_tracker.jobs import run_queued_jobs
    from issues_tracker.models import Job

    app = _app(url)
    with app.app_context():
        baseline = peak_rss_kb()
        started = time.perf_counter()
        run_queued_jobs()
        seconds = time.perf_counter() - started
        job = db.session.get(Job, job_id)
        succeeded, message = job.state == "done", job.result_message or job.failure_reason
        # The job's own time, from its row; `seconds` also holds whatever it queued and the
        # queue ran after it (the notifications of what it changed, say).
        job_seconds = (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else None
    results.put({"seconds": seconds, "job_seconds": job_seconds, "peak_mb": peak_rss_kb() / 1024,
                 "baseline_mb": baseline / 1024, "message": message, "succeeded": succeeded})


def _render_in_child(url: str, results) -> None:
    import sqlalchemy as sa

    from issues_tracker.core.extensions import db
    from issues_tracker.jobs import enqueue, run_queued_jobs
    from issues_tracker.models import Job, Meeting, MeetingPack

    app = _app(url)
    with app.app_context():
        meeting_id = db.session.scalar(sa.select(Meeting.id).where(Meeting.meeting_date == datetime(2026, 4, 14).date()))
        job_id = enqueue("meeting_pack", key=str(meeting_id), meeting_id=meeting_id).id
        db.session.commit()
        baseline = peak_rss_kb()
        started = time.perf_counter()
        run_queued_jobs()  # as a worker runs it
        seconds = time.perf_counter() - started
        job = db.session.get(Job, job_id)
        succeeded, message = job.state == "done", job.result_message or job.failure_reason
        pdf = db.session.scalar(sa.select(MeetingPack.pdf).where(MeetingPack.meeting_id == meeting_id)) or b""
    import io

    from pypdf import PdfReader

    results.put({"seconds": seconds, "peak_mb": peak_rss_kb() / 1024, "baseline_mb": baseline / 1024,
                 "message": message, "succeeded": succeeded, "bytes": len(pdf),
                 "pages": len(PdfReader(io.BytesIO(pdf)).pages) if pdf else 0})


IMPORTS = (
    ("csv, new records", "csv", True),
    ("csv, again (unchanged)", "csv", False),
    ("csv, a fifth changed", "changed", False),
    ("xlsx, new records", "xlsx", True),
    ("xlsx inline strings", "xlsx inline", True),
)


def measure_imports(ctx, url: str, rows: int) -> dict:
    folder = ctx.workdir / "servicedesk-import"
    folder.mkdir(exist_ok=True)
    ctx.progress(f"\nWriting {rows:,}-row extracts (CSV and Excel)")
    paths = write_extracts(folder, rows, ctx.options.random_seed)
    found = {"rows": rows, "csv_mb": round(paths["csv"].stat().st_size / 1e6, 1),
             "xlsx_mb": round(paths["xlsx"].stat().st_size / 1e6, 1)}
    for label, key, fresh in IMPORTS:
        if fresh:
            _fresh(url)
        upload = in_fresh_process(_upload_in_child, url, str(paths[key]), timeout=TIMEOUT_SECONDS)
        if upload["job_id"] is None:
            raise RuntimeError(f"the upload of {label} was refused ({upload['status']})")
        result = in_fresh_process(_import_in_child, url, upload["job_id"], timeout=TIMEOUT_SECONDS)
        result["upload_request_ms"] = upload["seconds"] * 1000
        if not result["succeeded"]:
            raise RuntimeError(f"import {label} failed: {result['message']}")
        ctx.progress(f"  import {label}: upload request {result['upload_request_ms']:.0f} ms; job {result['seconds']:.1f} s, "
                     f"peak {result['peak_mb']:.0f} MB — {result['message']}")
        found[label] = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in result.items()}
    return found


def measure_pack(ctx, url: str, label: str, rounds: int = 3) -> dict:
    runs = [in_fresh_process(_render_in_child, url, timeout=TIMEOUT_SECONDS) for _ in range(rounds)]
    for run in runs:
        if not run["succeeded"]:
            raise RuntimeError(f"pack render failed: {run['message']}")
    result = {"seconds": round(statistics.median(r["seconds"] for r in runs), 2),
              "runs_seconds": [round(r["seconds"], 2) for r in runs],
              "peak_mb": round(max(r["peak_mb"] for r in runs), 1), "pages": runs[0]["pages"], "bytes": runs[0]["bytes"]}
    ctx.progress(f"  pack render, {label}: {result['seconds']:.2f} s (median of {rounds}), {result['pages']} pages, "
                 f"peak {result['peak_mb']:.0f} MB")
    return result


KPI_PAGES = ("dashboard", "dashboard fragment", "kpis.csv", "kpis.csv, 3 years")
limit = targets.limit


def kpi_checks(records: int, kept: dict, afresh: dict) -> list[Check]:
    """Each KPI page cached and computed afresh; a verdict only at the row's number of records."""
    at_scale = targets.at_target_scale("kpis", records=records)
    found = []
    for label, timings, key in (("cached", kept, "cached_p95_ms"), ("computed afresh", afresh, "afresh_p95_ms")):
        for name in KPI_PAGES:
            figure = timings[name]["p95_ms"]
            found.append(Check(f"{name} p95, {records:,} records, {label} (HTTP)", f"{figure:.1f} ms",
                               f"≤ {limit('kpis', key):g} ms", figure <= limit("kpis", key) if at_scale else None, "kpis"))
    return found


def import_checks(rows: int, imports: dict) -> list[Check]:
    at_scale = targets.at_target_scale("servicedesk_import", rows=rows)
    found = []
    for label in ("csv, new records", "csv, a fifth changed", "xlsx, new records", "xlsx inline strings"):
        result = imports[label]
        for what, figure, unit, key in (("", result["seconds"], "s", "seconds"),
                                        (", peak memory", result["peak_mb"], "MB", "peak_mb"),
                                        (", upload request (in-process)", result["upload_request_ms"], "ms", "upload_ms")):
            found.append(Check(f"import {rows:,} rows, {label}{what}", f"{figure:.1f} {unit}",
                               f"≤ {limit('servicedesk_import', key):g} {unit}",
                               figure <= limit("servicedesk_import", key) if at_scale else None, "servicedesk_import"))
    return found


@register("servicedesk", "Service performance: dashboard, kpis.csv, import, meeting pack")
def run(ctx) -> SectionResult:
    options = ctx.options
    records = getattr(options, "servicedesk_records", DEFAULT_RECORDS)
    rows = getattr(options, "import_rows", DEFAULT_IMPORT_ROWS)
    url = seeded_scratch(ctx, "servicedesk.sqlite")  # pack on the seeds alone: the forum's own pack
    ctx.progress("\nMeeting pack render on the seeds")
    pack_seed = measure_pack(ctx, url, "seeds")

    dataset, load_seconds = build(url, records, options.random_seed, ctx.progress)
    plan = endpoints(url)
    with ctx.server(dataset) as base_url:
        client = HttpClient(base_url)
        sign_in(client, dataset.accounts["participant"])
        http = ctx.timed(client, plan)
    # The same dashboard with every request computed and rendered afresh (no kept results):
    # what the first reader after an import waits for.
    cold_plan = {name: plan[name] for name in ("healthz", *KPI_PAGES)}
    with ctx.server(dataset, {"PERFORMANCE_CACHE": False}) as base_url:
        client = HttpClient(base_url)
        sign_in(client, dataset.accounts["participant"])
        cold = ctx.timed(client, cold_plan)
    app = dataset.app()
    from issues_tracker.core.extensions import db

    with app.app_context():
        counter = QueryCounter(db.engine)
    client = InProcessClient(app)
    sign_in(client, dataset.accounts["participant"])
    in_process = ctx.timed(client, plan)
    queries = {}
    for name, endpoint in plan.items():
        with counter.counting():
            client.get(endpoint.path, endpoint.headers)
        queries[name] = counter.count
    counter.close()
    with app.app_context():
        db.engine.dispose()
    for pages in (http, in_process, cold):
        floor = pages["healthz"]
        for stats in pages.values():
            stats["p95_x_floor"] = round(stats["p95_ms"] / floor["p95_ms"], 2)
    ctx.progress("\nMeeting pack render at the large database")
    pack_large = measure_pack(ctx, url, f"{records:,} records")

    imports = measure_imports(ctx, url, rows)

    lines = [
        f"{records:,} service-desk records (generated in {load_seconds:.1f} s), "
        f"gunicorn {options.workers} workers, {options.requests} requests per page",
        f"{'page':22} {'HTTP p50':>9} {'p95':>8} {'×floor':>7}  {'in-process p50':>15} {'p95':>8}  {'SQL':>4}",
    ]
    for name in plan:
        h, i = http[name], in_process[name]
        lines.append(f"{name:22} {h['p50_ms']:9.1f} {h['p95_ms']:8.1f} {h['p95_x_floor']:7.1f}  "
                     f"{i['p50_ms']:15.1f} {i['p95_ms']:8.1f}  {queries[name]:4d}")
    for name in ("dashboard", "dashboard fragment"):
        c = cold[name]
        lines.append(f"{name + ', computed':22} {c['p50_ms']:9.1f} {c['p95_ms']:8.1f} {c['p95_x_floor']:7.1f}  "
                     "(every request computed and rendered: no kept results)")
    lines.append(f"Import of {rows:,} rows (CSV {imports['csv_mb']} MB, Excel {imports['xlsx_mb']} MB), each in a fresh "
                 "process as a worker runs it. The Excel file is laid out as Excel saves one (shared strings, date "
                 "cells); 'inline strings' is the layout openpyxl writes:")
    for label, _, _ in IMPORTS:
        found = imports[label]
        lines.append(f"  {label:24} {found['seconds']:6.1f} s  peak {found['peak_mb']:5.0f} MB "
                     f"(at start {found['baseline_mb']:.0f} MB)  {found['message']}")
    lines.append(f"Meeting pack (April 2026): seeds {pack_seed['seconds']:.2f} s, {pack_seed['pages']} pages; "
                 f"{records:,} records {pack_large['seconds']:.2f} s, {pack_large['pages']} pages")

    renders = web_renders.measure(ctx.workdir)
    checks = kpi_checks(records, http, cold) + import_checks(rows, imports) + [
        Check(f"meeting pack render, {label}", f"{result['seconds']:.2f} s", f"≤ {limit('meeting_pack', 'seconds'):g} s",
              result["seconds"] <= limit("meeting_pack", "seconds"), "meeting_pack")
        for label, result in (("seeds", pack_seed), (f"{records:,} records", pack_large))
    ] + [web_renders.check(renders, "pack", "meeting pack, never inside a web request", "meeting_pack")]
    return SectionResult(
        data={"records": records, "load_seconds": round(load_seconds, 1),
              "paths": {name: e.path for name, e in plan.items()}, "http": http, "http_computed": cold, "in_process": in_process,
              "queries": queries, "imports": imports, "pack": {"seeds": pack_seed, "large": pack_large}},
        table=lines,
        checks=checks,
    )


if __name__ == "__main__":
    sys.exit("Run it as a section: python -m benchmarks --sections servicedesk")
