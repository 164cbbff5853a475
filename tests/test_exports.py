"""The Excel and CSV exports as people open them: real dates, widths, a frozen header,
a filter, readable values, and no formulas smuggled in."""

import csv
import io
from datetime import date, datetime

from openpyxl import load_workbook

from issues_tracker.core.extensions import db
from issues_tracker.core.formats import format_date, format_datetime
from issues_tracker.issues.export import COLUMNS
from tests.conftest import utc
from tests.helpers import make_issue

HEADERS = [column.header for column in COLUMNS] + ["Stale"]


def workbook_sheet(browser, query=""):
    response = browser.get(f"/issues.xlsx{query}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data)).active


def column(name: str) -> int:
    return HEADERS.index(name) + 1


def test_excel_dates_are_real_date_cells_in_uk_time(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff, severity=2)
    issue.created_at = utc(2026, 6, 30, 23, 30)  # 00:30 on 1 July in London
    issue.target_date = date(2026, 8, 3)
    db.session.commit()
    browser.login(participant)
    sheet = workbook_sheet(browser)

    created = sheet.cell(row=2, column=column("Created"))
    assert isinstance(created.value, datetime)
    assert created.value == datetime(2026, 7, 1, 0, 30)
    assert created.is_date and "mmm" in created.number_format

    target = sheet.cell(row=2, column=column("Target Date"))
    assert target.is_date and target.value.date() == date(2026, 8, 3)
    assert sheet.cell(row=2, column=column("Resolved")).value is None


def test_excel_has_a_frozen_header_an_autofilter_and_fitting_widths(browser, participant, staff):
    make_issue(participant, publish_by=staff, summary="A summary that needs a wider column than default")
    make_issue(participant, publish_by=staff, summary="Short one", description="Rejected flows. " * 30)
    db.session.commit()
    browser.login(participant)
    sheet = workbook_sheet(browser)

    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(row=3, column=len(HEADERS)).coordinate}"
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert all(cell.font.bold for cell in sheet[1])
    summary_width = sheet.column_dimensions["B"].width
    assert summary_width >= len("A summary that needs a wider column than default")
    description_width = sheet.column_dimensions[sheet.cell(row=1, column=column("Description")).column_letter].width
    assert 40 <= description_width <= 62  # long text does not make a column wider than a screen


def test_excel_shows_readable_values_rather_than_codes(browser, participant, staff):
    make_issue(participant, publish_by=staff, severity=1)
    make_issue(participant, summary="Still awaiting triage here")
    db.session.commit()
    browser.login(participant)
    rows = list(workbook_sheet(browser).values)[1:]
    by_summary = {row[1]: row for row in rows}
    published = next(row for summary, row in by_summary.items() if summary != "Still awaiting triage here")
    pending = by_summary["Still awaiting triage here"]
    assert published[column("Severity") - 1] == "P1 – Critical"
    assert published[column("Triage") - 1] == "Published"
    assert pending[column("Triage") - 1] == "Awaiting triage"
    assert published[column("Owner") - 1] == "Unassigned"
    assert isinstance(published[column("Age (days)") - 1], int)


def test_excel_still_neutralises_formulas(browser, participant, staff):
    make_issue(participant, publish_by=staff, summary='=HYPERLINK("http://evil","x") trick', root_cause="+SUM(A1:A9)")
    db.session.commit()
    browser.login(participant)
    row = list(workbook_sheet(browser).values)[1]
    assert row[1] == '\'=HYPERLINK("http://evil","x") trick'
    assert row[column("Root Cause (Known / Suspected)") - 1].startswith("'+SUM")


def test_csv_uses_the_one_date_format_and_readable_values(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    issue.target_date = date(2026, 8, 3)
    db.session.commit()
    browser.login(participant)
    text = browser.get("/issues.csv").get_data(as_text=True).lstrip("\ufeff")
    header, row = list(csv.reader(io.StringIO(text)))
    assert header == HEADERS
    values = dict(zip(header, row, strict=True))
    assert values["Target Date"] == format_date(date(2026, 8, 3)) == "3 Aug 2026"
    assert values["Created"] == format_datetime(issue.created_at)
    assert values["Triage"] == "Published"
    assert values["Resolved"] == ""
