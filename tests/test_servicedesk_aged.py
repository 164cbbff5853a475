"""Aged cases: every case not closed at the end of the "as at" day, by whole calendar days open."""

import csv
import io

import pytest

from tests.servicedesk_builders import import_rows, record

AGED_COLUMNS = ["number", "incident", "product", "short_description", "opened", "age_days", "age_bucket", "state",
                "priority", "assignment_group", "aged_reason"]

# Opened on these days (UK time), each not closed, aged on 14 April 2026.
EDGES = [
    ("CS0000113", "2026-04-01 10:00", 13, "0-13"),
    ("CS0000114", "2026-03-31 23:30", 14, "14-29"),  # 22:30 UTC, but 31 March in London (BST)
    ("CS0000116", "2026-03-29 00:30", 16, "14-29"),  # the night the clocks went forward
    ("CS0000129", "2026-03-16 09:00", 29, "14-29"),
    ("CS0000130", "2026-03-15 09:00", 30, "30-59"),
    ("CS0000159", "2026-02-14 09:00", 59, "30-59"),
    ("CS0000160", "2026-02-13 09:00", 60, "60-89"),
    ("CS0000189", "2026-01-15 09:00", 89, "60-89"),
    ("CS0000190", "2026-01-14 09:00", 90, "90-119"),
    ("CS0000219", "2025-12-16 09:00", 119, "90-119"),
    ("CS0000220", "2025-12-15 09:00", 120, "120+"),
]


@pytest.fixture
def cases(app):
    rows = [record(number, opened, state="Awaiting Info", Aged_reason="Awaiting participant / caller response"
                   if age >= 30 and age % 2 == 0 else "Awaiting fix / release / change" if age >= 30 else "")
            for number, opened, age, _ in EDGES]
    rows += [
        # Closed before the day: not aged.
        record("CS0000301", "2026-01-05 09:00", state="Closed", resolved="2026-04-09 10:00", closed="2026-04-10 10:00"),
        # Closed during the day itself: closed at the end of it, so not aged.
        record("CS0000302", "2026-01-05 09:00", state="Closed", resolved="2026-04-14 09:00", closed="2026-04-14 15:00"),
        # Closed after the day: still open on it.
        record("CS0000303", "2026-03-01 09:00", state="Closed", resolved="2026-04-20 09:00", closed="2026-04-25 09:00"),
        # Resolved but not closed: still counts.
        record("CS0000304", "2026-02-01 09:00", state="Resolved", resolved="2026-03-01 09:00"),
        # Opened after the day: not yet a case then.
        record("CS0000305", "2026-04-15 09:00", state="Open"),
        # Incidents are not aged cases.
        record("INC0000306", "2026-01-05 09:00", state="Open"),
    ]
    import_rows(rows)


def aged(browser, as_at: str) -> list[dict]:
    response = browser.get(f"/performance/aged.csv?as_at={as_at}")
    assert response.status_code == 200
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    assert reader.fieldnames == AGED_COLUMNS
    return list(reader)


def test_ages_and_buckets_at_their_edges(browser, participant, cases):
    browser.login(participant)
    rows = {r["number"]: r for r in aged(browser, "2026-04-14")}
    for number, _, age, bucket in EDGES:
        assert (rows[number]["age_days"], rows[number]["age_bucket"]) == (str(age), bucket), number
    assert rows["CS0000303"]["age_days"] == "44" and rows["CS0000304"]["state"] == "Resolved"
    assert set(rows) == {number for number, *_ in EDGES} | {"CS0000303", "CS0000304"}
    assert rows["CS0000114"]["opened"] == "2026-03-31 23:30"
    assert rows["CS0000220"]["priority"] == "P3"


def test_oldest_first_and_another_day(browser, participant, cases):
    browser.login(participant)
    numbers = [r["number"] for r in aged(browser, "2026-04-14")]
    assert numbers[0] == "CS0000220" and numbers[-1] == "CS0000113"
    # On 1 March, only the cases opened by then and not closed by then; ages from that day.
    rows = {r["number"]: r for r in aged(browser, "2026-03-01")}
    assert "CS0000113" not in rows and "CS0000303" in rows and rows["CS0000303"]["age_days"] == "0"
    assert "CS0000301" in rows  # closed on 10 April, so open on 1 March


def test_bad_as_at_is_refused(browser, participant):
    browser.login(participant)
    for value in ("14/04/2026", "2026-02-30", "1999-12-31"):
        response = browser.get(f"/performance/aged.csv?as_at={value}")
        assert response.status_code == 400


def test_dashboard_shows_buckets_reasons_and_the_30_plus_extract(browser, participant, cases):
    browser.login(participant)
    html = browser.get("/performance?as_at=2026-04-14", headers={"HX-Request": "true"}).get_data(as_text=True)
    section = html.split('id="aged-h"')[1].split('id="trend-h"')[0]
    flat = " ".join(section.split())
    assert "Aged cases as at 14 April 2026" in flat
    for bucket, count in (("0-13", 1), ("14-29", 3), ("30-59", 3), ("60-89", 3), ("90-119", 2), ("120+", 1)):
        assert f'<th scope="row">{bucket}</th><td>{count}</td>' in flat, bucket
    assert "<strong>Total not closed</strong></th><td><strong>13</strong>" in flat
    # Reasons of the cases aged 30 days or more.
    assert '<th scope="row">Awaiting participant / caller response</th><td>4</td>' in flat
    assert '<th scope="row">Awaiting fix / release / change</th><td>3</td>' in flat
    assert '<th scope="row">No reason recorded</th><td>2</td>' in flat
    # The extract lists 30+ cases only, oldest first.
    extract = flat.split("Aged cases detail, 30+ days")[1]
    assert extract.index("CS0000220") < extract.index("CS0000130")
    assert "CS0000129" not in extract


def test_aged_detail_names_no_person(browser, participant, app, tmp_path, runner):
    data = (
        b"Number,Opened,Priority,State,Short description,Assignment group,Product,Responded,Resolved,Closed,"
        b"Caller,Opened by,Assigned to\r\n"
        b"CS0000777,2026-01-05 09:00,4 - Low,Open,Loss reads query,Elexon - Assurance,MHHS Query,,,,"
        b"Jane Caller,Olly Opener,Sam Assignee\r\n"
    )
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert runner.invoke(args=["servicedesk", "import", str(path)]).exit_code == 0
    browser.login(participant)
    csv_text = browser.get("/performance/aged.csv?as_at=2026-04-14").get_data(as_text=True)
    page = browser.get("/performance?as_at=2026-04-14").get_data(as_text=True)
    assert "CS0000777" in csv_text and "Loss reads query" in page
    for name in ("Jane Caller", "Olly Opener", "Sam Assignee"):
        assert name not in csv_text and name not in page


def test_text_that_looks_like_a_formula_is_defused_in_the_csv(browser, participant, app):
    import_rows([record("CS0000888", "2026-03-01 09:00", state="Open", description="=HYPERLINK(\"x\")")])
    browser.login(participant)
    row = aged(browser, "2026-04-14")[0]
    assert row["short_description"] == "'=HYPERLINK(\"x\")"
