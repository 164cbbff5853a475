"""Feedback where the person is looking, and forms that say the right thing about the right field."""

import re

import sqlalchemy as sa
from forum_builders import form_for, make_action, make_poll

from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service
from issues_tracker.models import Meeting
from tests.helpers import make_issue


def confirmation(page: str) -> str:
    match = re.search(r'<p id="saved" class="flash flash-success saved-confirmation" role="status" tabindex="-1" '
                      r'data-focus-on-arrival>([^<]+)</p>', page)
    assert match, "no confirmation next to the form"
    return match.group(1)


def test_after_voting_the_confirmation_is_beside_the_form_not_at_the_top(browser, participant):
    poll = make_poll()
    browser.login(participant)
    response = browser.post(f"/polls/{poll.id}", form_for(poll, "Yes", "4"))
    assert response.status_code == 303 and response.headers["Location"].endswith("#saved")
    page = browser.get(response.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert "your response is recorded" in confirmation(page)
    flashes = page[page.index('<div id="flashes"'):page.index("</div>", page.index('<div id="flashes"'))]
    assert "your response is recorded" not in flashes  # not up at the top, off-screen
    # Between the form that was used and the results it changed.
    assert page.index('action="/polls/') < page.index('id="saved"') < page.index('id="poll-results"')
    assert "Your response is updated." in confirmation(
        browser.get(browser.post(f"/polls/{poll.id}", form_for(poll, "No", "2")).headers["Location"].split("#")[0])
        .get_data(as_text=True))


def test_after_updating_an_smf_action_the_confirmation_is_beside_its_form(browser, staff):
    action = make_action(staff)
    browser.login(staff)
    response = browser.post(f"/actions/{action.number}/updates", {"status": "Propose Close", "text": "Backlog shared."})
    assert response.status_code == 303 and response.headers["Location"] == f"/actions/{action.number}#saved"
    page = browser.get(f"/actions/{action.number}").get_data(as_text=True)
    assert f"SMF-{action.number} updated" in confirmation(page)
    assert page.index("Record update</button>") < page.index('id="saved"') < page.index('id="history"')


def test_updating_an_issue_action_confirms_in_the_actions_section(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    action = issue_service.add_action(issue, staff, {"description": "Confirm the fix", "owner_name": "Ian Giles"})
    db.session.commit()
    browser.login(staff)
    response = browser.post(f"/issues/{issue.id}/actions/{action.id}", {"status": "Done"})
    assert response.headers["Location"] == f"/issues/{issue.id}#saved"
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "is now Done" in confirmation(page)
    assert page.index('id="actions"') < page.index('id="saved"')


def test_repeated_action_rows_are_labelled_by_their_own_action(browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    for text in ("Send the schema guidance", "Confirm the fix with suppliers"):
        issue_service.add_action(issue, staff, {"description": text, "owner_name": "Ian Giles"})
    db.session.commit()
    browser.login(staff)
    page = browser.get(f"/issues/{issue.id}").get_data(as_text=True)
    labels = re.findall(r'<label class="visually-hidden" for="action-status-\d+">([^<]+)</label>', page)
    assert labels == ["Status of the action “Send the schema guidance”", "Status of the action “Confirm the fix with suppliers”"]


def test_agenda_rows_are_labelled_by_row_and_a_new_row_keeps_the_persons_place(browser, staff):
    browser.login(staff)
    page = browser.get("/forum/meetings/new").get_data(as_text=True)
    assert 'for="agenda-2-topic">Topic (agenda row 3)</label>' in page
    assert 'for="agenda-2-presenter">Presenter (agenda row 3)</label>' in page
    assert 'formaction="/forum/meetings/new#agenda-added"' in page

    response = browser.post("/forum/meetings/new", {
        "meeting_date": "2027-02-09", "title": "Forum", "start_time": "10:00", "end_time": "12:00",
        "agenda-0-topic": "Purpose", "add_agenda_item": "Add another agenda item",
    })
    page = response.get_data(as_text=True)
    new_row = page[page.index('<tr id="agenda-added">'):page.index("</tr>", page.index('<tr id="agenda-added">'))]
    assert 'name="agenda-1-topic"' in new_row and re.search(r'<input[^>]*autofocus[^>]*name="agenda-1-topic"|<input[^>]*name="agenda-1-topic"[^>]*autofocus', new_row)
    assert page.count("autofocus") == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_poll_question_rows_name_their_question_for_screen_readers(browser, staff):
    browser.login(staff)
    page = browser.get("/polls/new").get_data(as_text=True)
    assert re.search(r'<label for="questions-1-text">[^<]*<span class="visually-hidden"> \(question 2\)</span>', page)


def test_error_summary_links_point_at_a_control_that_can_take_focus(browser, participant):
    browser.login(participant)
    response = browser.post("/issues/new", {"summary": "", "description": ""})
    page = response.get_data(as_text=True)
    # The services are a group of checkboxes: the link goes to the first one, not the fieldset.
    assert 'href="#services-0"' in page and 'id="services-0"' in page
    assert 'href="#summary"' in page
