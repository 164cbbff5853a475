"""Following issues and services."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..issues.models import Issue
from .models import Follow


class FollowError(ValueError):
    """A follow request that cannot be carried out; the message says why."""


def issue_follow(user: User, issue: Issue) -> Follow | None:
    return db.session.scalar(sa.select(Follow).where(Follow.user_id == user.id, Follow.issue_id == issue.id))


def is_following(user: User, issue: Issue) -> bool:
    follow = issue_follow(user, issue)
    return follow is not None and follow.active


def follow_issue(user: User, issue: Issue, *, reason: str = "chose", now: datetime | None = None) -> None:
    """Follow the issue (again, if it was muted): by choice, or by submitting or commenting."""
    follow = issue_follow(user, issue)
    if follow is None:
        db.session.add(Follow(user_id=user.id, issue_id=issue.id, reason=reason, created_at=now or utcnow()))
    elif not follow.active:
        follow.active = True
        follow.reason = reason
    db.session.flush()


def unfollow_issue(user: User, issue: Issue, *, now: datetime | None = None) -> None:
    """Stop hearing about the issue by any route (service, view, organisation): a mute."""
    follow = issue_follow(user, issue)
    if follow is None:
        db.session.add(Follow(user_id=user.id, issue_id=issue.id, active=False, reason="chose", created_at=now or utcnow()))
    else:
        follow.active = False
    db.session.flush()


def follower_count(issue: Issue) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Follow).where(Follow.issue_id == issue.id, Follow.active.is_(True))
    )


def followed_services(user: User) -> list[str]:
    return list(db.session.scalars(
        sa.select(Follow.service).where(Follow.user_id == user.id, Follow.service.is_not(None), Follow.active.is_(True))
    ))


def set_followed_services(user: User, services: list[str], *, now: datetime | None = None) -> None:
    unknown = [code for code in services if code not in choices.SERVICE_CODES]
    if unknown:
        raise FollowError(f"{unknown[0][:40]!r} is not a service; choose from the list.")
    current = set(followed_services(user))
    wanted = set(services)
    for code in wanted - current:
        db.session.add(Follow(user_id=user.id, service=code, created_at=now or utcnow()))
    if current - wanted:
        db.session.execute(
            sa.delete(Follow).where(Follow.user_id == user.id, Follow.service.in_(current - wanted))
        )
    db.session.flush()


def followed_issues(user: User) -> list[Issue]:
    from ..issues.access import visible_issues_clause

    return db.session.scalars(
        sa.select(Issue)
        .join(Follow, Follow.issue_id == Issue.id)
        .where(Follow.user_id == user.id, Follow.active.is_(True), visible_issues_clause(user))
        .order_by(Issue.last_update_at.desc(), Issue.id.desc())
        .limit(200)
    ).all()
