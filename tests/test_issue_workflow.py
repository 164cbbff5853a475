import re

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import Issue, IssueAction, IssueEvent
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases


def edit_form(browser, issue_id) -> dict:
    """The staff editor's current values, as a browser would submit them."""
    html = browser.get(f"/issues/{issue_id}/edit").get_data(as_text=True)
    data: dict = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        if name not in ("services", "messages", "csrf_token"):
            data[name] = value
    for name in ("services", "messages"):
        data[name] = re.findall(rf'<input checked[^>]*name="{name}"[^>]*value="([^"]*)"', html) + re.findall(
            rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"[^>]*checked', html
        )
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option selected value="([^"]*)"', body)
        data[name] = selected.group(1) if selected else re.search(r'value="([^"]*)"', body).group(1)
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = body.strip()
    return data


def test_participant_sees_own_organisations_untriaged_issue(browser, participant, colleague):
    issue = make_issue(participant, summary="Our organisation's pending issue")
    browser.login(colleague)
    assert browser.get(f"/issues/{issue.id}").status_code == 200
    assert "Our organisation&#39;s pending issue" in browser.get("/issues").get_data(as_text=True)


def test_participant_cannot_see_other_organisations_untriaged_issue(browser, participant, outsider):
    issue = make_issue(participant, summary="Northern's pending issue")
    browser.login(outsider)
    assert browser.get(f"/issues/{issue.id}").status_code == 404
    assert "Northern" not in browser.get("/issues?q=pending").get_data(as_text=True)
    assert "Northern" not in browser.get("/issues.csv").get_data(as_text=True)


def test_published_issue_is_visible_to_the_industry(browser, participant, outsider, staff):
    issue = make_issue(participant, summary="Published industry issue")
    browser.login(staff)
    response = browser.post(f"/issues/{issue.id}/triage", {"decision": "publish"})
    assert response.status_code == 303
    browser.logout()
    browser.login(outsider)
    assert browser.get(f"/issues/{issue.id}").status_code == 200
    assert "Published industry issue" in browser.get("/issues").get_data(as_text=True)
    db.session.refresh(issue)
    assert issue.triage_state == "published" and issue.status == "Under investigation"


def test_rejection_needs_a_reason_and_the_submitter_sees_it(browser, participant, staff):
    issue = make_issue(participant, summary="Not really an industry issue")
    browser.login(staff)
    response = browser.post(f"/issues/{issue.id}/triage", {"decision": "reject", "reason": ""})
    assert response.status_code == 422
    assert "Say why the issue is rejected" in response.get_data(as_text=True)
    db.session.refresh(issue)
    assert issue.triage_state == "pending"

    browser.post(
        f"/issues/{issue.id}/triage", {"decision": "reject", "reason": "Single-party case: raise it with the service desk."}
    )
    browser.logout()
    browser.login(participant)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "Rejected" in page and "Single-party case: raise it with the service desk." in page


def test_participant_cannot_triage_or_edit(browser, participant):
    issue = make_issue(participant)
    browser.login(participant)
    assert browser.post(f"/issues/{issue.id}/triage", {"decision": "publish"}).status_code == 403
    assert browser.get(f"/issues/{issue.id}/edit").status_code == 403
    assert browser.post(f"/issues/{issue.id}/edit", {"status": "Resolved"}).status_code == 403
    db.session.refresh(issue)
    assert issue.triage_state == "pending" and issue.status == "New"


def test_staff_update_is_journalled_and_shown_on_the_timeline(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    browser.login(staff)
    data = edit_form(browser, issue.id)
    data.update(
        status="Fix in progress",
        root_cause="Throughput under load",
        owner_id=str(staff.id),
        progress_note="Platform provider is deploying extra capacity on Thursday.",
    )
    response = browser.post(f"/issues/{issue.id}/edit", data)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]

    # Oldest first, so the status change publishing made (New → Under investigation) is followed by this one.
    changes = db.session.scalars(sa.select(IssueEvent).where(IssueEvent.issue_id == issue.id, IssueEvent.kind == "change")
                                 .order_by(IssueEvent.id)).all()
    by_field = {event.field: event for event in changes}
    assert set(by_field) == {"status", "root_cause", "owner_id"}
    assert (by_field["status"].old_value, by_field["status"].new_value) == ("Under investigation", "Fix in progress")
    assert by_field["owner_id"].new_value == "Sam Staff"
    assert all(event.user_id == staff.id for event in changes)

    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "Platform provider is deploying extra capacity on Thursday." in page
    assert "Under investigation</del> → <ins>Fix in progress" in page
    assert "Last update <strong>today</strong>" in page


def test_saving_without_changes_records_nothing(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent))
    browser.login(staff)
    response = browser.post(f"/issues/{issue.id}/edit", edit_form(browser, issue.id))
    assert response.status_code == 303
    assert "Nothing changed" in browser.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent)) == before


def test_resolving_sets_resolved_time_and_reopening_clears_it(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    browser.login(staff)
    browser.post(f"/issues/{issue.id}/edit", dict(edit_form(browser, issue.id), status="Resolved",
                                                   resolution_description="Schema guidance corrected"))
    db.session.refresh(issue)
    assert issue.resolved_at is not None
    browser.post(f"/issues/{issue.id}/edit", dict(edit_form(browser, issue.id), status="Monitoring"))
    db.session.refresh(issue)
    assert issue.resolved_at is None


def test_concurrent_edits_cannot_silently_overwrite(browser, app, participant, staff, make_user):
    issue = make_issue(participant, publish_by=staff)
    other_staff = make_user("staff", org="Elexon", name="Olu Other")
    browser.login(staff)
    mine = edit_form(browser, issue.id)

    second = app.test_client()
    from tests.conftest import Browser

    theirs_browser = Browser(second)
    theirs_browser.login(other_staff)
    theirs = edit_form(theirs_browser, issue.id)
    assert theirs_browser.post(f"/issues/{issue.id}/edit", dict(theirs, status="Monitoring")).status_code == 303

    response = browser.post(
        f"/issues/{issue.id}/edit", dict(mine, status="Known behaviour", progress_note="My carefully written note")
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this issue after you opened it" in text
    assert "My carefully written note" in text  # the user's input is kept
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "Monitoring"
    assert not db.session.scalar(sa.select(IssueEvent.id).where(IssueEvent.note == "My carefully written note"))

    # Saving again from the refreshed form (it now carries the new version) works.
    retry = dict(mine, status="Known behaviour", progress_note="My carefully written note")
    retry["version"] = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', text).group(1) or ""
    assert browser.post(f"/issues/{issue.id}/edit", retry).status_code == 303
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "Known behaviour"


def test_bad_staff_input_is_refused(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    browser.login(staff)
    data = edit_form(browser, issue.id)
    for field, value in (("status", "Exploded"), ("owner_id", "999999"), ("owner_id", "x"), ("target_date", "31/31/2026"), ("target_date", "0001-01-01"), ("target_date", "9999-12-31")):
        response = browser.post(f"/issues/{issue.id}/edit", dict(data, **{field: value}))
        assert response.status_code == 422, field
    db.session.refresh(issue)
    assert issue.status == "Under investigation"


def test_staff_add_and_update_actions(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    browser.login(staff)
    response = browser.post(
        f"/issues/{issue.id}/actions",
        {"description": "Publish revised schema guidance", "owner_name": "Ian Giles", "due_date": "2026-05-01", "status": "Open"},
    )
    assert response.status_code == 303
    action = db.session.scalar(sa.select(IssueAction))
    assert action.owner_name == "Ian Giles" and action.due_date.isoformat() == "2026-05-01"

    response = browser.post(f"/issues/{issue.id}/actions/{action.id}", {"status": "Done"})
    assert response.status_code == 303
    db.session.refresh(action)
    assert action.status == "Done"
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "Publish revised schema guidance" in page and "Ian Giles" in page
    assert "set an action to <strong>Done</strong>" in page


def test_action_needs_description_and_owner(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    browser.login(staff)
    response = browser.post(f"/issues/{issue.id}/actions", {"description": "Do it", "owner_name": "Sam", "due_date": "0001-01-01"})
    assert response.status_code == 422
    assert "Enter a date between 2000 and 2100." in response.get_data(as_text=True)
    response = browser.post(f"/issues/{issue.id}/actions", {"description": "", "owner_name": "", "due_date": "soon"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Describe the action." in text and "Name who owns the action." in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueAction)) == 0


def test_action_of_another_issue_is_not_found(browser, participant, staff):
    first = make_issue(participant, publish_by=staff)
    second = make_issue(participant, publish_by=staff)
    browser.login(staff)
    browser.post(f"/issues/{first.id}/actions", {"description": "Do it", "owner_name": "Sam", "status": "Open"})
    action = db.session.scalar(sa.select(IssueAction))
    assert browser.post(f"/issues/{second.id}/actions/{action.id}", {"status": "Done"}).status_code == 404
    assert browser.post(f"/issues/{first.id}/actions/{action.id}", {"status": "Exploded"}).status_code == 400


def test_triage_decisions_fit_the_issues_state(browser, participant, staff, outsider):
    issue = make_issue(participant, publish_by=staff)
    browser.login(staff)
    response = browser.post(f"/issues/{issue.id}/triage", {"decision": "reject", "reason": "stale form"})
    assert response.status_code == 409
    assert "already published" in response.get_data(as_text=True)
    db.session.refresh(issue)
    assert issue.triage_state == "published"

    rejected = make_issue(participant)
    browser.post(f"/issues/{rejected.id}/triage", {"decision": "reject", "reason": "Raise it with the service desk."})
    assert browser.post(f"/issues/{rejected.id}/triage", {"decision": "reject", "reason": "again"}).status_code == 409
    assert browser.post(f"/issues/{rejected.id}/triage", {"decision": "publish"}).status_code == 303
    db.session.refresh(rejected)
    assert rejected.triage_state == "published" and rejected.rejection_reason == ""


def test_staff_can_update_an_issue_that_names_no_service(browser, staff, app, seeded_database):
    issue = db.session.scalar(sa.select(Issue).where(Issue.source_ref == "pack-2026-04:3"))
    assert list(issue.services) == []
    browser.login(staff)
    response = browser.post(f"/issues/{issue.id}/edit", dict(edit_form(browser, issue.id), status="Monitoring"))
    assert response.status_code == 303
    db.session.refresh(issue)
    assert issue.status == "Monitoring"
    home = browser.get("/").get_data(as_text=True)
    assert "Not specified <span>1</span>" in home
