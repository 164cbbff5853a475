"""What stakeholders read must be true: rejected submissions are closed, closing records the
resolution, every change is journalled, one spelling per value."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from test_issue_workflow import edit_form

from issues_tracker import create_app
from issues_tracker.core import choices
from issues_tracker.core.extensions import db
from issues_tracker.models import Issue, IssueEvent
from tests.conftest import SECRET
from tests.helpers import make_issue


def _changes(issue_id, field):
    db.session.expire_all()
    return [(e.old_value, e.new_value) for e in db.session.scalars(
        sa.select(IssueEvent).where(IssueEvent.issue_id == issue_id, IssueEvent.kind == "change",
                                    IssueEvent.field == field).order_by(IssueEvent.id))]


def test_a_rejected_submission_is_closed_and_not_counted_as_open(browser, participant, staff):
    issue = make_issue(participant, summary="Duplicate of the schema issue")
    browser.login(staff)
    assert browser.post(f"/issues/{issue.id}/triage", {"decision": "reject", "reason": "Duplicate"}).status_code == 303
    db.session.expire_all()
    stored = db.session.get(Issue, issue.id)
    assert stored.status == "Closed" and stored.resolved_at is not None
    assert _changes(issue.id, "status") == [("New", "Closed")]

    browser.logout()
    browser.login(participant)
    home = browser.get("/").get_data(as_text=True)
    assert "No open issues." in home and "Rejected submissions" in home
    assert "Duplicate of the schema issue" not in browser.get("/issues?status=open").get_data(as_text=True)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert ">Closed</span>" in page and ">Rejected</span>" in page and ">New</span>" not in page


def test_publishing_a_rejected_submission_reopens_it_with_the_change_journalled(browser, participant, staff):
    issue = make_issue(participant)
    browser.login(staff)
    browser.post(f"/issues/{issue.id}/triage", {"decision": "reject", "reason": "Not enough detail"})
    browser.post(f"/issues/{issue.id}/triage", {"decision": "publish"})
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "Under investigation"
    assert db.session.get(Issue, issue.id).resolved_at is None
    assert _changes(issue.id, "status") == [("New", "Closed"), ("Closed", "Under investigation")]


def test_publishing_at_triage_journals_the_status_it_sets(browser, participant, staff):
    issue = make_issue(participant)
    browser.login(staff)
    browser.post(f"/issues/{issue.id}/triage", {"decision": "publish"})
    assert _changes(issue.id, "status") == [("New", "Under investigation")]


@pytest.mark.parametrize("status", ["Resolved", "Closed"])
def test_closing_or_resolving_asks_for_the_resolution(browser, participant, staff, status):
    issue = make_issue(participant, publish_by=staff)
    browser.login(staff)
    form = dict(edit_form(browser, issue.id), status=status, resolution_description="")
    response = browser.post(f"/issues/{issue.id}/edit", form)
    assert response.status_code == 422
    assert "needs its resolution" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "Under investigation"


def test_resolving_records_the_resolution_and_completes_its_status(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    browser.login(staff)
    form = dict(edit_form(browser, issue.id), status="Resolved", resolution_status="Planned",
                resolution_description="Schema guidance corrected and republished")
    assert browser.post(f"/issues/{issue.id}/edit", form).status_code == 303
    db.session.expire_all()
    stored = db.session.get(Issue, issue.id)
    assert stored.resolution_status == "Complete"
    assert stored.resolution_description == "Schema guidance corrected and republished"
    assert _changes(issue.id, "resolution_status") == [("Not started", "Planned"), ("Planned", "Complete")]


def test_every_value_has_one_spelling():
    for options in (choices.IMPACT_ASSESSMENT, choices.RESOLUTION_STATUSES, choices.ACTION_STATUSES):
        assert ("In progress", "In progress") in options
        assert all(code == label for code, label in options)  # what is stored is what is shown


def test_an_old_bookmark_with_the_old_spelling_still_filters(browser, participant, staff):
    make_issue(participant, publish_by=staff, summary="Being assessed now")
    browser.login(staff)
    issue = db.session.scalar(sa.select(Issue))
    browser.post(f"/issues/{issue.id}/edit", dict(edit_form(browser, issue.id), impact_assessment="In progress"))
    page = browser.get("/issues?impact=In%20Progress")
    assert page.status_code == 200 and "Being assessed now" in page.get_data(as_text=True)


@pytest.fixture
def migration_database(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield "sqlite:///" + str(tmp_path / "migration.sqlite")
        return
    base = sa.engine.make_url(url)
    name = f"{base.database}_migration_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    migration_url = base.set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(migration_url)
    with engine.begin() as conn:  # an empty database for every run
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    yield migration_url


def test_the_migration_normalises_stored_spellings_and_closes_rejected_submissions(migration_database):
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": migration_database})
    then = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).replace(tzinfo=None)
    with app.app_context():
        upgrade(revision="0004_perf")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organisation (id, name, kind, created_at) VALUES (1, 'Org', 'supplier', :t)"),
                         {"t": then})
            for issue_id, triage in ((1, "published"), (2, "rejected")):
                conn.execute(sa.text(
                    "INSERT INTO issue (id, summary, description, severity, root_cause, root_cause_certainty, "
                    "impact_assessment, supplier_impact, distributor_impact, settlement_impact, status, action_underway, "
                    "resolution_description, resolution_status, dependencies, parties_responsible, next_run_resolves, "
                    "service_desk_refs, organisation_id, triage_state, rejection_reason, created_at, last_update_at, version) "
                    "VALUES (:id, 'Summary', '', 3, '', 'Suspected', 'In Progress', '', '', '', 'New', '', '', "
                    "'In Progress', '', '', 'Unknown', '', 1, :triage, '', :t, :t, 1)"), {"id": issue_id, "triage": triage,
                                                                                        "t": then})
            conn.execute(sa.text(
                "INSERT INTO issue_event (issue_id, created_at, kind, field, old_value, new_value, note) "
                "VALUES (1, :t, 'change', 'impact_assessment', 'Not started', 'In Progress', '')"), {"t": then})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT id, impact_assessment, resolution_status, status, resolved_at FROM issue ORDER BY id")).all()
            journal = conn.execute(sa.text(
                "SELECT issue_id, field, old_value, new_value FROM issue_event ORDER BY id")).all()
        db.session.remove()
        db.engine.dispose()
    assert [tuple(row[1:4]) for row in rows] == [("In progress", "In progress", "New"),
                                                 ("In progress", "In progress", "Closed")]
    assert rows[0].resolved_at is None and rows[1].resolved_at is not None
    assert (1, "impact_assessment", "Not started", "In progress") in journal
    assert (2, "status", "New", "Closed") in journal
