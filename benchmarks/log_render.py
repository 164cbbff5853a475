"""Time and peak memory of rendering the Monday log, against a bare WeasyPrint table.

    python -m benchmarks.log_render [--sizes 50,200,1000] [--rounds 3]

It is also the "log_render" section of ``python -m benchmarks`` (sizes from --log-sizes,
rounds from --log-rounds), whose figures go into benchmarks/results/bench.json.

For each size it fills a scratch SQLite database with that many open, published
issues (realistic text, services, messages, actions), then, each in a fresh
process (the way the web app renders a publication):

- the log: query, template and PDF, exactly as publishing does it;
- the floor: the same rows as a bare 16-column HTML table (the MVP tracker's
  columns, no styling beyond A4 landscape) rendered by the same WeasyPrint.

Each process first renders a small warm-up document (the font faces either kind
uses, the SVG code), so the figures are the render alone. The two kinds alternate over
several rounds and the medians count: the machine is shared, and the ratio is the
figure that matters. Peak memory is the render process's peak resident set size (VmHWM). On its
own it prints a table and writes the figures as JSON to benchmarks/results/log_render.json.
Targets (benchmarks/targets.py): log ≤ 1.0 × the bare table; peak ≤ 400 MB at 200 issues and
≤ 800 MB at 1,000; never inside a web request (measured by web_renders.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

from . import targets, web_renders
from .harness import in_fresh_process
from .registry import Check, SectionResult, register

RESULTS = Path(__file__).resolve().parent / "results" / "log_render.json"
SECRET = "benchmark-only-secret"  # noqa: S105 (a throwaway database)
TARGET_RATIO = targets.limit("log_render", "ratio")
TARGET_PEAK_MB = {200: int(targets.limit("log_render", "peak_mb_200")), 1000: int(targets.limit("log_render", "peak_mb_1000"))}
# A render that takes longer than this has failed (the app's own limit is 10 minutes).
RENDER_TIMEOUT_SECONDS = 600

SUMMARIES = [
    "Message schema validation failures", "Visibility of message processing status",
    "Settlement output interpretation queries", "Catalogue / schema version confusion",
    "Data reconciliation discrepancies", "Message processing delays (peak periods)",
    "Incorrect message structure submissions", "Data ingestion anomalies", "Onboarding queries",
    "IF-014 incorrect energisation status in MDS", "PUB-014 rejections for unmetered de-energised MPANs",
    "Issue with validation of REP-002B", "Receipt of IF/PUB002 for secondary MPAN",
    "Retrospective data service appointments settlement risk", "Case status tracking queries",
]
ROOT_CAUSES = [
    "Participant message format errors after the March release", "Limited processing visibility in the portal",
    "Complex reporting interpretation of REP-002 outputs", "Use of outdated schema versions by some parties",
    "Throughput under load during the overnight settlement window", "Ingestion validation rules stricter than the design",
]
IMPACTS = [
    "Rejections causing processing delays", "Participants unsure if messages processed",
    "Misinterpretation of outputs", "Temporary processing delays at peak", "Record rejections on ingestion",
    "Differences against participants' internal data",
]
ACTIONS = [
    "Schema validation guidance issued; technical triage contacting affected parties",
    "Monitoring platform performance and publishing daily throughput figures",
    "Reviewing reconciliation logic with the data service", "Interpretation guidance provided via the portal",
]
RESOLUTIONS = [
    "Participants updating message structures", "Platform optimisation in the May release",
    "Updated reconciliation guidance and worked examples", "Better version visibility in the catalogue",
    "Adjustment to ingestion rules, subject to change board approval",
]
DEPENDENCIES = ["Participant configuration", "Platform capacity", "Catalogue publication", "Release schedule", ""]
PARTIES = ["Elexon", "Elexon / Platform provider", "Suppliers / Participants", "Participants / Elexon", "Platform provider"]
SERVICES = ["DIP", "ISD", "MDS", "DAH", "LSS", "VAS", "Platform", "Service Management"]
MESSAGES = ["Dflows", "IF", "PUB", "REP", "Various"]
STATUSES = ["Under investigation", "Under analysis", "Known behaviour", "Fix in progress", "Monitoring"]
COUNTS = ["Individual", "Multiple", "3", "12", ""]


def make_app(database_url: str):
    from issues_tracker import create_app

    return create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})


def fill(database_url: str, total: int, seed: int = 2026) -> None:
    """Top the scratch database up to `total` open, published issues."""
    import sqlalchemy as sa

    from issues_tracker.core.extensions import db
    from issues_tracker.models import Issue, IssueAction, IssueMessage, IssueService, Organisation, User

    app = make_app(database_url)
    with app.app_context():
        have = db.session.scalar(sa.select(sa.func.count()).select_from(Issue))
        org = db.session.scalar(sa.select(Organisation).limit(1))
        if org is None:
            org = Organisation(name="Elexon", kind="service_provider")
            owner = User(email="owner@example.org", name="Ian Giles", role="staff", organisation=org)
            owner.set_password(SECRET)
            db.session.add_all([org, owner])
            db.session.flush()
        owner = db.session.scalar(sa.select(User).limit(1))
        rng = random.Random(seed + have)
        now = datetime.now(UTC)
        for n in range(have, total):
            created = now - timedelta(days=rng.randint(0, 200), hours=rng.randint(0, 23))
            updated = min(now, created + timedelta(days=rng.randint(0, 60)))
            issue = Issue(
                summary=f"{rng.choice(SUMMARIES)} ({n + 1})",
                description="Generated for the render benchmark.",
                severity=rng.choice([1, 2, 3, 3, 3, 4, 4]),
                root_cause=rng.choice(ROOT_CAUSES),
                root_cause_certainty=rng.choice(["Known", "Suspected"]),
                impact_assessment=rng.choice(["Not started", "In progress", "Confirmed"]),
                supplier_impact=rng.choice(COUNTS),
                distributor_impact=rng.choice(COUNTS),
                settlement_impact=rng.choice(IMPACTS),
                status=rng.choice(STATUSES),
                action_underway=rng.choice(ACTIONS),
                resolution_description=rng.choice(RESOLUTIONS),
                resolution_status=rng.choice(["Not started", "Planned", "In progress"]),
                dependencies=rng.choice(DEPENDENCIES),
                parties_responsible=rng.choice(PARTIES),
                next_run_resolves=rng.choice(["Yes", "No", "Unknown"]),
                service_desk_refs=f"CS00{rng.randint(10000, 99999)}, INC0{rng.randint(100000, 199999)}",
                owner_id=owner.id if rng.random() < 0.7 else None,
                organisation_id=org.id,
                triage_state="published",
                created_at=created,
                published_at=created,
                last_update_at=updated,
            )
            issue.service_links = [IssueService(s) for s in rng.sample(SERVICES, rng.choice([1, 1, 1, 2]))]
            issue.message_links = [IssueMessage(m) for m in rng.sample(MESSAGES, rng.choice([1, 2]))]
            if rng.random() < 0.3:
                issue.actions = [
                    IssueAction(
                        description=rng.choice(ACTIONS), owner_name="Sam Young",
                        due_date=(now + timedelta(days=rng.randint(-20, 20))).date(), status="Open",
                    )
                ]
            db.session.add(issue)
        db.session.commit()


def _warm_up() -> None:
    """Load what both kinds use once: the fonts (each face either document uses), the SVG code."""
    from issues_tracker.core.pdf import html_to_pdf

    faces = "".join(
        f"<p style='font-family: {family}; font-stretch: {stretch}'>Warm-up <b>text</b></p>"
        for family in ("serif", "DejaVu Sans") for stretch in ("normal", "semi-condensed")
    )
    html_to_pdf("<html lang='en-GB'><body>" + faces + "<table><tr><th>Head</th><td>cell</td></tr></table>"
                "<svg width='10' height='10'><rect width='5' height='5' fill='#000'/><text y='9'>1</text></svg>"
                "</body></html>", tempfile.gettempdir())


def bare_table_html(issues) -> str:
    """The MVP tracker's 16 columns of the same rows, with no styling but the page size."""
    columns = [
        lambda i: i.reference, lambda i: i.summary, lambda i: i.services_label, lambda i: i.root_cause,
        lambda i: i.impact_assessment, lambda i: i.supplier_impact, lambda i: i.distributor_impact,
        lambda i: i.messages_label, lambda i: i.settlement_impact, lambda i: i.status,
        lambda i: i.action_underway, lambda i: i.resolution_description, lambda i: i.resolution_status,
        lambda i: i.dependencies, lambda i: i.parties_responsible, lambda i: i.next_run_resolves,
    ]
    head = "".join(f"<th>Column {n + 1}</th>" for n in range(len(columns)))
    rows = "".join("<tr>" + "".join(f"<td>{escape(str(c(i)))}</td>" for c in columns) + "</tr>" for i in issues)
    return (
        "<!doctype html><html lang='en-GB'><head><style>@page { size: A4 landscape }</style></head>"
        f"<body><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></body></html>"
    )


def peak_rss_kb() -> int:
    """This process's peak resident set size since it started its program, in KiB.

    VmHWM, not getrusage's ru_maxrss: a spawned process is forked from the benchmark
    and then runs a new program, and Linux keeps ru_maxrss across that exec, so it
    would report the parent's size (larger after the tracker's 100,000-issue section)
    for a render that never used that much. VmHWM belongs to the new program alone.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _measure(kind: str, database_url: str, queue) -> None:
    """Runs in a fresh process: warm up, then time one render of one kind."""
    import io

    import sqlalchemy as sa
    import sqlalchemy.orm as so
    from flask import current_app
    from pypdf import PdfReader

    from issues_tracker.core.extensions import db
    from issues_tracker.core.pdf import html_to_pdf
    from issues_tracker.log import contents as log_contents
    from issues_tracker.log import weeks as log_weeks
    from issues_tracker.models import Issue

    app = make_app(database_url)
    with app.app_context():
        _warm_up()
        baseline_kb = peak_rss_kb()
        started, cpu_started = time.perf_counter(), time.process_time()
        if kind == "log":
            contents = log_contents.log_contents(log_weeks.current_week())
            pdf = log_contents.render_log_pdf(contents, published_at=contents.summary.as_of, revision=1)
        else:
            issues = db.session.scalars(
                sa.select(Issue)
                .where(log_contents.published_open_clause())
                .options(so.selectinload(Issue.service_links), so.selectinload(Issue.message_links))
                .order_by(Issue.id)
            ).all()
            pdf = html_to_pdf(bare_table_html(issues), current_app.static_folder)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        peak_kb = peak_rss_kb()
    queue.put({"seconds": seconds, "cpu_seconds": cpu_seconds, "bytes": len(pdf),
               "pages": len(PdfReader(io.BytesIO(pdf)).pages),
               "peak_mb": peak_kb / 1024, "baseline_mb": baseline_kb / 1024})


def measure(kind: str, database_url: str) -> dict:
    return in_fresh_process(_measure, kind, database_url, timeout=RENDER_TIMEOUT_SECONDS)


def migrate(database_url: str) -> None:
    from flask_migrate import upgrade

    app = make_app(database_url)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "issues_tracker" / "migrations"))


def measure_sizes(database_url: str, sizes: list[int], rounds: int, progress=print) -> list[dict]:
    """Renders at each size (smallest first: the database is topped up), medians over the rounds."""
    rows = []
    migrate(database_url)
    for size in sorted(sizes):
        fill(database_url, size)
        runs: dict[str, list[dict]] = {"log": [], "bare": []}
        for round_number in range(rounds):
            # Alternate the order so neither kind always runs on a warmer machine.
            for kind in (("log", "bare") if round_number % 2 == 0 else ("bare", "log")):
                runs[kind].append(measure(kind, database_url))
                progress(f"  {size:,} open issues, round {round_number + 1}/{rounds}: "
                         f"{kind} {runs[kind][-1]['seconds']:.2f} s, peak {runs[kind][-1]['peak_mb']:.0f} MB")
        rows.append(summarise(size, runs))
    return rows


def summarise(size: int, runs: dict[str, list[dict]]) -> dict:
    def median(kind, key):
        return statistics.median(run[key] for run in runs[kind])

    row = {
        "open_issues": size,
        "log_seconds": round(median("log", "seconds"), 3),
        "bare_table_seconds": round(median("bare", "seconds"), 3),
        "ratio": round(median("log", "seconds") / median("bare", "seconds"), 3),
        "cpu_ratio": round(median("log", "cpu_seconds") / median("bare", "cpu_seconds"), 3),
        "log_peak_mb": round(max(run["peak_mb"] for run in runs["log"]), 1),
        "log_baseline_mb": round(median("log", "baseline_mb"), 1),
        "bare_peak_mb": round(max(run["peak_mb"] for run in runs["bare"]), 1),
        "log_pages": runs["log"][0]["pages"],
        "bare_pages": runs["bare"][0]["pages"],
        "log_bytes": runs["log"][0]["bytes"],
        "log_runs_seconds": [round(run["seconds"], 2) for run in runs["log"]],
        "bare_runs_seconds": [round(run["seconds"], 2) for run in runs["bare"]],
    }
    row["meets_ratio_target"] = row["ratio"] <= TARGET_RATIO
    if size in TARGET_PEAK_MB:
        row["peak_target_mb"] = TARGET_PEAK_MB[size]
        row["meets_memory_target"] = row["log_peak_mb"] <= TARGET_PEAK_MB[size]
    return row


def table_lines(rows: list[dict]) -> list[str]:
    header = (f"{'open issues':>11} {'log s':>8} {'bare s':>8} {'ratio':>6} {'cpu ratio':>9} "
              f"{'log peak MB':>12} {'bare peak MB':>13} {'pages':>6}")
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(f"{row['open_issues']:>11,} {row['log_seconds']:>8.2f} {row['bare_table_seconds']:>8.2f} "
                     f"{row['ratio']:>6.2f} {row['cpu_ratio']:>9.2f} {row['log_peak_mb']:>12.0f} "
                     f"{row['bare_peak_mb']:>13.0f} {row['log_pages']:>6}")
    lines.append(f"Targets: ratio ≤ {TARGET_RATIO:g}; peak ≤ {TARGET_PEAK_MB[200]} MB at 200 and "
                 f"≤ {TARGET_PEAK_MB[1000]} MB at 1,000 open issues.")
    return lines


def checks(rows: list[dict]) -> list[Check]:
    """The log's targets (targets.py); a size with a target that was not run shows as not measured."""
    by_size = {row["open_issues"]: row for row in rows}
    found = []
    for size, peak_limit in TARGET_PEAK_MB.items():
        row = by_size.get(size)
        ratio_name = f"log render ÷ bare table, {size:,} open issues"
        peak_name = f"log render peak memory, {size:,} open issues"
        if row is None:
            found.append(Check(ratio_name, "size not run", f"≤ {TARGET_RATIO:g} ×", None, "log_render"))
            found.append(Check(peak_name, "size not run", f"≤ {peak_limit} MB", None, "log_render"))
            continue
        found.append(Check(
            ratio_name, f"{row['ratio']:.2f} × ({row['log_seconds']:.1f} s vs {row['bare_table_seconds']:.1f} s)",
            f"≤ {TARGET_RATIO:g} ×", row["meets_ratio_target"], "log_render",
        ))
        found.append(Check(peak_name, f"{row['log_peak_mb']:.0f} MB", f"≤ {peak_limit} MB", row["meets_memory_target"],
                           "log_render"))
    return found


@register("log_render", "Monday log render")
def section(ctx) -> SectionResult:
    """Each size in a fresh process against the bare table, on a scratch SQLite database in the run's folder.

    Not on the tracker's synthetic datasets: those have 2% open of which some await triage
    (10,000 give 170 in the log), and this target is about exactly 200 and 1,000 rows. The
    database hardly matters here; the time is WeasyPrint's layout.
    """
    database_url = "sqlite:///" + str(ctx.workdir / "log-render.sqlite")
    ctx.progress(f"\nMonday log render at {', '.join(f'{s:,}' for s in ctx.options.log_sizes)} open issues, "
                 f"{ctx.options.log_rounds} round(s) each")
    rows = measure_sizes(database_url, ctx.options.log_sizes, ctx.options.log_rounds, progress=ctx.progress)
    ctx.progress("Monday log preview and publication asked for as staff would, PDF renders noted")
    renders = web_renders.measure(ctx.workdir)
    import weasyprint

    lines = [
        f"in-process: each render in a fresh spawned process, as publishing does; medians of "
        f"{ctx.options.log_rounds} round(s); WeasyPrint {weasyprint.__version__}",
        *table_lines(rows),
    ]
    return SectionResult(
        data={"rounds": ctx.options.log_rounds, "weasyprint": weasyprint.__version__,
              "targets": {"ratio": TARGET_RATIO, "peak_mb": TARGET_PEAK_MB}, "results": rows,
              "web_renders": renders["log"]},
        table=lines,
        checks=[*checks(rows), web_renders.check(renders, "log", "Monday log, never inside a web request", "log_render")],
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.log_render", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,200,1000", help="open issues per run, comma-separated")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per size; each renders the log and the bare table once, in fresh processes, "
                             "and the medians count (the machine is shared and noisy)")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))

    with tempfile.TemporaryDirectory(prefix="log-bench-") as scratch:
        rows = measure_sizes(f"sqlite:///{scratch}/bench.sqlite", sizes, args.rounds)
    print("\n".join(table_lines(rows)))

    import weasyprint

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "weasyprint": weasyprint.__version__},
        "rounds": args.rounds,
        "targets": {"ratio": TARGET_RATIO, "peak_mb": TARGET_PEAK_MB},
        "results": rows,
    }, indent=2))
    print(f"Written {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
