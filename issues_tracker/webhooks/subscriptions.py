"""Webhook subscriptions: who may make them (organisation admins for their organisation, and staff),
making one (its secret shown once), listing, removing, and sending a delivery again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import User
from ..core.extensions import db
from ..core.models import utcnow
from ..core.sealed import seal, unseal
from ..core.transaction import flush
from . import signing
from .models import EVENT_TYPES, WebhookDelivery, WebhookSubscription
from .network import RefusedAddress, check_url

SEALED_FOR = "webhook secret"
MAX_PER_ORGANISATION = 20  # a participant organisation's active webhooks (staff's are not counted)


class SubscriptionError(ValueError):
    """A subscription that cannot be made as asked; `field` names what to correct."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewSubscription:
    subscription: WebhookSubscription
    secret: str  # whsec_…, shown once


def may_subscribe(user: User) -> bool:
    return user.is_staff or user.organisation_admin


def may_manage(user: User, subscription: WebhookSubscription) -> bool:
    return user.is_staff or subscription.owner_id == user.id or (
        user.organisation_admin and subscription.organisation_id == user.organisation_id
    )


def secret_of(subscription: WebhookSubscription) -> bytes:
    return unseal(subscription.secret_sealed, SEALED_FOR)


def subscribe(user: User, url: str, events: list[str], *, now: datetime | None = None) -> NewSubscription:
    """A new subscription of `user` (an organisation admin or staff); the caller commits."""
    if not may_subscribe(user):
        raise SubscriptionError("Only organisation admins and the service-management team can subscribe webhooks.")
    url = (url or "").strip()
    try:
        check_url(url, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"])
    except RefusedAddress as exc:
        raise SubscriptionError(str(exc), "url") from None
    chosen = [event for event in EVENT_TYPES if event in set(events or ())]
    unknown = sorted(set(events or ()) - set(EVENT_TYPES))
    if unknown or not chosen:
        raise SubscriptionError(f"Choose events from: {', '.join(EVENT_TYPES)}.", "events")
    count = 0 if user.is_staff else db.session.scalar(sa.select(sa.func.count()).select_from(WebhookSubscription).where(
        WebhookSubscription.organisation_id == user.organisation_id, WebhookSubscription.active.is_(True)))
    if count >= MAX_PER_ORGANISATION:
        raise SubscriptionError(f"An organisation can have at most {MAX_PER_ORGANISATION} active webhooks.")
    secret = signing.new_secret()
    subscription = WebhookSubscription(
        url=url, events=" ".join(chosen), secret_sealed=seal(secret, SEALED_FOR), owner_id=user.id,
        organisation_id=user.organisation_id, created_at=now or utcnow(), active=True, disabled_reason="",
    )
    db.session.add(subscription)
    flush()
    return NewSubscription(subscription, signing.secret_text(secret))


def subscriptions_for(user: User) -> list[WebhookSubscription]:
    """Those the person may manage: their own, their organisation's (an admin), every one (staff)."""
    query = sa.select(WebhookSubscription).order_by(WebhookSubscription.created_at.desc(), WebhookSubscription.id.desc())
    if not user.is_staff:
        mine = WebhookSubscription.owner_id == user.id
        query = query.where(sa.or_(mine, WebhookSubscription.organisation_id == user.organisation_id)
                            if user.organisation_admin else mine)
    return db.session.scalars(query).all()


def remove(subscription: WebhookSubscription) -> None:
    db.session.delete(subscription)
    flush()


def deliveries_of(subscription: WebhookSubscription, *, limit: int = 100) -> list[WebhookDelivery]:
    return db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
        .order_by(WebhookDelivery.event_id.desc()).limit(limit)
    ).all()


def send_again(subscription: WebhookSubscription, delivery: WebhookDelivery, *, now: datetime | None = None) -> None:
    """Queue the delivery again (in its place in the order); a disabled subscription is enabled again."""
    now = now or utcnow()
    if not subscription.active:
        subscription.active = True
        subscription.disabled_at = None
        subscription.disabled_reason = ""
        subscription.failing_since = None
        # What it missed from this delivery on is sent again, in order.
        db.session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription.id, WebhookDelivery.state == "failed",
                   WebhookDelivery.event_id > delivery.event_id)
            .values(state="pending", next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    delivery.state = "pending"
    delivery.next_attempt_at = now
    flush()
