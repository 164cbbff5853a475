"""The JSON API at 10,000 issues, the service desk's feed, and webhooks handed to the queue.

Through gunicorn over HTTP with a bearer token (a participant's and a staff member's): the first
page of GET /api/v1/issues and an issue's detail, beside the /healthz floor; a feed of 1,000
service-desk records in one request; one change on an issue with 200 webhook subscriptions
(the request that makes it, outbox included), and all 200 deliveries by one worker to a real
loopback endpoint.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import targets
from .harness import Endpoint, HttpClient, RunContext, percentile
from .registry import Check, SectionResult, register

# The scales of BENCHMARKS.md's rows (benchmarks/targets.py).
SIZE = int(targets.limit("api", "issues"))
SUBSCRIPTIONS = int(targets.limit("webhooks", "subscriptions"))
FEED_RECORDS = int(targets.limit("servicedesk_feed", "records"))
CHANGES = 30
NO_LIMIT = {"API_RATE_LIMIT": "1000000 per minute", "WEBHOOK_ALLOW_PRIVATE": True}


class _Bearer(HttpClient):
    def __init__(self, base_url: str, token: str):
        super().__init__(base_url)
        self.token = token

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        return self._request(method, path, body=data, headers=headers)

    def get(self, path: str, headers: dict | None = None):
        return self.request("GET", path, headers=headers)


def _setup(dataset) -> tuple[dict[str, str], int]:
    """A write token for each benchmark account, and a published issue both may see."""
    import sqlalchemy as sa

    from issues_tracker.api.tokens import create_token
    from issues_tracker.core.extensions import db
    from issues_tracker.models import Issue, User

    app = dataset.app()
    with app.app_context():
        tokens = {}
        for role, account in dataset.accounts.items():
            user = db.session.scalar(sa.select(User).where(User.email == account.email))
            tokens[role] = create_token(user, f"Benchmark {role}", "write").token
        issue_id = db.session.scalar(
            sa.select(Issue.id).where(Issue.triage_state == "published").order_by(Issue.id.desc()).limit(1)
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return tokens, issue_id


def _feed(count: int, offset: int = 0) -> list[dict]:
    return [
        {"Number": f"INC{9_000_000 + offset + n:07d}" if n % 3 == 0 else f"CS{9_000_000 + offset + n:07d}",
         "Opened": "2026-03-02 10:12", "Priority": f"P{1 + n % 4}", "State": "Resolved",
         "Short description": f"Benchmark record {n}", "Assignment group": "Elexon - Technical Triage",
         "Product": "DIP", "Responded": "2026-03-02 10:40", "Resolved": "2026-03-03 16:00", "Closed": ""}
        for n in range(count)
    ]


class _Receiver:
    def __init__(self):
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.count += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _webhooks(ctx: RunContext, dataset, tokens: dict[str, str], issue_id: int, base_url: str) -> dict:
    import sqlalchemy as sa

    from issues_tracker.core.extensions import db
    from issues_tracker.models import User
    from issues_tracker.webhooks.delivery import deliver_pending
    from issues_tracker.webhooks.models import WebhookDelivery
    from issues_tracker.webhooks.subscriptions import subscribe

    receiver = _Receiver()
    app = dataset.app()
    app.config.update(NO_LIMIT)
    with app.app_context():
        staff = db.session.scalar(sa.select(User).where(User.email == dataset.accounts["staff"].email))
        for _ in range(SUBSCRIPTIONS):
            subscribe(staff, receiver.url, ["comment.created"])
        db.session.commit()
        db.session.remove()
    client = _Bearer(base_url, tokens["staff"])
    samples = []
    seconds = delivered = 0
    for n in range(CHANGES):
        started = time.perf_counter()
        status, _ = client.request("POST", f"/api/v1/issues/{issue_id}/comments", {"body": f"Benchmark comment {n}"})
        samples.append((time.perf_counter() - started) * 1000)
        if status != 201:
            raise RuntimeError(f"comment answered {status}")
        if n == 0:  # one worker delivers the first change to all its subscriptions
            with app.app_context():
                started = time.perf_counter()
                deliver_pending()
                seconds = time.perf_counter() - started
                delivered = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)
                                              .where(WebhookDelivery.state == "delivered"))
                db.session.remove()
    with app.app_context():
        db.engine.dispose()
    receiver.server.shutdown()
    return {"change_p95_ms": round(percentile(samples, 0.95), 1), "changes": CHANGES, "subscriptions": SUBSCRIPTIONS,
            "deliveries": delivered, "deliver_seconds": round(seconds, 2)}


@register("api", "JSON API, feed and webhooks")
def run(ctx: RunContext) -> SectionResult:
    dataset = ctx.dataset(SIZE)
    tokens, issue_id = _setup(dataset)
    endpoints = {"healthz": Endpoint("/healthz"), "list": Endpoint("/api/v1/issues"),
                 "detail": Endpoint(f"/api/v1/issues/{issue_id}")}
    http_figures = {}
    with ctx.server(dataset, NO_LIMIT) as base_url:
        for role, token in tokens.items():
            http_figures[role] = ctx.timed(_Bearer(base_url, token), endpoints)
        feed_client = _Bearer(base_url, tokens["staff"])
        started = time.perf_counter()
        status, body = feed_client.request("POST", "/api/v1/servicedesk/records", {"records": _feed(FEED_RECORDS)})
        feed_seconds = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"feed answered {status}: {body[:300]!r}")
        hooks = _webhooks(ctx, dataset, tokens, issue_id, base_url)
    worst = {name: max(http_figures[role][name]["p95_ms"] for role in http_figures) for name in ("list", "detail")}
    deliver_per_change = hooks["deliver_seconds"]
    table = [f"{role:12} " + "  ".join(f"{name} p95 {figures[name]['p95_ms']:.1f} ms" for name in endpoints)
             for role, figures in http_figures.items()]
    table += [f"feed of {FEED_RECORDS:,} records: {feed_seconds:.2f} s",
              f"comment with {SUBSCRIPTIONS} subscriptions: request p95 {hooks['change_p95_ms']} ms; "
              f"one change's {hooks['deliveries']:,} deliveries by one worker in {hooks['deliver_seconds']} s"]
    ctx.progress("\n".join(table))
    api_ms = targets.limit("api", "p95_ms")
    feed_s = targets.limit("servicedesk_feed", "seconds")
    hook_ms, hook_s = targets.limit("webhooks", "request_p95_ms"), targets.limit("webhooks", "seconds")
    return SectionResult(
        data={"issues": SIZE, "http": http_figures, "feed_seconds": round(feed_seconds, 2), "webhooks": hooks},
        table=table,
        checks=[
            Check("API list, first page, 10k (p95)", f"{worst['list']:.1f} ms", f"≤ {api_ms:g} ms",
                  worst["list"] <= api_ms, "api"),
            Check("API detail, 10k (p95)", f"{worst['detail']:.1f} ms", f"≤ {api_ms:g} ms",
                  worst["detail"] <= api_ms, "api"),
            Check(f"feed of {FEED_RECORDS:,} records", f"{feed_seconds:.2f} s", f"≤ {feed_s:g} s",
                  feed_seconds <= feed_s, "servicedesk_feed"),
            Check(f"change with {SUBSCRIPTIONS} webhooks (p95)", f"{hooks['change_p95_ms']} ms",
                  f"≤ {hook_ms:g} ms", hooks["change_p95_ms"] <= hook_ms, "webhooks"),
            Check(f"{SUBSCRIPTIONS} deliveries by one worker", f"{deliver_per_change:.2f} s", f"≤ {hook_s:g} s",
                  deliver_per_change <= hook_s, "webhooks"),
        ],
    )

