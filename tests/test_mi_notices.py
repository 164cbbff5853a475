"""Major-incident communications sent from the product: staff publish a notice from a P1/P2 incident;
a banner shows on every page; followers of the service and the register's major-incident contacts are
emailed (through a real SMTP server) the notice, its updates, the industry circular (a PDF) and the
resolution; staff are reminded when the next update is due; the times feed the major-incident review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.models import MiNotice, ServiceDeskRecord
from issues_tracker.notifications.delivery import deliver_pending
from issues_tracker.participation.follows import set_followed_services
from issues_tracker.servicedesk import incidents, mi_notices
from issues_tracker.servicedesk.jobs import remind_mi_updates
from tests.accounts.identity_helpers import deliver
from tests.conftest import BASE_URL, Browser
from tests.servicedesk_builders import import_rows, record
from tests.test_log_pdf import pdf_text


def london(moment: datetime) -> str:
    from issues_tracker.servicedesk.clock import LONDON

    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def open_incident(priority="P1", number="INC0200001", product="DIP", minutes_ago=10):
    opened = utcnow() - timedelta(minutes=minutes_ago)
    import_rows([record(number, london(opened), priority=priority, state="In Progress", product=product,
                        description="DIP not accepting messages", responded=london(opened + timedelta(minutes=3)))])
    return db.session.scalar(sa.select(ServiceDeskRecord).where(ServiceDeskRecord.number == number))


def act(browser, number, what, text, headline=""):
    return browser.post(f"/performance/incidents/{number}/notice/{what}", {"text": text, "headline": headline})


def test_staff_publish_update_send_a_circular_and_resolve_and_the_times_feed_the_review(
        app, smtp, browser, staff, participant, make_user):
    follower = make_user(email="follower@supplier.example")
    set_followed_services(follower, ["DIP"])
    make_user(email="isd-only@supplier.example")  # follows nothing: told nothing
    db.session.commit()
    incident = open_incident()
    browser.login(staff)

    response = act(browser, "INC0200001", "publish", "Messages to the DIP are refused. Hold retries.",
                   headline="DIP not accepting messages")
    assert response.status_code == 303 and response.headers["Location"].endswith("/performance/incidents/INC0200001#notice")
    mail = deliver(smtp, 1)[0]
    assert mail.recipients == [follower.email]
    assert mail.subject == "Major incident: P1 DIP – DIP not accepting messages (INC0200001)"
    assert "Messages to the DIP are refused" in mail.text and "Next update by" in mail.text
    assert f"{BASE_URL}/performance/incidents/INC0200001" in mail.text

    # The banner is on every page, for everyone signed in.
    reader = Browser(app.test_client())
    reader.login(participant)
    for page in ("/issues", "/forum", "/performance"):
        html = reader.get(page).get_data(as_text=True)
        assert 'class="mi-banner"' in html and "Major incident – DIP:" in html and "DIP not accepting messages" in html

    assert act(browser, "INC0200001", "update", "A fix is being deployed.").status_code == 303
    assert act(browser, "INC0200001", "circular", "Participants should resubmit rejected messages after 14:00.") \
        .status_code == 303
    circular = deliver(smtp, 3)[2]
    assert circular.subject.startswith("Industry circular: P1 DIP")
    attached = next(part for part in circular.message.iter_attachments() if part.get_content_type() == "application/pdf")
    assert "resubmit rejected messages" in " ".join(pdf_text(attached.get_content())[1])
    pdf = reader.get("/performance/incidents/INC0200001/circular.pdf")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
    assert "DIP not accepting messages" in " ".join(pdf_text(pdf.data)[1])

    assert act(browser, "INC0200001", "resolve", "Service restored at 11:20.").status_code == 303
    resolved = deliver(smtp, 4)[3]
    assert resolved.subject.startswith("Resolved: P1 DIP")
    assert 'class="mi-banner"' not in reader.get("/issues").get_data(as_text=True)

    # The acts' own times are the review's: banner and MI email at once (met), updates within 2 h, resolved.
    db.session.expire_all()
    incident = db.session.get(ServiceDeskRecord, incident.id)
    review = incidents.review_incident(incident)
    assert incident.mi_portal_banner_at is not None and incident.mi_email_at is not None
    assert incident.industry_circular_at is not None and incident.resolved_at is not None
    assert incident.major_incident  # announced as one
    assert (review.banner.status, review.email.status, review.email_updates.status, review.circular.status) == (
        "met", "met", "met", "met")
    assert review.resolution.status == "met"  # within P1's 6 hours
    assert len([u for u in incident.mi_updates if u.channel == "email"]) == 2  # the update and the resolution
    page = browser.get("/performance/incidents/INC0200001").get_data(as_text=True)
    for text in ("Messages to the DIP are refused", "A fix is being deployed.", "Service restored at 11:20."):
        assert text in page


def test_the_register_contacts_are_emailed_too_and_nobody_twice(app, smtp, browser, staff, make_user):
    from tests.organisations.org_helpers import org_admin
    from tests.organisations.test_contact_register_and_distribution import add_contact

    admin = org_admin(make_user)
    set_followed_services(admin, ["MDS"])
    db.session.commit()
    admin_browser = Browser(app.test_client())
    admin_browser.login(admin)
    add_contact(admin_browser, admin.organisation_id, "mi@northern.example", ["major_incident_contact"])
    add_contact(admin_browser, admin.organisation_id, admin.email, ["major_incident_contact"])
    open_incident(priority="P2", number="INC0200002", product="MDS")
    browser.login(staff)
    assert act(browser, "INC0200002", "publish", "Consumption data missing.", headline="MDS data gap").status_code == 303
    received = deliver(smtp, 2)
    assert sorted(r.recipients[0] for r in received) == sorted([admin.email, "mi@northern.example"])
    register = next(r for r in received if r.recipients == ["mi@northern.example"])
    assert "Unsubscribe:" in register.text and "major-incident contact" in register.text


def test_bad_requests_are_refused_with_a_message_and_change_nothing(browser, staff, participant):
    open_incident()
    import_rows([record("INC0200003", "2026-03-02 09:00", priority="P4", state="New")])
    browser.login(staff)
    response = act(browser, "INC0200001", "publish", "", headline="DIP down")
    assert response.status_code == 422 and "Write what participants need to know." in response.get_data(as_text=True)
    response = act(browser, "INC0200001", "update", "Too early")
    assert response.status_code == 422 and "Publish the major-incident notice first." in response.get_data(as_text=True)
    response = act(browser, "INC0200001", "publish", "Something", headline="")
    assert response.status_code == 422 and "Write the headline." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MiNotice)) == 0
    assert act(browser, "INC0200003", "publish", "x", headline="y").status_code == 404  # not a P1/P2 incident
    assert act(browser, "INC0200001", "shout", "x").status_code == 404
    assert act(browser, "INC0200001", "publish", "x", headline="y").status_code == 303
    response = act(browser, "INC0200001", "publish", "again", headline="again")
    assert response.status_code == 422 and "published already" in response.get_data(as_text=True)
    # Participants read the notice but cannot send one.
    browser.logout()
    browser.login(participant)
    assert act(browser, "INC0200001", "update", "Hello").status_code == 403
    assert "x" in browser.get("/performance/incidents/INC0200001").get_data(as_text=True)
    assert browser.get("/performance/incidents/INC0200001/circular.pdf").status_code == 404  # none sent yet


def test_staff_are_reminded_once_when_the_next_update_is_due(smtp, browser, staff, make_user):
    colleague = make_user(role="staff", email="colleague@elexon.example")
    incident = open_incident(minutes_ago=100)
    browser.login(staff)
    act(browser, "INC0200001", "publish", "Investigating.", headline="DIP down")
    notice = db.session.scalar(sa.select(MiNotice))
    # P1: every 2 hours round the clock.
    assert notice.next_update_due_at - notice.published_at == timedelta(hours=2)
    remind_mi_updates()  # the background task, now: nothing is due yet
    assert db.session.get(MiNotice, notice.id).reminded_at is None
    later = utcnow() + timedelta(hours=1, minutes=45)
    assert mi_notices.remind_due_updates(now=later) == 1
    assert mi_notices.remind_due_updates(now=later + timedelta(minutes=5)) == 0  # once per due time
    db.session.commit()
    deliver_pending(now=later + timedelta(minutes=1))
    received = smtp.wait_for(2)
    assert sorted(r.recipients[0] for r in received) == sorted([staff.email, colleague.email])
    assert received[0].subject.startswith("Update due by ") and "INC0200001" in received[0].text
    # An update moves the due time on and the next reminder is for it.
    act(browser, "INC0200001", "update", "Still investigating.")
    db.session.expire_all()
    assert db.session.get(MiNotice, notice.id).reminded_at is None
    assert incident.number == "INC0200001" and datetime.now(UTC) < later


def test_a_p2_notices_next_update_is_due_four_business_hours_later(app, staff):
    import_rows([record("INC0200004", "2026-03-06 14:50", priority="P2", state="In Progress", product="ISD",
                        responded="2026-03-06 14:55")])
    incident = db.session.scalar(sa.select(ServiceDeskRecord).where(ServiceDeskRecord.number == "INC0200004"))
    friday_3pm = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # GMT: 15:00 UK time, a Friday
    notice = mi_notices.publish_notice(incident, headline="ISD downloads failing", text="Investigating.", user=staff,
                                       now=friday_3pm)
    # Two business hours on Friday, two on Monday morning.
    assert notice.next_update_due_at == datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
    update = mi_notices.add_update(incident, text="Fix found.", user=staff, now=datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    assert update.kind == "update" and notice.next_update_due_at == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    db.session.commit()
