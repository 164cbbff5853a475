"""The service desk's live feed: POST /api/v1/servicedesk/records upserts records by Number in the
extract's labels and rules, all or nothing, listing every bad record; the dashboard says when each
record type was last fed."""

from __future__ import annotations

import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import ServiceDeskRecord
from tests.servicedesk_builders import record

FEED = "/api/v1/servicedesk/records"
CASE = record("CS0016629", "2025-12-17 10:12", priority="4 - Low", state="Open", responded="2025-12-17 10:30",
              product="MHHS Query", description="Timings of Migration messages", Incident="INC0126133")
INCIDENT = record("INC0139429", "06/02/2026 09:40", priority="P2", state="Closed", responded="06/02/2026 09:52",
                  resolved="13/02/2026 12:30", closed="18/02/2026 12:30", product="MDS", Major_incident="Y")


def stored() -> dict[str, ServiceDeskRecord]:
    db.session.expire_all()
    return {r.number: r for r in db.session.scalars(sa.select(ServiceDeskRecord))}


def test_records_are_added_then_updated_by_number(api_for, staff):
    api = api_for(staff, name="ServiceNow outbound REST")
    first = api.post(FEED, json={"records": [CASE, INCIDENT]})
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"received": 2, "added": 2, "updated": 0, "unchanged": 0}
    assert stored()["CS0016629"].incident_number == "INC0126133"
    again = api.post(FEED, json={"records": [{**CASE, "State": "Resolved", "Resolved": "2025-12-19 16:00"}, INCIDENT]})
    assert again.get_json() == {"received": 2, "added": 0, "updated": 1, "unchanged": 1}
    assert stored()["CS0016629"].state == "Resolved"


def test_one_bad_record_stores_none_and_every_bad_record_is_listed(api_for, staff):
    records = [CASE, {**INCIDENT, "Priority": "urgent"}, {**CASE, "Number": "CS0016630", "Opened": "yesterday"}]
    response = api_for(staff).post(FEED, json={"records": records})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.get_json()["errors"]] == ["records.1", "records.2"]
    assert stored() == {}


def test_records_without_the_required_labels_are_refused(api_for, staff):
    response = api_for(staff).post(FEED, json={"records": [{"Number": "CS0016629"}]})
    assert response.status_code == 422
    assert "Opened" in response.get_json()["detail"]
    assert api_for(staff).post(FEED, json={"records": []}).status_code == 422
    assert api_for(staff).post(FEED, json={"records": "CS0016629"}).status_code == 422


def test_only_staff_tokens_with_write_access_feed_records(api_for, participant, staff):
    assert api_for(participant).post(FEED, json={"records": [CASE]}).status_code == 403
    assert api_for(staff, "read").post(FEED, json={"records": [CASE]}).status_code == 403
    assert stored() == {}


def test_the_dashboard_says_when_each_record_type_was_last_fed(api_for, browser, staff, participant):
    api_for(staff).post(FEED, json={"records": [CASE, INCIDENT]})
    browser.login(participant)
    page = browser.get("/performance?from=2025-12&to=2026-02").get_data(as_text=True)
    assert "fed live by the service desk" in page
    assert 'data-record-type="case"' in page and 'data-record-type="incident"' in page
