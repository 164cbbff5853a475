"""The weekly industry issues log's changes: staff commentary, and publishing a week.

A published log is an immutable snapshot: the PDF bytes are stored with their
SHA-256 and served as stored, never rendered again. A correction is a new,
numbered revision of the same week; the earlier revision stays downloadable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import User
from ..core.extensions import db
from ..core.formats import format_date, format_datetime, plural
from ..core.models import utcnow
from ..core.transaction import ConflictError, flush, savepoint
from ..notifications.models import Announcement
from .contents import get_commentary, log_contents, render_log_pdf
from .models import LogCommentary, PublishedLog
from .weeks import LATE_PUBLICATION_WEEKS, LogError, check_monday, check_publishable, current_week

COMMENTARY_FIELDS = ("trends", "emerging_risks", "decisions_required")


# ---------------------------------------------------------------- commentary


def save_commentary(
    week: date, data: dict, user: User, *, expected_version: int | None = None, now: datetime | None = None
) -> LogCommentary:
    """Write the week's commentary. expected_version: the version the editor saw (0: none yet);
    ConflictError when someone else saved it since."""
    check_monday(week)
    commentary = get_commentary(week)
    if expected_version is not None and expected_version != (commentary.version if commentary else 0):
        raise ConflictError("Someone else saved this week's commentary after you opened it, so yours was not saved.")
    if commentary is None:
        commentary = LogCommentary(week_commencing=week)
        db.session.add(commentary)
    for name in COMMENTARY_FIELDS:
        setattr(commentary, name, (data.get(name) or "").strip())
    commentary.updated_by_id = user.id
    commentary.updated_at = now or utcnow()
    flush()
    return commentary


# ---------------------------------------------------------------- publishing


def latest_revision(week: date) -> PublishedLog | None:
    return db.session.scalar(
        sa.select(PublishedLog)
        .where(PublishedLog.week_commencing == week)
        .order_by(PublishedLog.revision.desc())
        .limit(1)
    )


@dataclass
class PublishOutcome:
    log: PublishedLog
    created: bool

    @property
    def message(self) -> str:
        log = self.log
        week = format_date(log.week_commencing)
        when = format_datetime(log.published_at)
        if not self.created:
            return (
                f"The log for the week commencing {week} is already published (revision {log.revision}, {when}); "
                "nothing changed. To correct it, publish a new revision with a reason."
            )
        what = "Published" if log.revision == 1 else f"Published revision {log.revision} of"
        return (
            f"{what} the industry issues log for the week commencing {week}: {plural(log.open_count, 'open issue')}, "
            f"{log.size_bytes / 1024:.1f} kB, SHA-256 {log.sha256[:16]}…"
        )


def check_publish_request(week: date, *, revise: bool, reason: str, now: datetime | None = None) -> PublishedLog | None:
    """Refuse (LogError) a request that cannot be carried out; return the published log when it would change nothing."""
    check_publishable(week, now)
    existing = latest_revision(week)
    if revise:
        if existing is None:
            raise LogError(
                f"There is no published log for the week commencing {week.isoformat()} to revise; publish it first."
            )
        if not (reason or "").strip():
            raise LogError("Say what the revision corrects: a reason is required.", field="reason")
        return None
    if (reason or "").strip():
        raise LogError("A reason is given only with a revision (--revise).", field="reason")
    if existing is None:
        check_first_publication(week, now)
    return existing


def check_first_publication(week: date, now: datetime | None = None) -> None:
    """A new week is published in order, and only this week or shortly after it."""
    latest_week = db.session.scalar(sa.select(sa.func.max(PublishedLog.week_commencing)))
    if latest_week is not None and latest_week > week:
        raise LogError(
            f"The log for the later week commencing {latest_week.isoformat()} is already published; "
            f"a log for {week.isoformat()} now would misplace this week's changes. Revise a published week instead."
        )
    oldest = current_week(now) - timedelta(weeks=LATE_PUBLICATION_WEEKS)
    if week < oldest:
        raise LogError(
            f"The week commencing {week.isoformat()} is over; the log can be published for this week or last week "
            f"({oldest.isoformat()} or later). A published week can be revised at any time."
        )


def publish_log(
    week: date,
    *,
    user: User | None = None,
    revise: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> PublishOutcome:
    """Render and store the log for the week commencing `week`, once.

    Publishing a week that exists changes nothing (created=False), unless `revise`
    asks for a correction, which needs a reason and becomes the next revision.
    """
    now = now or utcnow()
    reason = (reason or "").strip()
    existing = check_publish_request(week, revise=revise, reason=reason, now=now)
    if existing is not None:
        return PublishOutcome(existing, created=False)
    existing = latest_revision(week)

    revision = existing.revision + 1 if existing else 1
    contents = log_contents(week, now=now)
    pdf = render_log_pdf(contents, published_at=now, revision=revision, reason=reason)
    log = PublishedLog(
        week_commencing=week,
        revision=revision,
        published_at=now,
        published_by_id=user.id if user else None,
        reason=reason,
        **contents.summary.counts(),
        sha256=hashlib.sha256(pdf).hexdigest(),
        size_bytes=len(pdf),
        pdf=pdf,
    )
    try:
        with savepoint():
            db.session.add(log)
            db.session.flush()
    except sa.exc.IntegrityError:
        # Someone published the same revision while this one rendered: theirs stands.
        theirs = latest_revision(week)
        if theirs is None:
            raise
        if revise:
            raise LogError(
                f"Revision {theirs.revision} of the week commencing {week.isoformat()} was published while this "
                "one was rendering; check it, and publish another revision if it still needs correcting."
            ) from None
        return PublishOutcome(theirs, created=False)
    # Told to everyone who wants to hear of it, from this outbox record, by the worker.
    title = f"Industry issues log for the week commencing {week.strftime('%d %b %Y')}"
    title = title if revision == 1 else f"{title}, revision {revision}: {reason}"
    db.session.add(Announcement(
        kind="log", published_log_id=log.id, created_by_id=user.id if user else None, created_at=now, title=title,
    ))
    # And, with the PDF attached, to the Monday-log recipients of every organisation's contact register.
    from ..organisations.distribution import send_log

    send_log(log, title, now=now)
    flush()
    return PublishOutcome(log, created=True)


@dataclass
class ArchivedWeek:
    week: date
    revisions: list[PublishedLog]  # newest first
    publishers: dict[int, str]

    @property
    def latest(self) -> PublishedLog:
        return self.revisions[0]

    def publisher(self, log: PublishedLog) -> str:
        return self.publishers.get(log.published_by_id, "the command line (scheduled run)")


def archive() -> list[ArchivedWeek]:
    """Every published week, newest first, with its revisions; the PDF bytes stay unloaded."""
    logs = db.session.scalars(
        sa.select(PublishedLog).order_by(PublishedLog.week_commencing.desc(), PublishedLog.revision.desc())
    ).all()
    user_ids = {log.published_by_id for log in logs if log.published_by_id}
    publishers = dict(
        db.session.execute(sa.select(User.id, sa.func.coalesce(sa.func.nullif(User.name, ""), User.email))
                           .where(User.id.in_(user_ids))).all()
    ) if user_ids else {}
    weeks: dict[date, list[PublishedLog]] = {}
    for log in logs:
        weeks.setdefault(log.week_commencing, []).append(log)
    return [ArchivedWeek(week, revisions, publishers) for week, revisions in weeks.items()]


def get_log(week: date, revision: int | None = None) -> PublishedLog | None:
    stmt = sa.select(PublishedLog).where(PublishedLog.week_commencing == week)
    if revision is None:
        stmt = stmt.order_by(PublishedLog.revision.desc()).limit(1)
    else:
        stmt = stmt.where(PublishedLog.revision == revision)
    return db.session.scalar(stmt.options(so.undefer(PublishedLog.pdf)))


def latest_log() -> PublishedLog | None:
    return db.session.scalar(
        sa.select(PublishedLog)
        .order_by(PublishedLog.week_commencing.desc(), PublishedLog.revision.desc())
        .limit(1)
        .options(so.undefer(PublishedLog.pdf))
    )
