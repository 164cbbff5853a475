import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service
from issues_tracker.issues import tracker_import
from issues_tracker.jobs import run_queued_jobs
from issues_tracker.models import Issue, IssueEvent, Job

pytestmark = pytest.mark.both_databases

# What an import sets as staff on a new issue, after submitting and publishing it.
STAFF_SET_BY_IMPORT = ("status", "impact_assessment", "action_underway", "resolution_description", "resolution_status")

HEADER = [
    "Issue ID",
    "Issue Summary",
    "Service / System",
    "Root Cause (Known / Suspected)",
    "Impact Assessment Status",
    "Supplier Count Impacted",
    "Distributor Count Impacted",
    "Affected Settlement Messages",
    "Settlement Impact",
    "Current Status",
    "Action Underway",
    "Resolution Description",
    "Resolution Status",
    "Dependencies",
    "Parties Responsible for Resolution",
    "Will Next Settlement Run Resolve?",
]
ROW_1 = [
    "1",
    "Message schema validation failures",
    "DIP",
    "Participant message format errors",
    "In Progress",
    "Multiple",
    "Multiple",
    "Dflows",
    "Rejections causing processing delays",
    "Known behaviour",
    "Schema validation guidance issued",
    "Participants updating message structures",
    "In Progress",
    "Participant configuration",
    "Suppliers / Participants",
    "Yes",
]
ROW_6 = [
    "6",
    "Unexpected platform behaviour queries",
    "DIP / ISD",
    "Misinterpreting expected behaviour",
    "In Progress",
    "Multiple",
    "Multiple",
    "Various",
    "Expected behaviour perceived as errors",
    "Under analysis",
    "Clarifying expected behaviour",
    "Improved knowledge base",
    "Planned",
    "Documentation improvements",
    "Elexon",
    "No",
]


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(browser, name, content):
    return browser.post("/issues/import", {"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def import_file(browser, name, content) -> str:
    """Upload as staff do, let the worker run, and return the import page with its outcome."""
    response = upload(browser, name, content)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert re.fullmatch(r"/issues/import/\d+", response.headers["Location"])
    run_queued_jobs()
    return browser.get(response.headers["Location"]).get_data(as_text=True)


def issues():
    return db.session.scalars(sa.select(Issue).order_by(Issue.source_ref)).all()


def test_staff_import_the_excel_tracker(browser, staff, outsider):
    browser.login(staff)
    response = upload(browser, "tracker.xlsx", xlsx([HEADER, ROW_1, ROW_6]))
    assert response.status_code == 303
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Import of tracker.xlsx" in page and "Importing the tracker: waiting for a worker" in page
    assert issues() == []  # nothing is stored in the request
    run_queued_jobs()
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported the tracker from tracker.xlsx: 2 new, 0 updated, 0 unchanged." in page
    assert '<a href="/issues">See the issues</a>' in page
    first, sixth = issues()
    assert first.summary == "Message schema validation failures" and first.triage_state == "published"
    assert first.status == "Known behaviour" and first.next_run_resolves == "Yes"
    assert sorted(sixth.services) == ["DIP", "ISD"] and list(sixth.messages) == ["Various"]
    browser.logout()
    browser.login(outsider)
    assert "Unexpected platform behaviour queries" in browser.get("/issues").get_data(as_text=True)


def test_reimporting_updates_and_journals_changes(browser, staff):
    browser.login(staff)
    import_file(browser, "tracker.csv", "\n".join(",".join(f'"{c}"' for c in r) for r in [HEADER, ROW_1]).encode())
    changed = list(ROW_1)
    changed[9] = "Resolved"
    assert "0 new, 1 updated" in import_file(browser, "tracker.xlsx", xlsx([HEADER, changed]))
    (issue,) = issues()
    assert issue.status == "Resolved" and issue.resolved_at is not None
    change = db.session.scalar(sa.select(IssueEvent).where(IssueEvent.field == "status", IssueEvent.new_value == "Resolved"))
    assert change.old_value == "Known behaviour" and change.user_id == staff.id
    assert "0 new, 0 updated, 1 unchanged" in import_file(browser, "tracker.xlsx", xlsx([HEADER, changed]))


def test_a_bad_row_imports_nothing_and_says_which(browser, staff):
    browser.login(staff)
    bad = list(ROW_6)
    bad[2] = "Teleport"
    bad[5] = "loads"
    text = import_file(browser, "tracker.xlsx", xlsx([HEADER, ROW_1, bad, ROW_1]))
    assert 'role="alert"' in text and "Importing the tracker did not complete. Nothing was imported" in text
    assert "Row 3 (Issue ID 6): Service / System “Teleport” is not one of" in text
    assert "Row 4: Issue ID 1 appears more than once." in text
    assert issues() == []


def test_unreadable_files_are_refused_with_the_reason(browser, staff):
    browser.login(staff)
    for name, content, message in (
        ("tracker.xlsx", b"not a zip", "not a readable Excel workbook"),
        ("tracker.csv", b"Summary,Other\nx,y", "“Issue ID” and “Issue Summary” are required"),
        ("tracker.csv", b"\xff\xfe\x00bad", "not UTF-8"),
    ):
        page = import_file(browser, name, content)
        assert 'role="alert"' in page and message in page, (name, message)
    for name, content, message in (
        ("tracker.pdf", b"%PDF", "Upload an Excel workbook"),
        ("tracker.csv", b"", "The file is empty"),
    ):
        response = upload(browser, name, content)
        assert response.status_code == 422, name
        assert message in response.get_data(as_text=True), (name, message)
    assert issues() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 3


def test_the_same_file_uploaded_twice_is_imported_once(browser, staff):
    browser.login(staff)
    content = xlsx([HEADER, ROW_1, ROW_6])
    first = upload(browser, "tracker.xlsx", content).headers["Location"]
    second = upload(browser, "copy of tracker.xlsx", content).headers["Location"]
    assert first == second  # the second follows the import already queued
    assert run_queued_jobs() == 1
    assert len(issues()) == 2


def test_participants_cannot_see_an_import(browser, staff, participant):
    browser.login(staff)
    location = upload(browser, "tracker.xlsx", xlsx([HEADER, ROW_1])).headers["Location"]
    job_id = location.rsplit("/", 1)[1]
    browser.logout()
    browser.login(participant)
    assert browser.get(location).status_code == 403
    assert browser.get(f"/jobs/{job_id}").status_code == 404


def test_participants_cannot_import(browser, participant):
    browser.login(participant)
    assert browser.get("/issues/import").status_code == 403
    assert upload(browser, "tracker.xlsx", xlsx([HEADER, ROW_1])).status_code == 403
    assert issues() == []


def test_damaged_files_get_a_message_not_an_error(browser, staff):
    import zipfile

    browser.login(staff)
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx([HEADER, ROW_1]))) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            target.writestr(item, b"<not-xml" if item.filename.endswith("sheet1.xml") else content)
    huge_cell = ",".join(HEADER) + "\n" + ",".join(['"' + "x" * 200_000 + '"'] + ROW_1[1:])
    for name, content in (("tracker.xlsx", damaged.getvalue()), ("tracker.csv", huge_cell.encode())):
        page = import_file(browser, name, content)
        assert 'role="alert"' in page and ("could not be read" in page or "not a readable" in page), name
    assert issues() == []


def test_control_characters_are_removed_on_import(browser, staff):
    browser.login(staff)
    row = list(ROW_1)
    row[1] = "Pasted\x00 from\x0b Word"
    import_file(browser, "tracker.csv", "\n".join(",".join(r) for r in [HEADER, row]).encode())
    assert issues()[0].summary == "Pasted from Word"


def test_imported_issues_have_the_history_staff_would_give_them_by_hand(browser, staff):
    """An import writes many rows at a time; each new issue still ends up, field by field and
    event by event, as if staff had submitted, published and updated it one at a time."""
    rows = [HEADER, ROW_1, ROW_6] + [[f"G{n}", f"Generated issue number {n}"] + ROW_6[2:] for n in range(1, 260)]
    content = "\n".join(",".join(f'"{cell}"' for cell in row) for row in rows).encode()
    browser.login(staff)
    assert "261 new, 0 updated" in import_file(browser, "tracker.csv", content)

    by_hand = []
    for raw in tracker_import.read_table("tracker.csv", content)[:2] + tracker_import.read_table("tracker.csv", content)[-1:]:
        data = tracker_import.parse_row(raw).data
        issue = issue_service.submit_issue(dict(data, description=data.get("description") or data["summary"]), staff)
        issue_service.triage_issue(issue, staff, "publish")
        issue_service.update_issue(
            issue, {field: data[field] for field in STAFF_SET_BY_IMPORT if field in data}, staff, expected_version=None,
            note="Imported from the spreadsheet tracker", complete_resolution=False,
        )
        by_hand.append(issue)
    db.session.commit()

    def record(issue):
        events = db.session.scalars(sa.select(IssueEvent).where(IssueEvent.issue_id == issue.id).order_by(IssueEvent.id))
        fields = {column: getattr(issue, column) for column in Issue.__table__.columns.keys()
                  if column not in ("id", "source_ref", "created_at", "last_update_at", "published_at", "resolved_at",
                                    "version")}  # the version counts writes, and an import writes in batches
        return (fields, sorted(issue.services), sorted(issue.messages), issue.resolved_at is None,
                [(e.kind, e.field, e.old_value, e.new_value, e.note, e.user_id) for e in events])

    db.session.expire_all()
    imported = [db.session.scalar(sa.select(Issue).where(Issue.source_ref == ref))
                for ref in ("tracker:1", "tracker:6", "tracker:G259")]
    for got, expected in zip([record(issue) for issue in imported], [record(issue) for issue in by_hand], strict=True):
        assert got[0] == expected[0]
        assert got[1:] == expected[1:]
