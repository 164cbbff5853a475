"""Invitations: staff invite into any organisation from its admin page, an organisation's admins
into their own from /organisation; the emailed single-use link expires; pending invitations are
listed, sent again or withdrawn; the organisation is never the invitee's choice."""

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from issues_tracker.accounts.models import User
from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.organisations.models import AuditEntry, Invitation
from tests.accounts.identity_helpers import deliver, link_in
from tests.conftest import Browser
from tests.organisations.org_helpers import org_admin

pytestmark = pytest.mark.both_databases

CHOSEN = "meadow-lantern-quartz"


def accept(browser, path, name="Ivy Invitee", password=CHOSEN, **extra):
    return browser.post(path, {"name": name, "password": password, "confirm": password, **extra})


def test_staff_invite_from_the_organisations_admin_page_and_the_invitee_joins(app, browser, smtp, staff, outsider):
    organisation = outsider.organisation
    browser.login(staff)
    page = browser.get(f"/admin/organisations/{organisation.id}").get_data(as_text=True)
    assert f'action="/organisations/{organisation.id}/invitations"' in page
    response = browser.post(f"/organisations/{organisation.id}/invitations",
                            {"email": "Ivy@Eastern.example", "name": "Ivy", "role": "participant", "back": ""})
    assert response.status_code == 303 and response.location.endswith(f"/admin/organisations/{organisation.id}#saved")
    mail = deliver(smtp, 1)[0]
    assert mail.recipients == ["ivy@eastern.example"]
    assert "Eastern Networks" in mail.subject
    path = link_in(mail, "/invitations/")

    invitee = Browser(app.test_client())
    form = invitee.get(path)
    assert form.status_code == 200 and "ivy@eastern.example" in form.get_data(as_text=True)
    # A field naming another organisation is ignored: the invitation decides.
    assert accept(invitee, path, organisation_id=str(staff.organisation_id)).status_code == 303
    user = db.session.scalar(sa.select(User).where(User.email == "ivy@eastern.example"))
    assert user.organisation_id == organisation.id and user.role == "participant" and not user.organisation_admin
    invitee.login("ivy@eastern.example", CHOSEN)
    assert "Welcome" in deliver(smtp, 2)[-1].subject
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["invitation.sent", "invitation.accepted"]

    twice = accept(Browser(app.test_client()), path, name="Someone Else")
    assert twice.status_code == 410 and "accepted already" in twice.get_data(as_text=True)


def test_an_organisation_admin_invites_a_colleague_as_organisation_admin(app, browser, smtp, make_user):
    admin = org_admin(make_user)
    browser.login(admin)
    assert 'action="/organisations/' in browser.get("/organisation").get_data(as_text=True)
    response = browser.post(f"/organisations/{admin.organisation_id}/invitations",
                            {"email": "colin@northern.example", "role": "organisation_admin", "back": "own"})
    assert response.status_code == 303 and response.location.endswith("/organisation#saved")
    path = link_in(deliver(smtp, 1)[0], "/invitations/")
    accept(Browser(app.test_client()), path, name="Colin")
    colin = db.session.scalar(sa.select(User).where(User.email == "colin@northern.example"))
    assert colin.organisation_admin and colin.organisation_id == admin.organisation_id


def test_an_organisation_admin_cannot_invite_staff(browser, make_user):
    admin = org_admin(make_user)
    browser.login(admin)
    response = browser.post(f"/organisations/{admin.organisation_id}/invitations",
                            {"email": "sneaky@northern.example", "role": "staff", "back": "own"})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_sending_again_replaces_the_link_and_withdrawing_stops_it(app, browser, smtp, make_user):
    admin = org_admin(make_user)
    browser.login(admin)
    browser.post(f"/organisations/{admin.organisation_id}/invitations", {"email": "wren@northern.example", "role": "participant"})
    first = link_in(deliver(smtp, 1)[0], "/invitations/")
    invitation = db.session.scalar(sa.select(Invitation))
    base = f"/organisations/{admin.organisation_id}/invitations/{invitation.id}"
    assert browser.post(f"{base}/resend", {"version": invitation.version}).status_code == 303
    second = link_in(deliver(smtp, 2)[-1], "/invitations/")
    assert first != second
    assert Browser(app.test_client()).get(first).status_code == 404
    db.session.expire_all()
    stale = browser.post(f"{base}/withdraw", {"version": invitation.version - 1})
    assert stale.status_code == 409
    assert browser.post(f"{base}/withdraw", {"version": db.session.get(Invitation, invitation.id).version}).status_code == 303
    response = Browser(app.test_client()).get(second)
    assert response.status_code == 410 and "withdrawn" in response.get_data(as_text=True)


def test_an_expired_invitation_gets_a_clear_page_and_makes_no_account(app, browser, smtp, make_user):
    admin = org_admin(make_user)
    browser.login(admin)
    browser.post(f"/organisations/{admin.organisation_id}/invitations", {"email": "late@northern.example", "role": "participant"})
    path = link_in(deliver(smtp, 1)[0], "/invitations/")
    db.session.execute(sa.update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    response = accept(Browser(app.test_client()), path)
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User.id).where(User.email == "late@northern.example")) is None


@pytest.mark.parametrize(("bad", "status", "message"), [
    ("short", 400, "This invitation link is incomplete or not one of ours. Copy the whole link from the email."),
    ("abcdefghijkl.abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq", 404,
     "This invitation link is not valid. If it was sent again, use the newest email."),
])
def test_forged_and_truncated_invitation_links_are_refused(client, bad, status, message):
    response = client.get(f"/invitations/{bad}")
    assert response.status_code == status
    assert message in html.unescape(response.get_data(as_text=True))


def test_an_address_with_an_account_is_not_invited_twice(browser, make_user, participant):
    admin = org_admin(make_user)
    browser.login(admin)
    response = browser.post(f"/organisations/{admin.organisation_id}/invitations", {"email": participant.email, "role": "participant"})
    assert response.status_code == 422 and "exists already" in response.get_data(as_text=True)


def test_the_invitation_password_must_pass_the_rules(app, browser, smtp, make_user):
    admin = org_admin(make_user)
    browser.login(admin)
    browser.post(f"/organisations/{admin.organisation_id}/invitations", {"email": "pat2@northern.example", "role": "participant"})
    path = link_in(deliver(smtp, 1)[0], "/invitations/")
    response = accept(Browser(app.test_client()), path, password="password1234")
    assert response.status_code == 422
    assert db.session.scalar(sa.select(Invitation.accepted_at)) is None
