"""What people are told: their notification settings, announcements (a new Monday log, a poll
opened) and the outbox of email deliveries."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import User
from ..core.extensions import db
from ..core.models import Line, UTCDateTime, utcnow


class NotificationSettings(db.Model):
    """What a person wants to be told, and how; a person without a row has the defaults."""

    __tablename__ = "notification_settings"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    # One of immediate | daily | weekly | off per kind of change (see notifications.kinds).
    status_mode: so.Mapped[str] = so.mapped_column(Line(10), default="immediate")
    resolution_mode: so.Mapped[str] = so.mapped_column(Line(10), default="immediate")
    next_run_mode: so.Mapped[str] = so.mapped_column(Line(10), default="immediate")
    note_mode: so.Mapped[str] = so.mapped_column(Line(10), default="daily")
    comment_mode: so.Mapped[str] = so.mapped_column(Line(10), default="daily")
    log_mode: so.Mapped[str] = so.mapped_column(Line(10), default="immediate")
    poll_mode: so.Mapped[str] = so.mapped_column(Line(10), default="immediate")
    time_zone: so.Mapped[str] = so.mapped_column(Line(64), default="Europe/London")
    # Digests go out at this local hour; the weekly one on this weekday (0 = Monday).
    digest_hour: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=8)
    weekly_day: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=0)
    follow_when_affected: so.Mapped[bool] = so.mapped_column(default=True)
    # The personal feed key lets a feed reader read (only) what this person may see; only its hash is kept.
    feed_key_hash: so.Mapped[str | None] = so.mapped_column(Line(64), unique=True)
    feed_key_created_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class Announcement(db.Model):
    """A new Monday log or a new poll: an outbox record, like an issue's journal entry."""

    __tablename__ = "announcement"
    __table_args__ = (sa.Index("ix_announcement_pending", "fanned_out_at", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # log | poll
    kind: so.Mapped[str] = so.mapped_column(Line(10))
    published_log_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("published_log.id", ondelete="CASCADE"))
    poll_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))
    title: so.Mapped[str] = so.mapped_column(Line(300))
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
    event_ids: so.Mapped[str] = so.mapped_column(Line(500), default="")
    announcement_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("announcement.id", ondelete="CASCADE"))
    issue_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("issue.id", ondelete="CASCADE"), index=True)
    # The kinds of change in it that this person asked to hear about, comma-separated.
    kinds: so.Mapped[str] = so.mapped_column(Line(100), default="")
    # immediate | daily | weekly
    mode: so.Mapped[str] = so.mapped_column(Line(10))
    state: so.Mapped[str] = so.mapped_column(Line(10), default="pending")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # When it may go: now for immediate ones, the person's next digest time otherwise.
    due_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    claim: so.Mapped[str | None] = so.mapped_column(Line(32), index=True)
    claimed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    message_id: so.Mapped[str] = so.mapped_column(Line(200), default="")
    last_error: so.Mapped[str] = so.mapped_column(Line(500), default="")

    user: so.Mapped[User] = so.relationship(lazy="raise_on_sql")

    @property
    def kind_list(self) -> list[str]:
        return [kind for kind in self.kinds.split(",") if kind]

    @property
    def event_id_list(self) -> list[int]:
        return [int(part) for part in self.event_ids.split(",") if part]


class OutgoingEmail(db.Model):
    """An email to one address composed when it was asked for (an invitation, a password reset,
    a meeting invitation with its calendar file), sent by the same rounds and retries as the
    deliveries above.

    The whole message is stored sealed (core.sealed), since many carry a single-use link, and
    is wiped once the mail server has taken it; the row keeps who, what and when.
    state: pending -> sent | recorded (no SMTP configured) | skipped (the account was
    deactivated since) | failed (gave up).
    """

    __tablename__ = "outgoing_email"
    __table_args__ = (sa.Index("ix_outgoing_email_due", "state", "next_attempt_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    to_address: so.Mapped[str] = so.mapped_column(Line(254))
    # The account it is for, when there is one: a deactivated account is sent nothing.
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: so.Mapped[str] = so.mapped_column(Line(30))
    subject: so.Mapped[str] = so.mapped_column(Line(300))
    sealed_message: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary, deferred=True)
    state: so.Mapped[str] = so.mapped_column(Line(10), default="pending")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    claim: so.Mapped[str | None] = so.mapped_column(Line(32), index=True)
    claimed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    message_id: so.Mapped[str] = so.mapped_column(Line(200), default="")
    last_error: so.Mapped[str] = so.mapped_column(Line(500), default="")
