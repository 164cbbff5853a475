"""Notifications on the job queue: one upkeep task that delivers whatever is due.

Every worker runs `deliver_pending()` every minute, and soon after any transaction that
wrote a journal entry or an announcement commits (the request pokes it), so an email
"at once" leaves within seconds while nothing waits in the request. Sending commits as
it goes (each email's record as soon as the mail server has taken it, since a sent
email cannot be rolled back), and fan-out claims the rows it takes, so several workers
may run it at once and a crash or an outage loses nothing: the next run picks it up.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from ..issues.models import IssueEvent
from ..jobs import background_task, poke_after_commit
from .delivery import deliver_pending, forget_deliveries
from .models import Announcement, OutgoingEmail

TASK = "notifications"


@background_task(TASK, every_minutes=1)
def deliver_notifications() -> None:
    deliver_pending()


@background_task("delivery-records", every_minutes=30)
def forget_old_deliveries() -> None:
    """The outbox's finished records are kept DELIVERY_KEEP_DAYS, then deleted."""
    forget_deliveries(timedelta(days=current_app.config["DELIVERY_KEEP_DAYS"]))


@sa.event.listens_for(Session, "after_flush")
def _deliver_soon_after_commit(session: Session, flush_context) -> None:
    if any(isinstance(record, IssueEvent | Announcement | OutgoingEmail) for record in session.new):
        poke_after_commit(TASK, session)
