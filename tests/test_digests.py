"""Daily and weekly digests: one email per person, grouped by issue, only what changed since
their last digest, at their local hour, right across the clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service
from issues_tracker.models import Delivery
from issues_tracker.notifications.delivery import deliver_pending
from issues_tracker.notifications.preferences import Preferences, next_digest_at, save_preferences
from issues_tracker.participation import comments as comment_service
from issues_tracker.participation import follows
from tests.conftest import BASE_URL
from tests.helpers import make_issue


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def prefs(zone="Europe/London", hour=8, day=0) -> Preferences:
    return Preferences(time_zone=zone, digest_hour=hour, weekly_day=day)


# ---------------------------------------------------------------- digest times


@pytest.mark.parametrize(("after", "expected"), [
    # Winter (GMT): 08:00 London is 08:00 UTC.
    (at(2026, 3, 27, 9, 0), at(2026, 3, 28, 8, 0)),
    # Clocks go forward on Sunday 29 March 2026: 08:00 BST is 07:00 UTC.
    (at(2026, 3, 28, 9, 0), at(2026, 3, 29, 7, 0)),
    (at(2026, 3, 29, 6, 59), at(2026, 3, 29, 7, 0)),
    (at(2026, 3, 29, 7, 0), at(2026, 3, 30, 7, 0)),  # strictly after
    # Clocks go back on Sunday 25 October 2026: 08:00 GMT is 08:00 UTC again.
    (at(2026, 10, 24, 8, 0), at(2026, 10, 25, 8, 0)),
    (at(2026, 10, 25, 7, 30), at(2026, 10, 25, 8, 0)),
])
def test_daily_digest_goes_at_the_same_london_hour_across_clock_changes(after, expected):
    assert next_digest_at("daily", prefs(), after) == expected


def test_weekly_digest_keeps_monday_eight_oclock_across_the_spring_change():
    first = next_digest_at("weekly", prefs(), at(2026, 3, 20, 12, 0))
    second = next_digest_at("weekly", prefs(), first)
    third = next_digest_at("weekly", prefs(), second)
    assert (first, second, third) == (at(2026, 3, 23, 8, 0), at(2026, 3, 30, 7, 0), at(2026, 4, 6, 7, 0))
    assert second - first == timedelta(hours=167)  # the week with the change is an hour short


def test_weekly_digest_keeps_its_hour_across_the_autumn_change_on_another_day():
    friday = prefs(hour=17, day=4)
    first = next_digest_at("weekly", friday, at(2026, 10, 20, 0, 0))
    second = next_digest_at("weekly", friday, first)
    assert (first, second) == (at(2026, 10, 23, 16, 0), at(2026, 10, 30, 17, 0))
    assert second - first == timedelta(hours=169)


def test_an_hour_skipped_or_repeated_by_the_clocks_gives_one_digest_that_day():
    one_am = prefs(hour=1)
    # 01:00 does not exist in London on 29 March 2026: the digest goes at 02:00 BST (01:00 UTC), once.
    assert next_digest_at("daily", one_am, at(2026, 3, 28, 12, 0)) == at(2026, 3, 29, 1, 0)
    assert next_digest_at("daily", one_am, at(2026, 3, 29, 1, 0)) == at(2026, 3, 30, 0, 0)
    # 01:00 happens twice on 25 October 2026: the first one (01:00 BST, 00:00 UTC), once.
    assert next_digest_at("daily", one_am, at(2026, 10, 24, 12, 0)) == at(2026, 10, 25, 0, 0)
    assert next_digest_at("daily", one_am, at(2026, 10, 25, 0, 0)) == at(2026, 10, 26, 1, 0)


def test_digest_time_follows_the_persons_own_time_zone():
    new_york = prefs(zone="America/New_York", hour=7)
    # New York moves its clocks on 8 March 2026, three weeks before London.
    assert next_digest_at("daily", new_york, at(2026, 3, 7, 13, 0)) == at(2026, 3, 8, 11, 0)
    assert next_digest_at("daily", new_york, at(2026, 3, 6, 13, 0)) == at(2026, 3, 7, 12, 0)


# ---------------------------------------------------------------- digest emails


def daily(user, **modes):
    data = {"status": "daily", "resolution": "daily", "next_run": "daily", "note": "daily", "comment": "daily",
            "log": "off", "poll": "off", "time_zone": "Europe/London", "digest_hour": 8, "weekly_day": 0,
            "follow_when_affected": True}
    data.update(modes)
    save_preferences(user, data)
    db.session.commit()


def test_daily_digest_is_one_email_grouped_by_issue_at_the_local_hour(smtp, staff, participant, outsider):
    day = at(2026, 3, 28, 9, 0)  # the Saturday before the clocks go forward
    first = make_issue(participant, publish_by=staff, summary="DIP rejections")
    second = make_issue(participant, publish_by=staff, summary="Late ISD publication")
    deliver_pending()  # their publication is told to nobody: nobody follows them yet
    follows.follow_issue(participant, first, now=day - timedelta(hours=2))
    follows.follow_issue(participant, second, now=day - timedelta(hours=2))
    db.session.commit()
    daily(participant)

    issue_service.update_issue(first, {"status": "Fix in progress"}, staff, expected_version=None, now=day)
    comment_service.add_comment(first, outsider, "We see the same **every night**.", now=day + timedelta(hours=2))
    issue_service.update_issue(second, {"next_run_resolves": "Yes"}, staff, expected_version=None,
                               note="Publication fixed for the next run.", now=day + timedelta(hours=3))
    db.session.commit()

    deliver_pending(now=day + timedelta(hours=4))
    deliver_pending(now=at(2026, 3, 29, 6, 59))  # 07:59 BST: not yet
    assert smtp.received == []

    deliver_pending(now=at(2026, 3, 29, 7, 0))  # 08:00 BST
    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert mail.recipients == [participant.email]
    assert mail.subject == "Daily digest: 4 updates on 2 issues"
    text = mail.text
    assert text.index(second.reference) < text.index(first.reference)  # the most recently changed first
    assert "Under investigation → Fix in progress" in text
    assert "We see the same **every night**." in text and "<strong>every night</strong>" in mail.html
    assert "Publication fixed for the next run." in text and "Unknown → Yes" in text
    assert "28 Mar 2026 09:00" in text  # times in the person's zone (GMT that day)
    assert f"{BASE_URL}/issues/{first.id}" in text
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Only what changed since: the next digest holds the later change alone.
    deliver_pending(now=at(2026, 3, 29, 12, 0))
    assert len(smtp.received) == 1
    issue_service.update_issue(first, {"status": "Monitoring"}, staff, expected_version=None, now=at(2026, 3, 29, 13, 0))
    deliver_pending(now=at(2026, 3, 29, 14, 0))
    deliver_pending(now=at(2026, 3, 30, 7, 0))
    assert [m.subject for m in smtp.to(outsider.email)] == [f"[{first.reference}] now Monitoring: DIP rejections"]
    assert len(smtp.to(participant.email)) == 2
    later = smtp.to(participant.email)[1]
    assert later.subject == "Daily digest: 1 update on 1 issue"
    assert "Fix in progress → Monitoring" in later.text and "every night" not in later.text


def test_weekly_digest_and_immediate_emails_go_their_own_ways(smtp, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    monday = at(2026, 3, 23, 8, 0)
    follows.follow_issue(participant, issue, now=monday - timedelta(days=1))
    db.session.commit()
    daily(participant, status="immediate", note="weekly")
    deliver_pending(now=monday - timedelta(days=1))
    smtp.received.clear()

    issue_service.update_issue(issue, {"status": "Fix in progress"}, staff, expected_version=None,
                               now=monday + timedelta(hours=1))
    issue_service.update_issue(issue, {}, staff, expected_version=None, note="Weekly news only",
                               now=monday + timedelta(hours=2))
    deliver_pending(now=monday + timedelta(hours=3))
    assert [item.subject for item in smtp.received] == [f"[{issue.reference}] now Fix in progress: {issue.summary}"]

    deliver_pending(now=at(2026, 3, 30, 6, 59))
    assert len(smtp.received) == 1
    deliver_pending(now=at(2026, 3, 30, 7, 0))  # Monday 08:00 BST
    assert len(smtp.received) == 2
    assert smtp.received[1].subject == "Weekly digest: 1 update on 1 issue"
    assert "Weekly news only" in smtp.received[1].text


def test_changing_the_digest_hour_moves_what_is_waiting(smtp, staff, participant):
    issue = make_issue(participant, publish_by=staff)
    follows.follow_issue(participant, issue)
    db.session.commit()
    daily(participant)
    deliver_pending()
    smtp.received.clear()
    issue_service.update_issue(issue, {"status": "Monitoring"}, staff, expected_version=None)
    deliver_pending()
    waiting = db.session.scalar(sa.select(Delivery).where(Delivery.state == "pending"))
    assert waiting.due_at == next_digest_at("daily", prefs(hour=8), waiting.created_at)

    expected = next_digest_at("daily", prefs(hour=18), datetime.now(UTC))
    daily(participant, digest_hour=18)

    db.session.refresh(waiting)
    assert waiting.due_at == expected
    deliver_pending(now=expected - timedelta(seconds=1))
    assert smtp.received == []
    deliver_pending(now=expected)
    assert len(smtp.received) == 1


def test_a_digest_leaves_out_issues_the_person_can_no_longer_see(smtp, staff, participant, make_user):
    from issues_tracker.models import Organisation

    pending = make_issue(participant, summary="Still awaiting triage")
    mover = make_user("participant", org="Northern Supply Co", name="Moving Mo")
    start = at(2026, 6, 1, 9, 0)
    follows.follow_issue(mover, pending, now=start - timedelta(hours=1))
    db.session.commit()
    daily(mover)
    deliver_pending(now=start)
    issue_service.update_issue(pending, {}, staff, expected_version=None, note="Asked the DIP team", now=start)
    deliver_pending(now=start + timedelta(minutes=1))
    mover.organisation = Organisation(name="Elsewhere Energy", kind="supplier")
    db.session.commit()

    deliver_pending(now=at(2026, 6, 2, 7, 0))

    assert smtp.to(mover.email) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(
        Delivery.user_id == mover.id, Delivery.state == "skipped")) == 1
