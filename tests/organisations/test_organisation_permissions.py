"""Every new organisation route for anonymous, a participant, an organisation admin of the same
organisation and of another, staff and admin: sign-in, 403 or 404, and nothing changed."""

import pytest
import sqlalchemy as sa

from issues_tracker.accounts.models import User
from issues_tracker.core.extensions import db
from issues_tracker.organisations.models import AuditEntry, Contact, EmailDomain, Invitation
from tests.organisations.org_helpers import org_admin

WHO = ["anonymous", "participant", "own_admin", "other_admin", "staff", "admin"]


@pytest.fixture
def people(make_user, participant, staff, admin):
    own = org_admin(make_user, org="Northern Supply Co", name="Own Admin")
    other = org_admin(make_user, org="Eastern Networks", name="Other Admin")
    return {"participant": participant, "own_admin": own, "other_admin": other, "staff": staff, "admin": admin}


def sign_in_as(browser, people, who):
    if who != "anonymous":
        browser.login(people[who])


# (method, path template, form, who may) — ids filled in below.
ROUTES = [
    ("GET", "/organisation", {}, {"own_admin", "other_admin"}),
    ("GET", "/organisations/{org}/audit", {}, {"own_admin", "staff", "admin"}),
    ("POST", "/organisations/{org}/invitations", {"email": "new@northern.example", "role": "participant"}, {"own_admin", "staff", "admin"}),
    ("POST", "/organisations/{org}/settings", {"require_mfa": "y"}, {"own_admin", "staff", "admin"}),
    ("POST", "/organisations/{org}/domains", {"domain": "northern-supply.example"}, {"own_admin", "staff", "admin"}),
    ("GET", "/organisations/{org}/contacts/new", {}, {"own_admin", "staff", "admin"}),
    ("POST", "/organisations/{org}/contacts/new", {"email": "desk@northern.example", "roles": "forum_invitee"}, {"own_admin", "staff", "admin"}),
    ("POST", "/organisations/{org}/members/{member}/deactivate", {}, {"own_admin", "staff", "admin"}),
    ("GET", "/admin/organisations/{org}", {}, {"staff", "admin"}),
    ("GET", "/admin/access-requests", {}, {"staff", "admin"}),
    ("GET", "/admin/audit", {}, {"admin"}),
    ("GET", "/admin/contacts.csv", {}, {"staff", "admin"}),
    ("GET", "/admin/contacts.xlsx", {}, {"staff", "admin"}),
]


def _counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (Invitation, EmailDomain, Contact, AuditEntry)) + (
        db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.active.is_(False))),)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("method, template, form, allowed", ROUTES, ids=[f"{m} {t}" for m, t, _, _ in ROUTES])
def test_who_may_use_each_organisation_route(browser, people, who, method, template, form, allowed):
    organisation = people["participant"].organisation
    path = template.format(org=organisation.id, member=people["participant"].id)
    sign_in_as(browser, people, who)
    before = _counts()
    response = browser.get(path) if method == "GET" else browser.post(path, form)
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.location
    elif who in allowed:
        # A page is shown; a form that changes something sends the person on.
        assert response.status_code == (200 if method == "GET" else 303), (who, path, response.status_code)
    else:
        # Another organisation's admin is not told this organisation's pages exist; anyone
        # else signed in is told the page is not theirs.
        refused = 404 if who == "other_admin" and template.startswith("/organisations/{org}") else 403
        assert response.status_code == refused, (who, path, response.status_code)
        assert _counts() == before


def test_an_organisation_admin_cannot_reach_another_organisations_member_through_their_own_id(browser, people, outsider):
    own = people["own_admin"]
    browser.login(own)
    response = browser.post(f"/organisations/{own.organisation_id}/members/{outsider.id}/deactivate")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, outsider.id).active


def test_a_participant_without_the_role_gets_403_on_their_own_organisation(browser, people):
    participant = people["participant"]
    browser.login(participant)
    assert browser.get("/organisation").status_code == 403
    assert browser.post(f"/organisations/{participant.organisation_id}/invitations", {"email": "x@northern.example"}).status_code == 403


def test_every_change_needs_a_csrf_token(browser, people):
    own = people["own_admin"]
    browser.login(own)
    response = browser.post(f"/organisations/{own.organisation_id}/invitations", {"email": "x@northern.example", "role": "participant"},
                            csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
