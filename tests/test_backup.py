"""Backups: what deploy.md tells an operator to run, restored into an empty database."""

from __future__ import annotations

import hashlib
import stat

import pytest
import sqlalchemy as sa

from issues_tracker import create_app
from issues_tracker.core.extensions import db
from issues_tracker.log import operations as log_service
from issues_tracker.log import weeks as log_weeks
from tests.conftest import SECRET, Browser, IsolatedClient
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases


def test_a_backup_restores_issues_accounts_and_published_logs_byte_for_byte(
    app, runner, participant, staff, second_database, tmp_path
):
    make_issue(participant, publish_by=staff, summary="Kept through a restore")
    week = log_weeks.current_week()
    published = log_service.publish_log(week, user=staff).log
    db.session.commit()
    schema_version = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    backup_file = tmp_path / "backups" / "site.backup"
    result = runner.invoke(args=["backup", "create", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert "Backed up the database" in result.output and backup_file.stat().st_size > published.size_bytes
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600  # its owner alone may read it

    participant_email = participant.email  # read here: inside the other app, its session would ask the other database
    restored_app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": False,
                               "SQLALCHEMY_DATABASE_URI": second_database, "MFA_REQUIRED_ROLES": ""})
    restored_app.test_client_class = IsolatedClient
    with restored_app.app_context():
        restore = restored_app.test_cli_runner()
        refused = restore.invoke(args=["backup", "restore", str(backup_file)], input="n\n")
        assert refused.exit_code != 0 and "replaces everything" in refused.output
        result = restore.invoke(args=["backup", "restore", str(backup_file), "--yes"])
        assert result.exit_code == 0, result.output

        browser = Browser(restored_app.test_client())
        browser.login(participant_email)  # accounts and their passwords came back
        pdf = browser.get(f"/log/{week.isoformat()}.pdf")
        assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == published.sha256
        assert "Kept through a restore" in browser.get("/issues").get_data(as_text=True)
        assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == schema_version

        exported = restore.invoke(args=["log", "export", str(tmp_path / "logs")])
        assert exported.exit_code == 0 and "Wrote 1 published log" in exported.output
        name = f"industry-issues-log-{week.isoformat()}.pdf"
        assert (tmp_path / "logs" / "SHA256SUMS").read_text() == f"{published.sha256}  {name}\n"
        assert hashlib.sha256((tmp_path / "logs" / name).read_bytes()).hexdigest() == published.sha256
        db.session.remove()
        db.engine.dispose()


def test_restoring_something_that_is_not_a_backup_changes_nothing(app, runner, staff, tmp_path):
    staff_id, email = staff.id, staff.email
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    result = runner.invoke(args=["backup", "restore", str(bogus), "--yes"])
    assert result.exit_code != 0
    assert "not a SQLite backup" in result.output or "pg_restore failed" in result.output
    db.session.remove()
    assert db.session.get(type(staff), staff_id).email == email
