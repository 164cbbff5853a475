"""Staff preparing the Monday log: a week picker, revision fields only for a published
week, and a revision offered after the commentary of a published week changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from issues_tracker.core.extensions import db
from issues_tracker.log import operations as log_service
from issues_tracker.log import weeks as log_weeks
from tests.helpers import make_issue


@pytest.fixture
def week():
    return log_weeks.current_week()


def publish_panel(page: str) -> str:
    start = page.index('id="publish-panel"')
    return page[start:page.index("</form>", start)]


def test_the_week_is_chosen_with_a_date_picker_that_offers_mondays(browser, staff):
    browser.login(staff)
    panel = publish_panel(browser.get("/log").get_data(as_text=True))
    week_input = re.search(r'<input[^>]*id="week"[^>]*>', panel).group(0)
    assert 'type="date"' in week_input and 'step="7"' in week_input and 'min="2000-01-03"' in week_input


def test_revision_fields_appear_only_when_the_week_is_published(browser, staff, participant, week):
    browser.login(staff)
    panel = publish_panel(browser.get("/log").get_data(as_text=True))
    assert "Reason for the revision" not in panel and 'name="revise"' not in panel

    make_issue(participant, publish_by=staff)
    log_service.publish_log(week, user=staff)
    db.session.commit()
    panel = publish_panel(browser.get("/log").get_data(as_text=True))
    assert "Reason for the revision" in panel and 'name="revise"' in panel
    assert "is published (revision 1" in panel


def test_choosing_another_week_swaps_in_its_panel(browser, staff, participant, week):
    make_issue(participant, publish_by=staff)
    last_week = week - timedelta(days=7)
    log_service.publish_log(last_week, user=staff)
    db.session.commit()
    browser.login(staff)
    page = browser.get("/log").get_data(as_text=True)
    assert 'hx-get="/log/publish" hx-trigger="change"' in page

    published = browser.get(f"/log/publish?week={last_week.isoformat()}", headers={"HX-Request": "true"})
    assert published.status_code == 200 and "<html" not in published.get_data(as_text=True)
    assert "Reason for the revision" in published.get_data(as_text=True)
    unpublished = browser.get(f"/log/publish?week={week.isoformat()}", headers={"HX-Request": "true"})
    assert "Reason for the revision" not in unpublished.get_data(as_text=True)

    tuesday = browser.get(f"/log/publish?week={(week + timedelta(days=1)).isoformat()}", headers={"HX-Request": "true"})
    assert tuesday.status_code == 422 and "Choose a Monday" in tuesday.get_data(as_text=True)
    # Without JavaScript the same address leads to the page with that week chosen.
    plain = browser.get(f"/log/publish?week={last_week.isoformat()}")
    assert plain.status_code == 303 and f"week={last_week.isoformat()}" in plain.headers["Location"]
    chosen = browser.get(plain.headers["Location"]).get_data(as_text=True)
    assert f'value="{last_week.isoformat()}"' in publish_panel(chosen)


def test_a_revision_without_a_reason_marks_the_reason_field_not_the_week(browser, staff, participant, week):
    make_issue(participant, publish_by=staff)
    log_service.publish_log(week, user=staff)
    db.session.commit()
    browser.login(staff)
    response = browser.post("/log/publish", {"week": week.isoformat(), "revise": "y", "reason": ""}, htmx=True)
    assert response.status_code == 422
    panel = response.get_data(as_text=True)
    assert re.search(r'<textarea[^>]*aria-invalid="true"[^>]*name="reason"|<textarea[^>]*name="reason"[^>]*aria-invalid="true"', panel)
    assert not re.search(r'<input[^>]*aria-invalid="true"[^>]*id="week"', panel)
    assert 'href="#reason"' in panel and "Say what the revision corrects" in panel


def test_a_reason_without_a_revision_marks_the_reason_field(browser, staff, participant, week):
    browser.login(staff)
    response = browser.post("/log/publish", {"week": week.isoformat(), "reason": "Just because"}, htmx=True)
    assert response.status_code == 422
    panel = response.get_data(as_text=True)
    assert 'href="#reason"' in panel and 'href="#week"' not in panel
    assert "Reason for the revision" in panel  # shown, with its message, because it was used


def test_saving_commentary_for_a_published_week_offers_a_revision_with_the_reason_filled_in(browser, staff, participant, week):
    make_issue(participant, publish_by=staff)
    log_service.publish_log(week, user=staff)
    db.session.commit()
    browser.login(staff)
    response = browser.post(f"/log/commentary/{week.isoformat()}", {"trends": "Rejections halved.", "emerging_risks": "",
                                                                     "decisions_required": ""})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/log?week={week.isoformat()}&revise=1#publish-panel"
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "publish a revision now to include it" in page
    panel = publish_panel(page)
    assert re.search(r'<input checked[^>]*name="revise"|<input[^>]*name="revise"[^>]*checked', panel)
    assert "The staff commentary was updated after publication." in panel
    assert "Publish a revision</button>" in panel


def test_saving_commentary_for_an_unpublished_week_offers_no_revision(browser, staff, week):
    browser.login(staff)
    response = browser.post(f"/log/commentary/{week.isoformat()}", {"trends": "Quiet week."})
    assert response.headers["Location"] == "/log"
    panel = publish_panel(browser.get("/log?week=" + week.isoformat() + "&revise=1").get_data(as_text=True))
    assert "Reason for the revision" not in panel  # nothing published to revise
