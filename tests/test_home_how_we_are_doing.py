"""The home page's "How are we doing": this month's service levels against target, open major
incidents, cases aged 30+ days, open escalations and the improvement programme's progress
beside the issue counts, each linking to its screen, at a fixed number of queries (as are the
programme's and the escalations' lists)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.core.formats import LONDON
from issues_tracker.core.models import utcnow
from issues_tracker.escalations import operations as escalation_service
from issues_tracker.improvements import pipeline
from issues_tracker.improvements.seed import seed_programme
from issues_tracker.models import User
from tests.conftest import Browser
from tests.helpers import make_issue
from tests.servicedesk_builders import import_rows, record
from tests.test_query_counts import counted

pytestmark = pytest.mark.both_databases


def london(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def this_months_records(prefix: str = "", count: int = 1) -> list[dict]:
    """P1 cases and incidents opened just after this month began (London): half met their targets."""
    now = utcnow().astimezone(LONDON)
    start = now.replace(day=1, hour=0, minute=1, second=0, microsecond=0)
    rows = []
    for number in range(count):
        for code in ("CS", "INC"):
            met = f"{code}{prefix}{number:04d}1"
            missed = f"{code}{prefix}{number:04d}2"
            rows.append(record(met, london(start), priority="1 - Critical", responded=london(start + timedelta(minutes=5)),
                               resolved=london(start + timedelta(hours=2)), state="Resolved"))
            rows.append(record(missed, london(start), priority="1 - Critical",
                               responded=london(start + timedelta(minutes=50)),
                               resolved=london(start + timedelta(hours=7)), state="Resolved"))
    return rows


def older_records(prefix: str = "", count: int = 1) -> list[dict]:
    """Cases open 40 days (aged 30+) and unresolved major incidents."""
    opened = london(utcnow() - timedelta(days=40))
    rows = []
    for number in range(count):
        rows.append(record(f"CS{prefix}{number:04d}9", opened, state="In progress", aged_reason="Awaiting supplier"))
        rows.append(record(f"INC{prefix}{number:04d}9", opened, priority="2 - High", state="In progress",
                           Major_incident="Y"))
    return rows


def test_the_home_page_shows_how_we_are_doing_with_links(app, browser, staff, participant, outsider):
    import_rows(this_months_records() + older_records())
    seed_programme(date(2026, 12, 5))
    db.session.commit()
    issue = make_issue(participant, publish_by=staff)
    escalation_service.raise_escalation(participant, {
        "subject_kind": "issue", "reference": issue.reference, "reason": "overdue", "route": "elexon",
        "detail": "No update for three weeks."})
    db.session.commit()
    browser.login(participant)
    html = browser.get("/").get_data(as_text=True)
    month = utcnow().astimezone(LONDON).strftime("%B %Y")
    assert f"Service levels, {month}" in html
    # Per kind: two P1s opened this month, one responded in 5 minutes and resolved in 2 hours.
    assert html.count("Responded within target <span>50%</span>") == 2
    assert html.count("Resolved within target <span>50%</span>") == 2
    assert "Targets: response P1 15 min, P2–P4 30 min" in html
    assert 'aria-label="1 open major incident"' in html and 'href="/performance#mi-h"' in html
    assert 'aria-label="1 case open 30 days or more"' in html and 'href="/performance#aged-h"' in html
    assert 'aria-label="1 open escalation"' in html and 'href="/escalations"' in html
    assert 'aria-label="35% of improvement actions complete"' in html
    assert "9 complete · 12 in progress · 5 not started" in html
    assert 'href="/improvements"' in html and "Open issues" in html
    other = Browser(app.test_client())
    other.login(outsider)
    assert 'aria-label="0 open escalations"' in other.get("/").get_data(as_text=True)


def test_the_service_desk_figures_show_a_new_import_at_once(browser, participant):
    import_rows(older_records("1"))
    browser.login(participant)
    assert 'aria-label="1 case open 30 days or more"' in browser.get("/").get_data(as_text=True)
    assert 'aria-label="1 case open 30 days or more"' in browser.get("/").get_data(as_text=True)  # kept
    import_rows(older_records("2", count=2))
    html = browser.get("/").get_data(as_text=True)
    assert 'aria-label="3 cases open 30 days or more"' in html and 'aria-label="3 open major incidents"' in html


def test_a_month_without_records_says_so(browser, participant):
    browser.login(participant)
    html = browser.get("/").get_data(as_text=True)
    assert html.count("None raised or resolved yet this month.") == 2
    assert "No programme actions yet." in html


def home_queries(browser) -> int:
    with counted() as seen:
        response = browser.get("/")
    assert response.status_code == 200
    return len(seen)


def test_the_home_page_costs_the_same_queries_however_much_data(browser, staff, participant, make_user):
    people = {"staff": staff.id, "participant": participant.id}
    import_rows(this_months_records("1") + older_records("1"))
    seed_programme(date(2026, 12, 5))
    issue = make_issue(participant, publish_by=staff)
    escalation_service.raise_escalation(participant, {
        "subject_kind": "issue", "reference": issue.reference, "reason": "overdue", "route": "elexon",
        "detail": "No update."})
    db.session.commit()
    browser.login(participant)
    few = home_queries(browser)

    import_rows(this_months_records("2", count=6) + older_records("2", count=6))
    participant = db.session.get(User, people["participant"])
    for number in range(5):
        other = make_issue(participant, publish_by=db.session.get(User, people["staff"]), summary=f"Issue {number}")
        escalation_service.raise_escalation(participant, {
            "subject_kind": "case", "reference": f"CS00{number}1234", "reason": "impact", "route": "elexon",
            "detail": f"Impact {number} on {other.reference}."})
    db.session.commit()
    assert db.session.scalar(sa.text("SELECT count(*) FROM escalation")) == 6
    many = home_queries(browser)
    assert many == few


def page_queries(browser, path) -> int:
    with counted() as seen:
        response = browser.get(path)
    assert response.status_code == 200, path
    return len(seen)


def test_the_programme_and_escalation_lists_cost_the_same_queries_however_much_data(browser, staff, participant,
                                                                                     make_user):
    staff_id = staff.id
    seed_programme(date(2026, 12, 5))
    pipeline.propose(participant, {"title": "First proposal"})
    issue = make_issue(participant, publish_by=staff)
    escalation_service.raise_escalation(participant, {
        "subject_kind": "issue", "reference": issue.reference, "reason": "overdue", "route": "elexon",
        "detail": "No update."})
    db.session.commit()
    browser.login(staff)
    paths = ("/improvements", "/escalations", "/escalations?status=all")
    few = {path: page_queries(browser, path) for path in paths}

    for number in range(6):
        person = make_user("participant", org=f"Supplier {number}")
        improvement = pipeline.propose(person, {"title": f"Proposal {number}"})
        pipeline.triage(improvement, db.session.get(User, staff_id), {"state": "accepted", "value_score": 3,
                                                                      "effort_score": 2}, expected_version=None)
        escalation_service.raise_escalation(person, {
            "subject_kind": "incident", "reference": f"INC00{number}1234", "reason": "impact", "route": "supplier",
            "blocking_party": f"Party {number}", "detail": "Blocked."})
    db.session.commit()
    many = {path: page_queries(browser, path) for path in paths}
    assert many == few
