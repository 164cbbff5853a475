"""Organisation admins manage their members (deactivating ends sessions at once, keeps the name on
what they wrote, stops their email); asking for access (the same answer whether or not the
address has an account, a verification link, routing by claimed domain, approval with a
welcome); the audit log, read by admins and by an organisation's own admins."""

import re

import pytest
import sqlalchemy as sa

from issues_tracker.accounts.models import User, UserSession
from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.organisations.models import AccessRequest, AuditEntry, EmailDomain
from issues_tracker.participation import comments as comment_service
from tests.accounts.identity_helpers import deliver, last_to, link_in
from tests.conftest import Browser
from tests.helpers import make_issue
from tests.organisations.org_helpers import org_admin

pytestmark = pytest.mark.both_databases


def test_deactivating_a_member_ends_their_sessions_keeps_their_name_and_stops_their_email(app, browser, smtp, make_user,
                                                                                          participant, staff):
    admin = org_admin(make_user)
    issue = make_issue(participant, publish_by=staff)
    comment_service.add_comment(issue, participant, "We see this too.")
    db.session.commit()
    theirs = Browser(app.test_client())
    theirs.login(participant)
    browser.login(admin)
    response = browser.post(f"/organisations/{admin.organisation_id}/members/{participant.id}/deactivate", {"back": "own"})
    assert response.status_code == 303
    assert theirs.get("/issues").status_code == 302  # signed out at once
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(UserSession.user_id == participant.id)) == 0
    assert theirs.post("/login", {"email": participant.email, "password": "correct-horse-battery"}).status_code == 422
    page = Browser(app.test_client())
    page.login(staff)
    assert "Pat Participant" in page.get(f"/issues/{issue.id}").get_data(as_text=True)
    # Their password-reset email is not sent, nor any other.
    Browser(app.test_client()).post("/password/forgot", {"email": participant.email})
    deliver(smtp, 0)
    assert smtp.to(participant.email) == []
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "member.deactivated"))
    assert entry.actor_id == admin.id and entry.target == participant.email and entry.ip_address == "127.0.0.1"

    assert browser.post(f"/organisations/{admin.organisation_id}/members/{participant.id}/reactivate", {"back": "own"}).status_code == 303
    Browser(app.test_client()).login(participant)


def test_an_organisation_admin_makes_a_colleague_an_admin_but_not_themselves_anything(browser, make_user, colleague):
    admin = org_admin(make_user)
    browser.login(admin)
    assert browser.post(f"/organisations/{admin.organisation_id}/members/{colleague.id}/make-admin").status_code == 303
    db.session.expire_all()
    assert db.session.get(User, colleague.id).organisation_admin
    response = browser.post(f"/organisations/{admin.organisation_id}/members/{admin.id}/deactivate")
    assert response.status_code == 409 and "your own access" in response.get_data(as_text=True)


def test_asking_for_access_answers_the_same_whether_or_not_the_address_has_an_account(app, smtp, participant):
    def ask(email):
        response = Browser(app.test_client()).post("/access/request", {"email": email, "name": "Someone"})
        assert response.status_code == 200
        return re.sub(r'"X-CSRFToken": "[^"]+"', "", response.get_data(as_text=True).replace(email, "ADDRESS"))

    assert ask(participant.email) == ask("newcomer@northern.example")
    deliver(smtp, 2)
    assert "already have an account" in last_to(smtp, participant.email).subject
    assert "/access/verify/" in last_to(smtp, "newcomer@northern.example").text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessRequest)) == 1


def test_a_verified_request_from_a_claimed_domain_goes_to_that_organisations_admins(app, smtp, make_user, staff):
    admin = org_admin(make_user)
    db.session.add(EmailDomain(organisation_id=admin.organisation_id, domain="northern.example", verified_at=utcnow()))
    db.session.commit()
    visitor = Browser(app.test_client())
    visitor.post("/access/request", {"email": "nina@northern.example", "name": "Nina New", "message": "Settlement analyst"})
    path = link_in(deliver(smtp, 1)[0], "/access/verify/")
    confirmed = visitor.get(path)
    assert confirmed.status_code == 200 and "Northern Supply Co" in confirmed.get_data(as_text=True)
    assert visitor.get(path).status_code == 410  # once
    waiting = deliver(smtp, 2)[-1]
    assert waiting.recipients == [admin.email] and "Nina New" in waiting.subject
    assert smtp.to(staff.email) == []

    browser = Browser(app.test_client())
    browser.login(admin)
    assert "nina@northern.example" in browser.get("/organisation").get_data(as_text=True)
    request = db.session.scalar(sa.select(AccessRequest))
    response = browser.post(f"/organisations/{admin.organisation_id}/access-requests/{request.id}/approve",
                            {"version": request.version, "back": "own"})
    assert response.status_code == 303
    nina = db.session.scalar(sa.select(User).where(User.email == "nina@northern.example"))
    assert nina.organisation_id == admin.organisation_id and nina.name == "Nina New"
    welcome = deliver(smtp, 3)[-1]
    assert welcome.recipients == ["nina@northern.example"] and welcome.subject == "Welcome to the Industry Issues Tracker"
    set_password = link_in(welcome, "/password/reset/")
    newcomer = Browser(app.test_client())
    assert newcomer.post(set_password, {"password": "harbour-violet-compass", "confirm": "harbour-violet-compass"}).status_code == 303
    newcomer.login("nina@northern.example", "harbour-violet-compass")


def test_a_request_from_an_unclaimed_domain_goes_to_staff_who_place_it(app, smtp, staff, outsider):
    visitor = Browser(app.test_client())
    visitor.post("/access/request", {"email": "gus@gmail.com", "name": "Gus", "organisation_name": "Eastern Networks"})
    visitor.get(link_in(deliver(smtp, 1)[0], "/access/verify/"))
    assert deliver(smtp, 2)[-1].recipients == [staff.email]
    browser = Browser(app.test_client())
    browser.login(staff)
    assert "gus@gmail.com" in browser.get("/admin/access-requests").get_data(as_text=True)
    request = db.session.scalar(sa.select(AccessRequest))
    response = browser.post(f"/access-requests/{request.id}/approve", {"organisation_id": outsider.organisation_id, "version": request.version})
    assert response.status_code == 303
    assert db.session.scalar(sa.select(User.organisation_id).where(User.email == "gus@gmail.com")) == outsider.organisation_id


def test_a_declined_request_is_told_politely(app, smtp, staff):
    visitor = Browser(app.test_client())
    visitor.post("/access/request", {"email": "dee@gmail.com", "name": "Dee"})
    visitor.get(link_in(deliver(smtp, 1)[0], "/access/verify/"))
    deliver(smtp, 2)
    browser = Browser(app.test_client())
    browser.login(staff)
    request = db.session.scalar(sa.select(AccessRequest))
    browser.post(f"/access-requests/{request.id}/decline", {"reason": "Not an industry participant", "version": request.version})
    mail = deliver(smtp, 3)[-1]
    assert mail.recipients == ["dee@gmail.com"] and "Not an industry participant" in mail.text
    assert db.session.scalar(sa.select(User.id).where(User.email == "dee@gmail.com")) is None


def test_admins_read_and_filter_the_audit_log_and_organisation_admins_read_their_own(browser, make_user, admin, outsider):
    own = org_admin(make_user)
    other = org_admin(make_user, org="Eastern Networks", name="Eric Eastern")
    browser.login(own)
    browser.post(f"/organisations/{own.organisation_id}/invitations", {"email": "a@northern.example", "role": "participant"})
    browser.logout()
    browser.login(other)
    browser.post(f"/organisations/{other.organisation_id}/invitations", {"email": "b@eastern.example", "role": "participant"})
    own_page = browser.get(f"/organisations/{other.organisation_id}/audit").get_data(as_text=True)
    assert "b@eastern.example" in own_page and "a@northern.example" not in own_page
    assert browser.get(f"/organisations/{own.organisation_id}/audit").status_code == 404
    assert browser.get("/admin/audit").status_code == 403
    browser.logout()
    browser.login(admin)
    everything = browser.get("/admin/audit").get_data(as_text=True)
    assert "a@northern.example" in everything and "b@eastern.example" in everything
    filtered = browser.get(f"/admin/audit?organisation={own.organisation_id}&action=invitation.sent").get_data(as_text=True)
    assert "a@northern.example" in filtered and "b@eastern.example" not in filtered
    assert "Eric Eastern" not in browser.get("/admin/audit?actor=olga").get_data(as_text=True)
    assert browser.get("/admin/audit?since=yesterday").status_code == 400
