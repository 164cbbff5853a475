"""Every speed and memory target, in one table: the rows of the project's BENCHMARKS.md, word for word.

Each row keeps the three cells of BENCHMARKS.md (what, data, target) and the thresholds the
run compares its figures with. Sections take their limits from here (``limit(key, name)``)
and tag each Check with the row it answers, so the verdicts printed and written to
docs/performance.md are the ones this table sets. tests/test_benchmark_targets.py holds
the table equal to BENCHMARKS.md and every limit to a number written in its row.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    key: str
    what: str
    data: str
    target: str
    limits: dict[str, float] = field(default_factory=dict)


TARGETS: tuple[Target, ...] = (
    Target("list", "issues list page, p95", "10,000 issues, SQLite",
           "≤ 10 ms, and p50 ≤ 3 × `/healthz` p50", {"p95_ms": 10, "p50_x_floor": 3, "issues": 10_000}),
    Target("fragment", "filtered HTMX fragment with free text, p95", "10,000 issues", "≤ 12 ms",
           {"p95_ms": 12, "issues": 10_000}),
    Target("detail", "issue detail with history, comments and followers, p95", "10,000 issues", "≤ 10 ms",
           {"p95_ms": 10, "issues": 10_000}),
    Target("list_large", "list page, p95", "100,000 issues", "≤ 30 ms", {"p95_ms": 30, "issues": 100_000}),
    Target("search", "free-text search (ranked), p95", "100,000 issues, SQLite and PostgreSQL", "≤ 25 ms",
           {"p95_ms": 25, "issues": 100_000}),
    Target("similar", "similar-issue suggestions while typing, p95", "100,000 issues", "≤ 30 ms",
           {"p95_ms": 30, "issues": 100_000}),
    Target("api", "API: `GET /api/v1/issues` first page and an issue, p95", "10,000 issues", "≤ 15 ms each",
           {"p95_ms": 15, "issues": 10_000}),
    Target("export", "export of every issue, CSV / Excel", "10,000 issues",
           "≤ 1 s / ≤ 3 s, streamed (Redmine 5.0.4 here: 1.9 s for its 7 default columns)",
           {"csv_seconds": 1, "xlsx_seconds": 3, "issues": 10_000}),
    Target("queries", "SQL queries per list, detail or API page", "any size", "constant (asserted in tests)"),
    Target("capacity", "capacity: a mixed workload of 100 signed-in people (nine in ten reading lists, searches, "
           "issues and the dashboard; one in ten commenting), load generator (Locust) on the same machine",
           "10,000 issues, two gunicorn servers, PostgreSQL, Redis",
           "≥ 90 requests/s with p95 ≤ 60 ms and no errors",
           {"people": 100, "requests_per_second": 90, "p95_ms": 60, "issues": 10_000}),
    Target("log_render", "Monday log render", "200 and 1,000 open issues",
           "time per page ≤ 1.0 × a bare, equally dense 16-column table rendered in the same run; "
           "≤ 400 / 800 MB peak; never inside a web request",
           {"ratio": 1.0, "peak_mb_200": 400, "peak_mb_1000": 800}),
    Target("meeting_pack", "meeting pack PDF", "the whole agenda of a month", "≤ 10 s, never inside a web request",
           {"seconds": 10}),
    Target("kpis", "KPI dashboard and `kpis.csv`, p95, computed afresh (no cache) and cached",
           "200,000 service-desk records over 3 years", "≤ 50 ms afresh, ≤ 10 ms cached",
           {"afresh_p95_ms": 50, "cached_p95_ms": 10, "records": 200_000}),
    Target("servicedesk_import", "service-desk import", "50,000 rows, CSV and Excel as Excel saves it",
           "≤ 15 s and ≤ 300 MB, in a background job; the upload request answers in ≤ 200 ms",
           {"seconds": 15, "peak_mb": 300, "upload_ms": 200, "rows": 50_000}),
    Target("servicedesk_feed", "service-desk feed", "1,000 records in one API request", "≤ 2 s",
           {"seconds": 2, "records": 1_000}),
    Target("tracker_import", "tracker import", "5,000 rows", "≤ 5 s in a background job, all or nothing",
           {"seconds": 5, "rows": 5_000}),
    Target("fan_out", "notification fan-out", "one change on an issue with 2,000 followers",
           "the change's request p95 ≤ 50 ms; every email handed to SMTP within 60 s by one worker, "
           "never behind a render",
           {"request_p95_ms": 50, "seconds": 60, "followers": 2_000}),
    Target("webhooks", "webhooks", "one change with 200 subscriptions",
           "queued within the change's request (p95 ≤ 50 ms); all delivered within 30 s by one worker",
           {"request_p95_ms": 50, "seconds": 30, "subscriptions": 200}),
    Target("digest", "daily digest", "5,000 people", "≤ 120 s", {"seconds": 120, "people": 5_000}),
    Target("seed", "synthetic seed", "10,000 issues", "≤ 60 s", {"seconds": 60, "issues": 10_000}),
    Target("poll", "poll results refresh", "300 browsers polling every 3 s, two app servers", "p95 ≤ 50 ms, no errors",
           {"p95_ms": 50, "browsers": 300, "interval_seconds": 3, "servers": 2}),
    Target("test_suite", "test suite (`.ci/run` from a clean clone)", "everything",
           "≤ 5 minutes on a quiet machine (8 min today: setup ~1, SQLite 3.2, PostgreSQL 4.0, two servers 0.3)",
           {"minutes": 5}),
)

BY_KEY: dict[str, Target] = {target.key: target for target in TARGETS}


def limit(key: str, name: str) -> float:
    """One threshold of one row, e.g. limit("list", "p95_ms")."""
    return BY_KEY[key].limits[name]


def verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "not measured"}[met]


def at_target_scale(key: str, **scale: float) -> bool:
    """Whether a run's scale (issues, records, browsers, ...) is the one the row is about.

    A figure measured at a smaller scale is reported but judges nothing: a verdict at 1,000
    issues would say nothing about a target set at 10,000. Sizes must be at least the row's,
    an interval at most the row's.
    """
    limits = BY_KEY[key].limits
    for name, value in scale.items():
        wanted = limits[name]
        if name.endswith("interval_seconds"):
            if value > wanted:
                return False
        elif value < wanted:
            return False
    return True
