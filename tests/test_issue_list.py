import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.models import Issue
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases

PACK_SUMMARIES = [
    "Message schema validation failures",
    "Visibility of message processing status",
    "Guidance on message submission process",
    "Settlement output interpretation queries",
    "Catalogue / schema version confusion",
    "Unexpected platform behaviour queries",
    "Data reconciliation discrepancies",
    "Certificate expiry / TLS issues",
    "MFA access issues",
    "Case status tracking queries",
    "Message processing delays (peak periods)",
    "Incorrect message structure submissions",
    "Incorrect endpoint configuration",
    "Data ingestion anomalies",
    "Onboarding queries",
]


@pytest.fixture
def seeded(seeded_database):
    return seeded_database

def rows(html: str) -> int:
    return html.count('<tr class="stale">') + html.count("<tr>") - 1  # minus the header row


def test_participant_sees_the_packs_fifteen_tracker_rows(browser, participant, seeded):
    browser.login(participant)
    page = browser.get("/issues?status=all").get_data(as_text=True)
    assert "<strong>15</strong> issues" in page
    for summary in PACK_SUMMARIES:
        assert summary in page.replace("&amp;", "&"), summary


def test_the_list_shows_open_issues_unless_asked_for_all(browser, participant, seeded):
    browser.login(participant)
    page = browser.get("/issues").get_data(as_text=True)
    assert "<strong>12</strong> issues" in page
    assert "MFA access issues" not in page  # resolved
    assert "Current status: Open (not resolved)" in page  # shown as a removable filter
    assert 'href="/issues?status=all"' in page


def test_filter_by_service_matches_issues_with_several_services(browser, participant, seeded):
    browser.login(participant)
    page = browser.get("/issues?service=ISD").get_data(as_text=True)
    assert "<strong>3</strong> issues match these filters" in page
    assert "Unexpected platform behaviour queries" in page  # DIP / ISD
    assert "Data reconciliation discrepancies" in page
    assert "Message schema validation failures" not in page


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=Resolved", 3),
        ("status=open", 12),
        ("status=closed", 3),
        ("resolution_status=Complete&status=all", 3),
        ("next_run=No&status=all", 7),
        ("impact=Confirmed&status=all", 8),
        ("service=DIP&status=open", 5),
        ("q=schema", 2),
        ("q=IIT-0003", 1),
        ("q=reconciliation logic", 1),
        ("q=SCHEMA&service=Platform", 1),
        ("q=%25", 0),
        ("owner=none&status=all", 15),
        ("owner=none", 12),
    ],
)
def test_filters(browser, participant, seeded, query, expected):
    browser.login(participant)
    response = browser.get("/issues?" + query)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f"<strong>{expected}</strong> issue" in text, query


def test_htmx_filter_returns_only_the_results_fragment(browser, participant, seeded):
    browser.login(participant)
    response = browser.get("/issues?service=DIP", headers={"HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in text
    assert text.lstrip().startswith('<section id="results"')
    assert "Message schema validation failures" in text
    assert "HX-Request" in response.headers["Vary"]
    # The same URL opened directly gives the full page with the filter applied.
    full = browser.get("/issues?service=DIP").get_data(as_text=True)
    assert "<html" in full and 'option selected value="DIP"' in full


def test_htmx_filter_pushes_a_clean_shareable_url(browser, participant, seeded):
    browser.login(participant)
    response = browser.get("/issues?q=&service=DIP&status=&sort=updated&page=1", headers={"HX-Request": "true"})
    assert response.headers["HX-Push-Url"] == "/issues?service=DIP"


def test_boosted_and_history_restore_requests_get_the_full_page(browser, participant, seeded):
    browser.login(participant)
    for header in ("HX-Boosted", "HX-History-Restore-Request"):
        text = browser.get("/issues", headers={"HX-Request": "true", header: "true"}).get_data(as_text=True)
        assert "<html" in text, header


def test_invalid_filters_are_reported_and_ignored(browser, participant, seeded):
    browser.login(participant)
    response = browser.get("/issues?service=NOPE&status=Resolved&page=abc&sort=sideways")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Not a valid choice, so this filter was ignored." in text
    assert "<strong>3</strong> issues" in text  # the valid status filter still applies


def test_sorting_by_age_and_severity(browser, participant, staff, seeded):
    old = make_issue(participant, publish_by=staff, summary="Old low-severity issue", severity=4)
    old.created_at = utcnow() - timedelta(days=900)
    make_issue(participant, publish_by=staff, summary="Critical settlement failure", severity=1)
    db.session.commit()
    browser.login(participant)
    by_age = browser.get("/issues?sort=age").get_data(as_text=True)
    assert by_age.index("Old low-severity issue") < by_age.index("Message schema validation failures")
    by_severity = browser.get("/issues?sort=severity").get_data(as_text=True)
    assert by_severity.index("Critical settlement failure") < by_severity.index("Message schema validation failures")


def test_pagination(app, browser, participant, seeded):
    app.config["ISSUES_PER_PAGE"] = 4
    browser.login(participant)
    first = browser.get("/issues?sort=id&status=all").get_data(as_text=True)
    assert "page 1 of 4" in first
    assert "Next →" in first and "Previous" not in first
    last = browser.get("/issues?sort=id&status=all&page=4").get_data(as_text=True)
    assert "Onboarding queries" in last and "Message schema validation failures" not in last
    beyond = browser.get("/issues?sort=id&status=all&page=99")
    assert beyond.status_code == 200 and "page 4 of 4" in beyond.get_data(as_text=True)


def test_empty_state_says_what_to_do(browser, participant):
    browser.login(participant)
    text = browser.get("/issues").get_data(as_text=True)
    assert "There are no open industry issues." in text and "See resolved and closed issues" in text
    text = browser.get("/issues?q=nothing-matches").get_data(as_text=True)
    assert "No issues match these filters." in text and "Look in every status" in text and "clear the filters" in text


def test_stale_issues_are_flagged(browser, participant, staff):
    fresh = make_issue(participant, publish_by=staff, summary="Fresh issue with an update")
    stale = make_issue(participant, publish_by=staff, summary="Issue nobody has updated")
    stale.last_update_at = utcnow() - timedelta(days=20)
    db.session.commit()
    browser.login(participant)
    text = browser.get("/issues?stale=1").get_data(as_text=True)
    assert "Issue nobody has updated" in text and "Fresh issue with an update" not in text
    assert "20 days ago" in text and "Stale" in text
    detail = browser.get(f"/issues/{stale.id}").get_data(as_text=True)
    assert "Stale: no update for 20 days" in detail
    assert "Stale:" not in browser.get(f"/issues/{fresh.id}").get_data(as_text=True)


def test_csv_export_follows_the_current_filter(browser, participant, seeded):
    browser.login(participant)
    response = browser.get("/issues.csv?service=ISD")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:3] == ["Issue ID", "Issue Summary", "Service / System"]
    assert len(table) == 4
    assert {row[1] for row in table[1:]} == {
        "Settlement output interpretation queries",
        "Unexpected platform behaviour queries",
        "Data reconciliation discrepancies",
    }


def test_excel_export_follows_the_current_filter(browser, participant, seeded):
    browser.login(participant)
    response = browser.get("/issues.xlsx?status=Resolved")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.values)
    assert values[0][1] == "Issue Summary"
    assert sorted(row[1] for row in values[1:]) == [
        "Certificate expiry / TLS issues",
        "Incorrect endpoint configuration",
        "MFA access issues",
    ]


def test_exports_neutralise_spreadsheet_formulas(browser, participant, staff):
    make_issue(participant, publish_by=staff, summary="=HYPERLINK(\"http://evil\",\"x\") trick")
    browser.login(participant)
    text = browser.get("/issues.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text


def test_exports_respect_visibility(browser, participant, outsider, staff):
    make_issue(outsider, summary="Other organisation's private submission")
    browser.login(participant)
    assert "private submission" not in browser.get("/issues.csv").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 1


def test_excel_export_copes_with_control_characters_already_stored(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff, summary="Stored before cleaning")
    issue.description = "vertical\x0btab and bell\x07"
    db.session.commit()
    browser.login(participant)
    response = browser.get("/issues.xlsx")
    assert response.status_code == 200
    row = list(load_workbook(io.BytesIO(response.data)).active.values)[1]
    assert "verticaltab and bell" in row


def header(html: str, label: str) -> str:
    """The <th> of a sortable column, by its label."""
    match = re.search(r'<th scope="col" class="sortable"[^>]*>\s*<a [^>]*>' + label + r".*?</th>", html, re.S)
    assert match, label
    return match.group(0)


def test_column_headers_sort_and_keep_the_filters(browser, participant, seeded):
    browser.login(participant)
    html = browser.get("/issues?service=DIP&next_run=No&page=2").get_data(as_text=True)
    by_id = header(html, "ID")
    assert 'href="/issues?service=DIP&amp;next_run=No&amp;sort=id"' in by_id  # the filters kept, back to page 1
    assert 'hx-get="/issues?service=DIP&amp;next_run=No&amp;sort=id"' in by_id and 'hx-push-url="true"' in by_id
    assert "aria-sort" not in by_id
    # The default order (last update, most recent first) is marked; a click asks for the oldest first.
    updated = header(html, "Last update")
    assert 'aria-sort="descending"' in updated and "↓" in updated
    assert 'href="/issues?service=DIP&amp;next_run=No&amp;sort=stale"' in updated


def test_a_sorted_header_says_so_and_its_link_turns_the_order_round(browser, participant, seeded):
    browser.login(participant)
    html = browser.get("/issues?status=all&sort=stale").get_data(as_text=True)
    updated = header(html, "Last update")
    assert 'aria-sort="ascending"' in updated and "↑" in updated
    assert 'href="/issues?status=all"' in updated  # back to the default order, no sort in the address
    assert html.count("aria-sort=") == 1
    age = header(browser.get("/issues?sort=age").get_data(as_text=True), "Age")
    assert 'aria-sort="descending"' in age and 'href="/issues?sort=newest"' in age
    by_id = header(browser.get("/issues?sort=id").get_data(as_text=True), "ID")
    assert 'aria-sort="ascending"' in by_id and 'href="/issues?sort=id"' in by_id  # one order only


def test_when_searching_no_header_is_sorted_and_a_header_sorts_the_matches(browser, participant, seeded):
    browser.login(participant)
    html = browser.get("/issues?q=schema").get_data(as_text=True)
    assert "aria-sort=" not in html  # best match first
    assert 'href="/issues?q=schema&amp;sort=updated"' in header(html, "Last update")
    fragment = browser.get("/issues?q=schema&sort=severity", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'aria-sort="ascending"' in header(fragment, "Severity")


def test_an_unknown_sort_is_reported_and_the_default_order_used(browser, participant, seeded):
    browser.login(participant)
    for sort in ("sideways", "title", "-id", "updated'--", "x" * 300):
        response = browser.get("/issues", query_string={"sort": sort, "service": "DIP"})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, sort
        assert "Not a valid choice, so this filter was ignored." in html
        assert 'aria-sort="descending"' in header(html, "Last update")
        assert 'href="/issues?service=DIP&amp;sort=id"' in header(html, "ID")  # the bad sort is not carried on
    fragment = browser.get("/issues?sort=sideways", headers={"HX-Request": "true"})
    assert fragment.status_code == 400 and "<html" not in fragment.get_data(as_text=True)


def test_the_filter_button_counts_the_filters_in_use(browser, participant, seeded):
    browser.login(participant)
    html = browser.get("/issues").get_data(as_text=True)
    assert "<summary>Filters<span class=\"filter-count\"></span></summary>" in html
    assert 'data-filters-in-use="0"' in html
    html = browser.get("/issues?service=DIP&status=all&q=schema&sort=id").get_data(as_text=True)
    assert "(2 active)" in html and 'data-filters-in-use="2"' in html  # the search and sort are not filters
    assert "data-has-errors" not in html
    assert "data-has-errors" in browser.get("/issues?service=NOPE").get_data(as_text=True)
