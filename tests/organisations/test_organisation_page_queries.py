"""The organisation's management page and the audit log send the same number of SQL statements
however many members, invitations, contacts and audit entries there are."""

import pytest
import sqlalchemy as sa

from issues_tracker.accounts.models import Organisation, User
from issues_tracker.core.extensions import db
from issues_tracker.organisations import contacts, invitations
from tests.organisations.org_helpers import org_admin
from tests.test_query_counts import queries_for

pytestmark = pytest.mark.both_databases


def grow(org_id: int, admin_id: int, make_user, n: int, start: int) -> None:
    organisation, admin = db.session.get(Organisation, org_id), db.session.get(User, admin_id)
    for number in range(start, start + n):
        make_user("participant", org=organisation.name, name=f"Member {number}")
        invitations.invite(organisation, email=f"invitee{number}@northern.example", name="", role="participant", actor=admin)
        contacts.save(organisation, None, name=f"Desk {number}", email=f"desk{number}@northern.example",
                      roles=["forum_invitee", "log_recipient"], actor=admin)
    db.session.commit()


def test_the_management_page_and_audit_log_cost_the_same_for_3_or_30_members(browser, make_user, admin):
    own = org_admin(make_user)
    org_id, own_id = own.organisation_id, own.id
    grow(org_id, own_id, make_user, 3, 0)
    browser.login(own)
    small = [queries_for(browser, "/organisation"), queries_for(browser, f"/organisations/{org_id}/audit")]
    grow(org_id, own_id, make_user, 27, 3)
    large = [queries_for(browser, "/organisation"), queries_for(browser, f"/organisations/{org_id}/audit")]
    assert large == small
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("contact"))) == 30
