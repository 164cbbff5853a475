"""GET /metrics: what operators watch, in Prometheus's text format, for whoever holds the token or
comes from an allowed network; nobody else reads it."""

from __future__ import annotations

import ipaddress
import re

from issues_tracker.core.extensions import db
from issues_tracker.jobs import enqueue
from tests.conftest import Browser


def value(text: str, name: str, **labels) -> float:
    """The sample of `name` with these labels (others ignored)."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
            if all(found.get(key) == wanted for key, wanted in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name} {labels} in the metrics")


def test_metrics_are_off_without_a_token_or_an_allowed_network(client):
    assert client.get("/metrics").status_code == 404


def test_the_token_reads_request_latency_jobs_waiting_emails_and_refused_sign_ins(app, client, browser, staff):
    app.config["METRICS_TOKEN"] = "metrics-token-0123456789"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    browser.get("/login")
    browser.post("/login", {"email": staff.email, "password": "not the password"})
    browser.login(staff)
    browser.get("/issues")
    enqueue("meeting_pack", key="999", user=staff, meeting_id=999)
    db.session.commit()

    response = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-0123456789"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert value(text, "issues_tracker_request_seconds_count", endpoint="issues.index", method="GET", status="200") >= 1
    assert value(text, "issues_tracker_sign_in_refused_total", reason="wrong_password") >= 1
    assert value(text, "issues_tracker_jobs_waiting", kind="meeting_pack") == 1
    assert value(text, "issues_tracker_job_oldest_wait_seconds", kind="meeting_pack") >= 0
    assert value(text, "issues_tracker_emails", state="failed") == 0


def test_an_allowed_network_reads_the_metrics_and_others_do_not(app, client):
    app.config["METRICS_ALLOWED_NETWORKS"] = (ipaddress.ip_network("10.0.0.0/8"),)
    assert client.get("/metrics").status_code == 401  # the test client comes from 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert Browser(client).get("/metrics", environ_base={"REMOTE_ADDR": "192.168.1.9"}).status_code == 401
