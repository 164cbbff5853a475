"""Webhook delivery on the job queue: one upkeep task, run every minute by every worker and soon after
any commit that wrote to the outbox (the request pokes it), so an event leaves within seconds while
nothing waits in the request."""

from __future__ import annotations

from ..jobs import background_task
from .delivery import deliver_pending
from .outbox import TASK


@background_task(TASK, every_minutes=1)
def deliver_webhooks() -> None:
    deliver_pending()
