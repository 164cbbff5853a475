"""Delivering the outbox: fan-out of new events to the subscriptions that may hear of them, then each
endpoint's deliveries one at a time and in order, each attempt committed as it is made (a request
sent cannot be rolled back). A failed attempt is retried with exponential backoff; an endpoint that
has failed for WEBHOOK_DISABLE_AFTER_HOURS is disabled and its owner emailed. Several workers may run
this at once: an endpoint is claimed before it is sent to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..core.extensions import db
from ..core.models import utcnow
from ..core.urls import external_url
from ..issues.access import can_view_issue
from ..issues.models import Issue
from ..notifications.outgoing import queue_email
from . import signing
from .models import WebhookDelivery, WebhookEvent, WebhookSubscription
from .network import post
from .subscriptions import secret_of

FAN_OUT_BATCH = 500
CLAIM_SECONDS = 120
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class DeliveryReport:
    events: int = 0
    queued: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    disabled: int = 0


def fan_out(*, now: datetime | None = None) -> tuple[int, int]:
    """Turn new outbox events into deliveries for each subscription whose owner may see them. Flushes."""
    now = now or utcnow()
    events = db.session.scalars(
        sa.select(WebhookEvent).where(WebhookEvent.fanned_out_at.is_(None)).order_by(WebhookEvent.id).limit(FAN_OUT_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return 0, 0
    subscriptions = db.session.scalars(sa.select(WebhookSubscription).where(WebhookSubscription.active.is_(True))).all()
    rows = []
    for event in events:
        issue = db.session.get(Issue, event.issue_id) if event.issue_id is not None else None
        for subscription in subscriptions:
            if event.event_type not in subscription.event_types or subscription.created_at > event.created_at:
                continue
            if event.issue_id is not None and (issue is None or not can_view_issue(subscription.owner, issue)):
                continue  # never an event about something the owner may not see
            rows.append({"subscription_id": subscription.id, "event_id": event.id, "state": "pending", "attempts": 0,
                         "created_at": now, "next_attempt_at": now, "last_error": ""})
        event.fanned_out_at = now
    if rows:
        db.session.execute(sa.insert(WebhookDelivery.__table__), rows)
    db.session.flush()
    return len(events), len(rows)


def backoff(attempts: int) -> timedelta:
    base = timedelta(seconds=current_app.config["WEBHOOK_RETRY_SECONDS"])
    return min(base * (2 ** max(0, attempts - 1)), MAX_BACKOFF)


def _claim(subscription_id: int, now: datetime) -> bool:
    claimed = db.session.execute(
        sa.update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id, WebhookSubscription.active.is_(True),
               sa.or_(WebhookSubscription.claimed_until.is_(None), WebhookSubscription.claimed_until < now))
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def _release(subscription_id: int) -> None:
    db.session.execute(
        sa.update(WebhookSubscription).where(WebhookSubscription.id == subscription_id).values(claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _next_of(subscription_id: int) -> WebhookDelivery | None:
    """The endpoint's oldest delivery still to make: later ones wait for it (in order)."""
    return db.session.scalar(
        sa.select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id,
                                         WebhookDelivery.state == "pending")
        .order_by(WebhookDelivery.event_id).limit(1)
    )


def attempt(delivery: WebhookDelivery, subscription: WebhookSubscription, now: datetime) -> bool:
    """Send one delivery and record the outcome (not committed here)."""
    event = delivery.event
    timestamp = int(utcnow().timestamp())  # when it is really sent, whatever moment the schedule is at
    headers = signing.headers(secret_of(subscription), event.message_id, timestamp, event.payload)
    outcome = post(subscription.url, event.payload, headers, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"])
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error[:300]
    if outcome.delivered:
        delivery.state = "delivered"
        delivery.delivered_at = now
        subscription.failing_since = None
        return True
    subscription.failing_since = subscription.failing_since or now
    delivery.next_attempt_at = now + backoff(delivery.attempts)
    if now - subscription.failing_since >= timedelta(hours=current_app.config["WEBHOOK_DISABLE_AFTER_HOURS"]):
        disable(subscription, outcome.error or "no answer", now)
    return False


def disable(subscription: WebhookSubscription, reason: str, now: datetime) -> None:
    subscription.active = False
    subscription.disabled_at = now
    subscription.disabled_reason = f"Failing since {subscription.failing_since:%Y-%m-%d %H:%M} UTC: {reason}"
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription.id, WebhookDelivery.state == "pending")
        .values(state="failed")
        .execution_options(synchronize_session=False)
    )
    owner = subscription.owner
    if owner is not None and owner.active:
        queue_email(owner.email, "Your webhook is disabled", "webhooks/email/disabled", kind="webhook_disabled", user=owner,
                    subscription=subscription, reason=reason,
                    page=external_url("webhooks.subscription", subscription_id=subscription.id), now=now)


def deliver_endpoint(subscription_id: int, now: datetime, report: DeliveryReport) -> None:
    """Send the endpoint's due deliveries in order until one fails or none is due; one attempt per commit."""
    if not _claim(subscription_id, now):
        return
    try:
        while True:
            subscription = db.session.get(WebhookSubscription, subscription_id)
            delivery = _next_of(subscription_id)
            if subscription is None or not subscription.active or delivery is None or delivery.next_attempt_at > now:
                break
            delivered = attempt(delivery, subscription, now)
            db.session.commit()
            if delivered:
                report.delivered += 1
            else:
                report.failed_attempts += 1
                report.disabled += 0 if subscription.active else 1
                break
    finally:
        _release(subscription_id)


def deliver_pending(*, now: datetime | None = None) -> DeliveryReport:
    """Everything due now: fan-out, then each endpoint with a due delivery. Commits as it goes."""
    report = DeliveryReport()
    while True:
        events, queued = fan_out(now=now)
        db.session.commit()
        report.events += events
        report.queued += queued
        if events < FAN_OUT_BATCH:
            break
    moment = now or utcnow()
    due = db.session.scalars(
        sa.select(WebhookDelivery.subscription_id).join(WebhookSubscription)
        .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= moment,
               WebhookSubscription.active.is_(True))
        .distinct()
    ).all()
    for subscription_id in sorted(due):
        deliver_endpoint(subscription_id, now or utcnow(), report)
    return report
