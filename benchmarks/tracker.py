"""Issues tracker pages at 1,000, 10,000 and 100,000 issues, beside the /healthz floor.

For each size and for a participant and a staff member: the list page, the filtered
htmx fragment, a page near the end, and the detail page of the issue with the longest
history. Measured twice: through gunicorn over HTTP (the figures the targets are about)
and in-process with the Flask test client (no server, no sockets), which also counts
the SQL statements each page sends.
"""

from __future__ import annotations

import math

import sqlalchemy as sa

from . import targets
from .harness import Endpoint, HttpClient, InProcessClient, QueryCounter, RunContext, sign_in
from .registry import Check, SectionResult, register

ROLES = ("participant", "staff")
PAGES = ("healthz", "list", "fragment", "deep page", "detail")
FLOOR = "healthz"

# The pages the tracker's rows of targets.TARGETS judge: (row, page). The fragment here
# filters without free text; the search section measures the one with free text against
# the same row, and a fragment that only filters must meet it too.
LATENCY_ROWS = [("list", "list"), ("fragment", "fragment"), ("detail", "detail"), ("list_large", "list")]


def plan(dataset) -> dict[str, dict[str, Endpoint]]:
    """The URLs to measure for each role: what 'near the last page' is depends on who looks."""
    from issues_tracker.core.extensions import db
    from issues_tracker.issues import queries as issue_queries
    from issues_tracker.models import Issue, IssueEvent, User

    app = dataset.app()
    endpoints = {}
    with app.app_context():
        per_page = app.config["ISSUES_PER_PAGE"]
        # The published issue with the longest history, the same for both roles.
        detail_id = db.session.scalar(
            sa.select(IssueEvent.issue_id)
            .join(Issue, Issue.id == IssueEvent.issue_id)
            .where(Issue.triage_state == "published")
            .group_by(IssueEvent.issue_id)
            .order_by(sa.func.count().desc(), IssueEvent.issue_id)
            .limit(1)
        )
        for role in ROLES:
            user = db.session.scalar(sa.select(User).where(User.email == dataset.accounts[role].email))
            total = issue_queries.count_issues(issue_queries.IssueQuery(), user)
            near_last = max(1, math.ceil(total / per_page) - 1)
            endpoints[role] = {
                "healthz": Endpoint("/healthz"),
                "list": Endpoint("/issues"),
                "fragment": Endpoint("/issues?service=DIP&status=open", {"HX-Request": "true"}),
                "deep page": Endpoint(f"/issues?page={near_last}"),
                "detail": Endpoint(f"/issues/{detail_id}"),
            }
        db.session.remove()
        db.engine.dispose()
    return endpoints


def measure_size(ctx: RunContext, size: int) -> dict:
    dataset = ctx.dataset(size)
    endpoints = plan(dataset)
    result = {
        "issues": size,
        "synthetic_load_seconds": round(dataset.load_seconds, 2),
        "migrate_and_seed_seconds": round(dataset.migrate_seconds, 2),
        "paths": {role: {name: e.path for name, e in pages.items()} for role, pages in endpoints.items()},
        "http": {},
        "in_process": {},
        "queries": {},
    }
    with ctx.server(dataset) as base_url:
        for role in ROLES:
            client = HttpClient(base_url)
            sign_in(client, dataset.accounts[role])
            result["http"][role] = ctx.timed(client, endpoints[role])

    from issues_tracker.core.extensions import db

    app = dataset.app()
    with app.app_context():
        counter = QueryCounter(db.engine)
    try:
        for role in ROLES:
            client = InProcessClient(app)
            sign_in(client, dataset.accounts[role])
            result["in_process"][role] = ctx.timed(client, endpoints[role])
            result["queries"][role] = {}
            for name, endpoint in endpoints[role].items():
                with counter.counting():
                    client.get(endpoint.path, endpoint.headers)
                result["queries"][role][name] = counter.count
    finally:
        counter.close()
        with app.app_context():
            db.engine.dispose()
    for mode in ("http", "in_process"):
        for pages in result[mode].values():
            floor = pages[FLOOR]
            for stats in pages.values():
                stats["p50_x_floor"] = round(stats["p50_ms"] / floor["p50_ms"], 2)
                stats["p95_x_floor"] = round(stats["p95_ms"] / floor["p95_ms"], 2)
    return result


def table(result: dict, workers: int) -> list[str]:
    lines = [
        f"{result['issues']:,} issues (synthetic load {result['synthetic_load_seconds']:.1f} s)",
        f"{'':12} {'':10} {'HTTP, gunicorn ' + str(workers) + ' workers':^33}  {'in-process, test client':^33}  {'SQL':>4}",
        f"{'role':12} {'page':10} {'p50 ms':>8} {'p95 ms':>8} {'×floor':>7} {'p95×fl':>7}  "
        f"{'p50 ms':>8} {'p95 ms':>8} {'×floor':>7} {'p95×fl':>7}  {'qrys':>4}",
    ]
    for role in ROLES:
        for page in PAGES:
            http, local = result["http"][role][page], result["in_process"][role][page]
            lines.append(
                f"{role:12} {page:10} {http['p50_ms']:8.2f} {http['p95_ms']:8.2f} {http['p50_x_floor']:7.1f} "
                f"{http['p95_x_floor']:7.1f}  {local['p50_ms']:8.2f} {local['p95_ms']:8.2f} "
                f"{local['p50_x_floor']:7.1f} {local['p95_x_floor']:7.1f}  {result['queries'][role][page]:4d}"
            )
    return lines


def checks(by_size: dict[int, dict]) -> list[Check]:
    found = []
    for row, page in LATENCY_ROWS:
        size, limit = int(targets.limit(row, "issues")), targets.limit(row, "p95_ms")
        for role in ROLES:
            name = f"{page}{' (filters only)' if page == 'fragment' else ''} p95, {size:,} issues, {role} (HTTP)"
            if size not in by_size:
                found.append(Check(name, "size not run", f"≤ {limit:g} ms", None, row))
                continue
            figure = by_size[size]["http"][role][page]["p95_ms"]
            found.append(Check(name, f"{figure:.1f} ms", f"≤ {limit:g} ms", figure <= limit, row))
    size, ratio = int(targets.limit("list", "issues")), targets.limit("list", "p50_x_floor")
    for role in ROLES:
        name = f"list p50 / healthz p50, {size:,} issues, {role} (HTTP)"
        if size not in by_size:
            found.append(Check(name, "size not run", f"≤ {ratio:g} ×", None, "list"))
            continue
        figure = by_size[size]["http"][role]["list"]["p50_x_floor"]
        found.append(Check(name, f"{figure:.1f} ×", f"≤ {ratio:g} ×", figure <= ratio, "list"))
    size, limit = int(targets.limit("seed", "issues")), targets.limit("seed", "seconds")
    name = f"synthetic seed, {size:,} issues"
    if size in by_size:
        seconds = by_size[size]["synthetic_load_seconds"]
        found.append(Check(name, f"{seconds:.1f} s", f"≤ {limit:g} s", seconds <= limit, "seed"))
    else:
        found.append(Check(name, "size not run", f"≤ {limit:g} s", None, "seed"))
    sizes = sorted(by_size)
    for role in ROLES:
        counts = {page: [by_size[s]["queries"][role][page] for s in sizes] for page in PAGES if page != FLOOR}
        constant = all(len(set(values)) == 1 for values in counts.values())
        figure = ", ".join(f"{page} {'/'.join(map(str, values))}" for page, values in counts.items())
        found.append(Check(
            f"SQL queries per page across {len(sizes)} size{'' if len(sizes) == 1 else 's'}, {role}", figure, "constant",
            constant if len(sizes) > 1 else None, "queries",
        ))
    return found


@register("tracker", "Issues tracker pages")
def run(ctx: RunContext) -> SectionResult:
    by_size = {}
    lines: list[str] = []
    for size in ctx.options.sizes:
        by_size[size] = measure_size(ctx, size)
        lines += table(by_size[size], ctx.options.workers) + [""]
        ctx.progress("\n".join(table(by_size[size], ctx.options.workers)))
    return SectionResult(
        data={"sizes": {str(size): result for size, result in by_size.items()}},
        table=lines,
        checks=checks(by_size),
    )
