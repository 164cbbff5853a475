"""Participants in the loop: follows, saved views, comments, "we are affected too",
notification settings, and the outbox of email deliveries."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.models import UTCDateTime, utcnow


class SavedView(db.Model):
    """A named filter of the issues list that a person keeps (shown in their menu)."""

    __tablename__ = "saved_view"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_saved_view_user_name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    # The list's query string, as the list writes it (e.g. "service=DIP&status=open").
    query: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
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
    service: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    saved_view_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("saved_view.id", ondelete="CASCADE"))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # chose | submitted | commented
    reason: so.Mapped[str] = so.mapped_column(sa.String(20), default="chose")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class Comment(db.Model):
    __tablename__ = "comment"
    __table_args__ = (sa.Index("ix_comment_issue_created", "issue_id", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    issue_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("issue.id", ondelete="CASCADE"))
    author_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    hidden_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    hidden_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    hidden_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

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
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    meter_points: so.Mapped[int | None] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    organisation: so.Mapped[Organisation] = so.relationship(lazy="joined")
    declared_by: so.Mapped[User | None] = so.relationship()


class NotificationSettings(db.Model):
    """What a person wants to be told, and how; a person without a row has the defaults."""

    __tablename__ = "notification_settings"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    # One of immediate | daily | weekly | off per kind of change (see notifications.kinds).
    status_mode: so.Mapped[str] = so.mapped_column(sa.String(10), default="immediate")
    resolution_mode: so.Mapped[str] = so.mapped_column(sa.String(10), default="immediate")
    next_run_mode: so.Mapped[str] = so.mapped_column(sa.String(10), default="immediate")
    note_mode: so.Mapped[str] = so.mapped_column(sa.String(10), default="daily")
    comment_mode: so.Mapped[str] = so.mapped_column(sa.String(10), default="daily")
    log_mode: so.Mapped[str] = so.mapped_column(sa.String(10), default="immediate")
    poll_mode: so.Mapped[str] = so.mapped_column(sa.String(10), default="immediate")
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(64), default="Europe/London")
    # Digests go out at this local hour; the weekly one on this weekday (0 = Monday).
    digest_hour: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=8)
    weekly_day: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=0)
    follow_when_affected: so.Mapped[bool] = so.mapped_column(default=True)
    # The personal feed key lets a feed reader read (only) what this person may see.
    feed_key: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    feed_key_created_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class Announcement(db.Model):
    """A new Monday log or a new poll: an outbox record, like an issue's journal entry."""

    __tablename__ = "announcement"
    __table_args__ = (sa.Index("ix_announcement_pending", "fanned_out_at", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # log | poll
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    published_log_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("published_log.id", ondelete="CASCADE"))
    poll_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    fanned_out_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class Delivery(db.Model):
    """One change (or announcement) to tell one person: at once, or in a digest.

    Unique per outbox record and person, so fanning out again never tells anyone twice.
    state: pending -> sent (handed to SMTP) | recorded (no SMTP configured) | skipped
    (no longer for them: they cannot see the issue, turned it off) | failed (gave up).
    """

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "user_id", name="uq_delivery_event_user"),
        sa.UniqueConstraint("announcement_id", "user_id", name="uq_delivery_announcement_user"),
        sa.Index("ix_delivery_due", "state", "mode", "due_at"),
        sa.Index("ix_delivery_user_state", "user_id", "state"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    # The first journal entry of the change; event_ids lists all of it (one request's entries).
    event_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("issue_event.id", ondelete="CASCADE"))
    event_ids: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    announcement_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("announcement.id", ondelete="CASCADE"))
    issue_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("issue.id", ondelete="CASCADE"), index=True)
    # The kinds of change in it that this person asked to hear about, comma-separated.
    kinds: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    # immediate | daily | weekly
    mode: so.Mapped[str] = so.mapped_column(sa.String(10))
    state: so.Mapped[str] = so.mapped_column(sa.String(10), default="pending")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # When it may go: now for immediate ones, the person's next digest time otherwise.
    due_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    claim: so.Mapped[str | None] = so.mapped_column(sa.String(32), index=True)
    claimed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    message_id: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    last_error: so.Mapped[str] = so.mapped_column(sa.String(500), default="")

    @property
    def kind_list(self) -> list[str]:
        return [kind for kind in self.kinds.split(",") if kind]

    @property
    def event_id_list(self) -> list[int]:
        return [int(part) for part in self.event_ids.split(",") if part]
