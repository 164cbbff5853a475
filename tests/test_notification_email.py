"""Email notifications through a real SMTP server: who is told, what they read, and that
an outage or a second run never loses nor doubles an email."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.issues import operations as issue_service
from issues_tracker.issues.queries import IssueQuery
from issues_tracker.jobs import run_queued_jobs
from issues_tracker.models import Delivery, IssueEvent, Organisation
from issues_tracker.notifications.delivery import deliver_pending
from issues_tracker.notifications.jobs import forget_old_deliveries
from issues_tracker.notifications.preferences import save_preferences
from issues_tracker.notifications.sending import CLAIM_TIMEOUT
from issues_tracker.participation import affected as affected_service
from issues_tracker.participation import comments as comment_service
from issues_tracker.participation import follows
from tests.conftest import BASE_URL
from tests.helpers import make_issue

IMMEDIATE_ALL = {"status": "immediate", "resolution": "immediate", "next_run": "immediate", "note": "immediate",
                 "comment": "immediate", "log": "immediate", "poll": "immediate"}


def settings(user, **modes):
    data = dict(IMMEDIATE_ALL, time_zone="Europe/London", digest_hour=8, weekly_day=0, follow_when_affected=True)
    data.update(modes)
    save_preferences(user, data)
    db.session.commit()


def follow(user, issue):
    follows.follow_issue(user, issue)
    db.session.commit()


def settle(smtp):
    """What happened while setting the scene (submission, publication) is delivered and forgotten."""
    deliver_pending()
    smtp.received.clear()


def change_status(issue, staff, status="Fix in progress", note=""):
    issue_service.update_issue(issue, {"status": status}, staff, expected_version=None, note=note)


def test_follower_gets_one_email_with_links_from_base_url_and_one_click_unsubscribe(
        smtp, staff, participant, colleague, outsider):
    issue = make_issue(participant, publish_by=staff, summary="Message schema validation failures")
    for person in (participant, outsider):
        follow(person, issue)
    settle(smtp)
    change_status(issue, staff, note="Fix deployed to the test environment; production on Thursday.")

    report = deliver_pending()

    assert report.immediate.sent == 2
    assert sorted(r for item in smtp.received for r in item.recipients) == sorted([participant.email, outsider.email])
    mail = smtp.to(participant.email)[0]
    assert mail.subject == f"[{issue.reference}] now Fix in progress: Message schema validation failures"
    assert mail.message["From"] == "Industry Issues <issues@example.org>"
    assert "Under investigation → Fix in progress" in mail.text
    assert "Fix deployed to the test environment" in mail.text  # the progress note came with it
    assert f"{BASE_URL}/issues/{issue.id}" in mail.text and f'href="{BASE_URL}/issues/{issue.id}"' in mail.html
    unsubscribe = re.fullmatch(r"<(.+)>", mail.message["List-Unsubscribe"]).group(1)
    assert unsubscribe.startswith(f"{BASE_URL}/unsubscribe/")
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in mail.text and unsubscribe in mail.html  # a visible link too
    assert smtp.to(colleague.email) == [] and smtp.to(staff.email) == []  # not following, and the actor

    # A second run finds nothing more to send.
    assert deliver_pending().immediate.sent == 0
    assert len(smtp.received) == 2


def test_nobody_is_emailed_about_their_own_change(smtp, staff, make_user, participant):
    other_staff = make_user("staff", org="Elexon", name="Olu Other")
    issue = make_issue(participant, publish_by=staff)
    follow(staff, issue)
    follow(other_staff, issue)
    settle(smtp)
    comment_service.add_comment(issue, staff, "We are looking at the DIP logs now.")
    db.session.commit()
    settings(other_staff)

    deliver_pending()

    assert [item.recipients for item in smtp.received] == [[other_staff.email]]


def test_nobody_is_told_about_an_issue_they_may_not_see(smtp, staff, participant, colleague, outsider):
    pending = make_issue(participant, summary="Our own submission, awaiting triage")
    for person in (participant, colleague, outsider, staff):
        follows.set_followed_services(person, ["DIP"])
    db.session.commit()
    settings(participant), settings(colleague), settings(outsider)
    settle(smtp)
    comment_service.add_comment(pending, staff, "Could you send the failing file names?")
    db.session.commit()

    deliver_pending()

    assert sorted(r for item in smtp.received for r in item.recipients) == sorted([participant.email, colleague.email])
    assert smtp.to(outsider.email) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(Delivery.user_id == outsider.id)) == 0


def test_visibility_is_checked_again_when_sending(smtp, staff, participant, make_user):
    issue = make_issue(participant)
    mover = make_user("participant", org="Northern Supply Co", name="Moving Mo")
    follow(mover, issue)
    settings(mover)
    settle(smtp)
    comment_service.add_comment(issue, staff, "Please confirm the MPANs affected.")
    db.session.commit()
    from issues_tracker.notifications.delivery import fan_out_all

    fan_out_all()
    assert db.session.scalar(sa.select(Delivery.state).where(Delivery.user_id == mover.id,
                                                             Delivery.state == "pending")) == "pending"
    # Before the worker sends, the person moves to another organisation: the pending issue is no longer theirs to see.
    mover.organisation = Organisation(name="Elsewhere Energy", kind="supplier")
    db.session.commit()

    deliver_pending()

    assert smtp.to(mover.email) == []
    assert db.session.scalar(sa.select(Delivery.state).where(Delivery.user_id == mover.id).order_by(Delivery.id.desc()).limit(1)) == "skipped"


def test_smtp_outage_then_recovery_sends_each_email_exactly_once(smtp, staff, participant, colleague, outsider):
    issue = make_issue(participant, publish_by=staff)
    for person in (participant, colleague, outsider):
        follow(person, issue)
    settle(smtp)
    smtp.stop()  # the mail server is down
    change_status(issue, staff)

    during = deliver_pending()

    assert during.immediate.sent == 0 and during.immediate.retrying == 3
    rows = db.session.scalars(sa.select(Delivery).where(Delivery.state != "sent")).all()
    assert {row.state for row in rows} == {"pending"} and {row.attempts for row in rows} == {1}
    assert all(row.last_error.startswith("cannot reach the mail server") for row in rows)
    # Too early to retry: nothing is attempted.
    assert deliver_pending().immediate.handled == 0

    smtp.start()
    later = utcnow() + timedelta(minutes=2)
    after = deliver_pending(now=later)
    again = deliver_pending(now=later + timedelta(hours=1))

    assert after.immediate.sent == 3 and again.immediate.sent == 0
    assert sorted(r for item in smtp.received for r in item.recipients) == sorted(
        [participant.email, colleague.email, outsider.email])
    assert {row.state for row in db.session.scalars(sa.select(Delivery))} == {"sent"}
    assert {row.attempts for row in rows} == {1}


def test_a_worker_that_died_mid_batch_leaves_claims_that_are_taken_up_later(smtp, staff, participant, colleague):
    issue = make_issue(participant, publish_by=staff)
    follow(participant, issue)
    follow(colleague, issue)
    settle(smtp)
    change_status(issue, staff)
    from issues_tracker.notifications.delivery import fan_out_all
    from issues_tracker.notifications.sending import _claim

    fan_out_all()
    now = utcnow()
    ids = db.session.scalars(sa.select(Delivery.id).where(Delivery.state == "pending")).all()
    _claim(ids, now)  # claimed by a worker that then crashed before sending

    assert deliver_pending(now=now).immediate.sent == 0  # still claimed
    assert deliver_pending(now=now + CLAIM_TIMEOUT + timedelta(seconds=1)).immediate.sent == 2
    assert len(smtp.received) == 2


def test_the_journal_is_the_outbox_fanned_out_once(smtp, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    follow(participant, issue)
    settle(smtp)
    change_status(issue, staff, note="Investigating")
    pending = db.session.scalars(sa.select(IssueEvent).where(IssueEvent.fanned_out_at.is_(None))).all()
    assert {event.kind for event in pending} >= {"change", "note"}

    deliver_pending()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent).where(IssueEvent.fanned_out_at.is_(None))) == 0
    # One change (a status and its note) makes one delivery and one email.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(Delivery.state == "sent",
                                                                                    Delivery.event_ids.contains(","))) == 1
    assert len(smtp.received) == 1


def test_old_finished_email_records_are_forgotten_and_nobody_is_told_again(smtp, staff, participant, colleague):
    issue = make_issue(participant, publish_by=staff)
    follow(participant, issue)
    follow(colleague, issue)
    settle(smtp)
    change_status(issue, staff, note="Investigating")
    deliver_pending()
    assert len(smtp.received) == 2
    smtp.received.clear()
    db.session.execute(sa.update(Delivery).values(created_at=utcnow() - timedelta(days=89)))
    db.session.commit()
    forget_old_deliveries()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 2  # kept for 90 days
    # Months later: one record is still waiting (say, for a mail server that was down).
    db.session.execute(sa.update(Delivery).values(created_at=utcnow() - timedelta(days=91)))
    waiting = db.session.scalar(sa.select(Delivery.id).order_by(Delivery.id.desc()).limit(1))
    db.session.execute(sa.update(Delivery).where(Delivery.id == waiting).values(state="pending", next_attempt_at=utcnow() + timedelta(days=1)))
    db.session.commit()

    forget_old_deliveries()  # the worker's upkeep, with DELIVERY_KEEP_DAYS (90)

    assert db.session.scalars(sa.select(Delivery.id)).all() == [waiting]
    deliver_pending()
    assert smtp.received == []  # the journal entries stay fanned out: nobody is told again


def test_without_smtp_url_email_is_recorded_not_sent(app, staff, participant):
    app.config.update(SMTP_URL=None, BASE_URL=BASE_URL)
    issue = make_issue(participant, publish_by=staff)
    follow(participant, issue)
    deliver_pending()
    change_status(issue, staff)

    report = deliver_pending()

    assert report.immediate.recorded == 1 and report.immediate.sent == 0
    assert db.session.scalar(sa.select(Delivery.state).order_by(Delivery.id.desc()).limit(1)) == "recorded"
    recorded = list((__import__("pathlib").Path(app.instance_path) / "mail").glob("delivery-*.eml"))
    assert any(f"{issue.reference}" in path.read_text() for path in recorded)


def test_people_hear_only_the_kinds_they_chose(smtp, staff, participant, colleague):
    issue = make_issue(participant, publish_by=staff)
    follow(participant, issue)
    follow(colleague, issue)
    settings(participant, status="off", note="immediate")
    settings(colleague, status="immediate", note="off")
    settle(smtp)
    change_status(issue, staff, note="A progress note only some want")

    deliver_pending()

    to_participant, to_colleague = smtp.to(participant.email)[0], smtp.to(colleague.email)[0]
    assert "A progress note only some want" in to_participant.text and "→ Fix in progress" not in to_participant.text
    assert "→ Fix in progress" in to_colleague.text and "A progress note only some want" not in to_colleague.text


def test_members_of_an_affected_organisation_follow_the_issue_unless_they_opt_out(
        smtp, staff, participant, colleague, outsider, make_user):
    issue = make_issue(participant, publish_by=staff)
    networks_colleague = make_user("participant", org="Eastern Networks", name="Nia Networks")
    settings(networks_colleague, follow_when_affected=False)
    affected_service.declare_affected(outsider, issue, note="Our DUoS billing is late", meter_points=1200)
    db.session.commit()
    settle(smtp)
    change_status(issue, staff)

    deliver_pending()

    assert smtp.to(outsider.email)  # declared for Eastern Networks
    assert smtp.to(networks_colleague.email) == []  # said they do not want that
    assert smtp.to(participant.email) == [] and smtp.to(colleague.email) == []  # followed nothing


def test_a_muted_issue_stays_silent_whatever_the_route(smtp, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    follows.set_followed_services(participant, ["DIP"])
    follows.unfollow_issue(participant, issue)
    db.session.commit()
    settle(smtp)
    change_status(issue, staff)

    deliver_pending()

    assert smtp.received == []


def test_followers_of_a_saved_view_hear_of_matching_issues_only(smtp, staff, participant):
    from issues_tracker.participation.saved_views import save_view

    dip = make_issue(participant, publish_by=staff, services=["DIP"], summary="DIP rejections")
    isd = make_issue(participant, publish_by=staff, services=["ISD"], summary="ISD standing data late")
    save_view(participant, "DIP still open", IssueQuery(service="DIP", status="open"), follow=True)
    db.session.commit()
    settle(smtp)
    change_status(dip, staff)
    change_status(isd, staff)

    deliver_pending()

    assert [item.subject for item in smtp.to(participant.email)] == [f"[{dip.reference}] now Fix in progress: DIP rejections"]


def test_one_click_unsubscribe_from_the_email_header_works_without_signing_in(smtp, client, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    follow(participant, issue)
    settle(smtp)
    change_status(issue, staff)
    deliver_pending()
    link = re.fullmatch(r"<(.+)>", smtp.received[0].message["List-Unsubscribe"]).group(1)

    # What a mail program does (RFC 8058): a POST with no cookies and no CSRF token.
    response = client.post(link.removeprefix(BASE_URL), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert f"no more emails about issue {issue.reference}" in response.get_data(as_text=True)
    assert not follows.is_following(participant, issue)
    change_status(issue, staff, status="Monitoring")
    deliver_pending()
    assert len(smtp.received) == 1


def test_a_comment_hidden_before_the_email_goes_is_not_sent(smtp, staff, participant, outsider):
    issue = make_issue(participant, publish_by=staff)
    follow(participant, issue)
    settings(participant, comment="immediate")
    settle(smtp)
    comment = comment_service.add_comment(issue, outsider, "Rude remark with a phone number")
    db.session.commit()
    comment_service.hide_comment(comment, staff, "Personal data")
    db.session.commit()

    deliver_pending()

    assert smtp.received == []
    assert db.session.scalar(sa.select(Delivery.state).where(Delivery.user_id == participant.id).order_by(Delivery.id.desc()).limit(1)) == "skipped"


def test_a_new_log_and_a_new_poll_are_announced_to_those_who_want_them(smtp, app, staff, participant, outsider):
    from issues_tracker.polls import operations as poll_service

    settings(outsider, poll="off")
    poll = poll_service.create_poll(
        {"title": "April forum feedback"}, [poll_service.QuestionSpec(text="Was it useful?", kind="choice",
                                                                      required=True, options=["Yes", "No"])])
    poll_service.open_poll(poll, user=staff)

    deliver_pending()

    assert smtp.to(staff.email) == []  # who opened it is not told
    subjects = {tuple(item.recipients): item.subject for item in smtp.received}
    assert subjects[(participant.email,)] == "New poll: April forum feedback"
    assert (outsider.email,) not in subjects
    mail = smtp.to(participant.email)[0]
    assert f"{BASE_URL}/polls/{poll.id}" in mail.text


def test_the_change_request_sends_nothing_itself_and_the_jobs_do(smtp, browser, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    follow(participant, issue)
    settle(smtp)
    browser.login(staff)
    form = browser.get(f"/issues/{issue.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    data = {"summary": issue.summary, "description": issue.description, "severity": "3", "services": ["DIP"],
            "messages": ["Dflows"], "root_cause_certainty": "Suspected", "next_run_resolves": "Unknown",
            "status": "Monitoring", "impact_assessment": "Not started", "resolution_status": "Not started",
            "owner_id": "0", "version": version, "progress_note": "Fix deployed"}
    for blank in ("root_cause", "supplier_impact", "distributor_impact", "settlement_impact", "dependencies",
                  "parties_responsible", "service_desk_refs", "action_underway", "resolution_description", "target_date"):
        data[blank] = ""
    assert browser.post(f"/issues/{issue.id}/edit", data).status_code == 303
    assert smtp.received == []  # the request only wrote its journal entries (the outbox)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent).where(IssueEvent.fanned_out_at.is_(None))) == 2

    assert run_queued_jobs() == 0  # no job row: the change poked the worker's delivery task, which ran
    assert [item.recipients for item in smtp.received] == [[participant.email]]
    assert "Fix deployed" in smtp.received[0].text


def test_the_worker_command_delivers_what_is_due(smtp, runner, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    follow(participant, issue)
    settle(smtp)
    change_status(issue, staff)

    result = runner.invoke(args=["notifications", "deliver"])

    assert result.exit_code == 0, result.output
    assert "1 email sent" in result.output
    assert len(smtp.received) == 1


def test_a_new_log_email_gives_its_headline_numbers_not_just_a_link(smtp, app, staff, participant, outsider):
    from issues_tracker.log import operations as log_service
    from issues_tracker.log.weeks import current_week

    make_issue(participant, publish_by=staff, summary="Settlement run delayed", severity=1)
    make_issue(participant, publish_by=staff, summary="Portal slow on Mondays", severity=3)
    settle(smtp)
    settings(outsider, log="daily")
    log = log_service.publish_log(current_week(), user=staff).log
    db.session.commit()

    deliver_pending()

    mail = smtp.to(participant.email)[0]
    assert f"{BASE_URL}/log/{log.week_commencing.isoformat()}.pdf" in mail.text
    for text in (mail.text, re.sub(r"<[^>]+>", " ", mail.html)):
        assert re.search(r"Open issues\D{0,80}2\b", text, re.S)
        assert re.search(r"P1 and P2 open\D{0,80}1\b", text, re.S)
        assert "Resolved this week" in text
