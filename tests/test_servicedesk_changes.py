"""Change records (CHG…) in the service-desk import, with their outcome, and the six-month change volume by
outcome on the dashboard and in a meeting's pack; kpis.csv keeps its columns and counts only cases and incidents."""

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import Meeting, ServiceDeskRecord
from tests.servicedesk_builders import extract_csv, import_rows, record
from tests.test_log_pdf import pdf_text
from tests.test_meeting_pack import render

pytestmark = pytest.mark.both_databases


def change(number, closed, outcome, *, opened="2026-02-02 09:00", state="Closed", product="DIP"):
    return record(number, opened, priority="4 - Low", state=state, closed=closed, product=product,
                  description="DIP release deployment", group="Elexon - Change Management", Outcome=outcome)


CHANGES = [
    change("CHG0031001", "2026-02-10 18:00", "Successful"),
    change("CHG0031002", "2026-02-12 18:00", "Successful with issues"),
    change("CHG0031003", "2026-03-03 18:00", "Successful"),
    change("CHG0031004", "2026-03-10 18:00", "Failed"),
    change("CHG0031005", "2026-03-11 18:00", "successful"),  # ServiceNow's case varies
    change("CHG0031006", "2026-03-12 18:00", "Unsuccessful"),  # ServiceNow's close code for a failed change
    change("CHG0031007", "", "", state="Scheduled"),
    record("CS0000001", "2026-03-02 09:00", responded="2026-03-02 09:10", resolved="2026-03-02 12:00"),
]


def write(tmp_path, rows):
    path = tmp_path / "extract.csv"
    path.write_bytes(extract_csv(rows))
    return str(path)


def test_changes_are_imported_with_their_outcome(runner, tmp_path):
    result = runner.invoke(args=["servicedesk", "import", write(tmp_path, CHANGES)])
    assert result.exit_code == 0, result.output
    assert "Imported 8 records: 8 added" in result.output
    stored = {r.number: r for r in db.session.scalars(sa.select(ServiceDeskRecord))}
    assert stored["CHG0031001"].record_type == "change" and stored["CHG0031001"].outcome == "Successful"
    assert stored["CHG0031005"].outcome == "Successful" and stored["CHG0031006"].outcome == "Failed"
    assert stored["CHG0031007"].outcome == "" and stored["CHG0031007"].state == "Scheduled"
    assert stored["CS0000001"].outcome == ""
    # A newer extract updates a change by its number.
    newer = [change("CHG0031007", "2026-03-20 18:00", "Successful with issues")]
    result = runner.invoke(args=["servicedesk", "import", write(tmp_path, newer)])
    assert "1 updated" in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(ServiceDeskRecord.outcome).where(ServiceDeskRecord.number == "CHG0031007")) \
        == "Successful with issues"


def test_bad_outcomes_are_listed_row_by_row_and_nothing_is_stored(runner, tmp_path):
    rows = [
        change("CHG0031001", "2026-02-10 18:00", "Successful"),
        change("CHG0031002", "2026-02-12 18:00", "Partly worked"),
        change("CHG0031003", "2026-03-03 18:00", ""),
        record("CS0000004", "2026-03-02 09:00", Outcome="Successful"),
    ]
    result = runner.invoke(args=["servicedesk", "import", write(tmp_path, rows)])
    assert result.exit_code == 1
    out = result.output
    assert "Nothing was imported: 3 rows have problems." in out
    assert ("Line 3 (CHG0031002): Outcome “Partly worked” is not one of: Successful, Successful with issues, "
            "Failed.") in out
    assert ("Line 4 (CHG0031003): Outcome is empty for a closed change: give Successful, Successful with issues "
            "or Failed.") in out
    assert "Line 5 (CS0000004): Outcome “Successful” is given for a case; only change records (CHG…) have one." in out
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDeskRecord)) == 0


def test_the_dashboard_shows_change_volume_by_outcome_and_kpis_csv_keeps_its_columns(browser, participant):
    import_rows(CHANGES)
    browser.login(participant)
    html = browser.get("/performance?from=2025-10&to=2026-03").get_data(as_text=True)
    assert "Change: successful, with issues, failed" in html
    table = html.split('class="kpi-table change-table"')[1].split("</table>")[0]
    rows = {cells[0]: cells[1:] for cells in (
        re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", line) for line in table.split("<tr>")[2:])}
    # Oct … Mar: two changes closed in February, four in March (one with issues, two failed).
    assert rows["Successful"] == ["0", "0", "0", "0", "1", "2"]
    assert rows["Successful with issues"] == ["0", "0", "0", "0", "1", "0"]
    assert rows["Failed"] == ["0", "0", "0", "0", "0", "2"]
    assert rows["Total"] == ["0", "0", "0", "0", "2", "4"]
    assert "6 changes completed: 33% failed, 17% successful with issues." in html
    assert "1 change not yet completed." in html
    response = browser.get("/performance/kpis.csv?from=2026-02&to=2026-03")
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    assert reader.fieldnames == ["month", "record_type", "priority", "raised", "resolved", "churn", "open_at_month_end",
                                 "mean_response_minutes", "mean_resolution_hours", "response_within_sla_pct",
                                 "resolution_within_sla_pct"]
    rows = list(reader)
    assert {r["record_type"] for r in rows} == {"case", "incident"}
    march_cases = next(r for r in rows if (r["month"], r["record_type"], r["priority"]) == ("2026-03", "case", "all"))
    assert march_cases["raised"] == "1"


def test_the_meeting_pack_shows_change_volume(app, staff):
    import_rows(CHANGES)
    meeting = Meeting(meeting_date=date(2026, 4, 14), title="Service Management Forum – April")
    db.session.add(meeting)
    db.session.commit()
    _, pages = pdf_text(render(meeting).pdf)
    text = " ".join(pages)
    assert "Change: successful, with issues, failed" in text
    assert "Successful with issues 0 0 0 0 1 0" in text and "Failed 0 0 0 0 0 2" in text
    assert "Total 0 0 0 0 2 4" in text
