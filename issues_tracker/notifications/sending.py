"""Handing deliveries to SMTP: at once, or gathered into digests; with retries.

Each round claims a batch of due deliveries (a short transaction of its own, so two
workers never take the same ones), then sends them over one SMTP connection and records
each outcome as soon as the server has taken the message. An email handed to SMTP
cannot be taken back, so the record of it is committed at once rather than with the
rest of the batch; that is what lets a crash or an outage end with every email sent
exactly once. A claim left behind by a crashed worker is taken up again after
CLAIM_TIMEOUT.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..core.extensions import db
from ..core.models import utcnow
from .compose import Batch, announcement_message, change_message, digest_message, group_by_person
from .mailer import Mailer, PermanentFailure, TemporaryFailure
from .models import Delivery

logger = logging.getLogger(__name__)

SEND_BATCH = 200
DIGEST_PEOPLE_BATCH = 200
CLAIM_TIMEOUT = timedelta(minutes=10)
MAX_ATTEMPTS = 12  # about a day and a half of retrying, then the delivery is given up
# A message that cannot be written, or that the mail library will not take, fails alone: it is
# tried a few more times (the data behind it may change), then given up and shown to staff.
MAX_UNWRITABLE_ATTEMPTS = 5
BACKOFF_CAP = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most BACKOFF_CAP."""
    return min(timedelta(minutes=2 ** max(0, attempts - 1)), BACKOFF_CAP)


@dataclass
class SendResult:
    sent: int = 0
    recorded: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    more: bool = False

    def add(self, other: SendResult) -> None:
        for name in ("sent", "recorded", "skipped", "retrying", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.more = self.more or other.more

    @property
    def handled(self) -> int:
        return self.sent + self.recorded + self.skipped + self.retrying + self.failed


def make_mailer() -> Mailer:
    return Mailer(current_app.config.get("SMTP_URL"), Path(current_app.instance_path) / "mail")


@contextmanager
def _mailer_for_batch(given: Mailer | None):
    """The mailer given (its owner closes it), or one of the batch's own, closed after it."""
    if given is not None:
        yield given
        return
    mailer = make_mailer()
    try:
        yield mailer
    finally:
        mailer.close()


@contextmanager
def _keep_loaded():
    """Commit outcomes one by one without reloading the batch's rows after each commit."""
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = previous


def _claimable(now: datetime):
    return sa.and_(
        Delivery.state == "pending",
        Delivery.next_attempt_at <= now,
        sa.or_(Delivery.claim.is_(None), Delivery.claimed_at < now - CLAIM_TIMEOUT),
    )


def _claim(ids: list[int], now: datetime) -> list[Delivery]:
    """Take these deliveries for this worker (committed at once); those another took are left."""
    if not ids:
        return []
    token = uuid.uuid4().hex
    db.session.execute(
        sa.update(Delivery).where(Delivery.id.in_(ids), _claimable(now)).values(claim=token, claimed_at=now),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return db.session.scalars(sa.select(Delivery).where(Delivery.claim == token).order_by(Delivery.id)).all()


def _finish(deliveries: list[Delivery], state: str, now: datetime, *, message_id: str = "", error: str = "") -> None:
    for delivery in deliveries:
        delivery.state = state
        delivery.claim = None
        delivery.claimed_at = None
        if state in ("sent", "recorded"):
            delivery.sent_at = now
            delivery.message_id = message_id
        delivery.last_error = error[:500]
    db.session.commit()


def _retry(deliveries: list[Delivery], now: datetime, error: str, result: SendResult,
           max_attempts: int = MAX_ATTEMPTS) -> None:
    for delivery in deliveries:
        delivery.attempts += 1
        delivery.claim = None
        delivery.claimed_at = None
        delivery.last_error = error[:500]
        if delivery.attempts >= max_attempts:
            delivery.state = "failed"
            result.failed += 1
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            result.retrying += 1
    db.session.commit()


def _unwritable(deliveries: list[Delivery], now: datetime, error: Exception, result: SendResult) -> None:
    """These deliveries' message could not be written or taken: they fail alone, retried with backoff
    a few times and then given up; the rest of the batch goes on."""
    logger.error("Email for deliveries %s could not be written or sent", [d.id for d in deliveries], exc_info=error)
    db.session.rollback()
    _retry(deliveries, now, f"The email could not be written or sent: {type(error).__name__}: {error}", result,
           max_attempts=MAX_UNWRITABLE_ATTEMPTS)


def _build(make, deliveries: list[Delivery], now: datetime, result: SendResult):
    """The message `make()` writes, or None after recording why it could not be written."""
    try:
        return make(), True
    except Exception as exc:
        _unwritable(deliveries, now, exc, result)
        return None, False


def _send(mailer: Mailer, message, deliveries: list[Delivery], now: datetime, result: SendResult) -> bool:
    """Send one message for these deliveries; False when the server is unavailable."""
    try:
        outcome = mailer.send(message)
    except PermanentFailure as exc:
        logger.warning("Email to %s refused for good: %s", message["To"], exc)
        _finish(deliveries, "failed", now, error=str(exc))
        result.failed += len(deliveries)
        return True
    except TemporaryFailure as exc:
        logger.warning("Email not sent, will retry: %s", exc)
        _retry(deliveries, now, str(exc), result)
        return False
    except Exception as exc:  # the mail library refused this message (an address it cannot encode, say)
        mailer.close()
        _unwritable(deliveries, now, exc, result)
        return True
    _finish(deliveries, outcome, now, message_id=message["Message-ID"])
    if outcome == "sent":
        result.sent += 1
    else:
        result.recorded += 1
    return True


def send_immediate(*, now: datetime | None = None, limit: int = SEND_BATCH, mailer: Mailer | None = None) -> SendResult:
    """Send up to `limit` due "at once" emails."""
    with _keep_loaded():
        return _send_immediate(now or utcnow(), limit, mailer)


def _send_immediate(now: datetime, limit: int, mailer: Mailer | None) -> SendResult:
    result = SendResult()
    ids = db.session.scalars(
        sa.select(Delivery.id).where(_claimable(now), Delivery.mode == "immediate").order_by(Delivery.id).limit(limit)
    ).all()
    deliveries = _claim(ids, now)
    if not deliveries:
        return result
    batch = Batch(deliveries)
    with _mailer_for_batch(mailer) as mailer:
        for position, delivery in enumerate(deliveries):
            message, written = _build(lambda delivery=delivery: _immediate_message(batch, delivery, now), [delivery],
                                      now, result)
            if not written:
                continue
            if message is None:
                _finish([delivery], "skipped", now)
                result.skipped += 1
                continue
            if not _send(mailer, message, [delivery], now, result):
                # The server is unavailable: the rest of the batch waits for the next attempt.
                _retry(deliveries[position + 1:], now, delivery.last_error, result)
                break
    result.more = len(ids) >= limit
    return result


def _immediate_message(batch: Batch, delivery: Delivery, now: datetime):
    if delivery.announcement_id:
        news = batch.announcement_news(delivery)
        return announcement_message(batch, delivery, news, now) if news else None
    items = batch.issue_items(delivery)
    return change_message(batch, delivery, items, now) if items else None


def send_digests(*, now: datetime | None = None, people: int = DIGEST_PEOPLE_BATCH, mailer: Mailer | None = None) -> SendResult:
    """Send the due daily and weekly digests of up to `people` people: one email each."""
    with _keep_loaded():
        return _send_digests(now or utcnow(), people, mailer)


def _send_digests(now: datetime, people: int, mailer: Mailer | None) -> SendResult:
    result = SendResult()
    due = sa.and_(_claimable(now), Delivery.mode.in_(("daily", "weekly")), Delivery.due_at <= now)
    user_ids = db.session.scalars(
        sa.select(Delivery.user_id).where(due).group_by(Delivery.user_id).order_by(Delivery.user_id).limit(people)
    ).all()
    if not user_ids:
        return result
    ids = db.session.scalars(sa.select(Delivery.id).where(due, Delivery.user_id.in_(user_ids))).all()
    deliveries = _claim(ids, now)
    batch = Batch(deliveries)
    with _mailer_for_batch(mailer) as mailer:
        groups = list(group_by_person(deliveries).items())
        for position, ((user_id, mode), group) in enumerate(groups):
            message, written = _build(lambda group=group, user_id=user_id, mode=mode:
                                      digest_message(batch, user_id, mode, group, now), group, now, result)
            if not written:
                continue
            if message is None:
                _finish(group, "skipped", now)
                result.skipped += len(group)
                continue
            if not _send(mailer, message, group, now, result):
                for _, rest in groups[position + 1:]:
                    _retry(rest, now, group[0].last_error, result)
                break
    result.more = len(user_ids) >= people
    return result
