"""Saved views: a person's named filters of the issues list, which they may follow."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import sqlalchemy as sa

from ..accounts.models import User
from ..core.extensions import db
from ..core.models import utcnow
from ..issues.queries import IssueQuery
from .models import Follow, SavedView

MAX_VIEWS_PER_PERSON = 50


class SavedViewError(ValueError):
    """A saved view that cannot be stored; the message says why."""


def views_of(user: User) -> list[SavedView]:
    return db.session.scalars(
        sa.select(SavedView).where(SavedView.user_id == user.id).order_by(sa.func.lower(SavedView.name))
    ).all()


def followed_view_ids(user: User) -> set[int]:
    return set(db.session.scalars(
        sa.select(Follow.saved_view_id).where(Follow.user_id == user.id, Follow.saved_view_id.is_not(None),
                                              Follow.active.is_(True))
    ))


def save_view(user: User, name: str, query: IssueQuery, *, follow: bool, now: datetime | None = None) -> SavedView:
    """Keep the list's current filters (checked as the list checks them) under a name; the same
    name replaces the filters."""
    name = " ".join((name or "").split())
    if not name:
        raise SavedViewError("Give the view a name, e.g. “DIP issues still open”.")
    if len(name) > 80:
        raise SavedViewError("The name must be at most 80 characters long.")
    view = db.session.scalar(
        sa.select(SavedView).where(SavedView.user_id == user.id, sa.func.lower(SavedView.name) == name.lower())
    )
    if view is None:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(SavedView).where(SavedView.user_id == user.id))
        if count >= MAX_VIEWS_PER_PERSON:
            raise SavedViewError(f"You can keep up to {MAX_VIEWS_PER_PERSON} views; delete one first.")
        view = SavedView(user_id=user.id, name=name, created_at=now or utcnow())
        db.session.add(view)
    view.query = urlencode(query.args(explicit_status=True))
    db.session.flush()
    set_view_followed(user, view, follow, now=now)
    return view


def set_view_followed(user: User, view: SavedView, follow: bool, *, now: datetime | None = None) -> None:
    existing = db.session.scalar(sa.select(Follow).where(Follow.user_id == user.id, Follow.saved_view_id == view.id))
    if follow and existing is None:
        db.session.add(Follow(user_id=user.id, saved_view_id=view.id, created_at=now or utcnow()))
    elif not follow and existing is not None:
        db.session.delete(existing)
    db.session.flush()


def delete_view(view: SavedView) -> None:
    db.session.execute(sa.delete(Follow).where(Follow.saved_view_id == view.id))
    db.session.delete(view)
    db.session.flush()
