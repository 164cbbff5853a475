"""Webhook subscriptions, the outbox of events, and each event's delivery to each subscription."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.models import Line, Prose, UTCDateTime, utcnow

EVENT_TYPES = (
    "issue.created", "issue.published", "issue.updated", "issue.resolved", "comment.created", "affected.declared",
    "log.published", "poll.opened", "incident.opened", "incident.updated", "incident.resolved",
)


class WebhookSubscription(db.Model):
    """An endpoint that is sent the events it chose, signed with its own secret."""

    __tablename__ = "webhook_subscription"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    url: so.Mapped[str] = so.mapped_column(Line(2000))
    # The event types, space-separated.
    events: so.Mapped[str] = so.mapped_column(Line(400))
    # The signing secret's 32 bytes, sealed with the site's key (core.sealed): it must be read to sign.
    secret_sealed: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    # Who made it: it never receives an event about something they may not see.
    owner_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # Since when every attempt has failed (None while it is healthy); after a day it is disabled.
    failing_since: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    disabled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    disabled_reason: so.Mapped[str] = so.mapped_column(Prose, default="")
    # One delivery at a time per endpoint: a worker claims the endpoint until this time.
    claimed_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    owner: so.Mapped[User] = so.relationship()
    organisation: so.Mapped[Organisation] = so.relationship()

    @property
    def event_types(self) -> list[str]:
        return self.events.split()


class WebhookEvent(db.Model):
    """The outbox: one row per event, written in the same transaction as the change it tells of."""

    __tablename__ = "webhook_event"
    __table_args__ = (sa.Index("ix_webhook_event_fan_out", "fanned_out_at", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # The id receivers see (webhook-id), stable across retries: "msg_<random>".
    message_id: so.Mapped[str] = so.mapped_column(Line(40), unique=True)
    event_type: so.Mapped[str] = so.mapped_column(Line(40))
    # What it is about, for the visibility check: an issue, or nothing that needs one.
    issue_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("issue.id", ondelete="CASCADE"), index=True)
    payload: so.Mapped[str] = so.mapped_column(Prose)  # the JSON body sent
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    fanned_out_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class WebhookDelivery(db.Model):
    """One event to one subscription: its attempts and their outcome (the delivery log)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_subscription_event"),
        sa.Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    subscription_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True
    )
    event_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True)
    # pending | delivered | failed
    state: so.Mapped[str] = so.mapped_column(Line(20), default="pending")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_status_code: so.Mapped[int | None] = so.mapped_column()
    last_error: so.Mapped[str] = so.mapped_column(Line(300), default="")
    delivered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    subscription: so.Mapped[WebhookSubscription] = so.relationship()
    event: so.Mapped[WebhookEvent] = so.relationship(lazy="joined")
