"""Background jobs for notifications, with the job queue's signature ``(ctx, **params) -> str``.

The job runner commits when a function returns and rolls back if it raises. Sending is
the exception the runner allows for: each email's record is committed as soon as the
mail server has taken it (see sending.py), because a sent email cannot be rolled back.

Schedule (see the README):
- notifications_fan_out: soon after any change is committed, and every minute;
- notifications_send: after a fan-out that made "at once" deliveries, and every minute;
- notifications_digests: every five minutes (digests go at each person's local hour);
- notifications_sweep: every minute, picks up anything left behind (a crash, an outage).
"""

from __future__ import annotations

from ..extensions import db
from .delivery import deliver_pending, fan_out_all
from .sending import send_digests, send_immediate


def notifications_fan_out(ctx) -> str:
    """Turn new journal entries and announcements into per-person deliveries."""
    ctx.progress(10, "Fanning out new changes")
    records, deliveries = fan_out_all()
    return f"{records} journal entries and announcements fanned out into {deliveries} deliveries."


def notifications_send(ctx, limit: int = 200) -> str:
    """Hand up to `limit` due "at once" emails to the mail server."""
    ctx.progress(10, "Sending email")
    result = send_immediate(limit=limit)
    db.session.commit()
    return (f"{result.sent} sent, {result.recorded} recorded, {result.skipped} no longer due, "
            f"{result.retrying} to retry, {result.failed} given up" + ("; more waiting." if result.more else "."))


def notifications_digests(ctx, people: int = 200) -> str:
    """Send the daily and weekly digests now due, for up to `people` people."""
    ctx.progress(10, "Sending digests")
    result = send_digests(people=people)
    db.session.commit()
    return (f"{result.sent} digests sent, {result.recorded} recorded, {result.retrying} deliveries to retry"
            + ("; more waiting." if result.more else "."))


def notifications_sweep(ctx) -> str:
    """Everything due: fan-out, "at once" emails and digests, until none is left."""
    ctx.progress(10, "Delivering notifications")
    return deliver_pending().summary


JOBS = {
    "notifications_fan_out": notifications_fan_out,
    "notifications_send": notifications_send,
    "notifications_digests": notifications_digests,
    "notifications_sweep": notifications_sweep,
}
