"""Escalations by the pack's two routes: raised by a participant with the original reference,
emailed to the organisation's escalation contacts and the service team, acknowledged and
closed by staff, taken level by level in sequence, and seen only by the organisation and staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.escalations.models import Escalation
from issues_tracker.escalations.operations import (
    acknowledge,
    close,
    period_summary,
    raise_escalation,
    remind_late,
)
from issues_tracker.jobs import run_background_tasks
from issues_tracker.notifications.delivery import deliver_pending
from issues_tracker.organisations.models import Contact
from tests.accounts.identity_helpers import deliver
from tests.conftest import Browser
from tests.helpers import make_issue
from tests.servicedesk_builders import import_rows, record

pytestmark = pytest.mark.both_databases


def signed_in(app, user) -> Browser:
    browser = Browser(app.test_client())
    browser.login(user)
    return browser


def escalate(browser, subject_reference, **changes):
    form = {"subject_kind": "issue", "reference": subject_reference, "reason": "overdue", "route": "elexon",
            "detail": "No update for three weeks; 40 sites unbilled.", "chased": "y"}
    form.update(changes)
    return browser.post("/escalations/new", {key: value for key, value in form.items() if value is not None})


def add_contact(organisation_id, email, *, escalation=True):
    db.session.add(Contact(organisation_id=organisation_id, email=email, name="Escalations desk",
                           escalation_contact=escalation))
    db.session.commit()


def only_escalation() -> Escalation:
    return db.session.scalar(sa.select(Escalation))


# ---------------------------------------------------------------- who may see what


def test_signed_out_people_are_sent_to_sign_in(client):
    for path in ("/escalations", "/escalations/new", "/escalations/1"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


@pytest.mark.parametrize("role, sees", [("participant", True), ("colleague", True), ("outsider", False),
                                        ("staff", True), ("admin", True)])
def test_an_escalation_is_seen_by_its_organisation_and_staff(app, browser, staff, participant, colleague, outsider,
                                                             admin, role, sees):
    issue = make_issue(participant, publish_by=staff, summary="Late D0010 flows")
    browser.login(participant)
    assert escalate(browser, issue.reference).status_code == 303
    escalation = only_escalation()
    user = {"participant": participant, "colleague": colleague, "outsider": outsider, "staff": staff,
            "admin": admin}[role]
    reader = signed_in(app, user)
    assert reader.get(f"/escalations/{escalation.id}").status_code == (200 if sees else 403)
    listing = reader.get("/escalations")
    assert listing.status_code == 200
    assert (f'href="/escalations/{escalation.id}"' in listing.get_data(as_text=True)) == sees
    assert reader.get("/escalations/new").status_code == 200
    # Only the organisation and staff add to it; only staff acknowledge and close it.
    note = reader.post(f"/escalations/{escalation.id}/note", {"note": "Still waiting.", "version": escalation.version})
    assert note.status_code == (303 if sees else 403)
    db.session.expire_all()
    version = db.session.get(Escalation, escalation.id).version
    acknowledge = reader.post(f"/escalations/{escalation.id}/acknowledge", {"version": version})
    assert acknowledge.status_code == (303 if role in ("staff", "admin") else 403)
    assert reader.get(f"/escalations/{escalation.id + 1}").status_code == 404


def test_the_form_says_when_to_escalate_and_when_not_to(browser, participant):
    browser.login(participant)
    html = browser.get("/escalations/new?kind=case&reference=CS0012345").get_data(as_text=True)
    assert "materially overdue" in html and "not as a substitute for normal case updates" in html
    assert "Technical Triage for onward routing to the relevant OSM(s)" in html
    assert "keep the original case or incident reference" in html
    assert 'value="CS0012345"' in html


# ---------------------------------------------------------------- raising one


def test_a_participant_escalates_an_issue_and_contacts_and_the_service_team_are_emailed(app, browser, smtp, staff,
                                                                                       participant, outsider):
    issue = make_issue(participant, publish_by=staff, summary="Late D0010 flows")
    add_contact(participant.organisation_id, "escalations@northern.example")
    add_contact(participant.organisation_id, "forum@northern.example", escalation=False)
    add_contact(outsider.organisation_id, "escalations@eastern.example")
    browser.login(participant)
    response = escalate(browser, issue.reference.lower())
    assert response.status_code == 303
    escalation = only_escalation()
    assert (escalation.reference, escalation.issue_id, escalation.route, escalation.level, escalation.status) == (
        issue.reference, issue.id, "elexon", 1, "open")
    assert escalation.raised_by_id == participant.id and escalation.response_due_at > escalation.created_at
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Level 1 – Service Desk team lead" in page and "Awaiting acknowledgement" in page
    mails = deliver(smtp, 3)
    recipients = {address for mail in mails for address in mail.recipients}
    assert recipients == {"escalations@northern.example", staff.email, participant.email}
    mail = smtp.to("escalations@northern.example")[0]
    assert issue.reference in mail.subject and "Level 1" in mail.subject
    assert "No update for three weeks; 40 sites unbilled." in mail.text
    assert f"/escalations/{escalation.id}" in mail.text
    listing = browser.get("/escalations").get_data(as_text=True)
    assert escalation.code in listing and issue.reference in listing


def test_bad_escalations_are_refused_with_messages_and_the_input_kept(browser, staff, participant, outsider):
    hidden = make_issue(outsider, summary="Another organisation's submission")
    issue = make_issue(participant, publish_by=staff)
    browser.login(participant)
    cases = [
        ({"chased": None}, "Escalation is not a substitute for normal case updates"),
        ({"reference": hidden.reference}, f"There is no industry issue {hidden.reference} that you can see."),
        ({"subject_kind": "case", "reference": "12345"}, "Give the case number as the service desk shows it"),
        ({"route": "supplier", "reason": "blocked"}, "Name the supplier, market party or dependency"),
        ({"route": None}, "Choose the route"),
        ({"reason": None, "detail": ""}, "Choose why it needs escalating."),
    ]
    for changes, message in cases:
        response = escalate(browser, issue.reference, **changes)
        assert response.status_code == 422, changes
        html = response.get_data(as_text=True)
        assert message in html, changes
        if changes.get("detail") is None:
            assert "No update for three weeks" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Escalation)) == 0
    assert escalate(browser, issue.reference).status_code == 303
    again = escalate(browser, issue.reference)
    assert again.status_code == 422 and "is already escalated by this route" in again.get_data(as_text=True)


def test_a_case_blocked_by_a_supplier_goes_to_technical_triage(app, browser, participant):
    import_rows([record("CS0012345", "2026-11-02 09:30", state="In progress")])
    browser.login(participant)
    response = escalate(browser, "cs0012345", subject_kind="case", reason="blocked", route="supplier",
                        blocking_party="Acme Meter Services (MOP)")
    assert response.status_code == 303
    escalation = only_escalation()
    assert escalation.reference == "CS0012345" and escalation.record_id is not None
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Technical Triage (via the Support Portal)" in page and "Acme Meter Services (MOP)" in page


# ---------------------------------------------------------------- moving it on


def test_levels_are_taken_in_sequence_keeping_the_reference(app, browser, smtp, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    browser.login(participant)
    escalate(browser, issue.reference)
    escalation = only_escalation()
    path = f"/escalations/{escalation.id}"
    empty = browser.post(f"{path}/next-level", {"note": "", "version": escalation.version})
    assert empty.status_code == 422 and "Say why the last level has not resolved it" in empty.get_data(as_text=True)
    for level in (2, 3):
        db.session.expire_all()
        version = db.session.get(Escalation, escalation.id).version
        assert browser.post(f"{path}/next-level", {"note": f"Still blocked ({level})", "version": version}).status_code == 303
    db.session.expire_all()
    escalation = db.session.get(Escalation, escalation.id)
    assert (escalation.level, escalation.reference, escalation.status) == (3, issue.reference, "open")
    page = browser.get(path).get_data(as_text=True)
    assert "Level 3 – Head of Service Management" in page and "Escalate to" not in page
    top = browser.post(f"{path}/next-level", {"note": "More", "version": escalation.version})
    assert top.status_code == 422 and "at the route&#39;s last level already" in top.get_data(as_text=True)
    mails = deliver(smtp, 6)
    assert [m.subject for m in mails if staff.email in m.recipients][-1].endswith("to Level 3 – Head of Service Management")


def test_staff_acknowledge_and_close_with_the_outcome_and_the_organisation_is_told(app, browser, smtp, staff,
                                                                                  participant):
    issue = make_issue(participant, publish_by=staff)
    add_contact(participant.organisation_id, "escalations@northern.example")
    browser.login(participant)
    escalate(browser, issue.reference)
    escalation = only_escalation()
    path = f"/escalations/{escalation.id}"
    desk = signed_in(app, staff)
    assert desk.post(f"{path}/acknowledge", {"note": "Looking at it today.", "version": escalation.version}).status_code == 303
    db.session.expire_all()
    escalation = db.session.get(Escalation, escalation.id)
    assert escalation.status == "acknowledged" and escalation.acknowledged_by_id == staff.id
    no_outcome = desk.post(f"{path}/close", {"note": "", "version": escalation.version})
    assert no_outcome.status_code == 422 and "Record the outcome" in no_outcome.get_data(as_text=True)
    assert desk.post(f"{path}/close", {"note": "Fix deployed; case stays open to confirm.",
                                        "version": escalation.version}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Escalation, escalation.id).status == "closed"
    deliver(smtp, 7)
    subjects = [mail.subject for mail in smtp.to("escalations@northern.example")]
    assert any(subject.endswith("acknowledged") for subject in subjects)
    assert any(subject.endswith("closed") for subject in subjects)
    closed = smtp.to(participant.email)[-1]
    assert "Fix deployed; case stays open to confirm." in closed.text
    link = f'href="/escalations/{escalation.id}"'
    assert link not in browser.get("/escalations").get_data(as_text=True)  # open ones by default
    assert link in browser.get("/escalations?status=closed").get_data(as_text=True)
    assert browser.get("/escalations?status=sideways").status_code == 400


def test_a_stale_step_gets_409_and_keeps_the_note(app, browser, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    browser.login(participant)
    escalate(browser, issue.reference)
    escalation = only_escalation()
    old = escalation.version
    desk = signed_in(app, staff)
    assert desk.post(f"/escalations/{escalation.id}/acknowledge", {"version": old}).status_code == 303
    stale = browser.post(f"/escalations/{escalation.id}/next-level", {"note": "Typed on an old page", "version": old})
    assert stale.status_code == 409 and "Typed on an old page" in stale.get_data(as_text=True)


def test_the_service_team_is_reminded_once_of_a_late_response(app, browser, smtp, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    staff_email, participant_email = staff.email, participant.email
    browser.login(participant)
    escalate(browser, issue.reference)
    escalation = only_escalation()
    escalation_id, code, due = escalation.id, escalation.code, escalation.response_due_at
    assert remind_late(now=due - timedelta(minutes=1)) == 0
    assert remind_late(now=due + timedelta(minutes=1)) == 1
    db.session.commit()
    assert remind_late(now=due + timedelta(hours=3)) == 0  # once per level
    run_background_tasks()  # the worker's upkeep finds nothing more to send
    deliver_pending(now=due + timedelta(minutes=2))  # the reminder is dated when it was found late
    smtp.wait_for(3)
    late = [mail for mail in smtp.to(staff_email) if mail.subject.startswith("Response overdue")]
    assert len(late) == 1 and code in late[0].subject
    assert not [mail for mail in smtp.to(participant_email) if mail.subject.startswith("Response overdue")]
    # Taken to the next level, it has a new target and may be reminded of again.
    db.session.expire_all()
    version = db.session.get(Escalation, escalation_id).version
    assert browser.post(f"/escalations/{escalation_id}/next-level", {"note": "Still nothing", "version": version}).status_code == 303
    db.session.expire_all()
    escalation = db.session.get(Escalation, escalation_id)
    assert escalation.reminded_at is None and escalation.response_due_at != due  # level 2: 4 business hours
    assert remind_late(now=escalation.response_due_at + timedelta(minutes=1)) == 1


def test_a_reports_summary_counts_raised_closed_open_and_late(app, staff, participant):
    start = utcnow() - timedelta(days=30)
    first = make_issue(participant, publish_by=staff, summary="First")
    second = make_issue(participant, publish_by=staff, summary="Second")
    answered = raise_escalation(participant, {"subject_kind": "issue", "reference": first.reference,
                                              "reason": "overdue", "route": "elexon", "detail": "Late."},
                                now=start + timedelta(days=1))
    acknowledge(answered, staff, "", expected_version=None, now=start + timedelta(days=10))  # long after its target
    close(answered, staff, "Fixed.", expected_version=None, now=start + timedelta(days=12))
    raise_escalation(participant, {"subject_kind": "issue", "reference": second.reference, "reason": "blocked",
                                   "route": "supplier", "blocking_party": "MOP", "detail": "Blocked."},
                     now=start + timedelta(days=20))
    db.session.commit()
    summary = period_summary(start, start + timedelta(days=30))
    assert summary == {"raised": {"elexon": 1, "supplier": 1}, "raised_total": 2, "closed": 1, "open_at_end": 1,
                       "late_response": 2}
    before_the_second = period_summary(start, start + timedelta(days=15))
    assert before_the_second["raised_total"] == 1 and before_the_second["open_at_end"] == 0
