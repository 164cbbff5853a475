"""deliver_pending(): fan out, send and digest everything due, in rounds, as a worker does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.joinedload)
from prometheus_client.core import GaugeMetricFamily

from ..core.extensions import db
from ..core.metrics import state_source
from ..core.models import utcnow
from .models import Delivery, OutgoingEmail
from .outbox import fan_out
from .outgoing import send_outgoing
from .sending import SendResult, send_digests, send_immediate


@dataclass
class DeliveryReport:
    records: int = 0
    deliveries: int = 0
    immediate: SendResult = field(default_factory=SendResult)
    digests: SendResult = field(default_factory=SendResult)
    composed: SendResult = field(default_factory=SendResult)

    @property
    def summary(self) -> str:
        parts = (self.immediate, self.digests, self.composed)
        sent = sum(part.sent for part in parts)
        recorded = sum(part.recorded for part in parts)
        retrying = sum(part.retrying for part in parts)
        failed = sum(part.failed for part in parts)
        text = (f"{self.records} journal entr{'y' if self.records == 1 else 'ies'} fanned out into "
                f"{self.deliveries} deliver{'y' if self.deliveries == 1 else 'ies'}; {sent} email{'' if sent == 1 else 's'} sent")
        if recorded:
            text += f", {recorded} recorded (no SMTP_URL)"
        if retrying:
            text += f", {retrying} to retry"
        if failed:
            text += f", {failed} given up"
        return text + "."


def fan_out_all(*, now: datetime | None = None) -> tuple[int, int]:
    records = deliveries = 0
    while True:
        result = fan_out(now=now)
        db.session.commit()
        records += result.records
        deliveries += result.deliveries
        if not result.records:
            return records, deliveries


def deliver_pending(*, now: datetime | None = None, max_rounds: int = 10_000) -> DeliveryReport:
    """Everything due now: fan-out of new records, "at once" emails, due digests.

    Stops when nothing is left or the mail server is unavailable (the rest waits for its
    retry time). Commits as it goes, round by round.
    """
    report = DeliveryReport()
    for _ in range(max_rounds):
        moment = now or utcnow()
        records, deliveries = fan_out_all(now=moment)
        report.records += records
        report.deliveries += deliveries
        immediate = send_immediate(now=moment)
        report.immediate.add(immediate)
        digests = send_digests(now=moment)
        report.digests.add(digests)
        composed = send_outgoing(now=moment)
        report.composed.add(composed)
        busy = records or immediate.handled or digests.handled or composed.handled
        if not busy or immediate.retrying or digests.retrying or composed.retrying:
            break
    db.session.commit()
    return report


def forget_deliveries(keep: timedelta, *, now: datetime | None = None) -> int:
    """Delete the records of emails finished (sent, recorded, skipped or given up) and made longer
    ago than `keep`. Their journal entries stay marked as fanned out, so nobody is told again;
    emails still waiting are kept however old. Flushes; the caller commits."""
    before = (now or utcnow()) - keep
    result = db.session.execute(
        sa.delete(Delivery)
        .where(Delivery.state != "pending", Delivery.created_at < before)
        .execution_options(synchronize_session=False)
    )
    composed = db.session.execute(
        sa.delete(OutgoingEmail)
        .where(OutgoingEmail.state != "pending", OutgoingEmail.created_at < before)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) + (composed.rowcount or 0)


@dataclass
class OutboxState:
    """What staff see of the email outbox: how much waits, and the emails that are in trouble."""

    waiting: int
    retrying: list[Delivery]
    failed: list[Delivery]
    failed_total: int
    # Emails composed when asked for (invitations, password resets, the Monday log to recipients)
    composed_retrying: list[OutgoingEmail]
    composed_failed: list[OutgoingEmail]


def outbox_state(*, limit: int = 100) -> OutboxState:
    """Deliveries retrying after a failure and those given up, newest first."""
    waiting = db.session.scalar(
        sa.select(sa.func.count()).select_from(Delivery).where(Delivery.state == "pending", Delivery.attempts == 0)
    )
    troubled = (sa.select(Delivery).options(sa.orm.joinedload(Delivery.user))
                .order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit))
    retrying = db.session.scalars(troubled.where(Delivery.state == "pending", Delivery.attempts > 0)).all()
    failed = db.session.scalars(troubled.where(Delivery.state == "failed")).all()
    failed_total = db.session.scalar(
        sa.select(sa.func.count()).select_from(Delivery).where(Delivery.state == "failed")
    )
    composed = sa.select(OutgoingEmail).order_by(OutgoingEmail.created_at.desc(), OutgoingEmail.id.desc()).limit(limit)
    return OutboxState(
        waiting, retrying, failed, failed_total,
        db.session.scalars(composed.where(OutgoingEmail.state == "pending", OutgoingEmail.attempts > 0)).all(),
        db.session.scalars(composed.where(OutgoingEmail.state == "failed")).all(),
    )


@state_source
def email_metrics():
    """Emails waiting to go, retrying after a failure, and given up."""
    family = GaugeMetricFamily("issues_tracker_emails", "Email deliveries by state.", labels=["state"])
    rows = dict(db.session.execute(
        sa.select(sa.case((sa.and_(Delivery.state == "pending", Delivery.attempts > 0), "retrying"),
                          (Delivery.state == "pending", "waiting"), else_=Delivery.state), sa.func.count())
        .where(Delivery.state.in_(("pending", "failed"))).group_by(sa.literal_column("1"))
    ).all())
    for state in ("waiting", "retrying", "failed"):
        family.add_metric([state], rows.get(state, 0))
    return [family]
