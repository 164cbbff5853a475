"""What operators watch: GET /metrics in Prometheus's text format.

Each app process counts its requests (latency by route and status) and refused sign-ins; under
gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR to an empty folder so every worker's
counts are added up (prometheus_client's multiprocess mode). The state of the work behind the
pages — jobs waiting and how long the oldest has waited, per kind; emails and webhooks waiting
and given up — is read from the database at each scrape, so every server reports the same.

Readable with `Authorization: Bearer <METRICS_TOKEN>`, or from the networks listed in
METRICS_ALLOWED_NETWORKS (e.g. "10.0.0.0/8, 127.0.0.1/32"); with neither set, /metrics is off (404).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Iterable

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUEST_SECONDS = Histogram(
    "issues_tracker_request_seconds", "Time to answer a request, by route and status.",
    ["endpoint", "method", "status"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SIGN_IN_REFUSED = Counter(
    "issues_tracker_sign_in_refused_total", "Sign-ins refused, by why.", ["reason"],
)

# What the parts report at each scrape: functions yielding metric families (registered at start-up).
STATE_SOURCES: list[Callable[[], Iterable[GaugeMetricFamily]]] = []


def state_source(function: Callable[[], Iterable[GaugeMetricFamily]]):
    """Register a function that reports some of the service's state at each scrape."""
    if function not in STATE_SOURCES:
        STATE_SOURCES.append(function)
    return function


def sign_in_refused(reason: str) -> None:
    """Count a refused sign-in: wrong_password, rate_limited, second_factor, inactive..."""
    SIGN_IN_REFUSED.labels(reason=reason).inc()


class _State:
    def collect(self):
        for source in STATE_SOURCES:
            yield from source()


def _allowed() -> bool:
    config = current_app.config
    token = config.get("METRICS_TOKEN") or ""
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    networks = config.get("METRICS_ALLOWED_NETWORKS") or ()
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


def metrics() -> Response:
    config = current_app.config
    if not (config.get("METRICS_TOKEN") or config.get("METRICS_ALLOWED_NETWORKS")):
        abort(404)
    if not _allowed():
        response = Response("A bearer token (METRICS_TOKEN) is needed to read the metrics.\n", 401,
                            mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
        registry.register(SIGN_IN_REFUSED)
    registry.register(_State())
    response = Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_clock():
        g.metrics_clock = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.get("metrics_clock")
        if started is not None and request.endpoint not in (None, "static", "metrics"):
            REQUEST_SECONDS.labels(request.endpoint, request.method, str(response.status_code)).observe(
                time.perf_counter() - started)
        return response

    app.add_url_rule("/metrics", "metrics", metrics)
