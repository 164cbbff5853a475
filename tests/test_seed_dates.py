"""Demo data that looks alive on whatever day the seed runs."""

from datetime import date, timedelta

import sqlalchemy as sa

from issues_tracker.core import choices
from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.log.contents import executive_summary
from issues_tracker.models import ForumAction, Issue, IssueAction, IssueEvent, Meeting
from issues_tracker.seeds.loader import seed_all
from tests.conftest import utc


def issue_rows():
    return db.session.execute(
        sa.select(Issue.source_ref, Issue.created_at, Issue.last_update_at, Issue.resolved_at, Issue.severity)
        .order_by(Issue.source_ref)
    ).all()


def test_seeded_issues_are_dated_back_from_the_day_the_seed_runs(app):
    today = date(2027, 3, 10)
    seed_all(today=today)
    db.session.commit()
    issues = db.session.scalars(sa.select(Issue)).all()
    assert len(issues) == 15
    now = utc(2027, 3, 10, 18, 0)
    ages = sorted(issue.age_days(now) for issue in issues)
    assert ages[0] < 14 and ages[-1] >= 90  # from a few days to a few months old
    for issue in issues:
        assert issue.created_at <= issue.last_update_at <= now
        assert (today - issue.created_at.date()).days <= 150


def test_a_newcomer_sees_stale_and_fresh_issues_and_every_age_bucket(app, staff):
    today = date(2026, 12, 1)
    seed_all(today=today)
    db.session.commit()
    now = utc(2026, 12, 1, 17, 0)
    open_issues = db.session.scalars(sa.select(Issue).where(Issue.status.in_(choices.OPEN_STATUSES))).all()
    stale = [issue for issue in open_issues if issue.is_stale(14, now)]
    assert 3 <= len(stale) < len(open_issues)
    assert any(issue.days_since_update(now) <= 1 for issue in open_issues)

    summary = executive_summary(date(2026, 11, 30), now=now)
    assert all(count > 0 for _label, count in summary.age_profile), summary.age_profile
    assert summary.stale_count == len(stale)


def test_the_seed_has_actions_due_and_overdue(app):
    today = date(2026, 12, 1)
    seed_all(today=today)
    db.session.commit()
    dues = db.session.scalars(sa.select(IssueAction.due_date)).all()
    assert any(due < today for due in dues) and any(due >= today for due in dues)
    assert all(action.is_overdue(today) == (action.due_date < today) for action in db.session.scalars(sa.select(IssueAction)))


def test_the_packs_rows_and_texts_are_kept(app):
    seed_all(today=date(2026, 12, 1))
    db.session.commit()
    first = db.session.scalar(sa.select(Issue).where(Issue.source_ref == "pack-2026-04:1"))
    assert first.summary == "Message schema validation failures"
    assert first.action_underway == "Schema validation guidance issued"
    assert first.status == "Known behaviour" and list(first.services) == ["DIP"]
    # The forum keeps the pack's calendar and its actions' dates.
    assert db.session.scalar(sa.select(Meeting.meeting_date).where(Meeting.title.like("%April%"))) == date(2026, 4, 14)
    assert db.session.scalar(sa.select(ForumAction.date_raised).where(ForumAction.number == 14)) == date(2026, 3, 10)


def test_seeding_again_on_a_later_day_changes_nothing(app):
    seed_all(today=date(2026, 12, 1))
    db.session.commit()
    before = issue_rows()
    events = db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent))
    actions = db.session.scalar(sa.select(sa.func.count()).select_from(IssueAction))

    counts = seed_all(today=date(2026, 12, 1) + timedelta(days=45))
    db.session.commit()
    assert counts["issues"] == 0 and counts["meetings"] == 0 and counts["actions"] == 0 and counts["polls"] == 0
    assert issue_rows() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent)) == events
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueAction)) == actions


def test_the_seed_command_dates_issues_from_today(app, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    newest = db.session.scalar(sa.select(sa.func.max(Issue.last_update_at)))
    oldest = db.session.scalar(sa.select(sa.func.min(Issue.created_at)))
    assert (utcnow() - newest).days <= 1
    assert 90 <= (utcnow() - oldest).days <= 151
