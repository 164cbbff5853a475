"""The contact register drives distribution: forum meeting invitations with an iCalendar file
(an update or a cancellation keeps the UID and raises the SEQUENCE), the published Monday log
to log recipients, major-incident emails; one-click unsubscribe; staff export the register."""

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from openpyxl import load_workbook

from issues_tracker.core.extensions import db
from issues_tracker.log.operations import publish_log
from issues_tracker.log.weeks import current_week
from issues_tracker.organisations import distribution
from issues_tracker.organisations.models import Contact, ContactOptOut
from tests.accounts.identity_helpers import deliver, last_to
from tests.conftest import BASE_URL, Browser
from tests.forum_builders import make_meeting
from tests.organisations.org_helpers import org_admin

pytestmark = pytest.mark.both_databases


def add_contact(browser, org_id, email, roles, name="", back="own"):
    return browser.post(f"/organisations/{org_id}/contacts/new", {"email": email, "name": name, "roles": roles, "back": back})


def calendar_of(mail) -> Calendar:
    part = next(part for part in mail.message.iter_attachments() if part.get_content_type() == "text/calendar")
    assert part.get_param("method") in ("REQUEST", "CANCEL")
    return Calendar.from_ical(part.get_content() if isinstance(part.get_content(), bytes) else part.get_content().encode())


def event_of(mail):
    calendar = calendar_of(mail)
    return calendar, next(component for component in calendar.walk("VEVENT"))


def test_an_organisation_admin_keeps_the_register_with_a_shared_mailbox_and_a_member(browser, make_user, participant):
    admin = org_admin(make_user)
    browser.login(admin)
    assert add_contact(browser, admin.organisation_id, "service.desk@northern.example", ["forum_invitee", "major_incident_contact"],
                       name="Service desk").status_code == 303
    assert add_contact(browser, admin.organisation_id, participant.email.upper(), ["primary_contact", "log_recipient"]).status_code == 303
    rows = {row.email: row for row in db.session.scalars(sa.select(Contact))}
    assert rows["service.desk@northern.example"].user_id is None and rows["service.desk@northern.example"].forum_invitee
    assert rows[participant.email].user_id == participant.id and rows[participant.email].name == "Pat Participant"
    page = browser.get("/organisation").get_data(as_text=True)
    assert "Service desk" in page and "shared mailbox" in page
    duplicate = add_contact(browser, admin.organisation_id, "service.desk@northern.example", [])
    assert duplicate.status_code == 422 and "in the register already" in duplicate.get_data(as_text=True)
    bad = add_contact(browser, admin.organisation_id, "not an address", [])
    assert bad.status_code == 422


def test_a_stale_save_of_a_contact_gets_409_with_the_input_kept(app, browser, make_user):
    admin = org_admin(make_user)
    browser.login(admin)
    add_contact(browser, admin.organisation_id, "desk@northern.example", ["forum_invitee"])
    contact = db.session.scalar(sa.select(Contact))
    path = f"/organisations/{admin.organisation_id}/contacts/{contact.id}"
    first = {"email": "desk@northern.example", "name": "Desk", "roles": ["log_recipient"], "version": contact.version, "back": "own"}
    assert browser.post(path, first).status_code == 303
    stale = browser.post(path, {**first, "name": "Typed by someone else", "roles": ["primary_contact"]})
    assert stale.status_code == 409
    assert "Typed by someone else" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).name == "Desk"


def test_forum_invitees_get_the_meeting_as_a_calendar_invitation_and_its_update_and_cancellation(app, browser, smtp, make_user,
                                                                                                 staff, participant):
    admin = org_admin(make_user)
    browser.login(admin)
    add_contact(browser, admin.organisation_id, "desk@northern.example", ["forum_invitee"], name="Service desk")
    add_contact(browser, admin.organisation_id, participant.email, ["log_recipient"])
    meeting = make_meeting(date(2026, 7, 8), agenda=[(1, "Welcome", "Chair"), (2, "Industry issues", "Elexon")])
    staff_browser = Browser(app.test_client())
    staff_browser.login(staff)
    assert "Send calendar invitations" in staff_browser.get(f"/forum/meetings/{meeting.id}").get_data(as_text=True)
    assert staff_browser.post(f"/forum/meetings/{meeting.id}/invitations").status_code == 303
    invitation = deliver(smtp, 1)[0]
    assert invitation.recipients == ["desk@northern.example"]
    assert invitation.subject.startswith("Invitation: Service Management Forum, 08 Jul 2026")
    assert "Industry issues" in invitation.text
    calendar, event = event_of(invitation)
    assert str(calendar["METHOD"]) == "REQUEST"
    uid = str(event["UID"])
    assert int(event["SEQUENCE"]) == 0 and event.decoded("DTSTART").hour == 10
    assert invitation.message["List-Unsubscribe"].startswith(f"<{BASE_URL}/unsubscribe/contact/")

    # The meeting moves: the update goes to the same calendar entry.
    edit = staff_browser.get(f"/forum/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert "version" in edit
    staff_browser.post(f"/forum/meetings/{meeting.id}/edit", {
        "meeting_date": "2026-07-08", "title": "Service Management Forum", "chair": "Gary Leach", "start_time": "11:00",
        "end_time": "13:00", "recording_url": "", "minutes": "", "version": str(meeting.version),
        "agenda-0-number": "1", "agenda-0-topic": "Welcome", "agenda-0-presenter": "Chair"})
    update = deliver(smtp, 2)[-1]
    assert update.subject.startswith("Updated:")
    _, moved = event_of(update)
    assert str(moved["UID"]) == uid and int(moved["SEQUENCE"]) == 1 and moved.decoded("DTSTART").hour == 11

    assert staff_browser.post(f"/forum/meetings/{meeting.id}/cancel").status_code == 303
    cancellation = deliver(smtp, 3)[-1]
    calendar, cancelled = event_of(cancellation)
    assert str(calendar["METHOD"]) == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["UID"]) == uid and int(cancelled["SEQUENCE"]) == 2
    assert "cancelled" in staff_browser.get(f"/forum/meetings/{meeting.id}").get_data(as_text=True)


def test_one_click_unsubscribe_stops_that_kind_of_email_to_that_address(app, browser, smtp, make_user, staff):
    admin = org_admin(make_user)
    browser.login(admin)
    add_contact(browser, admin.organisation_id, "desk@northern.example", ["forum_invitee", "major_incident_contact"])
    meeting = make_meeting(date(2026, 9, 9))
    distribution.send_meeting_invitations(meeting)
    db.session.commit()
    mail = deliver(smtp, 1)[0]
    link = mail.message["List-Unsubscribe"].strip("<>")[len(BASE_URL):]
    assert "Unsubscribe" in Browser(app.test_client()).get(link).get_data(as_text=True)  # a look does not unsubscribe
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactOptOut)) == 0
    response = app.test_client().post(link, data={"List-Unsubscribe": "One-Click"})  # a mail program's one click, no session
    assert response.status_code == 200
    assert distribution.recipients("forum_invitee") == []
    assert [r.email for r in distribution.recipients("major_incident_contact")] == ["desk@northern.example"]
    assert "(unsubscribed)" in browser.get("/organisation").get_data(as_text=True)
    assert app.test_client().get("/unsubscribe/contact/forged-token").status_code == 400


def test_the_published_log_goes_to_log_recipients_with_its_pdf(app, browser, smtp, make_user, staff, participant):
    admin = org_admin(make_user)
    browser.login(admin)
    add_contact(browser, admin.organisation_id, "reports@northern.example", ["log_recipient"])
    week = current_week()
    publish_log(week, user=staff)
    db.session.commit()
    received = deliver(smtp, 1)
    mail = last_to(smtp, "reports@northern.example")
    assert f"Industry issues log for the week commencing {week.strftime('%d %b %Y')}" in mail.subject
    pdf = next(part for part in mail.message.iter_attachments() if part.get_content_type() == "application/pdf")
    assert pdf.get_content()[:5] == b"%PDF-"
    assert f"{BASE_URL}/log/{week.isoformat()}.pdf" in mail.text
    assert len(received) >= 1


def test_major_incident_emails_reach_major_incident_contacts_but_not_deactivated_people(app, smtp, make_user, participant):
    admin = org_admin(make_user)
    browser = Browser(app.test_client())
    browser.login(admin)
    add_contact(browser, admin.organisation_id, "mi@northern.example", ["major_incident_contact"])
    add_contact(browser, admin.organisation_id, participant.email, ["major_incident_contact"])
    browser.post(f"/organisations/{admin.organisation_id}/members/{participant.id}/deactivate")
    count = distribution.send_major_incident("P1: DIP unavailable", "The DIP is not accepting messages.", f"{BASE_URL}/performance")
    db.session.commit()
    assert count == 1
    mail = deliver(smtp, 1)[0]
    assert mail.recipients == ["mi@northern.example"] and "DIP is not accepting" in mail.text


def test_staff_export_the_register_as_csv_and_excel(browser, make_user, staff):
    admin = org_admin(make_user)
    other = org_admin(make_user, org="Eastern Networks", name="Erin")
    for person, email in ((admin, "desk@northern.example"), (other, "=cmd@eastern.example")):
        b = Browser(browser.client.application.test_client())
        b.login(person)
        add_contact(b, person.organisation_id, email, ["forum_invitee", "primary_contact"])
    browser.login(staff)
    response = browser.get("/admin/contacts.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Organisation", "Kind", "Name", "Email"]
    assert [row[0] for row in rows[1:]] == ["Eastern Networks", "Northern Supply Co"]
    workbook = load_workbook(io.BytesIO(browser.get("/admin/contacts.xlsx").data))
    sheet = workbook.active
    assert sheet["D3"].value == "desk@northern.example" and sheet["F3"].value == "Yes"
