"""Generated issues for benchmarks and demos: realistic, repeatable, and usable by the app."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from issues_tracker.core import choices
from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service
from issues_tracker.issues.synthetic import SOURCE_PREFIX, generate, synthetic_count
from issues_tracker.models import Issue, IssueAction, IssueEvent, IssueMessage, IssueService, User

pytestmark = pytest.mark.both_databases


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


NOW = utc(2026, 4, 14, 9, 0)
SYNTHETIC = Issue.source_ref.like(SOURCE_PREFIX + "%")


def snapshot() -> list[tuple]:
    """Everything a reader sees of the generated issues, without database ids."""
    issues = db.session.scalars(sa.select(Issue).where(SYNTHETIC)).all()
    rows = []
    for issue in issues:
        rows.append((
            issue.source_ref, issue.summary, issue.status, issue.triage_state, issue.severity,
            tuple(issue.services), tuple(issue.messages), issue.created_at, issue.last_update_at,
            issue.owner.display_name if issue.owner else None, issue.organisation.name,
            tuple((e.kind, e.field, e.old_value, e.new_value, e.note, e.created_at) for e in issue.events),
            tuple((a.description, a.owner_name, a.due_date, a.status) for a in issue.actions),
        ))
    return sorted(rows)


def delete_synthetic() -> None:
    ids = sa.select(Issue.id).where(SYNTHETIC).scalar_subquery()
    for model in (IssueEvent, IssueAction, IssueService, IssueMessage):
        db.session.execute(sa.delete(model).where(model.issue_id.in_(ids)))
    db.session.execute(sa.delete(Issue).where(SYNTHETIC))
    db.session.commit()
    db.session.expunge_all()


def test_same_seed_gives_the_same_issues_and_another_seed_different_ones(app):
    assert generate(40, random_seed=7, now=NOW) == 40
    db.session.commit()
    first = snapshot()
    delete_synthetic()
    generate(40, random_seed=7, now=NOW)
    db.session.commit()
    assert snapshot() == first
    delete_synthetic()
    generate(40, random_seed=8, now=NOW)
    db.session.commit()
    assert [row[1] for row in snapshot()] != [row[1] for row in first]


def test_about_two_percent_stay_open_and_the_rest_went_through_triage(app):
    generate(1000, random_seed=3, now=NOW)
    db.session.commit()
    issues = db.session.scalars(sa.select(Issue).where(SYNTHETIC)).all()
    assert len(issues) == 1000
    open_issues = [issue for issue in issues if issue.status in choices.OPEN_STATUSES]
    assert len(open_issues) == 20  # 2%: 10,000 give the 200 of a real Monday log
    triage = Counter(issue.triage_state for issue in issues)
    assert 0 < triage["pending"] < 10
    assert 0 < triage["rejected"] <= 20
    assert all(issue.status == "New" for issue in issues if issue.triage_state == "pending")
    assert all(issue.rejection_reason and issue.status == "Closed" for issue in issues if issue.triage_state == "rejected")
    closed = [issue for issue in issues if issue.status in choices.CLOSED_STATUSES and issue.triage_state == "published"]
    assert len(closed) > 950
    assert all(issue.resolved_at and issue.resolution_status == "Complete" for issue in closed)
    # Dates spread over the two years before now, in a sensible order.
    assert min(issue.created_at for issue in issues) < utc(2024, 10, 1)
    assert all(utc(2024, 4, 13) < issue.created_at <= issue.last_update_at <= NOW for issue in issues)
    # Services weighted as in the pack: DIP most, then ISD; some issues affect two.
    services = Counter(code for issue in issues for code in issue.services)
    assert [code for code, _ in services.most_common(2)] == ["DIP", "ISD"]
    assert 50 < sum(1 for issue in issues if len(issue.services) == 2) < 300
    assert len({issue.organisation.name for issue in issues}) >= 12


def test_each_issue_has_a_journal_and_published_ones_have_owners_and_actions(app):
    generate(200, random_seed=5, now=NOW)
    db.session.commit()
    issues = db.session.scalars(sa.select(Issue).where(SYNTHETIC)).all()
    for issue in issues:
        kinds = Counter(event.kind for event in issue.events)
        assert kinds["created"] == 1
        assert issue.last_update_at == max(event.created_at for event in issue.events)
        if issue.triage_state == "published":
            assert kinds["triage"] == 1 and kinds["change"] >= 2 and kinds["note"] >= 1
            assert issue.owner is not None and issue.owner.is_staff
            assert issue.actions
        if issue.triage_state != "pending":
            assert any(e.kind == "triage" and e.user and e.user.is_staff for e in issue.events)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssueEvent)) > 8 * len(issues)
    statuses = Counter(a.status for issue in issues for a in issue.actions)
    assert statuses["Done"] > statuses["Open"] > 0


def test_staff_owners_are_created_only_when_there_are_none_and_cannot_sign_in(app, browser):
    generate(30, random_seed=1, now=NOW)
    db.session.commit()
    staff = db.session.scalars(sa.select(User).where(User.role == "staff")).all()
    assert 3 <= len(staff) <= 10
    assert browser.post("/login", {"email": staff[0].email, "password": ""}).status_code == 422
    generate(30, random_seed=1, now=NOW)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.role == "staff")) == len(staff)


def test_existing_staff_own_the_generated_issues(app, staff):
    generate(30, random_seed=1, now=NOW)
    db.session.commit()
    owners = set(db.session.scalars(sa.select(Issue.owner_id).where(SYNTHETIC, Issue.owner_id.is_not(None))))
    assert owners == {staff.id}


def test_running_twice_adds_more_distinct_issues_and_the_app_can_still_add_its_own(app, participant):
    generate(30, random_seed=7, now=NOW)
    db.session.commit()
    first = snapshot()
    generate(30, random_seed=7, now=NOW)
    db.session.commit()
    assert synthetic_count() == 60
    refs = db.session.scalars(sa.select(Issue.source_ref).where(SYNTHETIC)).all()
    assert len(set(refs)) == 60
    second = [row for row in snapshot() if row not in first]
    assert len(second) == 30
    assert [row[1:] for row in second] != [row[1:] for row in first]
    highest = db.session.scalar(sa.select(sa.func.max(Issue.id)))
    issue = issue_service.submit_issue({"summary": "Late PUB-014 files", "services": ["DIP"]}, participant)
    db.session.commit()
    assert issue.id > highest


def test_generated_issues_show_on_the_list_and_with_their_timeline(app, browser, staff):
    generate(60, random_seed=2, now=NOW)
    db.session.commit()
    browser.login(staff)
    page = browser.get("/issues?service=DIP&status=all").get_data(as_text=True)
    assert "match these filters" in page and "IIT-" in page
    closed = db.session.scalar(sa.select(Issue).where(SYNTHETIC, Issue.status == "Closed", Issue.triage_state == "published"))
    detail = browser.get(f"/issues/{closed.id}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200
    assert closed.summary.replace("'", "&#39;") in text
    assert "Published to the industry view" in text and "changed <strong>Current status</strong>" in text
    assert closed.actions[0].description in text


def test_seed_command_adds_synthetic_issues(app):
    result = app.test_cli_runner().invoke(args=["seed", "--synthetic", "50", "--random-seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Added 50 synthetic issues (random seed 7)." in result.output
    assert synthetic_count() == 50
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue).where(~SYNTHETIC)) > 0  # the pack's rows too
