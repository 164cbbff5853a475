"""The exports are streamed a batch of issues at a time: every issue a person may see is in
them and none other, with the same cells as ever, and the SQL sent does not grow with the
number of issues (one query reads them all; at most one more per batch would be allowed)."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from issues_tracker.core.extensions import db
from issues_tracker.issues import export
from issues_tracker.issues import operations as issue_service
from issues_tracker.models import User
from tests.conftest import utc
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases

BATCH = 2
HEADERS = export.HEADERS


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(export, "BATCH_SIZE", BATCH)


def column(name: str) -> int:
    return HEADERS.index(name)


def tracker(participant, outsider, staff):
    """Issues a participant may see (published ones, their own organisation's submission) and
    ones they may not (another organisation's submissions, pending and rejected)."""
    tricky = make_issue(outsider, publish_by=staff, summary='=HYPERLINK("http://evil","x") trick',
                        root_cause="+SUM(A1:A9)", services=["ISD", "DIP"], messages=["PUB", "Dflows"])
    tricky.created_at = utc(2026, 6, 30, 23, 30)  # 00:30 on 1 July in London
    tricky.target_date = date(2026, 8, 3)
    tricky.owner_id = staff.id
    db.session.commit()
    visible = [tricky] + [
        make_issue(outsider, publish_by=staff, summary=f"Published settlement issue {n}") for n in range(4)
    ]
    visible.append(make_issue(participant, summary="Our own submission awaiting triage"))
    hidden = [make_issue(outsider, summary="Another organisation's pending submission")]
    rejected = make_issue(outsider, summary="Another organisation's rejected submission")
    issue_service.triage_issue(rejected, staff, "reject", "Not an industry issue.")
    db.session.commit()
    hidden.append(rejected)
    assert math.ceil(len(visible) / BATCH) > 2  # the export runs over several batches
    return visible, hidden


def csv_table(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_csv_streams_every_issue_a_participant_may_see_and_no_other(
    browser, participant, outsider, staff, small_batches
):
    visible, hidden = tracker(participant, outsider, staff)
    browser.login(participant)
    response = browser.get("/issues.csv?status=all")
    table = csv_table(response)
    assert len(response.response) >= math.ceil(len(visible) / BATCH)  # sent a batch at a time
    assert table[0] == HEADERS
    assert sorted(row[0] for row in table[1:]) == sorted(issue.reference for issue in visible)
    assert not {issue.reference for issue in hidden} & {row[0] for row in table}

    tricky = next(row for row in table if row[0] == visible[0].reference)
    assert tricky[1] == '\'=HYPERLINK("http://evil","x") trick'
    assert tricky[column("Root Cause (Known / Suspected)")] == "'+SUM(A1:A9) (Suspected)"
    assert tricky[column("Service / System")] == "DIP / ISD"
    assert tricky[column("Affected Settlement Messages")] == "Dflows / PUB"
    assert tricky[column("Created")] == "1 Jul 2026 00:30"
    assert tricky[column("Target Date")] == "3 Aug 2026"
    assert tricky[column("Owner")] == staff.display_name
    assert tricky[column("Submitted By Organisation")] == outsider.organisation.name
    own = next(row for row in table if row[1] == "Our own submission awaiting triage")
    assert own[column("Owner")] == "Unassigned" and own[column("Triage")] == "Awaiting triage"
    assert own[column("Service / System")] == "DIP" and own[column("Resolved")] == ""


def test_the_workbook_holds_every_issue_a_participant_may_see_and_no_other(
    browser, participant, outsider, staff, small_batches
):
    visible, hidden = tracker(participant, outsider, staff)
    browser.login(participant)
    response = browser.get("/issues.xlsx?status=all")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.data)
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sorted(row[0].value for row in rows) == sorted(issue.reference for issue in visible)
    assert not {issue.reference for issue in hidden} & {row[0].value for row in rows}
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(row=len(visible) + 1, column=len(HEADERS)).coordinate}"

    tricky = next(row for row in rows if row[0].value == visible[0].reference)
    assert tricky[1].value == '\'=HYPERLINK("http://evil","x") trick' and tricky[1].data_type == "s"
    assert tricky[column("Root Cause (Known / Suspected)")].value == "'+SUM(A1:A9) (Suspected)"
    created = tricky[column("Created")]
    assert created.is_date and created.value == datetime(2026, 7, 1, 0, 30) and "mmm" in created.number_format
    target = tricky[column("Target Date")]
    assert target.is_date and target.value.date() == date(2026, 8, 3)
    assert tricky[column("Resolved")].value is None
    assert isinstance(tricky[column("Age (days)")].value, int)
    assert tricky[column("Owner")].value == staff.display_name
    # The widest summary (the formula one) is what its column is fitted to.
    assert sheet.column_dimensions["B"].width >= len(tricky[1].value)


def test_staff_export_every_issue(browser, participant, outsider, staff, small_batches):
    visible, hidden = tracker(participant, outsider, staff)
    browser.login(staff)
    table = csv_table(browser.get("/issues.csv?status=all"))
    assert sorted(row[0] for row in table[1:]) == sorted(issue.reference for issue in visible + hidden)
    sheet = load_workbook(io.BytesIO(browser.get("/issues.xlsx?status=all").data)).active
    assert sheet.max_row == len(visible + hidden) + 1


def test_an_export_of_nothing_is_its_header_row(browser, participant, small_batches):
    browser.login(participant)
    assert csv_table(browser.get("/issues.csv?status=all")) == [HEADERS]
    sheet = load_workbook(io.BytesIO(browser.get("/issues.xlsx?status=all").data)).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [HEADERS]


def queries_for(browser, url: str) -> tuple[int, bytes]:
    seen = []

    def count(*args):
        seen.append(args[2])

    db.session.remove()  # each request starts with an empty session, as it does in production
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = browser.get(url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, url
    return len(seen), response.data


def exported_count(url: str, data: bytes) -> int:
    if ".xlsx" in url:
        return load_workbook(io.BytesIO(data), read_only=True).active.max_row - 1
    return len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) - 1


@pytest.mark.parametrize("url", [
    "/issues.csv?status=all", "/issues.xlsx?status=all", "/issues.csv?q=schema+validation&status=all",
    "/issues.xlsx?sort=severity&service=DIP",
])
def test_the_sql_of_an_export_does_not_grow_with_the_issues(browser, participant, staff, small_batches, url):
    submitter_id, staff_id = participant.id, staff.id

    def add(numbers):
        submitter, publisher = db.session.get(User, submitter_id), db.session.get(User, staff_id)
        for n in numbers:
            issue = make_issue(submitter, publish_by=publisher, summary=f"Schema validation failures {n}",
                               services=["DIP", "ISD"], messages=["Dflows", "PUB"])
            issue.owner_id = staff_id
        db.session.commit()

    add(range(3))
    browser.login(participant)
    few, data = queries_for(browser, url)
    assert exported_count(url, data) == 3
    add(range(3, 13))
    many, data = queries_for(browser, url)
    assert exported_count(url, data) == 13
    batches = math.ceil(13 / BATCH) - math.ceil(3 / BATCH)
    assert many - few <= batches  # never a query per issue
    assert many == few  # in fact one query reads them all, however many batches
