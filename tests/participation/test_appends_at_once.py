"""Adding to an issue never conflicts with someone else adding at the same moment: two comments,
two organisations declaring they are affected, two people following (racing real requests)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from test_polls_concurrency import run_together, signed_in_browser

from issues_tracker.core.extensions import db
from issues_tracker.models import AffectedDeclaration, Comment, Follow, Issue
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases

ROUNDS = 4


def test_two_people_commenting_at_once_both_post_and_both_are_found(app, browser, staff, participant, outsider):
    issue_id = make_issue(participant, publish_by=staff).id
    first, second = signed_in_browser(app, browser, participant), signed_in_browser(app, browser, outsider)
    for round_ in range(ROUNDS):
        responses = run_together([
            lambda round_=round_: first.post(f"/issues/{issue_id}/comments", {"body": f"Wombat sighting {round_}"}),
            lambda round_=round_: second.post(f"/issues/{issue_id}/comments", {"body": f"Numbat sighting {round_}"}),
        ])
        assert [getattr(r, "status_code", r) for r in responses] == [303, 303]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 2 * ROUNDS
    for word in ("wombat", "numbat"):  # the search document holds both people's words
        page = first.get("/issues", query_string={"q": word, "status": "all"}).get_data(as_text=True)
        assert f'href="/issues/{issue_id}"' in page, word


def test_two_organisations_declaring_at_once_are_both_counted(app, browser, staff, participant, outsider, make_user):
    issue_id = make_issue(staff, publish_by=staff).id
    third = make_user("participant", org="Western Power")
    people = [signed_in_browser(app, browser, user) for user in (participant, outsider, third)]
    responses = run_together([lambda b=b: b.post(f"/issues/{issue_id}/affected", {"note": "Us too"}) for b in people])
    assert [getattr(r, "status_code", r) for r in responses] == [303, 303, 303]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AffectedDeclaration)) == 3
    assert db.session.get(Issue, issue_id).affected_org_count == 3


def test_colleagues_declaring_for_their_organisation_at_once_get_the_message_written_for_it(
        app, browser, staff, participant, colleague):
    issue_id = make_issue(staff, publish_by=staff).id
    for _ in range(ROUNDS):
        db.session.execute(sa.delete(AffectedDeclaration))
        db.session.execute(sa.update(Issue).where(Issue.id == issue_id).values(affected_org_count=0))
        db.session.commit()
        people = [signed_in_browser(app, browser, user) for user in (participant, colleague)]
        responses = run_together([
            lambda b=b: b.post(f"/issues/{issue_id}/affected", {"note": "Ours", "action": "declare"},
                               follow_redirects=True) for b in people
        ])
        assert [getattr(r, "status_code", r) for r in responses] == [200, 200]
        texts = " ".join(r.get_data(as_text=True) for r in responses)
        assert "conflicts with the current state" not in texts
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AffectedDeclaration)) == 1
        assert db.session.get(Issue, issue_id).affected_org_count == 1


def test_two_people_following_at_once_both_follow(app, browser, staff, participant, outsider):
    issue_id = make_issue(staff, publish_by=staff).id
    people = [signed_in_browser(app, browser, user) for user in (participant, outsider)]
    responses = run_together([lambda b=b: b.post(f"/issues/{issue_id}/follow", {"action": "follow"}) for b in people])
    assert [getattr(r, "status_code", r) for r in responses] == [303, 303]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Follow).where(Follow.issue_id == issue_id)) == 2
