"""Participants in the loop: follows, saved views, comments and "we are affected too"."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.models import Line, Prose, UTCDateTime, utcnow


class SavedView(db.Model):
    """A named filter of the issues list that a person keeps (shown in their menu)."""

    __tablename__ = "saved_view"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_saved_view_user_name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(Line(80))
    # The list's query string, as the list writes it (e.g. "service=DIP&status=open").
    query: so.Mapped[str] = so.mapped_column(Line(1000), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    user: so.Mapped[User] = so.relationship()


class Follow(db.Model):
    """Someone follows an issue, a service or one of their saved views.

    An issue row with active=False is a mute: that person is told nothing more about the
    issue, whichever way they would otherwise hear of it (a service, a view, their
    organisation's declaration).
    """

    __tablename__ = "follow"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "issue_id", name="uq_follow_user_issue"),
        sa.UniqueConstraint("user_id", "service", name="uq_follow_user_service"),
        sa.UniqueConstraint("user_id", "saved_view_id", name="uq_follow_user_saved_view"),
        sa.Index("ix_follow_issue", "issue_id", "active"),
        sa.Index("ix_follow_service", "service", "active"),
        sa.CheckConstraint(
            "(CASE WHEN issue_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN service IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN saved_view_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    issue_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("issue.id", ondelete="CASCADE"))
    service: so.Mapped[str | None] = so.mapped_column(Line(40))
    saved_view_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("saved_view.id", ondelete="CASCADE"))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # chose | submitted | commented
    reason: so.Mapped[str] = so.mapped_column(Line(20), default="chose")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class Comment(db.Model):
    __tablename__ = "comment"
    __table_args__ = (sa.Index("ix_comment_issue_created", "issue_id", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    issue_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("issue.id", ondelete="CASCADE"))
    author_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    body: so.Mapped[str] = so.mapped_column(Prose)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    hidden_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    hidden_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    hidden_reason: so.Mapped[str] = so.mapped_column(Prose, default="")

    author: so.Mapped[User | None] = so.relationship(foreign_keys=[author_id], lazy="joined")
    hidden_by: so.Mapped[User | None] = so.relationship(foreign_keys=[hidden_by_id])

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


class AffectedDeclaration(db.Model):
    """An organisation says an issue affects it too (one declaration per organisation)."""

    __tablename__ = "affected_declaration"
    __table_args__ = (
        sa.UniqueConstraint("issue_id", "organisation_id", name="uq_affected_declaration_issue_org"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    issue_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("issue.id", ondelete="CASCADE"), index=True)
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id"), index=True)
    declared_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    note: so.Mapped[str] = so.mapped_column(Prose, default="")
    meter_points: so.Mapped[int | None] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    organisation: so.Mapped[Organisation] = so.relationship(lazy="joined")
    declared_by: so.Mapped[User | None] = so.relationship()


