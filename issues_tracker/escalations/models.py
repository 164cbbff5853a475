"""Escalations: a participant's escalation of an industry issue, a case or an incident by one of
the pack's two routes, acknowledged and tracked to closure."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.models import Line, Prose, UTCDateTime, utcnow


class Escalation(db.Model):
    """Who escalated what (keeping its original reference), why, by which route and to which
    level; when a response is due, when it was acknowledged and when closed."""

    __tablename__ = "escalation"
    __table_args__ = (
        sa.Index("ix_escalation_org_status", "organisation_id", "status"),
        sa.Index("ix_escalation_status", "status", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    subject_kind: so.Mapped[str] = so.mapped_column(Line(20))  # issue | case | incident
    reference: so.Mapped[str] = so.mapped_column(Line(20), index=True)  # IIT-0042, CS0001234, INC0001234
    issue_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("issue.id", ondelete="SET NULL"), index=True)
    record_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("servicedesk_record.id", ondelete="SET NULL"))
    route: so.Mapped[str] = so.mapped_column(Line(20))  # elexon | supplier
    level: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=1)
    reason: so.Mapped[str] = so.mapped_column(Line(20))  # overdue | impact | blocked
    detail: so.Mapped[str] = so.mapped_column(Prose, default="")
    # The market party, supplier or dependency the blocker sits with (the supplier route).
    blocking_party: so.Mapped[str] = so.mapped_column(Line(200), default="")
    raised_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id"))
    status: so.Mapped[str] = so.mapped_column(Line(20), default="open")  # open | acknowledged | closed
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    response_due_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    acknowledged_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # When the service team was reminded that the response is late (once per level).
    reminded_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    acknowledged_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    outcome: so.Mapped[str] = so.mapped_column(Prose, default="")
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    raised_by: so.Mapped[User | None] = so.relationship(foreign_keys=[raised_by_id])
    acknowledged_by: so.Mapped[User | None] = so.relationship(foreign_keys=[acknowledged_by_id])
    organisation: so.Mapped[Organisation] = so.relationship()
    events: so.Mapped[list[EscalationEvent]] = so.relationship(
        back_populates="escalation",
        cascade="all, delete-orphan",
        order_by="EscalationEvent.created_at.desc(), EscalationEvent.id.desc()",
    )

    @property
    def code(self) -> str:
        return f"ESC-{self.id:04d}"

    @property
    def is_open(self) -> bool:
        return self.status != "closed"


class EscalationEvent(db.Model):
    """The escalation's history: raised, acknowledged, taken to the next level, noted, closed."""

    __tablename__ = "escalation_event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    escalation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("escalation.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    summary: so.Mapped[str] = so.mapped_column(Line(300))
    note: so.Mapped[str] = so.mapped_column(Prose, default="")

    escalation: so.Mapped[Escalation] = so.relationship(back_populates="events")
    user: so.Mapped[User | None] = so.relationship()
