"""Search and similar-issue suggestions at each size, beside the /healthz floor.

For a participant and a staff member, through gunicorn over HTTP, as htmx asks for them:
ranked searches of every status (a service code matching a third of all issues, two
words, a word being typed, a service-desk number being typed), the same service code
in the list's default view (open issues), a search with a chosen sort, and the similar-issue
fragment the new-issue form asks for while a summary (and description) is typed.
"""

from __future__ import annotations

from urllib.parse import urlencode

from . import targets
from .harness import Endpoint, HttpClient, InProcessClient, QueryCounter, RunContext, sign_in
from .registry import Check, SectionResult, register

ROLES = ("participant", "staff")
FRAGMENT = {"HX-Request": "true"}


def _issues(**args) -> Endpoint:
    return Endpoint("/issues?" + urlencode(args), FRAGMENT)


def _similar(**args) -> Endpoint:
    return Endpoint("/issues/similar?" + urlencode(args), FRAGMENT)


ENDPOINTS = {
    "healthz": Endpoint("/healthz"),
    "search DIP": _issues(q="DIP", status="all"),
    "search 2 words": _issues(q="certificate renewal", status="all"),
    "search typing": _issues(q="schema valid", status="all"),
    "search CS ref": _issues(q="CS00166", status="all"),
    "search DIP, open": _issues(q="DIP"),
    "search, by update": _issues(q="reconciliation", status="all", sort="updated"),
    "similar": _similar(summary="Schema validation failures for IF-014"),
    "similar +desc": _similar(summary="Late notification of DIP outages",
                              description="We heard about the large file processing delays hours after they began."),
}
SEARCHES = [name for name in ENDPOINTS if name.startswith("search") and name != "search, by update"]
SIMILAR = [name for name in ENDPOINTS if name.startswith("similar")]
# The rows of targets.TARGETS the search section judges, worst page of each group (p95, HTTP).
ROWS = [("search", SEARCHES, "free-text search (ranked)"), ("similar", SIMILAR, "similar-issue suggestions"),
        ("fragment", SEARCHES, "filtered fragment with free text")]


def measure_size(ctx: RunContext, size: int) -> dict:
    dataset = ctx.dataset(size)
    result = {"issues": size, "paths": {name: e.path for name, e in ENDPOINTS.items()}, "http": {}, "queries": {}}
    with ctx.server(dataset) as base_url:
        for role in ROLES:
            client = HttpClient(base_url)
            sign_in(client, dataset.accounts[role])
            result["http"][role] = ctx.timed(client, ENDPOINTS)
    from issues_tracker.core.extensions import db

    app = dataset.app()
    with app.app_context():
        counter = QueryCounter(db.engine)
    try:
        for role in ROLES:
            client = InProcessClient(app)
            sign_in(client, dataset.accounts[role])
            result["queries"][role] = {}
            for name, endpoint in ENDPOINTS.items():
                with counter.counting():
                    client.get(endpoint.path, endpoint.headers)
                result["queries"][role][name] = counter.count
    finally:
        counter.close()
        with app.app_context():
            db.engine.dispose()
    for pages in result["http"].values():
        floor = pages["healthz"]
        for stats in pages.values():
            stats["p50_x_floor"] = round(stats["p50_ms"] / floor["p50_ms"], 2)
    return result


def table(result: dict) -> list[str]:
    lines = [f"{result['issues']:,} issues", f"{'role':12} {'request':18} {'p50 ms':>8} {'p95 ms':>8} {'×floor':>7} {'SQL':>4}"]
    for role in ROLES:
        for name in ENDPOINTS:
            stats = result["http"][role][name]
            lines.append(f"{role:12} {name:18} {stats['p50_ms']:8.2f} {stats['p95_ms']:8.2f} "
                         f"{stats['p50_x_floor']:7.1f} {result['queries'][role][name]:4d}")
    return lines


def checks(by_size: dict[int, dict]) -> list[Check]:
    found = []
    for row, pages, title in ROWS:
        size, limit = int(targets.limit(row, "issues")), targets.limit(row, "p95_ms")
        for role in ROLES:
            name = f"{title} p95, {size:,} issues, {role} (HTTP, worst of {len(pages)})"
            if size not in by_size:
                found.append(Check(name, "size not run", f"≤ {limit:g} ms", None, row))
                continue
            worst = max(pages, key=lambda page: by_size[size]["http"][role][page]["p95_ms"])
            figure = by_size[size]["http"][role][worst]["p95_ms"]
            found.append(Check(name, f"{figure:.1f} ms ({worst})", f"≤ {limit:g} ms", figure <= limit, row))
    sizes = sorted(by_size)
    for role in ROLES:
        counts = {page: {by_size[s]["queries"][role][page] for s in sizes} for page in ENDPOINTS}
        constant = all(len(values) == 1 for values in counts.values())
        found.append(Check(f"SQL queries per search or suggestion across sizes, {role}",
                           ", ".join(f"{page} {'/'.join(map(str, sorted(v)))}" for page, v in counts.items()),
                           "constant", constant if len(sizes) > 1 else None, "queries"))
    return found


@register("search", "Search and similar issues")
def run(ctx: RunContext) -> SectionResult:
    by_size = {}
    lines: list[str] = []
    for size in ctx.options.sizes:
        by_size[size] = measure_size(ctx, size)
        lines += table(by_size[size]) + [""]
        ctx.progress("\n".join(table(by_size[size])))
    return SectionResult(data={"sizes": {str(s): r for s, r in by_size.items()}}, table=lines, checks=checks(by_size))
