"""Major-incident review: communications met, late or missing; PIRs due 7 days after resolution;
PIR actions tracked to closure. Staff record the times; everyone signed in sees the results."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import MajorIncidentUpdate, PirAction, ServiceDeskRecord
from issues_tracker.servicedesk import incidents as mi
from issues_tracker.servicedesk import periods
from tests.conftest import Browser
from tests.servicedesk_builders import import_rows, record

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def incidents(app):
    import_rows([
        # The pack's major incident: MI email in 25 minutes, PIR published 11 days after resolution.
        record("INC0139429", "2026-02-06 09:40", priority="2 - High", state="Closed", responded="2026-02-06 09:52",
               resolved="2026-02-13 12:30", closed="2026-02-18 12:30", product="MDS",
               description="MPANs excluded from Settlement (SPQI)", Major_incident="Y",
               MI_portal_banner="2026-02-06 09:58", MI_email="2026-02-06 10:05", Industry_circular="2026-02-06 15:30",
               PIR_published="2026-02-24"),
        # A P1 major incident: MI email 45 minutes late, no banner, no circular, no PIR though overdue.
        record("INC0000101", "2026-03-07 22:00", priority="1 - Critical", state="Resolved", responded="2026-03-07 22:10",
               resolved="2026-03-08 03:00", product="DIP", description="DIP unavailable", Major_incident="Y",
               MI_email="2026-03-07 22:45"),
        # A P2 that is not a major incident: no PIR needed; one published late is still measured.
        record("INC0143161", "2026-02-24 08:52", priority="2 - High", state="Closed", responded="2026-02-24 09:05",
               resolved="2026-02-26 11:40", closed="2026-03-03 11:40", product="DIP", description="Unavailable",
               Major_incident="N", PIR_published="2026-03-13"),
        record("INC0142039", "2026-02-19 10:05", priority="2 - High", state="Closed", responded="2026-02-19 10:31",
               resolved="2026-02-26 16:00", closed="2026-03-03 16:00", product="DIP", description="Large File Processing",
               Major_incident="N"),
        # P3 incidents are not reviewed.
        record("INC0000200", "2026-03-02 09:00", priority="3 - Moderate", state="Open", product="ISD"),
    ])


def get(number: str) -> ServiceDeskRecord:
    db.session.expire_all()
    return db.session.scalar(sa.select(ServiceDeskRecord).where(ServiceDeskRecord.number == number))


def statuses(review) -> dict[str, str]:
    return {check.name: check.status for check in review.checks}


def test_the_pack_major_incident_is_marked_against_each_target(incidents):
    review = mi.review_incident(get("INC0139429"), NOW)
    assert statuses(review) == {
        "Response": "met", "Resolution": "late", "MI portal banner": "met", "MI email": "met",
        "MI email updates": "missing", "Industry circular": "met", "PIR published": "late",
    }
    assert review.pir.due.isoformat() == "2026-02-20"


def test_late_and_missing_communications_of_a_p1(incidents):
    review = mi.review_incident(get("INC0000101"), NOW)
    s = statuses(review)
    assert (s["Response"], s["Resolution"]) == ("met", "met")  # 10 minutes; 5 hours of a 6-hour clock
    assert (s["MI email"], s["MI portal banner"], s["Industry circular"]) == ("late", "missing", "missing")
    assert s["PIR published"] == "missing" and review.flagged


def test_pir_is_required_of_major_and_p1_incidents_only(incidents):
    assert mi.review_incident(get("INC0142039"), NOW).pir.status == "not required"
    assert mi.review_incident(get("INC0143161"), NOW).pir.status == "late"  # 13 March, due 5 March
    checks = mi.review_incident(get("INC0142039"), NOW)
    assert checks.email.status == "not required" and checks.banner.status == "not required"


def test_email_updates_every_two_hours_for_a_p1(incidents, staff):
    incident = get("INC0000101")
    for hour, minute in ((0, 40), (2, 30)):  # 22:45 → 00:40 → 02:30 → resolved 03:00
        db.session.add(MajorIncidentUpdate(record_id=incident.id, channel="email",
                                           sent_at=datetime(2026, 3, 8, hour, minute, tzinfo=UTC)))
    db.session.commit()
    assert mi.review_incident(get("INC0000101"), NOW).email_updates.status == "met"
    db.session.execute(sa.delete(MajorIncidentUpdate).where(MajorIncidentUpdate.sent_at.between(
        datetime(2026, 3, 8, 0, 0, tzinfo=UTC), datetime(2026, 3, 8, 1, 0, tzinfo=UTC))))
    db.session.commit()
    # 22:45 to 02:30 is more than two hours without an update.
    assert mi.review_incident(get("INC0000101"), NOW).email_updates.status == "late"


def test_the_review_lists_p1_p2_and_major_incidents_of_the_months(incidents):
    reviews, total = mi.mi_review(periods.Period(202602, 202603), now=NOW)
    assert [r.record.number for r in reviews] == ["INC0000101", "INC0143161", "INC0142039", "INC0139429"]
    assert total == 4
    reviews, _ = mi.mi_review(periods.Period(202603, 202603), now=NOW)
    assert [r.record.number for r in reviews] == ["INC0000101"]


def test_participants_see_results_but_not_the_times(browser, participant, incidents):
    browser.login(participant)
    html = browser.get("/performance/incidents/INC0139429").get_data(as_text=True)
    assert "badge-sla-late" in html and "badge-sla-met" in html
    assert "10:05" not in html and "Save communications" not in html and "Add a PIR action" not in html
    dashboard = browser.get("/performance?from=2026-02&to=2026-03").get_data(as_text=True)
    assert "INC0139429" in dashboard and "06 Feb 10:05" not in dashboard


def test_staff_see_the_times_and_record_communications(browser, staff, incidents):
    browser.login(staff)
    assert "06 Feb 10:05" in browser.get("/performance?from=2026-02&to=2026-03").get_data(as_text=True)
    response = browser.post("/performance/incidents/INC0000101/communications", {
        "portal_banner": "2026-03-07T22:20", "mi_email": "2026-03-07T22:25", "industry_circular": "",
        "pir_published": "2026-03-12",
    })
    assert response.status_code == 303
    incident = get("INC0000101")
    assert incident.mi_portal_banner_at == datetime(2026, 3, 7, 22, 20, tzinfo=UTC)  # GMT in early March
    assert incident.pir_published_on.isoformat() == "2026-03-12" and incident.mi_updated_by_id == staff.id
    review = mi.review_incident(incident, NOW)
    assert (review.email.status, review.banner.status, review.pir.status) == ("met", "met", "met")


@pytest.mark.parametrize("data, message", [
    ({"mi_email": "2026-03-07T21:00"}, "The MI email cannot be before the incident was opened"),
    ({"mi_email": "2099-01-01T10:00"}, "cannot be in the future"),
    ({"mi_email": "yesterday"}, "Not a valid datetime value"),
    ({"pir_published": "2026-03-01"}, "The PIR cannot be published before the incident was opened"),
])
def test_impossible_communication_times_are_refused_and_nothing_changes(browser, staff, incidents, data, message):
    browser.login(staff)
    before = get("INC0000101").mi_email_at
    response = browser.post("/performance/incidents/INC0000101/communications", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert get("INC0000101").mi_email_at == before


def test_staff_add_and_remove_an_update(browser, staff, incidents):
    browser.login(staff)
    assert browser.post("/performance/incidents/INC0000101/updates",
                        {"channel": "email", "sent_at": "2026-03-08T00:30"}).status_code == 303
    assert len(get("INC0000101").mi_updates) == 1
    response = browser.post("/performance/incidents/INC0000101/updates", {"channel": "circular", "sent_at": "2026-03-08T00:30"})
    assert response.status_code == 422
    assert "Record when the first industry circular was sent" in response.get_data(as_text=True)
    update_id = get("INC0000101").mi_updates[0].id
    assert browser.post(f"/performance/incidents/INC0000101/updates/{update_id}/delete").status_code == 303
    assert get("INC0000101").mi_updates == []


def test_pir_actions_are_tracked_to_closure_with_their_history(browser, staff, participant, incidents):
    browser.login(staff)
    response = browser.post("/performance/incidents/INC0139429/actions", {
        "description": "Add SPQI exclusions to the settlement checks", "owner_name": "Sam Young", "due_date": "2026-05-01"})
    assert response.status_code == 303
    action = db.session.scalar(sa.select(PirAction))
    assert (action.status, action.owner_name) == ("Open", "Sam Young")
    # Still open: the dashboard shows it, and its incident even when outside the months shown.
    html = browser.get("/performance?from=2026-03&to=2026-03").get_data(as_text=True)
    assert "Add SPQI exclusions to the settlement checks" in html and "INC0139429" in html
    prefix = f"a{action.id}-"
    response = browser.post(f"/performance/pir-actions/{action.id}", {
        prefix + "status": "Closed", prefix + "owner_name": "Sam Young", prefix + "due_date": "2026-05-01", prefix + "note": ""})
    assert response.status_code == 422
    assert "a note is required to close it" in response.get_data(as_text=True)
    response = browser.post(f"/performance/pir-actions/{action.id}", {
        prefix + "status": "In progress", prefix + "owner_name": "Ian Giles", prefix + "due_date": "2026-05-15",
        prefix + "note": "Handed to assurance"})
    assert response.status_code == 303
    response = browser.post(f"/performance/pir-actions/{action.id}", {
        prefix + "status": "Closed", prefix + "owner_name": "Ian Giles", prefix + "due_date": "2026-05-15",
        prefix + "note": "Checks live from the April release"})
    assert response.status_code == 303
    db.session.expire_all()
    action = db.session.get(PirAction, action.id)
    assert action.status == "Closed" and action.closed_at is not None
    history = [(u.changes, u.text) for u in reversed(action.updates)]
    assert history == [
        ("status: Open; owner: Sam Young; due date: 01 May 2026", "Action raised."),
        ("status: Open → In progress; owner: Sam Young → Ian Giles; due date: 01 May 2026 → 15 May 2026",
         "Handed to assurance"),
        ("status: In progress → Closed", "Checks live from the April release"),
    ]
    # Closed: no longer listed as open, and its incident drops out of other months.
    html = browser.get("/performance?from=2026-03&to=2026-03").get_data(as_text=True)
    assert "No PIR actions are open." in html and "INC0139429" not in html
    browser.logout()
    browser.login(participant)
    page = browser.get("/performance/incidents/INC0139429").get_data(as_text=True)
    assert "Checks live from the April release" in page and "Update the action" not in page


def test_cases_and_minor_incidents_have_no_review_page(browser, participant, incidents):
    browser.login(participant)
    assert browser.get("/performance/incidents/INC0000200").status_code == 404
    assert browser.get("/performance/incidents/INC9999999").status_code == 404


def test_a_stale_save_of_a_pir_action_is_refused_with_the_input_kept_and_the_history_stays_true(
        browser, staff, make_user, incidents):
    colleague = make_user("staff", org="Elexon", name="Cal Colleague")
    browser.login(staff)
    browser.post("/performance/incidents/INC0139429/actions", {
        "description": "Add SPQI exclusions to the settlement checks", "owner_name": "Sam Young", "due_date": "2026-05-01"})
    action = db.session.scalar(sa.select(PirAction))
    prefix, opened_at = f"a{action.id}-", str(action.version)  # both staff open the page now

    other = Browser(browser.client.application.test_client())
    other.login(colleague)
    assert other.post(f"/performance/pir-actions/{action.id}", {
        prefix + "status": "In progress", prefix + "owner_name": "Sam Young", prefix + "due_date": "2026-05-01",
        prefix + "note": "Started", prefix + "version": opened_at}).status_code == 303

    response = browser.post(f"/performance/pir-actions/{action.id}", {
        prefix + "status": "Open", prefix + "owner_name": "Ian Giles", prefix + "due_date": "2026-06-30",
        prefix + "note": "Reassigned to assurance", prefix + "version": opened_at})
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else updated this action" in text and "In progress, owner Sam Young" in text
    assert 'value="Ian Giles"' in text and "Reassigned to assurance" in text  # the person's input, kept
    db.session.expire_all()
    action = db.session.get(PirAction, action.id)
    assert (action.status, action.owner_name) == ("In progress", "Sam Young")
    assert [u.text for u in reversed(action.updates)] == ["Action raised.", "Started"]
