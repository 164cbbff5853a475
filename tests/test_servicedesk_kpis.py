"""Monthly KPIs by DESIGN.md's counting rules, through kpis.csv and the /performance dashboard."""

import csv
import io

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from tests.servicedesk_builders import import_rows, record

KPI_COLUMNS = ["month", "record_type", "priority", "raised", "resolved", "churn", "open_at_month_end",
               "mean_response_minutes", "mean_resolution_hours", "response_within_sla_pct", "resolution_within_sla_pct"]

MARCH = [
    # P3 case: 20 minutes to respond, 4 hours to resolve, both within the service level.
    record("CS0000001", "2026-03-02 09:00", priority="3 - Moderate", responded="2026-03-02 09:20",
           resolved="2026-03-02 13:00", closed="2026-03-05 13:00", state="Closed", product="DIP"),
    # P4 case opened late on a Friday: 25 business minutes to respond (met), over a weekend of wall clock.
    record("CS0000002", "2026-03-06 16:50", priority="4 - Low", responded="2026-03-09 09:15",
           resolved="2026-04-01 10:00", product="ISD"),
    # P2 case raised in February and resolved in March after 16 business hours (late).
    record("CS0000004", "2026-02-27 10:00", priority="2 - High", resolved="2026-03-03 10:00", product="DIP"),
    # P5: counted in the volumes and means of "all", but it has no service level.
    record("CS0000005", "2026-03-10 10:00", priority="P5", responded="2026-03-10 10:40",
           resolved="2026-03-11 10:00", product="DIP"),
    # P3 case with no response yet: raised, open, and in no mean.
    record("CS0000006", "2026-03-12 10:00", priority="3 - Moderate", state="New", product="MDS"),
    # P1 incident on a Saturday night: the clock runs round the clock; 7 hours to resolve is late.
    record("INC0000001", "2026-03-07 22:00", priority="1 - Critical", responded="2026-03-07 22:10",
           resolved="2026-03-08 05:00", product="DIP"),
]


@pytest.fixture
def march(app):
    import_rows(MARCH)


def kpis(browser, query: str) -> list[dict]:
    response = browser.get(f"/performance/kpis.csv?{query}")
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/csv"
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    assert reader.fieldnames == KPI_COLUMNS
    return list(reader)


def row(rows, month, record_type, priority="all") -> dict:
    return next(r for r in rows if (r["month"], r["record_type"], r["priority"]) == (month, record_type, priority))


def test_kpis_csv_has_a_row_per_month_record_type_and_priority(browser, participant, march):
    browser.login(participant)
    rows = kpis(browser, "from=2026-02&to=2026-04")
    assert len(rows) == 3 * 2 * 5
    assert [r["priority"] for r in rows[:5]] == ["P1", "P2", "P3", "P4", "all"]
    assert [(r["month"], r["record_type"]) for r in rows[::5]] == [
        ("2026-02", "case"), ("2026-02", "incident"), ("2026-03", "case"), ("2026-03", "incident"),
        ("2026-04", "case"), ("2026-04", "incident")]


def test_counting_rules_for_a_month(browser, participant, march):
    browser.login(participant)
    rows = kpis(browser, "from=2026-02&to=2026-04")
    march_cases = row(rows, "2026-03", "case")
    # Raised: opened in March (the P2 case was opened in February). Resolved: resolved in March.
    assert (march_cases["raised"], march_cases["resolved"], march_cases["churn"]) == ("4", "3", "1")
    # Open at the end of March: CS0000002 (resolved in April) and CS0000006.
    assert march_cases["open_at_month_end"] == "2"
    assert row(rows, "2026-02", "case")["open_at_month_end"] == "1"
    assert row(rows, "2026-04", "case")["open_at_month_end"] == "1"
    # Mean response over cases opened in March with a response, wall clock: (20 + 3,865 + 40) / 3 minutes.
    assert march_cases["mean_response_minutes"] == "1308.3"
    # Mean resolution over cases resolved in March: (4 + 96 + 24) / 3 hours.
    assert march_cases["mean_resolution_hours"] == "41.33"
    # Within the service level: both P3/P4 responses met (P5 left out); of resolutions, P3 met and P2 late.
    assert march_cases["response_within_sla_pct"] == "100.0"
    assert march_cases["resolution_within_sla_pct"] == "50.0"


def test_per_priority_rows_and_empty_where_nothing_to_average(browser, participant, march):
    browser.login(participant)
    rows = kpis(browser, "from=2026-03&to=2026-03")
    p2 = row(rows, "2026-03", "case", "P2")
    assert (p2["raised"], p2["resolved"], p2["churn"]) == ("0", "1", "-1")
    assert p2["mean_response_minutes"] == "" and p2["response_within_sla_pct"] == ""
    assert p2["mean_resolution_hours"] == "96.00" and p2["resolution_within_sla_pct"] == "0.0"
    p4 = row(rows, "2026-03", "case", "P4")
    assert (p4["raised"], p4["resolved"], p4["open_at_month_end"]) == ("1", "0", "1")
    assert p4["mean_resolution_hours"] == "" and p4["resolution_within_sla_pct"] == ""
    assert p4["response_within_sla_pct"] == "100.0"
    p1 = row(rows, "2026-03", "case", "P1")
    assert [p1[c] for c in KPI_COLUMNS[3:]] == ["0", "0", "0", "0", "", "", "", ""]


def test_p1_incident_on_a_weekend_is_measured_round_the_clock(browser, participant, march):
    browser.login(participant)
    incident = row(kpis(browser, "from=2026-03&to=2026-03"), "2026-03", "incident", "P1")
    assert incident["mean_response_minutes"] == "10.0" and incident["response_within_sla_pct"] == "100.0"
    assert incident["mean_resolution_hours"] == "7.00" and incident["resolution_within_sla_pct"] == "0.0"


def test_service_filter_narrows_the_csv(browser, participant, march):
    browser.login(participant)
    rows = kpis(browser, "from=2026-03&to=2026-03&service=DIP")
    assert row(rows, "2026-03", "case")["raised"] == "2"  # CS0000001 and CS0000005
    assert browser.get("/performance/kpis.csv?from=2026-03&to=2026-03&service=Nowhere").status_code == 400


@pytest.mark.parametrize("query, message", [
    ("from=2026-13&to=2026-14", "must be a month written YYYY-MM, e.g. 2026-03."),
    ("from=2026-04&to=2026-03", "From must be the same month as To or earlier"),
    ("from=2000-01&to=2026-03", "at most 60 months"),
    ("from=march", "From must be a month"),
])
def test_kpis_csv_refuses_bad_months_clearly(browser, participant, query, message):
    browser.login(participant)
    response = browser.get(f"/performance/kpis.csv?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_kpis_csv_defaults_to_the_last_six_months_with_data(browser, participant, march):
    browser.login(participant)
    rows = kpis(browser, "")
    # The latest month with records opened is March 2026.
    assert rows[0]["month"] == "2025-10" and rows[-1]["month"] == "2026-03"


# ---------------------------------------------------------------- the dashboard


def test_dashboard_shows_the_months_figures_and_charts(browser, participant, march):
    browser.login(participant)
    response = browser.get("/performance?from=2026-02&to=2026-04")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Service performance</h1>" in html
    assert "Feb 2026 – Apr 2026" in html
    # Eight of cases, incidents, aged cases and trends, and the changes by outcome.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="column-chart"') == 9
    assert 'role="img"' in html and "Case volumes: raised and resolved" in html
    # The chart's description carries its figures, for screen readers.
    assert "Mar 26: Raised 4, Resolved 3" in html
    assert "1,308m" in html  # March's mean case response, as the pack prints minutes
    assert "P1 Resolution" in html and "10 business hours" in html
    assert "style=" not in html.split('id="performance-results"')[1]  # presentation attributes only (CSP)


def test_htmx_request_returns_the_results_fragment_and_pushes_a_clean_address(browser, participant, march):
    browser.login(participant)
    response = browser.get("/performance?from=2026-03&to=2026-03&service=DIP&priority=",
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="performance-results"')
    assert response.headers["HX-Push-Url"] == "/performance?from=2026-03&to=2026-03&service=DIP"
    assert "HX-Request" in response.headers["Vary"]
    # The same address without JavaScript is the whole page with the same figures.
    page = browser.get(response.headers["HX-Push-Url"]).get_data(as_text=True)
    assert "<html" in page and "March 2026</strong> · DIP · all priorities" in " ".join(page.split())


def test_priority_and_service_filters_change_the_figures(browser, participant, march):
    browser.login(participant)
    html = browser.get("/performance?from=2026-03&to=2026-03&priority=P3", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Mar 26: Raised 2, Resolved 1" in html
    html = browser.get("/performance?from=2026-03&to=2026-03&service=MDS", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Mar 26: Raised 1, Resolved 0" in html


def test_bad_filters_are_reported_and_ignored(browser, participant, march):
    browser.login(participant)
    response = browser.get("/performance?from=2026-99&priority=P9&service=Nowhere&as_at=14/04/2026")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for message in ("From must be a month written YYYY-MM", "Priority must be P1 to P5",
                    "No service-desk record names the service", "As at must be a date written YYYY-MM-DD"):
        assert message in html
    assert "Oct 2025 – Mar 2026" in html  # the default months are shown instead


def test_an_empty_dashboard_says_there_are_no_records(browser, staff):
    browser.login(staff)
    html = browser.get("/performance").get_data(as_text=True)
    assert "No service-desk records yet." in html and "Import an extract" in html


def test_dashboard_sends_the_same_number_of_queries_whatever_the_data(browser, participant, app):
    from tests.test_query_counts import counted

    browser.login(participant)
    import_rows(MARCH)
    with counted() as few:
        assert browser.get("/performance?from=2025-10&to=2026-04").status_code == 200
    many = [record(f"CS{100000 + n}", f"2026-0{1 + n % 3}-{1 + n % 27:02d} 10:00", responded=f"2026-0{1 + n % 3}-{1 + n % 27:02d} 10:05",
                   resolved="" if n % 5 == 0 else f"2026-0{1 + n % 3}-{1 + n % 27:02d} 15:00", state="Open" if n % 5 == 0 else "Resolved",
                   product=("DIP", "ISD", "MDS", "DAH")[n % 4]) for n in range(300)]
    import_rows(many)
    with counted() as more:
        assert browser.get("/performance?from=2025-10&to=2026-04").status_code == 200
    assert len(more) == len(few)
    assert db.session.scalar(sa.text("SELECT count(*) FROM servicedesk_record")) == 306


def test_kept_results_follow_every_change_of_the_data(browser, staff, participant, march):
    browser.login(staff)
    url = "/performance?from=2026-03&to=2026-03"
    assert "Mar 26: Raised 4, Resolved 3" in browser.get(url).get_data(as_text=True)
    assert "Mar 26: Raised 4, Resolved 3" in browser.get(url).get_data(as_text=True)  # kept
    import_rows([record("CS0000009", "2026-03-20 10:00", state="Open")])
    assert "Mar 26: Raised 5, Resolved 3" in browser.get(url).get_data(as_text=True)
    # A major incident's communication recorded by staff shows at once.
    import_rows([record("INC0000002", "2026-03-09 10:00", priority="P2", state="Open", Major_incident="Y")])
    html = browser.get(url).get_data(as_text=True)
    assert "INC0000002" in html and "09 Mar 10:20" not in html
    browser.post("/performance/incidents/INC0000002/communications", {"mi_email": "2026-03-09T10:20"})
    assert "09 Mar 10:20" in browser.get(url).get_data(as_text=True)
    # Staff see times, participants do not: what is kept for one is never shown to the other.
    browser.logout()
    browser.login(participant)
    html = browser.get(url).get_data(as_text=True)
    assert "INC0000002" in html and "09 Mar 10:20" not in html


def test_a_changed_business_calendar_is_applied_by_remeasuring(app, runner, browser, participant):
    # A P3 case opened on Saturday morning and answered 40 minutes later: met in Mon–Fri
    # business hours (its clock has not started), late if every day is a business day.
    import_rows([record("CS0000700", "2026-03-07 10:00", priority="3 - Moderate", responded="2026-03-07 10:40",
                        resolved="2026-03-09 12:00")])
    browser.login(participant)
    assert row(kpis(browser, "from=2026-03&to=2026-03"), "2026-03", "case", "P3")["response_within_sla_pct"] == "100.0"
    app.config["BUSINESS_HOURS"] = "days=Mon-Sun; hours=00:00-24:00; holidays=none"
    result = runner.invoke(args=["servicedesk", "remeasure"])
    assert result.exit_code == 0 and "Measured 1 record again" in result.output
    assert row(kpis(browser, "from=2026-03&to=2026-03"), "2026-03", "case", "P3")["response_within_sla_pct"] == "0.0"


def test_kpis_csv_shows_a_new_import_at_once(browser, participant, march):
    browser.login(participant)
    before = row(kpis(browser, "from=2026-03&to=2026-03"), "2026-03", "case")
    assert kpis(browser, "from=2026-03&to=2026-03") == kpis(browser, "from=2026-03&to=2026-03")  # read again alike
    import_rows([record("CS0000099", "2026-03-20 10:00", priority="3 - Moderate", state="New", product="DIP")])
    after = row(kpis(browser, "from=2026-03&to=2026-03"), "2026-03", "case")
    assert int(after["raised"]) == int(before["raised"]) + 1
