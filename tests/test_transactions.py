"""One transaction per request: services never commit, and a request that fails part-way stores nothing."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from test_tracker_import import HEADER, ROW_1, ROW_6, import_file

from issues_tracker.core.extensions import db
from issues_tracker.forum import operations as forum_service
from issues_tracker.issues import operations as issue_service
from issues_tracker.issues import tracker_import
from issues_tracker.models import Issue, IssueEvent, Organisation
from tests.helpers import VALID_SUBMISSION, make_issue

pytestmark = pytest.mark.both_databases

PACKAGE = Path(__file__).resolve().parent.parent / "issues_tracker"


# The one commit path: a view's or command's unit of work, the job runner (jobs and background
# tasks), and email delivery's commit per message.
COMMITTING_MODULES = {"core/transaction.py", "jobs/runner.py", "notifications/delivery.py", "notifications/sending.py",
                      "notifications/outgoing.py", "webhooks/delivery.py"}


def test_only_the_unit_of_work_the_job_runner_and_email_delivery_commit():
    sources = [path for path in PACKAGE.rglob("*.py") if "migrations" not in path.relative_to(PACKAGE).parts]
    assert len(sources) > 50
    committing = {str(path.relative_to(PACKAGE)) for path in sources if re.search(r"\bsession\.commit\(", path.read_text())}
    assert committing == COMMITTING_MODULES
    calling_commit = {
        str(path.relative_to(PACKAGE)) for path in sources
        if re.search(r"(from \S*transaction import [^\n]*\bcommit\b)|(\btransaction\.commit\()", path.read_text())
    }
    assert calling_commit <= COMMITTING_MODULES, "views and commands commit through unit_of_work()"


def test_service_calls_can_be_combined_and_rolled_back_as_one(app, staff, participant):
    commits = []

    def count(connection):
        commits.append(1)

    sa.event.listen(db.engine, "commit", count)  # a real COMMIT, not a savepoint's release
    data = {k: v for k, v in VALID_SUBMISSION.items()}
    data["severity"] = 2
    issue = issue_service.submit_issue(data, participant)
    issue_service.triage_issue(issue, staff, "publish")
    issue_service.add_action(issue, staff, {"description": "Share guidance", "owner_name": "Joe"})
    forum_service.create_action(
        {"description": "Follow up", "owner_name": "Joe", "date_raised": issue.created_at.date(), "status": "Open",
         "issue_id": issue.id}, staff,
    )
    sa.event.remove(db.engine, "commit", count)
    assert commits == []
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent)) == 0


def test_tracker_import_that_fails_in_the_database_part_way_stores_nothing(browser, staff, monkeypatch):
    """The third row's writes fail in the database after two rows were written: nothing stays."""
    browser.login(staff)
    real_triage = issue_service.triage_issue
    calls = []

    def triage_that_fails_on_the_third_row(issue, user, decision, *args, **kwargs):
        calls.append(issue.id)
        real_triage(issue, user, decision, *args, **kwargs)
        if len(calls) == 3:
            db.session.add(Organisation(name=None))  # refused by the database (NOT NULL)
            db.session.flush()

    monkeypatch.setattr(issue_service, "triage_issue", triage_that_fails_on_the_third_row)
    third = list(ROW_6)
    third[0], third[1] = "9", "Certificate expiry issues"
    page = import_file(browser, "tracker.xlsx", _xlsx([HEADER, ROW_1, ROW_6, third]))

    assert "Row 4 (Issue ID 9) could not be stored; nothing was imported." in page
    assert len(calls) == 3
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent)) == 0


def test_tracker_import_refused_when_its_rows_are_written_names_the_rows_and_stores_nothing(
    browser, staff, monkeypatch
):
    """Rows go to the database a batch at a time; when the database refuses a batch, the
    message names the batch's rows."""
    browser.login(staff)
    real_triage = issue_service.triage_issue
    calls = []

    def triage_that_leaves_a_bad_row_on_the_third(issue, user, decision, *args, **kwargs):
        calls.append(1)
        real_triage(issue, user, decision, *args, **kwargs)
        if len(calls) == 3:
            db.session.add(Organisation(name=None))  # refused by the database (NOT NULL) when written

    monkeypatch.setattr(issue_service, "triage_issue", triage_that_leaves_a_bad_row_on_the_third)
    third = list(ROW_6)
    third[0], third[1] = "9", "Certificate expiry issues"
    page = import_file(browser, "tracker.xlsx", _xlsx([HEADER, ROW_1, ROW_6, third]))

    assert "Rows 2 to 4 could not be stored; nothing was imported." in page
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent)) == 0


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_declared_dimension(content: bytes, ref: str) -> bytes:
    """The same workbook, its sheet declaring another size (as some exporters write it)."""
    import zipfile

    source, target = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
            out.writestr(item, data)
    return target.getvalue()


def test_a_sheet_declaring_fewer_rows_than_it_holds_loses_none(browser, staff):
    browser.login(staff)
    content = _with_declared_dimension(_xlsx([HEADER, ROW_1, ROW_6]), "A1:B2")
    assert "2 new, 0 updated" in import_file(browser, "tracker.xlsx", content)
    db.session.expire_all()
    assert sorted(db.session.scalars(sa.select(Issue.source_ref))) == ["tracker:1", "tracker:6"]
    issue = db.session.scalar(sa.select(Issue).where(Issue.source_ref == "tracker:6"))
    assert issue.parties_responsible == "Elexon"  # a column past the declared width is read too


def test_excel_rows_are_read_as_a_stream_that_stops_at_the_limit(browser, staff, monkeypatch):
    browser.login(staff)
    monkeypatch.setattr(tracker_import, "MAX_ROWS", 10)
    rows_read = []
    real_iter_rows = openpyxl.worksheet._read_only.ReadOnlyWorksheet.iter_rows

    def counting_iter_rows(self, *args, **kwargs):
        for row in real_iter_rows(self, *args, **kwargs):
            rows_read.append(1)
            yield row

    monkeypatch.setattr(openpyxl.worksheet._read_only.ReadOnlyWorksheet, "iter_rows", counting_iter_rows)
    rows = [HEADER] + [[str(n), f"Generated issue number {n}"] for n in range(1, 501)]
    assert "more than 10 rows" in import_file(browser, "tracker.xlsx", _xlsx(rows))
    assert len(rows_read) <= 12  # the header, the ten allowed and the one too many
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 0


@pytest.mark.parametrize("refs", [
    ",".join(f"cs{n:07d}" for n in range(1, 31)),  # 299 characters typed; 328 once written "CS…, CS…"
])
def test_service_desk_references_that_grow_past_the_column_are_refused_with_a_message(browser, participant, refs):
    assert len(refs) <= 300
    browser.login(participant)
    response = browser.post("/issues/new", dict(VALID_SUBMISSION, service_desk_refs=refs))
    assert response.status_code == 422
    assert "Too many service-desk references" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 0


def test_pages_open_while_another_process_holds_a_long_write(app, database_url, browser, staff, participant):
    """A worker's import is one transaction: on SQLite a large one spills past its page cache and
    locks the file until it commits. People reading the site meanwhile see the last committed
    state at once, not an error after the wait for the lock runs out."""
    issue = make_issue(participant, publish_by=staff, summary="Settlement run delayed")
    browser.login(participant)
    worker = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with worker.connect() as connection:
            connection.exec_driver_sql("BEGIN EXCLUSIVE" if worker.dialect.name == "sqlite" else "BEGIN")
            connection.execute(sa.update(Issue).where(Issue.id == issue.id).values(summary="Half-written summary"))
            started = time.monotonic()
            page = browser.get(f"/issues/{issue.id}")
            waited = time.monotonic() - started
            connection.exec_driver_sql("ROLLBACK")
    finally:
        worker.dispose()
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Settlement run delayed" in text and "Half-written summary" not in text
    assert waited < 2, f"the page waited {waited:.1f} s for the writer"
