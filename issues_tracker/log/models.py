"""The weekly industry issues log: staff commentary and immutable published PDFs."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..core.extensions import db
from ..core.models import Line, Prose, UTCDateTime, utcnow


class LogCommentary(db.Model):
    """Staff commentary drafted for a week before its log is published."""

    __tablename__ = "log_commentary"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    week_commencing: so.Mapped[date] = so.mapped_column(sa.Date, unique=True)
    trends: so.Mapped[str] = so.mapped_column(Prose, default="")
    emerging_risks: so.Mapped[str] = so.mapped_column(Prose, default="")
    decisions_required: so.Mapped[str] = so.mapped_column(Prose, default="")
    updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # Bumped on every save: a save based on an older version is refused as a conflict.
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class PublishedLog(db.Model):
    """One published revision of a week's log: stored bytes, never re-rendered."""

    __tablename__ = "published_log"
    __table_args__ = (
        sa.UniqueConstraint("week_commencing", "revision", name="uq_published_log_week_revision"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    week_commencing: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    revision: so.Mapped[int] = so.mapped_column(default=1)
    published_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    published_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    reason: so.Mapped[str] = so.mapped_column(Prose, default="")
    open_count: so.Mapped[int] = so.mapped_column(default=0)
    # The other headline numbers as published, for the next week's log to compare with
    # (empty for logs published before they were recorded).
    high_severity_count: so.Mapped[int | None] = so.mapped_column()
    new_count: so.Mapped[int | None] = so.mapped_column()
    resolved_count: so.Mapped[int | None] = so.mapped_column()
    stale_count: so.Mapped[int | None] = so.mapped_column()
    overdue_actions_count: so.Mapped[int | None] = so.mapped_column()
    sha256: so.Mapped[str] = so.mapped_column(Line(64))
    size_bytes: so.Mapped[int] = so.mapped_column()
    pdf: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary, deferred=True)
