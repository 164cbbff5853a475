"""The issues through the API: the same filters, sorts and visibility as /issues, pages by cursor,
ETags, submissions, staff updates guarded by If-Match, comments, follows and "affected too"."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service
from issues_tracker.models import AffectedDeclaration, Comment, Follow, Issue, IssueEvent
from tests.helpers import VALID_SUBMISSION, make_issue

pytestmark = pytest.mark.both_databases


def test_the_list_has_numeric_ids_and_references(api_for, participant, staff):
    issue = make_issue(participant, publish_by=staff, summary="Settlement run delayed")
    body = api_for(participant, "read").get("/api/v1/issues").get_json()
    assert body["items"][0]["id"] == issue.id
    assert body["items"][0]["reference"] == f"IIT-{issue.id:04d}"
    assert body["items"][0]["summary"] == "Settlement run delayed"
    assert body["next_cursor"] is None


def test_another_organisations_pending_issue_never_appears(api_for, participant, outsider, staff):
    mine = make_issue(participant)
    theirs = make_issue(outsider, summary="Their own pending submission")
    published = make_issue(outsider, publish_by=staff, summary="Published for everyone")
    api = api_for(participant, "read")
    listed = {item["id"] for item in api.get("/api/v1/issues?status=all").get_json()["items"]}
    assert listed == {mine.id, published.id}
    assert api.get("/api/v1/issues?status=all").get_json()["total"] == 2
    hidden = api.get(f"/api/v1/issues/{theirs.id}")
    missing = api.get("/api/v1/issues/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["detail"] == missing.get_json()["detail"]
    assert "Their own pending" not in hidden.get_data(as_text=True)
    staff_view = {item["id"] for item in api_for(staff, "read").get("/api/v1/issues?status=all").get_json()["items"]}
    assert staff_view == {mine.id, theirs.id, published.id}


def test_filters_and_sorts_are_those_of_the_list_page(api_for, participant, staff):
    dip = make_issue(participant, publish_by=staff, services=["DIP"], severity=1)
    isd = make_issue(participant, publish_by=staff, services=["ISD"], severity=3)
    api = api_for(participant, "read")
    assert [i["id"] for i in api.get("/api/v1/issues?service=DIP").get_json()["items"]] == [dip.id]
    assert [i["id"] for i in api.get("/api/v1/issues?sort=id").get_json()["items"]] == [dip.id, isd.id]
    with_search = api.get("/api/v1/issues?q=visibility&service=ISD").get_json()["items"]
    assert [i["id"] for i in with_search] == [isd.id]
    issue_service.update_issue(isd, {"status": "Resolved", "resolution_description": "Fixed"}, staff, expected_version=None)
    db.session.commit()
    assert [i["id"] for i in api.get("/api/v1/issues").get_json()["items"]] == [dip.id]
    assert {i["id"] for i in api.get("/api/v1/issues?status=all").get_json()["items"]} == {dip.id, isd.id}
    assert [i["id"] for i in api.get("/api/v1/issues?status=Resolved").get_json()["items"]] == [isd.id]


def test_a_bad_filter_is_a_problem_naming_the_field(api_for, participant):
    response = api_for(participant, "read").get("/api/v1/issues?service=NOPE&colour=red")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    fields = {error["field"] for error in response.get_json()["errors"]}
    assert fields == {"service", "colour"}


def test_pages_follow_the_cursor_in_the_link_header(api_for, participant, staff):
    made = [make_issue(participant, publish_by=staff, summary=f"Issue number {n}") for n in range(5)]
    api = api_for(participant, "read")
    seen = []
    url = "/api/v1/issues?sort=id&limit=2"
    while url:
        response = api.get(url)
        assert response.status_code == 200
        seen += [item["id"] for item in response.get_json()["items"]]
        link = response.headers.get("Link")
        url = re.match(r'<http://[^/]+(/[^>]+)>; rel="next"', link).group(1) if link else None
    assert seen == [issue.id for issue in made]
    bad = api.get("/api/v1/issues?cursor=not-a-cursor")
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "cursor"


def test_detail_has_journal_actions_comments_and_affected_counts(api_for, participant, outsider, staff):
    issue = make_issue(participant, publish_by=staff)
    issue_service.add_action(issue, staff, {"description": "Share guidance", "owner_name": "Joe"})
    db.session.commit()
    api_for(outsider).put(f"/api/v1/issues/{issue.id}/affected", json={"note": "Our flows too"})
    api_for(outsider).post(f"/api/v1/issues/{issue.id}/comments", json={"body": "Seen at Eastern too."})
    body = api_for(participant, "read").get(f"/api/v1/issues/{issue.id}").get_json()
    assert body["reference"] == issue.reference and body["version"] == issue.version
    assert [entry["kind"] for entry in body["journal"]][-1] == "created"
    assert body["actions"][0]["description"] == "Share guidance"
    assert body["comments"][0]["body"] == "Seen at Eastern too."
    assert body["affected"]["organisations"] == 1 and body["affected"]["declared_by_my_organisation"] is False


def test_an_unchanged_issue_answers_304_to_its_etag(api_for, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    api = api_for(participant, "read")
    first = api.get(f"/api/v1/issues/{issue.id}")
    etag = first.headers["ETag"]
    assert api.get(f"/api/v1/issues/{issue.id}", headers={"If-None-Match": etag}).status_code == 304
    api_for(staff).post(f"/api/v1/issues/{issue.id}/comments", json={"body": "An update from staff."})
    assert api.get(f"/api/v1/issues/{issue.id}", headers={"If-None-Match": etag}).status_code == 200


def test_a_participant_submits_an_issue_that_awaits_triage(api_for, participant, outsider):
    data = {**VALID_SUBMISSION, "severity": 2}
    response = api_for(participant).post("/api/v1/issues", json=data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["triage_state"] == "pending" and body["status"] == "New" and body["services"] == ["DIP"]
    assert body["service_desk_refs"] == "CS0016629, INC0126133"
    assert response.headers["Location"].endswith(f"/api/v1/issues/{body['id']}")
    assert api_for(outsider, "read").get(f"/api/v1/issues/{body['id']}").status_code == 404
    assert db.session.scalar(sa.select(Follow.user_id).where(Follow.issue_id == body["id"])) == participant.id


def test_a_submission_with_bad_fields_lists_each_and_stores_nothing(api_for, participant):
    response = api_for(participant).post("/api/v1/issues", json={"summary": "ok?", "services": ["Mars"], "severity": 9,
                                                                  "supplier_impact": "lots"})
    assert response.status_code == 422
    fields = {error["field"] for error in response.get_json()["errors"]}
    assert {"summary", "services.0", "severity", "supplier_impact", "description"} <= fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 0


def test_bad_json_is_a_problem_never_a_server_error(api_for, participant):
    api = api_for(participant)
    for body, content_type in ((b"{not json", "application/json"), (b"[1, 2]", "application/json"),
                               (b"\xff\xfe", "application/json"), (b"summary=x", "application/x-www-form-urlencoded")):
        response = api.client.post("/api/v1/issues", data=body, headers=api.headers({"Content-Type": content_type}))
        assert response.status_code in (400, 415)
        assert response.headers["Content-Type"] == "application/problem+json"


def test_staff_update_an_issue_with_its_version_and_a_stale_version_gets_412(api_for, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    api = api_for(staff, name="Triage robot")
    version = api.get(f"/api/v1/issues/{issue.id}").get_json()["version"]
    changed = api.patch(f"/api/v1/issues/{issue.id}", json={"status": "Fix in progress", "progress_note": "Patch due"},
                        headers={"If-Match": f'"{version}"'})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["status"] == "Fix in progress" and changed.get_json()["version"] == version + 1
    stale = api.patch(f"/api/v1/issues/{issue.id}", json={"status": "Monitoring"}, headers={"If-Match": f'"{version}"'})
    assert stale.status_code == 412
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "Fix in progress"
    entry = db.session.scalar(sa.select(IssueEvent).where(IssueEvent.field == "status").order_by(IssueEvent.id.desc()))
    assert entry.via == "Triage robot"
    assert api.patch(f"/api/v1/issues/{issue.id}", json={"status": "Monitoring"}).status_code == 428


def test_resolving_without_a_resolution_is_refused_with_the_field_named(api_for, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    response = api_for(staff).patch(f"/api/v1/issues/{issue.id}", json={"status": "Resolved"},
                                    headers={"If-Match": str(issue.version)})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "resolution_description"


def test_participants_cannot_update_issues(api_for, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    response = api_for(participant).patch(f"/api/v1/issues/{issue.id}", json={"status": "Closed"},
                                          headers={"If-Match": str(issue.version)})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "Under investigation"


def test_comments_follows_and_affected_declarations(api_for, participant, outsider, staff):
    issue = make_issue(participant, publish_by=staff)
    api = api_for(outsider)
    comment = api.post(f"/api/v1/issues/{issue.id}/comments", json={"body": "We see this on *every* run."})
    assert comment.status_code == 201 and comment.get_json()["author"] == "Olive Outsider"
    assert db.session.scalar(sa.select(Comment.body)) == "We see this on *every* run."
    empty = api.post(f"/api/v1/issues/{issue.id}/comments", json={"body": ""})
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["field"] == "body"
    assert api.delete(f"/api/v1/issues/{issue.id}/follow").get_json()["following"] is False
    assert api.put(f"/api/v1/issues/{issue.id}/follow").get_json()["following"] is True
    declared = api.put(f"/api/v1/issues/{issue.id}/affected", json={"note": "Two flows", "meter_points": 1200})
    assert declared.status_code == 200 and declared.get_json()["declared_by_my_organisation"] is True
    assert db.session.scalar(sa.select(AffectedDeclaration.meter_points)) == 1200
    assert api.delete(f"/api/v1/issues/{issue.id}/affected").get_json()["organisations"] == 0
    assert api_for(staff).put(f"/api/v1/issues/{issue.id}/affected", json={}).status_code == 403


def test_nothing_about_a_hidden_issue_can_be_written(api_for, participant, outsider):
    theirs = make_issue(outsider)
    api = api_for(participant)
    assert api.post(f"/api/v1/issues/{theirs.id}/comments", json={"body": "Hello"}).status_code == 404
    assert api.put(f"/api/v1/issues/{theirs.id}/follow").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_requests_are_limited_per_token_with_ratelimit_headers(database_url, participant, staff):
    from issues_tracker import create_app
    from issues_tracker.core.extensions import limiter
    from tests.api.conftest import Api, make_token
    from tests.conftest import SECRET

    limited = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": database_url,
                          "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", "API_RATE_LIMIT": "3 per minute"})
    try:
        limiter.reset()
        api = Api(limited.test_client(), make_token(participant, "read"))
        other = Api(limited.test_client(), make_token(staff, "read"))
        answers = [api.get("/api/v1/issues") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["RateLimit-Limit"] == "3"
        assert answers[1].headers["RateLimit-Remaining"] == "1"
        assert answers[3].headers["Content-Type"] == "application/problem+json"
        assert "Retry-After" in answers[3].headers
        assert other.get("/api/v1/issues").status_code == 200
    finally:
        limiter.reset()
        limiter.enabled = False


def test_large_answers_are_gzipped_when_the_client_accepts_it(api_for, participant, staff):
    import gzip
    import json

    for n in range(12):
        make_issue(participant, publish_by=staff, summary=f"Settlement message rejected number {n}")
    api = api_for(participant, "read")
    plain = api.get("/api/v1/issues")
    packed = api.get("/api/v1/issues", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()


def test_the_owner_filter_takes_a_member_of_staff(api_for, participant, staff):
    owned = make_issue(participant, publish_by=staff)
    make_issue(participant, publish_by=staff)
    issue_service.update_issue(owned, {"owner_id": staff.id}, staff, expected_version=None)
    db.session.commit()
    api = api_for(participant, "read")
    assert [i["id"] for i in api.get(f"/api/v1/issues?owner={staff.id}").get_json()["items"]] == [owned.id]
    assert api.get(f"/api/v1/issues?owner={participant.id}").status_code == 400


def test_staff_add_actions_and_participants_cannot(api_for, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    action = {"description": "Share guidance with suppliers", "owner_name": "Joe Andrews", "due_date": "2026-05-01"}
    added = api_for(staff).post(f"/api/v1/issues/{issue.id}/actions", json=action)
    assert added.status_code == 201 and added.get_json()["due_date"] == "2026-05-01"
    assert api_for(participant).post(f"/api/v1/issues/{issue.id}/actions", json=action).status_code == 403
    absurd = api_for(staff).post(f"/api/v1/issues/{issue.id}/actions", json={**action, "due_date": "9999-01-01"})
    assert absurd.status_code == 422 and absurd.get_json()["errors"][0]["field"] == "due_date"
    assert [a["description"] for a in api_for(participant, "read").get(f"/api/v1/issues/{issue.id}").get_json()["actions"]] \
        == ["Share guidance with suppliers"]


def test_saved_views_with_the_address_of_their_issues(api_for, participant, staff):
    from issues_tracker.issues.queries import IssueQuery
    from issues_tracker.participation import saved_views

    dip = make_issue(participant, publish_by=staff, services=["DIP"])
    make_issue(participant, publish_by=staff, services=["ISD"])
    saved_views.save_view(participant, "DIP issues", IssueQuery(service="DIP", status="open"), follow=True)
    db.session.commit()
    api = api_for(participant, "read")
    view = api.get("/api/v1/views").get_json()["items"][0]
    assert view["name"] == "DIP issues" and view["following"] is True
    path = view["issues"].split("://", 1)[1].split("/", 1)[1]
    assert [i["id"] for i in api.get("/" + path).get_json()["items"]] == [dip.id]
