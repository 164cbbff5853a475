"""The forum actions log: SMF-n actions, filters, updates with history, links to issues."""

from __future__ import annotations

import re
import threading
from datetime import date

import pytest
import sqlalchemy as sa
from forum_builders import make_action, make_meeting
from helpers import make_issue

from issues_tracker.core.extensions import db
from issues_tracker.forum import operations as forum_service
from issues_tracker.models import ForumAction, ForumActionUpdate, Meeting

pytestmark = pytest.mark.both_databases


def numbers_in(page: str) -> list[str]:
    return re.findall(r'<a href="/actions/\d+">(SMF-\d+)</a>', page)


def test_actions_log_shows_the_packs_actions_with_owner_date_status_and_latest_update(browser, participant, seeded_database):
    browser.login(participant)
    page = browser.get("/actions").get_data(as_text=True)
    assert numbers_in(page) == ["SMF-7", "SMF-13", "SMF-14", "SMF-15", "SMF-16", "SMF-17", "SMF-18"]
    row = page[page.index(">SMF-14<"):page.index(">SMF-15<")]
    assert "Sam Young" in row and "10 Mar 2026" in row
    assert 'pill-active">Open<' in row
    assert "Version II: Carried out review of all incident communications channels" in row
    assert "Raise an action" not in page  # participants read the log; staff keep it


def test_filtering_by_status_swaps_only_the_results_and_the_same_url_works_without_javascript(browser, participant, seeded_database):
    browser.login(participant)

    fragment = browser.get("/actions?status=Open", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers["Vary"]
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and 'id="action-results"' in text
    assert numbers_in(text) == ["SMF-13", "SMF-14"]

    page = browser.get("/actions?status=Open").get_data(as_text=True)
    assert "<html" in page and numbers_in(page) == ["SMF-13", "SMF-14"]
    assert 'hx-push-url="true"' in page and 'hx-target="#action-results"' in page


def test_filtering_by_owner_and_status_together(browser, participant, seeded_database):
    browser.login(participant)
    page = browser.get("/actions?owner=Ian+Giles&status=Propose+Close").get_data(as_text=True)
    assert numbers_in(page) == ["SMF-7", "SMF-17", "SMF-18"]
    page = browser.get("/actions?status=not-closed&owner=Joe+Andrews").get_data(as_text=True)
    assert numbers_in(page) == ["SMF-13"]


def test_unknown_filter_value_is_reported_and_ignored(browser, participant, seeded_database):
    browser.login(participant)
    response = browser.get("/actions?status=Sideways")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Not one of the listed choices, so this filter was ignored." in page
    assert len(numbers_in(page)) == 7


def test_staff_raise_an_action_with_the_next_smf_number(browser, staff, seeded_database):
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.meeting_date == date(2026, 4, 14)))
    browser.login(staff)
    form_page = browser.get(f"/actions/new?meeting_id={meeting.id}").get_data(as_text=True)
    assert f'<option selected value="{meeting.id}">' in form_page

    response = browser.post("/actions/new", {
        "description": "Publish the PIR tracker on the portal", "owner_name": "Ian Giles",
        "date_raised": "2026-04-14", "meeting_id": str(meeting.id), "status": "Open",
    })

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/actions/19")
    action = forum_service.get_action(19)
    assert (action.code, action.owner_name, action.meeting_id, action.status) == ("SMF-19", "Ian Giles", meeting.id, "Open")
    page = browser.get("/actions/19").get_data(as_text=True)
    assert "Action raised" in page and "Sam Staff" in page


def test_action_form_explains_missing_details_and_saves_nothing(browser, staff):
    browser.login(staff)
    response = browser.post("/actions/new", {"description": "", "owner_name": "", "date_raised": "14/04/2026",
                                             "status": "Maybe"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("Describe the action.", "Name who owns the action.", "Not a valid date value", "Not a valid choice"):
        assert message in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumAction)) == 0


def test_actions_raised_at_the_same_moment_get_different_numbers(app, staff):
    make_action(staff)  # SMF-1
    staff_id = staff.id
    barrier = threading.Barrier(8)
    numbers, errors = [], []

    def raise_action(i):
        with app.app_context():
            try:
                user = db.session.get(type(staff), staff_id)
                barrier.wait(timeout=30)
                action = forum_service.create_action(
                    {"description": f"Action {i}", "owner_name": "Sam Young", "date_raised": date(2026, 4, 14)}, user
                )
                db.session.commit()
                numbers.append(action.number)
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

    threads = [threading.Thread(target=raise_action, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(numbers) == list(range(2, 10))


def test_staff_record_a_status_change_with_an_update(browser, staff, seeded_database):
    browser.login(staff)
    response = browser.post("/actions/13/updates", {"status": "Propose Close", "text": "Backlog presented at the April Forum."})

    assert response.status_code == 303
    action = forum_service.get_action(13)
    assert action.status == "Propose Close"
    latest = action.updates[0]
    assert (latest.old_status, latest.new_status, latest.text, latest.user_id) == (
        "Open", "Propose Close", "Backlog presented at the April Forum.", staff.id)
    page = browser.get("/actions/13").get_data(as_text=True)
    assert "<del>Open</del> → <ins>Propose Close</ins>" in page
    assert "Backlog presented at the April Forum." in page
    assert "Backlog presented at the April Forum." in browser.get("/actions").get_data(as_text=True)


def test_an_update_note_alone_keeps_the_status(browser, staff, seeded_database):
    browser.login(staff)
    assert browser.post("/actions/14/updates", {"status": "Open", "text": "Draft SLA options shared."}).status_code == 303
    action = forum_service.get_action(14)
    assert action.status == "Open"
    assert action.updates[0].text == "Draft SLA options shared."


def test_an_update_that_changes_nothing_is_refused(browser, staff, seeded_database):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ForumActionUpdate))
    browser.login(staff)
    response = browser.post("/actions/14/updates", {"status": "Open", "text": "  "})
    assert response.status_code == 422
    assert "Change the status or write an update; nothing was recorded." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumActionUpdate)) == before


def test_participants_read_actions_but_cannot_update_them(browser, participant, seeded_database):
    browser.login(participant)
    page = browser.get("/actions/14").get_data(as_text=True)
    assert "Version II" in page and "Record an update" not in page
    assert browser.post("/actions/14/updates", {"status": "Closed", "text": "Closing it myself"}).status_code == 403
    assert forum_service.get_action(14).status == "Open"


def test_editing_an_action_journals_what_changed(browser, staff, seeded_database):
    browser.login(staff)
    action = forum_service.get_action(16)
    response = browser.post("/actions/16/edit", {
        "description": action.description, "owner_name": "Joe Andrews", "date_raised": "2026-03-10",
        "meeting_id": str(action.meeting_id),
    })
    assert response.status_code == 303
    db.session.expire_all()
    action = forum_service.get_action(16)
    assert action.owner_name == "Joe Andrews" and action.status == "Propose Close"
    assert action.updates[0].text == "Owner: Sam Young → Joe Andrews."


def test_action_links_to_an_issue_only_people_who_may_see_it_are_shown(browser, staff, participant, colleague, outsider):
    pending = make_issue(participant, summary="Supplier-only submission awaiting triage")
    browser.login(staff)
    response = browser.post("/actions/new", {
        "description": "Check the submission with the DIP Manager", "owner_name": "Ian Giles",
        "date_raised": "2026-04-14", "issue_ref": pending.reference, "status": "Open",
    })
    assert response.status_code == 303
    action = db.session.scalar(sa.select(ForumAction))
    assert action.issue_id == pending.id
    browser.logout()

    browser.login(colleague)  # same organisation: may see the pending issue
    assert "Supplier-only submission awaiting triage" in browser.get(f"/actions/{action.number}").get_data(as_text=True)
    assert pending.reference in browser.get("/actions").get_data(as_text=True)
    browser.logout()

    browser.login(outsider)  # another organisation: the action, but not the hidden issue
    page = browser.get(f"/actions/{action.number}").get_data(as_text=True)
    assert "Check the submission" in page
    assert "Supplier-only submission" not in page and pending.reference not in page
    assert pending.reference not in browser.get("/actions").get_data(as_text=True)


def test_linking_to_an_issue_that_does_not_exist_is_refused(browser, staff):
    browser.login(staff)
    for reference, message in (("IIT-9999", "There is no industry issue IIT-9999 that you can see."),
                               ("banana", "Give an industry issue ID such as IIT-0042.")):
        response = browser.post("/actions/new", {
            "description": "Check it", "owner_name": "Ian Giles", "date_raised": "2026-04-14",
            "issue_ref": reference, "status": "Open",
        })
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumAction)) == 0


def test_participant_cannot_link_an_issue_they_cannot_see(participant, outsider):
    hidden = make_issue(participant, summary="Pending elsewhere")
    try:
        forum_service.find_issue_for_link(hidden.reference, outsider)
    except forum_service.ForumError as exc:
        assert "that you can see" in str(exc)
    else:
        raise AssertionError("an outsider could link a hidden issue")
    assert forum_service.find_issue_for_link(f"#{hidden.id}", participant).id == hidden.id


def test_unknown_action_number_is_404(browser, participant):
    browser.login(participant)
    assert browser.get("/actions/404").status_code == 404


def test_meeting_page_lists_action_raised_there(browser, participant, staff):
    meeting = make_meeting(date(2026, 5, 12))
    make_action(staff, meeting=meeting, description="Review notification SLAs")
    browser.login(participant)
    assert "Review notification SLAs" in browser.get(f"/forum/meetings/{meeting.id}").get_data(as_text=True)
