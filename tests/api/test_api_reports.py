"""The API's read-only resources: the Monday log's editions, the forum's actions log, and the
performance figures of kpis.csv and aged.csv."""

from __future__ import annotations

from issues_tracker.core.extensions import db
from issues_tracker.log import operations as log_service
from issues_tracker.log.weeks import current_week
from tests.forum_builders import make_action
from tests.servicedesk_builders import import_rows, record


def test_log_editions_with_the_latest_pdf_of_each_week(api_for, participant, staff):
    week = current_week()
    log_service.publish_log(week, user=staff)
    db.session.commit()
    items = api_for(participant, "read").get("/api/v1/log/editions").get_json()["items"]
    assert [(item["week_commencing"], item["revision"], item["latest"]) for item in items] == [(week.isoformat(), 1, True)]
    assert items[0]["pdf"].endswith(f"/log/{week.isoformat()}.pdf")


def test_the_forum_actions_log(api_for, participant, staff):
    make_action(staff, description="Share the backlog", status="Open")
    make_action(staff, description="Publish the dates", status="Closed")
    api = api_for(participant, "read")
    everything = api.get("/api/v1/forum/actions").get_json()["items"]
    assert [item["description"] for item in everything] == ["Share the backlog", "Publish the dates"]
    assert everything[0]["code"].startswith("SMF-")
    still_open = api.get("/api/v1/forum/actions?status=not-closed").get_json()["items"]
    assert [item["description"] for item in still_open] == ["Share the backlog"]
    assert api.get("/api/v1/forum/actions?status=Someday").status_code == 400


def test_kpi_rows_and_aged_cases_as_the_csv_files_give_them(api_for, participant):
    import_rows([
        record("CS0016629", "2026-03-02 10:12", priority="4 - Low", state="Open", responded="2026-03-02 10:30"),
        record("INC0139429", "2026-03-03 09:40", priority="P2", state="Resolved", responded="2026-03-03 09:52",
               resolved="2026-03-03 12:30"),
    ])
    api = api_for(participant, "read")
    rows = api.get("/api/v1/performance/kpis?from=2026-03&to=2026-03").get_json()["items"]
    case_all = next(row for row in rows if row["record_type"] == "case" and row["priority"] == "all")
    assert case_all["month"] == "2026-03" and case_all["raised"] == 1 and case_all["resolved"] == 0
    incident_p2 = next(row for row in rows if row["record_type"] == "incident" and row["priority"] == "P2")
    assert incident_p2["resolved"] == 1 and incident_p2["mean_response_minutes"] == 12.0
    aged = api.get("/api/v1/performance/aged?as_at=2026-04-01").get_json()["items"]
    assert [(case["number"], case["age_days"], case["age_bucket"]) for case in aged] == [("CS0016629", 30, "30-59")]
    assert api.get("/api/v1/performance/kpis?from=March").status_code == 400
    assert api.get("/api/v1/performance/aged?as_at=tomorrow").status_code == 400


def test_poll_results_are_anonymous(api_for, browser, participant, colleague, staff):
    from tests.forum_builders import form_for, make_poll

    poll = make_poll()
    for person, answers in ((participant, ("Yes", "4", "More time for questions")), (colleague, ("No", "2", None))):
        browser.login(person)
        assert browser.post(f"/polls/{poll.id}", form_for(poll, *answers)).status_code == 303
        browser.logout()
    body = api_for(staff, "read").get(f"/api/v1/polls/{poll.id}/results").get_json()
    assert body["responses"] == 2 and body["status"] == "open"
    choice, rating, text = body["questions"]
    assert {option["label"]: option["count"] for option in choice["options"]}["Yes"] == 1
    assert rating["average"] == 3.0
    assert text["texts"] == [{"respondent": "Anonymous User 1", "text": "More time for questions"}]
    assert "Pat Participant" not in str(body) and participant.email not in str(body)
    draft = make_poll(state="draft", title="Not yet")
    assert api_for(participant, "read").get(f"/api/v1/polls/{draft.id}/results").status_code == 404


def test_the_major_incident_review_with_pir_actions(api_for, participant):
    import_rows([
        record("INC0139429", "2026-02-06 09:40", priority="P1", state="Closed", responded="2026-02-06 09:52",
               resolved="2026-02-06 13:30", closed="2026-02-10 12:30", product="MDS", Major_incident="Y",
               MI_email="2026-02-06 10:05", PIR_published="2026-02-12"),
    ])
    items = api_for(participant, "read").get("/api/v1/performance/major-incidents?from=2026-02&to=2026-02").get_json()["items"]
    assert [item["number"] for item in items] == ["INC0139429"]
    checks = {check["name"]: check["status"] for check in items[0]["checks"]}
    assert len(checks) == 7 and "met" in checks.values()
    assert items[0]["pir_actions"] == []


def test_forum_meetings_with_agenda_and_polls(api_for, participant):
    from datetime import date

    from tests.forum_builders import make_meeting, make_poll

    meeting = make_meeting(date(2026, 4, 14), agenda=[(1, "Industry issues", "Joe Andrews")])
    make_poll(meeting=meeting, title="April feedback")
    items = api_for(participant, "read").get("/api/v1/forum/meetings").get_json()["items"]
    assert [(item["date"], item["starts_at"]) for item in items] == [("2026-04-14", "2026-04-14T09:00:00+00:00")]
    assert items[0]["agenda"][0]["presenter"] == "Joe Andrews"
    assert items[0]["polls"][0]["title"] == "April feedback"
    assert items[0]["polls"][0]["results"].endswith(f"/api/v1/polls/{items[0]['polls'][0]['id']}/results")
