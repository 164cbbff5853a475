"""The seed's service-desk extract reproduces the April 2026 forum pack's figures, read back
through kpis.csv, aged.csv and the major-incident review as anyone would read them."""

import csv
import io

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import ServiceDeskImport, ServiceDeskMonth, ServiceDeskRecord
from issues_tracker.seeds.loader import SEEDS_DIR, SERVICEDESK_EXTRACT, seed_all
from issues_tracker.servicedesk import incidents, periods, seed_extract

MONTHS = ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]

# The pack's "Aged Cases Detail 30+ days - Extract", as printed.
PACK_AGED = """\
CS0016629	INC0126133	MHHS Query	Timings of Migration messages	118	90-119	Open	4 - Low	Elexon - Technical Triage	Awaiting participant / caller response
CS0017353	INC0139151	MHHS Query	MHHS Loss reads	82	60-89	Awaiting Info	4 - Low	Elexon - Assurance	Awaiting participant / caller response
CS0017650	INC0136795	DIP	Receipt of IF/PUB002 for secondary MPAN	71	60-89	Resolved	4 - Low	Elexon - Technical Triage	Cross-team / external dependency
CS0018574	INC0142678	MHHS Query	Retrospective Data Service Appointments Settlement Risk	40	30-59	Awaiting Info	3 - Moderate	Elexon - Assurance	Awaiting participant / caller response
CS0018606	INC0144508	DIP	IF-014 incorrect energisation status in MDS	39	30-59	Awaiting Info	3 - Moderate	Elexon - Technical Triage	Awaiting participant / caller response
CS0018621		ISD	MHHS Query EPG	37	30-59	Resolved	4 - Low	Elexon - Smart Data Prep (SDP) - S&I	Awaiting fix / release / change
CS0018769	INC0145293	DIP	PUB-014 Rejections for Unmetered De- energised MPANs -	34	30-59	Awaiting Info	3 - Moderate	Elexon - Smart Data Prep (SDP) - S&I	Awaiting participant / caller response
CS0018774	INC0145711	DIP	Issue with validation of REP-002B	33	30-59	Awaiting Info	4 - Low	Elexon - Smart Data Prep (SDP) - S&I	Awaiting participant / caller response
"""


@pytest.fixture
def seeded(seeded_database):
    return seeded_database


def read_csv(browser, url: str) -> list[dict]:
    response = browser.get(url)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def series(rows, record_type: str, column: str) -> list[str]:
    return [next(r[column] for r in rows if (r["month"], r["record_type"], r["priority"]) == (m, record_type, "all"))
            for m in MONTHS]


def test_case_and_incident_volumes_are_the_packs(browser, participant, seeded):
    browser.login(participant)
    rows = read_csv(browser, "/performance/kpis.csv?from=2025-10&to=2026-03")
    assert series(rows, "case", "raised") == ["231", "163", "116", "128", "138", "136"]
    assert series(rows, "case", "resolved") == ["225", "162", "112", "103", "167", "144"]
    assert series(rows, "incident", "raised") == ["68", "73", "109", "66", "66", "70"]
    assert series(rows, "incident", "resolved") == ["55", "68", "105", "67", "67", "83"]
    # Open at the end of March: the pack's 38 cases and 18 incidents.
    assert series(rows, "case", "open_at_month_end")[-1] == "38"
    assert series(rows, "incident", "open_at_month_end")[-1] == "18"


def test_mean_case_response_is_the_packs_within_a_minute(browser, participant, seeded):
    browser.login(participant)
    rows = read_csv(browser, "/performance/kpis.csv?from=2025-10&to=2026-03")
    means = [float(value) for value in series(rows, "case", "mean_response_minutes")]
    for mean, pack in zip(means, [27, 32, 120, 103, 96, 11], strict=True):
        assert abs(mean - pack) < 1, (means, pack)


def test_the_aged_extract_on_the_forum_day_is_the_packs(browser, participant, seeded):
    browser.login(participant)
    rows = read_csv(browser, "/performance/aged.csv?as_at=2026-04-14")
    old = [r for r in rows if int(r["age_days"]) >= 30]
    expected = [line.split("\t") for line in PACK_AGED.splitlines()]
    assert len(old) == len(expected) == 8
    for got, (number, incident, product, description, age, bucket, state, priority, group, reason) in zip(
            old, expected, strict=True):
        assert (got["number"], got["incident"], got["product"], got["short_description"]) == (
            number, incident, product, description)
        assert (got["age_days"], got["age_bucket"], got["state"]) == (age, bucket, state)
        assert got["priority"] == f"P{priority[0]}" and got["assignment_group"] == group and got["aged_reason"] == reason
    # Younger cases are still open too: the 14–29 bucket is the main ageing point.
    buckets = [r["age_bucket"] for r in rows if int(r["age_days"]) < 30]
    assert buckets and set(buckets) <= {"0-13", "14-29"} and buckets.count("14-29") > 10


def test_the_major_incident_table_is_the_packs(seeded):
    # The pack's table covers February and March (its P2 incidents of October – January are in its KPIs).
    reviews, total = incidents.mi_review(periods.Period(202602, 202603))
    table = [(r.record.number, r.record.opened_at.strftime("%d/%m/%y"), f"P{r.record.priority}",
              "Y" if r.record.major_incident else "N", f"{r.record.product} {r.record.short_description}",
              r.record.resolution_at.strftime("%d/%m/%y"), r.pir.status) for r in reviews]
    assert total == 3
    assert table == [
        ("INC0143161", "24/02/26", "P2", "N", "DIP Unavailable", "26/02/26", "late"),
        ("INC0142039", "19/02/26", "P2", "N", "DIP Large File Processing", "26/02/26", "not required"),
        ("INC0139429", "06/02/26", "P2", "Y", "MDS MPANs excluded from Settlement (SPQI)", "13/02/26", "late"),
    ]
    assert reviews[0].record.pir_published_on.strftime("%d/%m") == "13/03"
    # "Two PIRs were late to be created and published."
    assert sum(1 for r in reviews if r.pir.status == "late") == 2


def test_seeding_twice_changes_nothing(seeded):
    def snapshot():
        db.session.expire_all()
        return (
            [tuple(row) for row in db.session.execute(
                sa.select(ServiceDeskRecord.number, ServiceDeskRecord.updated_at, ServiceDeskRecord.source_digest)
                .order_by(ServiceDeskRecord.number))],
            db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDeskImport)),
            [tuple(row) for row in db.session.execute(sa.select(*ServiceDeskMonth.__table__.c).order_by(ServiceDeskMonth.id))],
        )

    before = snapshot()
    # (The whole `flask seed`, brought up to today, is run twice in test_seed_current.py.)
    counts = seed_all()
    db.session.commit()
    assert counts["service-desk records"] == 0
    assert snapshot() == before
    assert len(before[0]) == 1414


def test_the_seed_file_is_what_its_generator_makes():
    assert (SEEDS_DIR / SERVICEDESK_EXTRACT).read_text(encoding="utf-8") == seed_extract.extract_csv()
    assert seed_extract.main(["--check"]) == 0


def hours_minutes(value: str) -> str:
    total = round(float(value) * 60)
    return f"{total // 60}h{total % 60}m"


def test_mean_resolutions_are_the_packs(browser, participant, seeded):
    browser.login(participant)
    rows = read_csv(browser, "/performance/kpis.csv?from=2025-10&to=2026-03")
    assert [hours_minutes(v) for v in series(rows, "case", "mean_resolution_hours")] == [
        "52h45m", "36h52m", "33h9m", "43h2m", "44h50m", "40h24m"]
    # The pack prints whole hours for incidents.
    assert [round(float(v)) for v in series(rows, "incident", "mean_resolution_hours")] == [51, 40, 40, 48, 32, 33]


def test_p1_and_p2_incidents_are_the_packs(browser, participant, seeded):
    browser.login(participant)
    rows = read_csv(browser, "/performance/kpis.csv?from=2025-10&to=2026-03")

    def row(month, priority):
        return next(r for r in rows if (r["month"], r["record_type"], r["priority"]) == (month, "incident", priority))

    # No P1 incidents at all: the P1/P2 figures are the P2 row's.
    assert all(row(m, "P1")["raised"] == "0" and row(m, "P1")["mean_response_minutes"] == "" for m in MONTHS)
    responses = [round(float(row(m, "P2")["mean_response_minutes"])) for m in MONTHS[:5]]
    assert [f"{m // 60}h{m % 60}m" if m >= 60 else f"{m}m" for m in responses] == ["2h41m", "37m", "11m", "43m", "3h44m"]
    resolutions = [round(float(row(m, "P2")["mean_resolution_hours"])) for m in MONTHS[:4]]
    assert resolutions == [12, 12, 9, 6]
    # March: no P1 or P2 incidents.
    assert (row("2026-03", "P2")["raised"], row("2026-03", "P2")["resolved"]) == ("0", "0")
    assert row("2026-03", "P2")["mean_response_minutes"] == row("2026-03", "P2")["mean_resolution_hours"] == ""
