"""Whatever the tracker holds exports to CSV and Excel and imports back as it was: the seed's
issues, generated ones in every workflow state, each keeping its Issue ID."""

from __future__ import annotations

import io
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from openpyxl import load_workbook
from werkzeug.security import generate_password_hash

from issues_tracker import create_app
from issues_tracker.accounts.models import Organisation, User
from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service
from issues_tracker.issues.models import Issue
from issues_tracker.issues.synthetic import generate
from issues_tracker.issues.tracker_import import import_tracker
from tests.conftest import PASSWORD, SECRET, Browser
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases


@contextmanager
def empty_tracker(database_url: str, tmp_path, name: str):
    """An app on a new, migrated database of the suite's kind, dropped afterwards."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        drop = None
    else:
        base = sa.engine.make_url(database_url)
        target = base.set(database=f"{base.database}_{name}")
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        drop = sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        with admin.connect() as conn:
            conn.execute(drop)
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
        url = target.render_as_string(hide_password=False)
    other = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url,
                        "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://", "MFA_REQUIRED_ROLES": ""})
    try:
        with other.app_context():
            upgrade()
            yield other
            db.session.remove()
            db.engine.dispose()
    finally:
        if drop is not None:
            with admin.connect() as conn:
                conn.execute(drop)
            admin.dispose()


def export(client_browser, kind: str) -> bytes:
    response = client_browser.get(f"/issues.{kind}?status=all&sort=id")
    assert response.status_code == 200
    return response.data


def cells(kind: str, content: bytes) -> list[list]:
    if kind == "csv":
        import csv

        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_every_seeded_and_synthetic_issue_exports_and_imports_back_as_it_was(app, browser, staff, participant,
                                                                            database_url, tmp_path, seeded_database):
    generate(400, random_seed=11)
    # One of each state a submission can be left in by hand, besides the generated ones.
    make_issue(participant, summary="Awaiting triage: a submission nobody has looked at yet")
    rejected = make_issue(participant, summary="Rejected: not an industry issue")
    issue_service.triage_issue(rejected, staff, "reject", "Raised with the supplier directly.")
    closed = make_issue(participant, publish_by=staff, summary="Closed with a resolution, =SUM(A1) in its text")
    issue_service.update_issue(closed, {"status": "Closed", "resolution_description": "-Fixed in release 4.2"}, staff,
                               expected_version=None)
    db.session.commit()
    states = {(state, status in ("Resolved", "Closed")) for state, status in
              db.session.execute(sa.select(Issue.triage_state, Issue.status))}
    assert {("pending", False), ("published", False), ("published", True), ("rejected", True)} <= states
    people = [(u.email, u.name, u.role, u.organisation.name, u.active) for u in db.session.scalars(sa.select(User))]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Issue))
    browser.login(staff)

    for kind in ("csv", "xlsx"):
        before = export(browser, kind)
        with empty_tracker(database_url, tmp_path, f"roundtrip_{kind}") as other:
            password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
            for email, name, role, organisation, active in people:
                org = db.session.scalar(sa.select(Organisation).where(Organisation.name == organisation))
                org = org or Organisation(name=organisation)
                db.session.add(User(email=email, name=name, role=role, organisation=org, active=active,
                                    password_hash=password))
            db.session.commit()
            importer = db.session.scalar(sa.select(User).where(User.email == staff.email))
            result = import_tracker(f"tracker.{kind}", before, importer)
            assert result.errors == [] and (result.created, result.updated) == (total, 0)
            db.session.commit()
            imported = Browser(other.test_client())
            imported.login(staff.email)
            after = export(imported, kind)
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == total
        rows_before, rows_after = cells(kind, before), cells(kind, after)
        assert len(rows_before) == total + 1
        for row_before, row_after in zip(rows_before, rows_after, strict=True):
            assert row_before == row_after, row_before[0]
