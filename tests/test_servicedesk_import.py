"""Importing a service-desk extract: by CLI and by the staff page, CSV and Excel, all or nothing."""

import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from issues_tracker.core.extensions import db
from issues_tracker.jobs import run_queued_jobs
from issues_tracker.models import Job, ServiceDeskImport, ServiceDeskMonth, ServiceDeskRecord
from issues_tracker.servicedesk.extract import ExtractError, read_extract
from issues_tracker.servicedesk.jobs import ImportRefused, import_file
from tests.conftest import Browser
from tests.servicedesk_builders import COLUMNS, extract_csv, import_rows, record

pytestmark = pytest.mark.both_databases


def records() -> dict[str, ServiceDeskRecord]:
    db.session.expire_all()
    return {r.number: r for r in db.session.scalars(sa.select(ServiceDeskRecord))}


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


GOOD = [
    record("CS0016629", "2025-12-17 10:12", priority="4 - Low", state="Open", responded="2025-12-17 10:30",
           product="MHHS Query", description="Timings of Migration messages", Incident="INC0126133",
           Aged_reason="Awaiting participant / caller response"),
    record("INC0139429", "06/02/2026 09:40", priority="P2", state="Closed", responded="06/02/2026 09:52",
           resolved="13/02/2026 12:30", closed="18/02/2026 12:30", product="MDS", Major_incident="Y",
           MI_email="06/02/2026 10:05", PIR_published="24/02/2026"),
]


def test_cli_imports_an_extract_with_servicenow_labels(runner, tmp_path):
    result = runner.invoke(args=["servicedesk", "import", write(tmp_path, "extract.csv", extract_csv(GOOD))])
    assert result.exit_code == 0, result.output
    assert "Imported 2 records: 2 added, 0 updated, 0 unchanged." in result.output
    stored = records()
    case, incident = stored["CS0016629"], stored["INC0139429"]
    assert case.record_type == "case" and incident.record_type == "incident"
    assert case.priority == 4 and incident.priority == 2
    # Times are UK time in the extract and stored in UTC: 10:12 GMT in December, 09:40 GMT in February.
    assert case.opened_at == datetime(2025, 12, 17, 10, 12, tzinfo=UTC)
    assert incident.resolved_at == datetime(2026, 2, 13, 12, 30, tzinfo=UTC)
    assert case.incident_number == "INC0126133" and case.aged_reason.startswith("Awaiting participant")
    assert incident.major_incident and incident.mi_email_at == datetime(2026, 2, 6, 10, 5, tzinfo=UTC)
    assert incident.pir_published_on.isoformat() == "2026-02-24"
    # Service-level results are worked out at import: 18 minutes to respond (P4, within 30 business minutes).
    assert case.response_seconds == 18 * 60 and case.response_met is True
    assert incident.resolution_met is False  # 10 business hours for P2; it took a week
    assert db.session.scalar(sa.select(sa.func.sum(ServiceDeskMonth.raised))) == 2


def test_labels_in_any_order_and_case_with_extra_columns_ignored(runner, tmp_path):
    data = (
        b"caller,STATE,number,Short Description,opened,PRIORITY,MHHS product,assignment group,Closed,resolved,"
        b"Responded,Assigned to\r\n"
        b"Jane Caller,Open,cs0000101,Flow query,2026-03-02 09:00,p3,DIP,Elexon - Technical Triage,,,"
        b"2026-03-02 09:10,Sam Assignee\r\n"
    )
    result = runner.invoke(args=["servicedesk", "import", write(tmp_path, "x.csv", data)])
    assert result.exit_code == 0, result.output
    stored = records()["CS0000101"]
    assert (stored.product, stored.priority, stored.state) == ("DIP", 3, "Open")
    # Names in columns the app does not know are never stored anywhere.
    values = " ".join(str(v) for v in vars(stored).values())
    assert "Jane Caller" not in values and "Sam Assignee" not in values


def test_every_bad_row_is_listed_with_its_line_and_reason_and_nothing_is_stored(runner, tmp_path):
    rows = [
        record("CS0000001", "2026-03-02 09:00"),
        record("CS0000002", "2026-03-02 09:00", priority="P9"),
        record("CS0000003", "31/02/2026 09:00"),
        record("CS0000004", "2026-03-05 09:00", resolved="2026-03-04 09:00"),
        record("CS0000001", "2026-03-06 09:00"),
        record("XY123", "2026-03-02 09:00"),
        record("CS0000007", "yesterday"),
    ]
    result = runner.invoke(args=["servicedesk", "import", write(tmp_path, "bad.csv", extract_csv(rows))])
    assert result.exit_code == 1
    out = result.output
    assert "Nothing was imported: 6 rows have problems." in out
    assert "Line 3 (CS0000002): unknown priority “P9”" in out
    assert "Line 4 (CS0000003): Opened “31/02/2026 09:00” is not a real date and time." in out
    assert "Line 5 (CS0000004): Resolved is before Opened." in out
    assert "Line 6 (CS0000001): Number CS0000001 appears more than once (also on line 2)." in out
    assert "Line 7 (XY123): Number “XY123” is not a case (CS…), incident (INC…) or change (CHG…) number." in out
    assert "Line 8 (CS0000007): Opened “yesterday” is not a date and time" in out
    assert records() == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDeskImport)) == 0


def test_missing_columns_are_named(runner, tmp_path):
    data = extract_csv([record("CS0000001", "2026-03-02 09:00")], columns=COLUMNS)
    data = data.replace(b",Closed", b",Shut").replace(b",Product,", b",Thing,")
    result = runner.invoke(args=["servicedesk", "import", write(tmp_path, "x.csv", data)])
    assert result.exit_code == 1
    assert "missing: Product (or MHHS Product, or Service), Closed" in result.output


@pytest.mark.parametrize("content, filename, message", [
    (b"", "x.csv", "The file is empty"),
    (b"Number,Opened\n", "x.txt", r"CSV file \(\.csv\) or an Excel workbook \(\.xlsx\)"),
    (b"not a zip", "x.xlsx", "not a readable Excel workbook"),
    (b"\x81\x8d\x8f\x90", "x.csv", "not text"),
])
def test_unreadable_files_are_refused_clearly(content, filename, message):
    with pytest.raises(ExtractError, match=message):
        read_extract(io.BytesIO(content), filename)


def test_line_numbers_count_lines_of_the_file_including_multi_line_cells():
    rows = [record("CS0000001", "2026-03-02 09:00", description="First line\nsecond line"),
            record("CS0000002", "2026-03-02 09:00", priority="9")]
    with pytest.raises(ExtractError) as caught:
        read_extract(io.BytesIO(extract_csv(rows)), "x.csv")
    assert caught.value.problems[0].line == 4


def test_windows_encoded_and_semicolon_separated_csv_files_are_read():
    data = extract_csv([record("CS0000001", "2026-03-02 09:00", description="Café — query")]).decode()
    data = data.replace(",", ";").encode("cp1252")
    extract = read_extract(io.BytesIO(data), "x.csv")
    assert extract.rows[0].short_description == "Café — query"


def test_p5_is_accepted_without_a_service_level(app):
    import_rows([record("INC0000005", "2026-03-02 09:00", priority="5 - Planning", responded="2026-03-05 09:00",
                        resolved="2026-03-20 09:00")])
    stored = records()["INC0000005"]
    assert stored.priority == 5
    assert stored.response_met is None and stored.resolution_met is None
    assert stored.response_seconds == 3 * 86400


def test_excel_workbooks_are_read_with_date_cells(runner, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Number", "Opened", "Priority", "State", "Short description", "Assignment group", "Service",
                  "Responded", "Resolved", "Closed", "Major incident"])
    sheet.append(["INC0000042", datetime(2026, 7, 1, 10, 0), "2 - High", "Resolved", "DIP unavailable", "DIP Operations",
                  "DIP", datetime(2026, 7, 1, 10, 20), "2026-07-01 14:00", None, "N"])
    sheet.append([None] * 11)  # an empty row is skipped
    buffer = io.BytesIO()
    book.save(buffer)
    result = runner.invoke(args=["servicedesk", "import", write(tmp_path, "extract.xlsx", buffer.getvalue())])
    assert result.exit_code == 0, result.output
    stored = records()["INC0000042"]
    # 10:00 BST in July is 09:00 UTC.
    assert stored.opened_at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert stored.product == "DIP" and stored.response_met is True and stored.resolution_met is True


def test_a_workbook_as_excel_saves_it_with_shared_strings_and_date_cells(runner, tmp_path):
    from benchmarks.servicedesk import write_excel_xlsx

    header = ["Number", "Opened", "Priority", "State", "Short description", "Assignment group", "MHHS Product",
              "Responded", "Resolved", "Closed"]
    rows = [header, ["CS0000301", datetime(2026, 2, 6, 9, 40), "4 - Low", "Closed", "Flow query", "Elexon - Assurance",
                     "DIP", datetime(2026, 2, 6, 9, 52, 13), datetime(2026, 2, 9, 12, 30), datetime(2026, 2, 13, 12, 30)]]
    path = tmp_path / "extract.xlsx"
    write_excel_xlsx(path, rows)
    result = runner.invoke(args=["servicedesk", "import", str(path)])
    assert result.exit_code == 0, result.output
    stored = records()["CS0000301"]
    assert stored.opened_at == datetime(2026, 2, 6, 9, 40, tzinfo=UTC)
    assert stored.responded_at == datetime(2026, 2, 6, 9, 52, 13, tzinfo=UTC)
    assert stored.response_seconds == 12 * 60 + 13


def test_reimporting_a_newer_extract_updates_by_number_and_counts_what_changed(app):
    first = [record("CS0000001", "2026-03-02 09:00", state="Open"),
             record("CS0000002", "2026-03-02 10:00", state="Open"),
             record("CS0000003", "2026-03-02 11:00", state="Open")]
    assert import_rows(first).added == 3
    newer = [record("CS0000001", "2026-03-02 09:00", state="Open"),
             record("CS0000002", "2026-03-02 10:00", state="Resolved", responded="2026-03-02 10:05",
                    resolved="2026-03-03 12:00"),
             record("CS0000004", "2026-03-04 09:00", state="Open")]
    outcome = import_rows(newer)
    assert (outcome.added, outcome.updated, outcome.unchanged) == (1, 1, 1)
    assert outcome.message == "Imported 3 records: 1 added, 1 updated, 1 unchanged."
    stored = records()
    assert set(stored) == {"CS0000001", "CS0000002", "CS0000003", "CS0000004"}
    assert stored["CS0000002"].state == "Resolved" and stored["CS0000002"].resolved_month == 202603
    assert db.session.scalar(sa.select(sa.func.sum(ServiceDeskMonth.resolved))) == 1
    # The same extract again changes nothing.
    again = import_rows(newer)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)


def test_an_empty_mi_cell_keeps_what_staff_recorded_but_a_value_replaces_it(app):
    row = record("INC0000009", "2026-03-02 09:00", priority="P2", Major_incident="Y", MI_email="")
    import_rows([row])
    stored = records()["INC0000009"]
    stored.mi_email_at = datetime(2026, 3, 2, 9, 20, tzinfo=UTC)
    db.session.commit()
    import_rows([dict(row, State="In Progress")])
    assert records()["INC0000009"].mi_email_at == datetime(2026, 3, 2, 9, 20, tzinfo=UTC)
    import_rows([dict(row, State="Resolved", **{"MI email": "2026-03-02 09:25"})])
    assert records()["INC0000009"].mi_email_at == datetime(2026, 3, 2, 9, 25, tzinfo=UTC)


def test_a_state_of_closed_needs_a_closed_time():
    with pytest.raises(ExtractError) as caught:
        read_extract(io.BytesIO(extract_csv([record("CS0000001", "2026-03-02 09:00", state="Closed")])), "x.csv")
    assert "State is Closed but the Closed time is empty." in caught.value.problems[0].text


def test_an_import_stores_nothing_when_it_is_refused_and_reports_its_progress(app, tmp_path):
    bad = write(tmp_path, "bad.csv", extract_csv([record("CS0000001", "2026-03-02 09:00", priority="P0")]))
    with pytest.raises(ImportRefused) as caught:
        import_file(bad)
    assert caught.value.details == ["Line 2 (CS0000001): unknown priority “P0”: use 1 - Critical … 4 - Low, or P1 … P5."]
    seen = []
    message = import_file(write(tmp_path, "good.csv", extract_csv(GOOD)),
                          progress=lambda percent, message: seen.append(percent))
    assert message.startswith("Imported 2 records")
    assert seen[-1] == 100 and seen == sorted(seen)


def test_rows_stored_before_a_bad_row_further_down_are_undone(app, tmp_path):
    """Rows are stored a chunk at a time as the file is read; a problem thousands of rows in
    leaves nothing stored, and every row after it is still checked."""
    rows = [record(f"CS{n:07d}", "2026-03-02 09:00") for n in range(1, 2601)]
    rows[2399] = record("CS0002400", "2026-03-02 09:00", priority="P0")
    rows[2599] = record("CS0000007", "2026-03-02 09:00")
    with pytest.raises(ImportRefused) as caught:
        import_file(write(tmp_path, "long.csv", extract_csv(rows)))
    assert caught.value.reason == "Nothing was imported: 2 rows have problems. Correct them and import the file again."
    assert caught.value.details == [
        "Line 2401 (CS0002400): unknown priority “P0”: use 1 - Critical … 4 - Low, or P1 … P5.",
        "Line 2601 (CS0000007): Number CS0000007 appears more than once (also on line 8).",
    ]
    assert records() == {}  # without the caller rolling back
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDeskImport)) == 0
    rows[2399] = record("CS0002400", "2026-03-02 09:00")
    rows[2599] = record("CS0002600", "2026-03-02 09:00")
    assert import_file(write(tmp_path, "long.csv", extract_csv(rows))) == (
        "Imported 2,600 records: 2,600 added, 0 updated, 0 unchanged.")
    assert db.session.scalar(sa.select(ServiceDeskImport.rows)) == 2600


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(app, tmp_path, monkeypatch):
    app.config["SERVICEDESK_IMPORT_MAX_BYTES"] = 100
    path = write(tmp_path, "big.csv", extract_csv(GOOD))
    monkeypatch.setattr("builtins.open", lambda *a, **kw: pytest.fail("the file was opened"))
    with pytest.raises(ImportRefused, match="an extract may be at most 100 bytes"):
        import_file(path)
    monkeypatch.undo()
    assert records() == {}


# ---------------------------------------------------------------- the staff page


def upload(browser, data: bytes, filename: str = "extract.csv"):
    return browser.post("/performance/import", {"file": (io.BytesIO(data), filename)},
                        content_type="multipart/form-data")


def test_staff_import_an_extract_on_the_page_and_follow_it_to_the_dashboard(browser, staff):
    browser.login(staff)
    page = browser.get("/performance/import")
    assert page.status_code == 200 and b"Check and import" in page.data
    response = upload(browser, extract_csv(GOOD))
    assert response.status_code == 303
    progress_page = response.headers["Location"]
    job_id = int(progress_page.rsplit("/", 1)[1])
    assert progress_page == f"/performance/import/{job_id}"
    assert "Importing the service-desk extract: waiting for a worker" in browser.get(progress_page).get_data(as_text=True)
    assert records() == {}  # a worker does the work, not the web request

    assert run_queued_jobs() == 1
    text = browser.get(f"/jobs/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Imported 2 records: 2 added, 0 updated, 0 unchanged." in text
    assert 'href="/performance">See the dashboard' in text
    assert len(records()) == 2
    log = db.session.scalar(sa.select(ServiceDeskImport))
    assert log.user_id == staff.id and log.filename == "extract.csv" and log.added == 2 and log.source == "upload"


def test_the_same_file_twice_while_its_import_waits_follows_that_import(browser, staff):
    browser.login(staff)
    first = upload(browser, extract_csv(GOOD)).headers["Location"]
    assert upload(browser, extract_csv(GOOD)).headers["Location"] == first
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1


def test_a_bad_extract_on_the_page_lists_every_row_and_stores_nothing(browser, staff):
    browser.login(staff)
    rows = [record("CS0000001", "2026-03-02 09:00", priority="P9"), record("CS0000002", "2026-03-05", resolved="x")]
    progress_page = upload(browser, extract_csv(rows)).headers["Location"]
    run_queued_jobs()
    text = browser.get(progress_page).get_data(as_text=True)
    assert "did not complete. Nothing was imported: 2 rows have problems." in text
    assert "<li>Line 2 (CS0000001): unknown priority" in text
    assert "<li>Line 3 (CS0000002): Opened “2026-03-05” has no time" in text
    assert records() == {}


def test_only_staff_follow_an_import(app, browser, staff, participant, make_user):
    browser.login(staff)
    progress_page = upload(browser, extract_csv(GOOD)).headers["Location"]
    someone = Browser(app.test_client())
    someone.login(participant)
    assert someone.get(progress_page).status_code == 403
    colleague = Browser(app.test_client())
    colleague.login(make_user("staff", org="Elexon", name="Other Staff"))
    assert colleague.get(progress_page).status_code == 200  # staff see each other's imports
    assert colleague.get("/performance/import/999999").status_code == 404


def test_the_page_refuses_other_files_and_oversized_ones(app, browser, staff):
    browser.login(staff)
    response = upload(browser, b"hello", "notes.txt")
    assert response.status_code == 422 and "Upload a CSV file (.csv) or an Excel workbook" in response.get_data(as_text=True)
    response = browser.post("/performance/import", {}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose the extract to import." in response.get_data(as_text=True)
    app.config["SERVICEDESK_IMPORT_MAX_BYTES"] = 1024
    response = upload(browser, extract_csv(GOOD) + b"x" * 200_000)
    assert response.status_code == 413
    assert "The file is larger than 1 kB, the most an extract may be." in response.get_data(as_text=True)
    response = upload(browser, b"")
    assert response.status_code == 422 and "The file is empty." in response.get_data(as_text=True)
    assert records() == {} and db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
