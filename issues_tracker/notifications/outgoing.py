"""Emails composed when they are asked for (invitations, password resets, address checks,
welcomes, notices of a changed password or second factor, meeting invitations, the Monday
log to the contact register), sent by the notifications rounds with the same retries as
the deliveries.

    queue_email(address, "Reset your password", "accounts/email/reset", kind="password_reset",
                user=user, link=link)

The message is built at once from `<template>.txt` and `.html`, sealed (core.sealed: it may
hold a single-use link, which is stored nowhere else) and kept until the mail server has
taken it; then only the record of it remains.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.undefer)
from flask import current_app

from ..accounts.models import User
from ..core.extensions import db
from ..core.models import utcnow
from ..core.sealed import Unreadable, seal, unseal
from ..core.urls import mail_domain
from .compose import MAIL_POLICY, SUBJECT_LIMIT, header_text
from .mailer import Mailer, PermanentFailure, TemporaryFailure
from .models import OutgoingEmail
from .sending import (
    CLAIM_TIMEOUT,
    MAX_ATTEMPTS,
    MAX_UNWRITABLE_ATTEMPTS,
    SendResult,
    _keep_loaded,
    _mailer_for_batch,
    backoff,
)

logger = logging.getLogger(__name__)

SEAL = "outgoing-email"
OUTGOING_BATCH = 200


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str
    params: dict | None = None


def render_pair(template: str, **context) -> tuple[str, str]:
    """The plain-text and HTML bodies from `<template>.txt` and `<template>.html`."""
    env = current_app.jinja_env
    return env.get_template(f"{template}.txt").render(**context), env.get_template(f"{template}.html").render(**context)


def queue_email(
    to_address: str,
    subject: str,
    template: str,
    *,
    kind: str,
    user: User | None = None,
    name: str = "",
    attachments: tuple[Attachment, ...] = (),
    unsubscribe: str | None = None,
    now: datetime | None = None,
    **context,
) -> OutgoingEmail:
    """Compose one email and add it to the outbox; the caller's transaction commits it."""
    now = now or utcnow()
    text, html = render_pair(template, subject=subject, user=user, unsubscribe_url=unsubscribe, **context)
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = formataddr((header_text(name or (user.name if user else "") or ""), to_address))
    message["Subject"] = header_text(subject, SUBJECT_LIMIT)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=kind.replace("_", "-"), domain=mail_domain())
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        message.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
            params=attachment.params or {},
        )
    email = OutgoingEmail(
        to_address=to_address,
        user_id=user.id if user else None,
        kind=kind,
        subject=message["Subject"][:300],
        sealed_message=seal(bytes(message), SEAL),
        created_at=now,
        next_attempt_at=now,
        message_id=message["Message-ID"],
    )
    db.session.add(email)
    db.session.flush()
    return email


# ---------------------------------------------------------------- sending


def _claimable(now: datetime):
    return sa.and_(
        OutgoingEmail.state == "pending",
        OutgoingEmail.next_attempt_at <= now,
        sa.or_(OutgoingEmail.claim.is_(None), OutgoingEmail.claimed_at < now - CLAIM_TIMEOUT),
    )


def _finish(email: OutgoingEmail, state: str, now: datetime, error: str = "") -> None:
    email.state = state
    email.claim = email.claimed_at = None
    email.last_error = error[:500]
    if state in ("sent", "recorded"):
        email.sent_at = now
    email.sealed_message = None  # the link in it is no longer kept anywhere
    db.session.commit()


def send_outgoing(*, now: datetime | None = None, limit: int = OUTGOING_BATCH, mailer: Mailer | None = None):
    """Send up to `limit` due composed emails; each outcome is committed as soon as it is known."""
    now = now or utcnow()
    result = SendResult()
    ids = db.session.scalars(sa.select(OutgoingEmail.id).where(_claimable(now)).order_by(OutgoingEmail.id).limit(limit)).all()
    if not ids:
        return result
    token = uuid.uuid4().hex
    db.session.execute(
        sa.update(OutgoingEmail).where(OutgoingEmail.id.in_(ids), _claimable(now)).values(claim=token, claimed_at=now),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    with _keep_loaded():
        emails = db.session.scalars(
            sa.select(OutgoingEmail)
            .where(OutgoingEmail.claim == token)
            .order_by(OutgoingEmail.id)
            .options(sa.orm.undefer(OutgoingEmail.sealed_message))
        ).all()
        inactive = set()
        user_ids = {email.user_id for email in emails if email.user_id}
        if user_ids:
            inactive = set(db.session.scalars(sa.select(User.id).where(User.id.in_(user_ids), User.active.is_(False))))
        with _mailer_for_batch(mailer) as mailer:
            for position, email in enumerate(emails):
                if email.user_id in inactive:
                    _finish(email, "skipped", now, "the account was deactivated")
                    result.skipped += 1
                    continue
                try:
                    message = message_from_bytes(unseal(email.sealed_message, SEAL), _class=EmailMessage, policy=MAIL_POLICY)
                except Unreadable:
                    _finish(email, "failed", now, "sealed with another SECRET_KEY")
                    result.failed += 1
                    continue
                try:
                    outcome = mailer.send(message)
                except PermanentFailure as exc:
                    logger.warning("Email to %s refused for good: %s", email.to_address, exc)
                    _finish(email, "failed", now, str(exc))
                    result.failed += 1
                    continue
                except TemporaryFailure as exc:
                    logger.warning("Email not sent, will retry: %s", exc)
                    for waiting in emails[position:]:
                        waiting.attempts += 1
                        waiting.claim = waiting.claimed_at = None
                        waiting.last_error = str(exc)[:500]
                        if waiting.attempts >= MAX_ATTEMPTS:
                            waiting.state, waiting.sealed_message = "failed", None
                            result.failed += 1
                        else:
                            waiting.next_attempt_at = now + backoff(waiting.attempts)
                            result.retrying += 1
                    db.session.commit()
                    break
                except Exception as exc:  # the mail library refused this message: it fails alone
                    logger.error("Email %s could not be sent", email.id, exc_info=exc)
                    mailer.close()
                    db.session.rollback()
                    email.attempts += 1
                    email.claim = email.claimed_at = None
                    email.last_error = f"The email could not be sent: {type(exc).__name__}: {exc}"[:500]
                    if email.attempts >= MAX_UNWRITABLE_ATTEMPTS:
                        email.state, email.sealed_message = "failed", None
                        result.failed += 1
                    else:
                        email.next_attempt_at = now + backoff(email.attempts)
                        result.retrying += 1
                    db.session.commit()
                    continue
                _finish(email, outcome, now)
                if outcome == "sent":
                    result.sent += 1
                else:
                    result.recorded += 1
    result.more = len(ids) >= limit
    return result
