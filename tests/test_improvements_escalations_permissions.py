"""Every route of the improvement programme and of escalations, for every role: signed out (to
sign in), a participant of the organisation concerned, a participant of another organisation,
staff and admin."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.escalations import operations as escalation_service
from issues_tracker.improvements import pipeline
from issues_tracker.improvements.models import ImprovementAction
from issues_tracker.improvements.seed import seed_programme
from tests.helpers import make_issue

# (method, path, who may): everyone (signed in), org (the organisation concerned and staff), staff.
ROUTES = [
    ("GET", "/improvements", "everyone"),
    ("GET", "/improvements/propose", "everyone"),
    ("POST", "/improvements/propose", "everyone"),
    ("GET", "/improvements/actions/new", "staff"),
    ("POST", "/improvements/actions/new", "staff"),
    ("GET", "/improvements/actions/{action}", "everyone"),
    ("GET", "/improvements/actions/{action}/edit", "staff"),
    ("POST", "/improvements/actions/{action}/edit", "staff"),
    ("POST", "/improvements/actions/{action}/updates", "staff"),
    ("GET", "/improvements/{improvement}", "org"),
    ("POST", "/improvements/{improvement}/triage", "staff"),
    ("POST", "/improvements/{improvement}/follow", "org"),
    ("GET", "/escalations", "everyone"),
    ("GET", "/escalations/new", "everyone"),
    ("POST", "/escalations/new", "everyone"),
    ("GET", "/escalations/{escalation}", "org"),
    ("POST", "/escalations/{escalation}/note", "org"),
    ("POST", "/escalations/{escalation}/next-level", "org"),
    ("POST", "/escalations/{escalation}/acknowledge", "staff"),
    ("POST", "/escalations/{escalation}/close", "staff"),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _ in ROUTES]


@pytest.fixture
def objects(staff, participant):
    seed_programme(date(2026, 12, 5))
    improvement = pipeline.propose(participant, {"title": "Show the PIR due date", "description": "Unclear"})
    issue = make_issue(participant, publish_by=staff)
    escalation = escalation_service.raise_escalation(participant, {
        "subject_kind": "issue", "reference": issue.reference, "reason": "overdue", "route": "elexon",
        "detail": "No update."})
    db.session.commit()
    action = db.session.scalar(sa.select(ImprovementAction).order_by(ImprovementAction.id))
    return {"action": action.id, "improvement": improvement.id, "escalation": escalation.id}


def call(browser, method, path, objects):
    url = path.format(**objects)
    return browser.get(url) if method == "GET" else browser.post(url, {})


def test_every_route_is_listed(app):
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("improvements", "escalations")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    steps = {("POST", "/escalations/<int:escalation_id>/<step>")}
    listed = {
        (method, path.replace("{action}", "<int:action_id>").replace("{improvement}", "<int:improvement_id>")
         .replace("{escalation}", "<int:escalation_id>"))
        for method, path, _ in ROUTES if "/escalations/{escalation}/" not in path
    }
    assert rules == listed | steps


@pytest.mark.parametrize(("method", "path", "who"), ROUTES, ids=ROUTE_IDS)
def test_signed_out(browser, objects, method, path, who):
    response = call(browser, method, path, objects)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["participant", "outsider", "staff", "admin"])
@pytest.mark.parametrize(("method", "path", "who"), ROUTES, ids=ROUTE_IDS)
def test_signed_in(browser, objects, participant, outsider, staff, admin, role, method, path, who):
    user = {"participant": participant, "outsider": outsider, "staff": staff, "admin": admin}[role]
    browser.login(user)
    response = call(browser, method, path, objects)
    allowed = who == "everyone" or role in ("staff", "admin") or (who == "org" and role == "participant")
    if not allowed:
        assert response.status_code == 403
    elif method == "GET":
        assert response.status_code == 200
    elif path.endswith(("/follow", "/acknowledge")):
        assert response.status_code == 303  # nothing to fill in: done
    else:
        assert response.status_code == 422  # an empty form is bad input, refused with its messages
