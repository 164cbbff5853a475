"""API tokens: made on the security page or by the CLI, shown once, stored hashed, revocable; a
request needs one (a signed-in browser's cookie is not enough), and the journal names it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from issues_tracker.api.models import ApiToken
from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.core.tokens import digest
from issues_tracker.models import IssueEvent
from tests.api.conftest import make_token
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases

TOKEN = re.compile(r"iit_[A-Za-z0-9_-]{43}")


def test_a_person_makes_a_token_on_the_security_page_and_sees_it_only_once(browser, participant):
    browser.login(participant)
    page = browser.post("/account/tokens", {"name": "ServiceNow sync", "scope": "read", "expires": "30"})
    assert page.status_code == 200
    shown = TOKEN.search(page.get_data(as_text=True)).group(0)
    stored = db.session.scalar(sa.select(ApiToken))
    assert stored.name == "ServiceNow sync" and stored.scope == "read"
    assert stored.token_hash == digest(shown) and shown not in stored.token_hash
    assert timedelta(days=29) < stored.expires_at - utcnow() <= timedelta(days=30)
    again = browser.get("/account/security").get_data(as_text=True)
    assert "ServiceNow sync" in again and shown not in again and stored.prefix in again


def test_a_token_without_a_name_is_refused_next_to_the_field(browser, participant):
    browser.login(participant)
    page = browser.post("/account/tokens", {"name": "  ", "scope": "write", "expires": ""})
    assert page.status_code == 422
    assert "Give the token a name" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_a_revoked_token_stops_working_at_once(browser, client, participant):
    token = make_token(participant, "read")
    assert client.get("/api/v1/issues", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    browser.login(participant)
    stored = db.session.scalar(sa.select(ApiToken))
    assert browser.post(f"/account/tokens/{stored.id}/revoke").status_code == 303
    refused = client.get("/api/v1/issues", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "expired or revoked" in refused.get_json()["detail"]


def test_nobody_revokes_another_persons_token(browser, participant, outsider):
    make_token(participant, "read")
    stored = db.session.scalar(sa.select(ApiToken))
    browser.login(outsider)
    assert browser.post(f"/account/tokens/{stored.id}/revoke").status_code == 404
    db.session.refresh(stored)
    assert stored.revoked_at is None


def test_an_expired_token_is_refused(client, participant):
    token = make_token(participant, "read", expires_days=1)
    stored = db.session.scalar(sa.select(ApiToken))
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/issues", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_signed_in_browser_without_a_token_gets_401(browser, participant):
    browser.login(participant)
    response = browser.get("/api/v1/issues")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["status"] == 401


def test_a_read_token_cannot_write(app, api_for, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    api = api_for(participant, "read")
    response = api.post(f"/api/v1/issues/{issue.id}/comments", json={"body": "Seen here too."})
    assert response.status_code == 403
    assert "only read" in response.get_json()["detail"]
    assert response.headers["Content-Type"] == "application/problem+json"


def test_the_token_records_when_it_was_last_used(api_for, participant):
    api = api_for(participant, "read")
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is None
    assert api.get("/api/v1/issues").status_code == 200
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None


def test_a_write_through_a_token_is_journalled_with_the_tokens_name(browser, api_for, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    api = api_for(participant, "write", name="Supplier desk bridge")
    assert api.post(f"/api/v1/issues/{issue.id}/comments", json={"body": "Also seen here."}).status_code == 201
    entry = db.session.scalar(sa.select(IssueEvent).where(IssueEvent.kind == "comment"))
    assert entry.via == "Supplier desk bridge" and entry.user_id == participant.id
    browser.login(participant)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "through the API token “Supplier desk bridge”" in page


def test_an_organisation_admin_makes_a_service_token_for_their_organisation(browser, make_user):
    admin = make_user("participant", org="Northern Supply Co", name="Olga Orgadmin")
    admin.organisation_admin = True
    db.session.commit()
    browser.login(admin)
    page = browser.post("/account/tokens", {"name": "Desk sync", "scope": "write", "expires": "", "service": "y"})
    assert page.status_code == 200
    stored = db.session.scalar(sa.select(ApiToken))
    assert stored.organisation_id == admin.organisation_id and stored.expires_at is None


def test_a_participant_who_is_not_an_organisation_admin_makes_no_service_token(browser, participant):
    browser.login(participant)
    page = browser.post("/account/tokens", {"name": "Desk sync", "scope": "write", "expires": "", "service": "y"})
    assert page.status_code == 422
    assert "admins and staff can make a service token" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_cli_prints_the_token_as_the_last_word_of_its_last_line(runner, client, participant):
    result = runner.invoke(args=["api", "token", "create", "--user", participant.email, "--name", "Nightly export",
                                 "--scope", "read", "--expires", "7"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1].split()[-1]
    assert TOKEN.fullmatch(token)
    assert client.get("/api/v1/issues", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_cli_refuses_an_unknown_account(runner):
    result = runner.invoke(args=["api", "token", "create", "--user", "nobody@example.org", "--name", "x", "--scope", "read"])
    assert result.exit_code != 0
    assert "There is no account nobody@example.org" in result.output
