"""Structured logs: one JSON object a line, each carrying the request id.

Every web request gets an id (the proxy's X-Request-ID when it sends a well-formed
one, otherwise a new one), returned in the X-Request-ID response header. A job
remembers the id of the request that started it, and its log lines carry that id
too, so one search finds the click and everything the worker did because of it.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar

from flask import Flask, g, request

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
JOB_ID: ContextVar[int | None] = ContextVar("job_id", default=None)
INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

_factory_installed = False
_handler_installed = False

access_log = logging.getLogger("issues_tracker.request")


def current_request_id() -> str:
    return REQUEST_ID.get()


def _install_record_factory() -> None:
    """Every log record, whoever logs it (the app, SQLAlchemy, huey), gets request_id and job_id."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        record.job_id = JOB_ID.get()
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def _formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(job_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")


def configure_logging(app: Flask) -> None:
    """Install the record factory; outside tests, one handler on the root logger (once per process)."""
    global _handler_installed
    _install_record_factory()
    if app.testing or _handler_installed:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(app.config["LOG_FORMAT"]))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    # WeasyPrint narrates every rendering step at INFO; its warnings still come through.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    _handler_installed = True


def init_request_ids(app: Flask) -> None:
    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if INCOMING_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = request_id
        g.request_id_token = REQUEST_ID.set(request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def report_request_id(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
            started = g.get("request_started")
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                },
            )
        return response

    @app.teardown_request
    def forget_request_id(_exc):
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                REQUEST_ID.reset(token)
            except ValueError:  # torn down in another context than it was set in
                REQUEST_ID.set("")
