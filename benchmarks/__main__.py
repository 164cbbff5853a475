"""python -m benchmarks [--sizes 1000,10000] [--requests N] [--log-sizes 50,200] [--poll-seconds 60]: measure, report.

Builds fresh SQLite databases through the migrations, loads synthetic issues, and runs
each registered section (see registry.py) and judges its figures by the targets in
targets.py (the rows of BENCHMARKS.md). With ``--output docs/performance.md`` the run also
rewrites that page's table of figures (report.py); the JSON goes to benchmarks/results.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from . import report as figures_page
from .capacity import DEFAULT_PEOPLE as CAPACITY_PEOPLE
from .capacity import DEFAULT_SECONDS as CAPACITY_SECONDS
from .capacity import DEFAULT_SHAPE as CAPACITY_SHAPE
from .capacity_cluster import ServerShape
from .harness import RESULTS_DIR, Options, RunContext, _redacted, machine
from .registry import SECTION_MODULES, Check, SectionResult, load_sections
from .targets import BY_KEY, verdict


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="numbers of synthetic issues, comma-separated (default: %(default)s)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page first (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: %(default)s, one per core)")
    parser.add_argument("--random-seed", type=int, default=2026, help="synthetic data seed (default: %(default)s)")
    parser.add_argument("--log-sizes", default="50,200,1000",
                        help="open issues in the Monday log render, comma-separated (default: %(default)s)")
    parser.add_argument("--log-rounds", type=int, default=3,
                        help="log and bare-table renders per size; medians count (default: %(default)s)")
    parser.add_argument("--poll-browsers", type=int, default=300,
                        help="browsers polling the poll results (default: %(default)s)")
    parser.add_argument("--poll-servers", type=int, default=2,
                        help="app servers the poll's browsers are spread over (default: %(default)s)")
    parser.add_argument("--poll-seconds", type=float, default=30,
                        help="how long the browsers poll (default: %(default)s)")
    parser.add_argument("--poll-interval", type=float, default=3,
                        help="seconds between one browser's refreshes (default: %(default)s)")
    parser.add_argument("--servicedesk-records", type=int, default=200_000,
                        help="service-desk records behind the dashboard and kpis.csv (default: %(default)s)")
    parser.add_argument("--import-rows", type=int, default=50_000,
                        help="rows in the service-desk import (default: %(default)s)")
    parser.add_argument("--capacity-people", type=int, default=CAPACITY_PEOPLE,
                        help="signed-in people in the capacity workload (default: %(default)s)")
    parser.add_argument("--capacity-seconds", type=float, default=CAPACITY_SECONDS,
                        help="seconds the capacity workload is measured for, after everyone arrived (default: %(default)s)")
    parser.add_argument("--capacity-gunicorn", default=CAPACITY_SHAPE,
                        help="each capacity server's gunicorn: sync:WORKERS or gthread:WORKERSxTHREADS "
                             "(default: %(default)s)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or None,
                        help="Redis for the capacity servers' queue and sign-in limits (default: $REDIS_URL, "
                             "else redis://127.0.0.1:6379/0); its keys are removed afterwards")
    parser.add_argument("--sections", default="",
                        help=f"only these sections, comma-separated ({', '.join(SECTION_MODULES)})")
    parser.add_argument("--database-url", default=None,
                        help="run on this PostgreSQL database instead of SQLite files; its schema is DROPPED and rebuilt")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "bench.json",
                        help="JSON results (default: %(default)s); a .md file (docs/performance.md) gets its "
                             "figures table rewritten, and the JSON goes to the default")
    args = parser.parse_args(argv)
    sizes = _whole_numbers(parser, "--sizes", args.sizes)
    log_sizes = _whole_numbers(parser, "--log-sizes", args.log_sizes)
    if args.requests < 1 or args.warmup < 0 or args.workers < 1 or args.log_rounds < 1:
        parser.error("--requests, --workers and --log-rounds must be positive")
    if args.servicedesk_records < 1 or args.import_rows < 1:
        parser.error("--servicedesk-records and --import-rows must be positive")
    if args.poll_browsers < 1 or args.poll_servers < 1 or args.poll_seconds <= 0 or args.poll_interval <= 0:
        parser.error("--poll-browsers, --poll-servers, --poll-seconds and --poll-interval must be positive")
    if args.capacity_people < 1 or args.capacity_seconds <= 0:
        parser.error("--capacity-people and --capacity-seconds must be positive")
    try:
        ServerShape.parse(args.capacity_gunicorn)
    except ValueError as exc:
        parser.error(f"--capacity-gunicorn: {exc}")
    sections = [name.strip() for name in args.sections.split(",") if name.strip()] or None
    unknown = set(sections or ()) - set(SECTION_MODULES)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL (SQLite files are the default)")
    return Options(sizes=sizes, requests=args.requests, warmup=args.warmup, workers=args.workers,
                   random_seed=args.random_seed, database_url=args.database_url, sections=sections,
                   output=args.output, log_sizes=log_sizes, log_rounds=args.log_rounds,
                   poll_browsers=args.poll_browsers, poll_servers=args.poll_servers, poll_seconds=args.poll_seconds,
                   poll_interval=args.poll_interval,
                   servicedesk_records=args.servicedesk_records, import_rows=args.import_rows,
                   capacity_people=args.capacity_people, capacity_seconds=args.capacity_seconds,
                   capacity_gunicorn=args.capacity_gunicorn, redis_url=args.redis_url)


def _whole_numbers(parser: argparse.ArgumentParser, option: str, text: str) -> list[int]:
    try:
        numbers = sorted({int(part.strip().replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        parser.error(f"{option} takes whole numbers separated by commas, e.g. 1000,10000")
    if not numbers or numbers[0] < 1:
        parser.error(f"{option} takes positive whole numbers")
    return numbers


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = parse_args(argv)
    # The benchmark's staff accounts sign in with a password alone (they have no authenticator);
    # every server, worker and in-process app of the run reads this from the environment.
    os.environ.setdefault("MFA_REQUIRED_ROLES", "")
    sections, missing = load_sections(options.sections)
    report = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "options": {"sizes": options.sizes, "requests": options.requests, "warmup": options.warmup,
                    "workers": options.workers, "random_seed": options.random_seed,
                    "log_sizes": options.log_sizes, "log_rounds": options.log_rounds,
                    "poll_browsers": options.poll_browsers, "poll_servers": options.poll_servers,
                    "poll_seconds": options.poll_seconds,
                    "poll_interval": options.poll_interval,
                    "servicedesk_records": options.servicedesk_records, "import_rows": options.import_rows,
                    "capacity_people": options.capacity_people, "capacity_seconds": options.capacity_seconds,
                    "capacity_gunicorn": options.capacity_gunicorn,
                    "database": "postgresql" if options.database_url else "sqlite"},
        "sections": {},
        "checks": [],
    }
    all_checks: list[tuple[str, Check]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="issues-bench-") as workdir:
        ctx = RunContext(options, Path(workdir))
        for section in sections:
            try:
                result = section.run(ctx)
            except Exception as exc:  # noqa: BLE001 (one section's failure is reported; the others still run)
                traceback.print_exc()
                result = SectionResult(data={"failed": repr(exc)}, table=[f"failed: {exc!r}"], checks=[
                    Check(f"{section.title}: the section ran", f"failed: {exc!r}"[:200], "runs to the end", False)])
            report["sections"][section.name] = {"title": section.title, **result.data, "table": result.table}
            print(f"\n== {section.title}\n" + "\n".join(result.table), flush=True)
            all_checks += [(section.name, check) for check in result.checks]
    for name, reason in missing.items():
        report["sections"][name] = {"status": reason}
        print(f"\n== {name}: {reason}")
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["load_average"] = round(os.getloadavg()[1], 2)  # the last 5 minutes: how shared the machine was
    report["checks"] = [{"section": name, **vars(check)} for name, check in all_checks]

    print("\n== Targets (benchmarks/targets.py, the rows of BENCHMARKS.md)")
    for _, check in all_checks:
        row = BY_KEY[check.row].what if check.row in BY_KEY else "no target row"
        print(f"{verdict(check.met):13} {check.name}: {check.figure} (target {check.target}; {row})")
    m = report["machine"]
    print(f"\n{m['cpus']} cores, {m['cpu_model'] or m['platform']}; Python {m['python']}, SQLite {m['sqlite']}; "
          f"{report['seconds']:.0f} s in all")
    json_path = RESULTS_DIR / "bench.json" if options.output.suffix == ".md" else options.output
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Results written to {json_path}")
    if options.output.suffix == ".md":
        command = "python -m benchmarks " + shlex.join(_redacted(arg) if arg.startswith("postgresql") else arg
                                                       for arg in argv)
        figures_page.write(options.output, report, command.strip(), list(SECTION_MODULES))
        print(f"Figures written to {options.output}")
    return 1 if any(check.met is False for _, check in all_checks) else 0


if __name__ == "__main__":
    sys.exit(main())
