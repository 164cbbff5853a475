"""In real Chromium: a participant escalates an issue from its page and sees it on /escalations;
the programme, the pipeline and escalations fit a 390 px phone and a desktop without clipping
or sideways scrolling, with no serious accessibility problems."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from issues_tracker.core.extensions import db
from issues_tracker.escalations import operations as escalation_service
from issues_tracker.escalations.models import Escalation
from issues_tracker.improvements import pipeline
from issues_tracker.improvements.models import ImprovementAction
from issues_tracker.improvements.seed import seed_programme
from tests.browser.conftest import axe_violations, sign_in
from tests.browser.test_phone_and_meeting_room import CLIPPED, PHONE, SIZES
from tests.helpers import make_issue

pytestmark = pytest.mark.browser


@pytest.fixture
def sized(chromium, live_server, request):
    """A page at the size the test asks for (indirect parameter)."""
    context = chromium.new_context(base_url=live_server, viewport=request.param)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    page.viewport = request.param
    yield page
    context.close()


def test_a_participant_escalates_an_issue_and_sees_it_on_escalations(page, staff, participant):
    issue = make_issue(participant, publish_by=staff, summary="Late D0010 flows from one MDS")
    sign_in(page, participant)
    page.goto(f"/issues/{issue.id}")
    page.get_by_role("button", name="Escalate", exact=True).click()
    expect(page.get_by_role("heading", name="When to escalate")).to_be_visible()
    expect(page.get_by_label("Its original reference")).to_have_value(issue.reference)

    # Sent without the confirmation: told why, with what was typed kept.
    page.get_by_label("Materially overdue").check()
    page.get_by_label("Elexon case / incident route").check()
    page.get_by_label("What has happened and what do you need?").fill("No update for three weeks; 40 sites unbilled.")
    page.get_by_role("button", name="Escalate", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text("not a substitute for normal case updates")
    expect(page.get_by_label("What has happened and what do you need?")).to_have_value(
        "No update for three weeks; 40 sites unbilled.")
    assert axe_violations(page) == []

    page.get_by_label("I have chased it through normal case updates").check()
    page.get_by_role("button", name="Escalate", exact=True).click()
    page.wait_for_url("**/escalations/*")
    expect(page.locator("h1")).to_contain_text(issue.reference)
    expect(page.get_by_text("Level 1 – Service Desk team lead").first).to_be_visible()

    page.get_by_role("link", name="Escalations", exact=True).first.click()
    page.wait_for_url("**/escalations")
    row = page.locator("tbody tr").filter(has_text=issue.reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Awaiting acknowledgement")
    expect(row).to_contain_text("Materially overdue")
    assert axe_violations(page) == []
    # Chromium logs the first attempt's 422 status itself; nothing else may appear.
    assert [problem for problem in page.problems if "status of 422" not in problem] == []
    escalation = db.session.scalar(sa.select(Escalation))
    assert escalation.reference == issue.reference and escalation.raised_by_id == participant.id


@pytest.fixture
def programme_and_escalation(staff, participant):
    seed_programme(date(2026, 12, 5))
    improvement = pipeline.propose(participant, {"title": "Show the PIR due date on the incident page",
                                                 "description": "We cannot tell when the PIR is due."})
    pipeline.triage(improvement, staff, {"state": "accepted", "value_score": 4, "effort_score": 2, "phase": 3,
                                         "owner_name": "Joe Andrews", "note": "A quick win."}, expected_version=None)
    issue = make_issue(participant, publish_by=staff)
    escalation = escalation_service.raise_escalation(participant, {
        "subject_kind": "issue", "reference": issue.reference, "reason": "blocked", "route": "supplier",
        "blocking_party": "Acme Meter Services (MOP)", "detail": "Supplier has not answered for two weeks."})
    db.session.commit()
    action = db.session.scalar(sa.select(ImprovementAction).order_by(ImprovementAction.id))
    return {"home": "/", "programme": "/improvements", "action": f"/improvements/actions/{action.id}",
            "improvement": f"/improvements/{improvement.id}", "propose": "/improvements/propose",
            "escalations": "/escalations", "escalate": "/escalations/new", "escalation": f"/escalations/{escalation.id}"}


@pytest.mark.parametrize("sized", SIZES, indirect=True)
def test_the_new_screens_fit_a_phone_and_a_desktop(sized, staff, programme_and_escalation):
    sign_in(sized, staff)  # staff see every form on these pages
    for name, path in programme_and_escalation.items():
        sized.goto(path)
        result = sized.evaluate(CLIPPED)
        assert result["found"] == [], (name, result["found"])
        assert result["scrollWidth"] <= result["width"], (name, result)
        if name in ("programme", "escalation", "escalate"):
            assert axe_violations(sized) == [], name
    if sized.viewport == PHONE:
        sized.goto("/improvements")
        first = sized.locator("table.stack-table tbody tr").first
        assert first.evaluate("row => getComputedStyle(row).display") == "block"  # a card, not a table row
    assert sized.problems == []
