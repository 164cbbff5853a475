"""`flask log publish`: what the Monday scheduler (and an operator) runs."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.log import weeks as log_weeks
from issues_tracker.models import PublishedLog
from tests.helpers import make_issue


def stored() -> list[PublishedLog]:
    db.session.rollback()
    return db.session.scalars(sa.select(PublishedLog).order_by(PublishedLog.week_commencing, PublishedLog.revision)).all()


def test_publish_defaults_to_this_weeks_monday_and_stores_the_pdf(runner, participant, staff):
    make_issue(participant, publish_by=staff)
    result = runner.invoke(args=["log", "publish"])
    assert result.exit_code == 0, result.output
    assert "Published the industry issues log for the week commencing" in result.output
    [log] = stored()
    assert log.week_commencing == log_weeks.current_week()
    assert log.week_commencing.weekday() == 0
    assert log.revision == 1 and log.open_count == 1 and log.published_by_id is None
    assert log.pdf.startswith(b"%PDF") and log.size_bytes == len(log.pdf)
    assert hashlib.sha256(log.pdf).hexdigest() == log.sha256


def test_publishing_a_published_week_changes_nothing_and_says_so(runner):
    week = log_weeks.current_week().isoformat()
    assert runner.invoke(args=["log", "publish", "--week", week]).exit_code == 0
    [before] = stored()
    sha = before.sha256
    result = runner.invoke(args=["log", "publish", "--week", week])
    assert result.exit_code == 0
    assert "already published" in result.output and "nothing changed" in result.output
    [after] = stored()
    assert after.sha256 == sha and after.revision == 1


def test_a_date_that_is_not_a_monday_is_refused(runner):
    tuesday = log_weeks.current_week() - timedelta(days=6)
    result = runner.invoke(args=["log", "publish", "--week", tuesday.isoformat()])
    assert result.exit_code != 0
    assert f"{tuesday.isoformat()} is a Tuesday" in result.output
    assert (tuesday - timedelta(days=1)).isoformat() in result.output  # that week's Monday
    assert stored() == []


def test_a_malformed_or_future_week_is_refused(runner):
    assert runner.invoke(args=["log", "publish", "--week", "13/04/2026"]).exit_code != 0
    future = log_weeks.current_week() + timedelta(days=7)
    result = runner.invoke(args=["log", "publish", "--week", future.isoformat()])
    assert result.exit_code != 0 and "has not started yet" in result.output
    assert stored() == []


def test_last_week_can_still_be_published_once(runner):
    last_week = log_weeks.current_week() - timedelta(days=7)
    result = runner.invoke(args=["log", "publish", "--week", last_week.isoformat()])
    assert result.exit_code == 0, result.output
    assert [log.week_commencing for log in stored()] == [last_week]


def test_older_or_out_of_order_weeks_are_refused(runner):
    this_week = log_weeks.current_week()
    for week, message in (
        (this_week - timedelta(days=14), "is over"),
        (date(1900, 1, 1), "too long ago"),
        (date(1, 1, 1), "too long ago"),
    ):
        result = runner.invoke(args=["log", "publish", "--week", week.isoformat()])
        assert result.exit_code != 0 and message in result.output, (week, result.output)
        assert "Traceback" not in result.output
    assert runner.invoke(args=["log", "publish", "--week", this_week.isoformat()]).exit_code == 0
    result = runner.invoke(args=["log", "publish", "--week", (this_week - timedelta(days=7)).isoformat()])
    assert result.exit_code != 0 and "later week commencing" in result.output
    assert [log.week_commencing for log in stored()] == [this_week]


def test_a_revision_needs_a_reason_and_keeps_the_original(runner):
    week = log_weeks.current_week().isoformat()
    nothing_yet = runner.invoke(args=["log", "publish", "--week", week, "--revise", "--reason", "Typo"])
    assert nothing_yet.exit_code != 0 and "publish it first" in nothing_yet.output
    runner.invoke(args=["log", "publish", "--week", week])
    no_reason = runner.invoke(args=["log", "publish", "--week", week, "--revise"])
    assert no_reason.exit_code != 0 and "reason is required" in no_reason.output
    stray_reason = runner.invoke(args=["log", "publish", "--week", week, "--reason", "Typo"])
    assert stray_reason.exit_code != 0 and "--revise" in stray_reason.output

    result = runner.invoke(args=["log", "publish", "--week", week, "--revise", "--reason", "Corrected the owner"])
    assert result.exit_code == 0, result.output
    assert "revision 2" in result.output
    first, second = stored()
    assert (first.revision, second.revision) == (1, 2)
    assert second.reason == "Corrected the owner"
    assert first.sha256 != second.sha256
    assert hashlib.sha256(first.pdf).hexdigest() == first.sha256
