"""The improvement programme: the IPA review's actions by theme with the pack's overall tracker,
progress updates with history and links, and the improvement pipeline anyone can feed."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.escalations import operations as escalation_service
from issues_tracker.improvements import programme
from issues_tracker.improvements.models import Improvement, ImprovementAction, ImprovementFollower
from issues_tracker.improvements.seed import seed_programme
from issues_tracker.servicedesk.major_incidents import add_pir_action
from issues_tracker.servicedesk.models import ServiceDeskRecord
from tests.accounts.identity_helpers import deliver
from tests.conftest import PASSWORD, Browser
from tests.helpers import make_issue
from tests.servicedesk_builders import import_rows, record

pytestmark = pytest.mark.both_databases


def seeded() -> None:
    seed_programme(date(2026, 12, 5))
    db.session.commit()


def action_by_title(words: str) -> ImprovementAction:
    return db.session.scalar(sa.select(ImprovementAction).where(ImprovementAction.title.contains(words)))


def signed_in(app, user) -> Browser:
    browser = Browser(app.test_client())
    browser.login(user)
    return browser


# ---------------------------------------------------------------- who may open what


@pytest.mark.parametrize("role", ["participant", "outsider", "staff", "admin"])
def test_everyone_signed_in_reads_the_programme(app, role, participant, outsider, staff, admin):
    seeded()
    user = {"participant": participant, "outsider": outsider, "staff": staff, "admin": admin}[role]
    page = signed_in(app, user).get("/improvements")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Operational control and governance" in html and "Future TOM role and accountability" in html
    assert ("Add an action" in html) == (role in ("staff", "admin"))


def test_signed_out_people_are_sent_to_sign_in(client):
    for path in ("/improvements", "/improvements/propose", "/improvements/actions/new", "/improvements/actions/1",
                 "/improvements/1"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_only_staff_add_edit_and_update_programme_actions(app, browser, participant, staff):
    seeded()
    action = action_by_title("PIR template")
    browser.login(participant)
    assert browser.get("/improvements/actions/new").status_code == 403
    assert browser.get(f"/improvements/actions/{action.id}/edit").status_code == 403
    refused = browser.post(f"/improvements/actions/{action.id}/updates", {"status": "complete", "text": "Done"})
    assert refused.status_code == 403
    page = browser.get(f"/improvements/actions/{action.id}").get_data(as_text=True)
    assert "PIR template and tracker refresh" in page and "Record update" not in page
    db.session.expire_all()
    assert db.session.get(ImprovementAction, action.id).status == "in_progress"


# ---------------------------------------------------------------- the programme as the pack reports it


def test_the_seed_is_the_packs_overall_tracker(app, browser, participant):
    assert seed_programme(date(2026, 12, 5)) == 26
    db.session.commit()
    assert seed_programme(date(2026, 12, 5)) == 0  # running it again changes nothing
    tracker = programme.tracker()
    assert dict(tracker.overall) == {"complete": 9, "in_progress": 12, "not_started": 5}
    assert dict(tracker.by_kind["tactical"]) == {"complete": 9, "in_progress": 12}
    assert dict(tracker.by_kind["strategic"]) == {"not_started": 5}
    assert set(tracker.by_theme) == {"governance", "csi_pirs", "participant_support", "future_tom"}
    browser.login(participant)
    html = browser.get("/improvements").get_data(as_text=True)
    assert "9 complete | 12 in progress" in html and "5 not started" in html
    assert "35%" in html  # 9 of 26 complete
    for words in ("Weekly industry issues log in place and issued every Monday", "PIR template and tracker refresh",
                  "Clarify Elexon&#39;s future role within the TOM", "Distribution lists and contact register"):
        assert words in html
    strategic = browser.get("/improvements?kind=strategic").get_data(as_text=True)
    assert "Clarify Elexon" in strategic and "PIR template" not in strategic
    assert browser.get("/improvements?status=sideways").status_code == 400


def test_flask_seed_loads_the_programme(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "26 improvement programme actions" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImprovementAction)) == 26


def test_staff_record_progress_and_the_history_keeps_every_status(app, browser, staff, participant):
    seeded()
    action = action_by_title("PIR template")
    browser.login(staff)
    saved = browser.post(f"/improvements/actions/{action.id}/updates",
                         {"status": "complete", "text": "New PIR template in use.", "version": action.version})
    assert saved.status_code == 303
    page = browser.get(f"/improvements/actions/{action.id}").get_data(as_text=True)
    assert "New PIR template in use." in page and "<del>In progress</del> → <ins>Complete</ins>" in page
    assert "Reported in progress at the April 2026 forum" in page  # the earlier history stays
    assert dict(programme.tracker().overall) == {"complete": 10, "in_progress": 11, "not_started": 5}
    reader = signed_in(app, participant).get(f"/improvements/actions/{action.id}").get_data(as_text=True)
    assert "New PIR template in use." in reader and "Sam Staff" in reader


def test_an_update_that_says_nothing_is_refused_with_a_message(browser, staff):
    seeded()
    action = action_by_title("PIR template")
    browser.login(staff)
    response = browser.post(f"/improvements/actions/{action.id}/updates",
                            {"status": "in_progress", "text": "  ", "version": action.version})
    assert response.status_code == 422
    assert "Say what has progressed, or change the status." in response.get_data(as_text=True)
    bad_status = browser.post(f"/improvements/actions/{action.id}/updates", {"status": "finished", "text": "x"})
    assert bad_status.status_code == 422 and "Not a valid choice" in bad_status.get_data(as_text=True)


def test_a_stale_progress_update_gets_409_and_keeps_the_text(browser, staff):
    seeded()
    action = action_by_title("PIR template")
    old = action.version
    browser.login(staff)
    assert browser.post(f"/improvements/actions/{action.id}/updates",
                        {"status": "in_progress", "text": "First", "version": old}).status_code == 303
    stale = browser.post(f"/improvements/actions/{action.id}/updates",
                         {"status": "complete", "text": "Typed on an old page", "version": old})
    assert stale.status_code == 409
    assert "Typed on an old page" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ImprovementAction, action.id).status == "in_progress"


def test_staff_add_an_action_linked_to_an_issue_a_case_and_checked(browser, staff, participant, outsider):
    hidden = make_issue(outsider, summary="Another organisation's submission")
    published = make_issue(participant, publish_by=staff, summary="Late D0010 flows")
    browser.login(staff)
    form = {"title": "Automate PIR reminders", "theme": "csi_pirs", "kind": "tactical", "owner_name": "Joe Andrews",
            "status": "in_progress", "due_on": "2027-01-29", "issue_ref": published.reference,
            "record_number": "inc0012345", "pir_action_id": ""}
    bad = browser.post("/improvements/actions/new", {**form, "record_number": "12345"})
    assert bad.status_code == 422
    assert "Give a case or incident number such as CS0012345 or INC0012345." in bad.get_data(as_text=True)
    assert "Automate PIR reminders" in bad.get_data(as_text=True)  # input kept
    assert browser.post("/improvements/actions/new", {**form, "owner_name": ""}).status_code == 422
    saved = browser.post("/improvements/actions/new", form)
    assert saved.status_code == 303
    action = action_by_title("Automate PIR reminders")
    assert (action.code, action.issue_id, action.record_number) == ("IPA-01", published.id, "INC0012345")
    page = browser.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Late D0010 flows" in page and "INC0012345" in page
    # A participant linking is refused the same way whether the issue is hidden or missing.
    with pytest.raises(programme.ProgrammeError, match="that you can see"):
        programme.find_issue(hidden.reference, participant)


# ---------------------------------------------------------------- the improvement pipeline


def propose(browser, title="Show the PIR due date on the incident page"):
    return browser.post("/improvements/propose", {
        "title": title, "description": "We cannot tell when the PIR is due.",
        "expected_benefit": "Fewer chasers to the service desk.", "service": "DIP",
    })


def test_a_participant_proposes_and_their_organisation_and_staff_see_it_until_accepted(app, browser, participant,
                                                                                        colleague, outsider, staff):
    browser.login(participant)
    response = propose(browser)
    assert response.status_code == 303
    improvement = db.session.scalar(sa.select(Improvement))
    assert (improvement.state, improvement.organisation_id) == ("proposed", participant.organisation_id)
    assert db.session.scalar(sa.select(ImprovementFollower.user_id)) == participant.id  # the proposer follows it
    path = f"/improvements/{improvement.id}"
    assert "Stop following" in browser.get(path).get_data(as_text=True)
    assert signed_in(app, colleague).get(path).status_code == 200
    assert signed_in(app, staff).get(path).status_code == 200
    other = signed_in(app, outsider)
    assert other.get(path).status_code == 403
    assert "Show the PIR due date" not in other.get("/improvements").get_data(as_text=True)
    assert other.post(f"{path}/follow").status_code == 403


def test_a_proposal_without_a_title_or_problem_is_refused_with_messages(browser, participant):
    browser.login(participant)
    response = browser.post("/improvements/propose", {"title": "", "description": "", "expected_benefit": "Less work"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give the improvement a short title." in html and "Describe the problem it would solve." in html
    assert "Less work" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Improvement)) == 0


def test_staff_triage_score_and_move_it_through_the_phases_and_followers_are_emailed(app, browser, smtp, participant,
                                                                                      outsider, staff):
    browser.login(participant)
    propose(browser)
    improvement = db.session.scalar(sa.select(Improvement))
    path = f"/improvements/{improvement.id}"
    assert browser.post(f"{path}/triage", {"state": "accepted", "value_score": "4", "effort_score": "2"}).status_code == 403
    desk = signed_in(app, staff)
    unscored = desk.post(f"{path}/triage", {"state": "accepted", "version": improvement.version})
    assert unscored.status_code == 422
    assert "Score its value and effort before accepting it into the pipeline." in unscored.get_data(as_text=True)
    accepted = desk.post(f"{path}/triage", {"state": "accepted", "value_score": "4", "effort_score": "2",
                                            "owner_name": "Joe Andrews", "note": "A quick win.",
                                            "version": improvement.version})
    assert accepted.status_code == 303
    db.session.expire_all()
    improvement = db.session.get(Improvement, improvement.id)
    assert (improvement.state, improvement.phase, improvement.value_score, improvement.effort_score) == ("accepted", 1, 4, 2)
    # Accepted: everyone signed in sees it, and may follow it.
    other = signed_in(app, outsider)
    assert other.get(path).status_code == 200
    assert other.post(f"{path}/follow").status_code == 303
    moved = desk.post(f"{path}/triage", {"state": "accepted", "phase": "3", "value_score": "4", "effort_score": "2",
                                         "owner_name": "Joe Andrews", "note": "Live in the portal next week.",
                                         "version": improvement.version})
    assert moved.status_code == 303
    mails = deliver(smtp, 3)
    to_participant = [m for m in mails if participant.email in m.recipients]
    to_outsider = [m for m in mails if outsider.email in m.recipients]
    assert len(to_participant) == 2 and len(to_outsider) == 1
    assert "Phase 3 – Go-Live & BAU transition" in to_outsider[0].text
    assert "Live in the portal next week." in to_outsider[0].text
    assert f"/improvements/{improvement.id}" in to_outsider[0].text
    assert not smtp.to(staff.email)  # the person who changed it is not told
    db.session.expire_all()
    no_benefit = desk.post(f"{path}/triage", {"state": "delivered", "value_score": "4", "effort_score": "2",
                                              "owner_name": "Joe Andrews", "version": improvement.version})
    assert no_benefit.status_code == 422
    assert "Record the benefit measured before marking it delivered." in no_benefit.get_data(as_text=True)
    delivered = desk.post(f"{path}/triage", {"state": "delivered", "phase": "5", "value_score": "4", "effort_score": "2",
                                             "owner_name": "Joe Andrews",
                                             "benefit_measured": "PIR chasers down from 14 to 3 a month.",
                                             "version": improvement.version})
    assert delivered.status_code == 303
    page = other.get(path).get_data(as_text=True)
    assert "PIR chasers down from 14 to 3 a month." in page and "Delivered, benefit measured" in page


def test_a_stale_triage_gets_409_and_keeps_the_note(app, browser, participant, staff):
    browser.login(participant)
    propose(browser)
    improvement = db.session.scalar(sa.select(Improvement))
    desk = signed_in(app, staff)
    form = {"state": "declined", "note": "Covered by IPA-14.", "version": improvement.version}
    assert desk.post(f"/improvements/{improvement.id}/triage", form).status_code == 303
    stale = desk.post(f"/improvements/{improvement.id}/triage", {**form, "note": "Typed on an old page"})
    assert stale.status_code == 409 and "Typed on an old page" in stale.get_data(as_text=True)


def test_unfollowing_stops_the_emails(app, browser, smtp, participant, staff):
    browser.login(participant)
    propose(browser)
    improvement = db.session.scalar(sa.select(Improvement))
    assert browser.post(f"/improvements/{improvement.id}/follow", {"follow": "0"}).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImprovementFollower)) == 0
    desk = signed_in(app, staff)
    desk.post(f"/improvements/{improvement.id}/triage", {"state": "declined", "note": "Not now.",
                                                         "version": improvement.version})
    deliver(smtp, 0)
    assert not smtp.to(participant.email)


def test_a_persons_own_data_holds_their_proposals_and_escalations_and_closing_stops_following(
        app, browser, participant, staff):
    issue = make_issue(participant, publish_by=staff)
    escalation_service.raise_escalation(participant, {
        "subject_kind": "issue", "reference": issue.reference, "reason": "impact", "route": "elexon",
        "detail": "Forty sites unbilled."})
    db.session.commit()
    browser.login(participant)
    propose(browser)
    data = json.loads(browser.get("/account/data.json").data)
    assert [row["title"] for row in data["improvements_proposed"]] == ["Show the PIR due date on the incident page"]
    assert data["improvements_followed"] == [data["improvements_proposed"][0]["id"]]
    assert [(row["reference"], row["detail"]) for row in data["escalations_raised"]] == [(issue.reference,
                                                                                         "Forty sites unbilled.")]
    done = browser.post("/account/close", {"confirm_email": participant.email, "current": PASSWORD})
    assert done.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImprovementFollower)) == 0
    assert db.session.scalar(sa.select(Improvement.title)) == "Show the PIR due date on the incident page"


def test_an_action_links_to_a_pir_action_and_its_incident(browser, staff):
    import_rows([record("INC0012345", "2026-11-02 09:30", priority="1 - Critical", responded="2026-11-02 09:40",
                        resolved="2026-11-02 13:00", Major_incident="Y")])
    incident = db.session.scalar(sa.select(ServiceDeskRecord))
    pir = add_pir_action(incident, description="Alert on queue depth", owner_name="Sam Young", due_date=None, user=staff)
    db.session.commit()
    browser.login(staff)
    form = browser.get("/improvements/actions/new").get_data(as_text=True)
    assert "INC0012345: Alert on queue depth" in form  # the PIR actions to choose from
    saved = browser.post("/improvements/actions/new", {
        "title": "PIR actions tracked to closure", "theme": "csi_pirs", "kind": "tactical", "owner_name": "Joe Andrews",
        "status": "in_progress", "record_number": "INC0012345", "pir_action_id": str(pir.id)})
    assert saved.status_code == 303
    page = browser.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'href="/performance/incidents/INC0012345#pir-actions"' in page and "Alert on queue depth" in page
    assert browser.post("/improvements/actions/new", {
        "title": "Another", "theme": "csi_pirs", "kind": "tactical", "owner_name": "Joe Andrews",
        "status": "in_progress", "pir_action_id": "99999"}).status_code == 422


def test_staff_edit_an_actions_details_and_a_stale_edit_keeps_the_input(browser, staff):
    seeded()
    action = action_by_title("Distribution lists")
    old = action.version
    browser.login(staff)
    form = browser.get(f"/improvements/actions/{action.id}/edit").get_data(as_text=True)
    assert 'value="Distribution lists and contact register"' in form and "Ian Giles" in form
    data = {"title": "Distribution lists and contact register", "theme": "participant_support", "kind": "tactical",
            "owner_name": "Sam Young", "due_on": "2027-02-26", "pir_action_id": "", "version": old}
    assert browser.post(f"/improvements/actions/{action.id}/edit", data).status_code == 303
    db.session.expire_all()
    action = db.session.get(ImprovementAction, action.id)
    assert (action.owner_name, action.due_on, action.status) == ("Sam Young", date(2027, 2, 26), "in_progress")
    stale = browser.post(f"/improvements/actions/{action.id}/edit", {**data, "owner_name": "Typed on an old page"})
    assert stale.status_code == 409 and "Typed on an old page" in stale.get_data(as_text=True)
    wrong_theme = browser.post(f"/improvements/actions/{action.id}/edit", {**data, "theme": "other",
                                                                           "version": action.version})
    assert wrong_theme.status_code == 422 and "Not a valid choice" in wrong_theme.get_data(as_text=True)
