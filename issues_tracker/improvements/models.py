"""The improvement programme: the IPA review's actions by recommendation theme, with their
progress history, and the continual-service-improvement (CSI) pipeline that anyone signed in
can feed."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.models import Line, Prose, UTCDateTime, utcnow


class ImprovementAction(db.Model):
    """One action of the IPA review's programme (IPA-01 …): a theme, tactical or strategic,
    an owner, a status and a due date, with links to what it is about."""

    __tablename__ = "improvement_action"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(Line(20), unique=True)
    theme: so.Mapped[str] = so.mapped_column(Line(40), index=True)
    kind: so.Mapped[str] = so.mapped_column(Line(20))  # tactical | strategic
    title: so.Mapped[str] = so.mapped_column(Line(300))
    description: so.Mapped[str] = so.mapped_column(Prose, default="")
    owner_name: so.Mapped[str] = so.mapped_column(Line(120), default="")
    status: so.Mapped[str] = so.mapped_column(Line(20), default="not_started", index=True)
    due_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    issue_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("issue.id", ondelete="SET NULL"), index=True)
    # A service-desk case or incident (CS…, INC…), as the desk numbers it.
    record_number: so.Mapped[str] = so.mapped_column(Line(20), default="")
    pir_action_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("pir_action.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    updates: so.Mapped[list[ImprovementActionUpdate]] = so.relationship(
        back_populates="action",
        cascade="all, delete-orphan",
        order_by="ImprovementActionUpdate.created_at.desc(), ImprovementActionUpdate.id.desc()",
    )


class ImprovementActionUpdate(db.Model):
    """A progress update on a programme action: what was said, and the status before and after."""

    __tablename__ = "improvement_action_update"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    action_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("improvement_action.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    text: so.Mapped[str] = so.mapped_column(Prose, default="")
    old_status: so.Mapped[str] = so.mapped_column(Line(20), default="")
    new_status: so.Mapped[str] = so.mapped_column(Line(20), default="")

    action: so.Mapped[ImprovementAction] = so.relationship(back_populates="updates")
    user: so.Mapped[User | None] = so.relationship()


class Improvement(db.Model):
    """A proposal in the CSI pipeline: proposed by anyone signed in, triaged by staff (value and
    effort scored), moved through the five phases, and closed with the benefit measured."""

    __tablename__ = "improvement"
    __table_args__ = (sa.Index("ix_improvement_state", "state", "organisation_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(Line(200))
    description: so.Mapped[str] = so.mapped_column(Prose, default="")
    expected_benefit: so.Mapped[str] = so.mapped_column(Prose, default="")
    service: so.Mapped[str] = so.mapped_column(Line(40), default="")
    proposer_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id"), index=True)
    # proposed (awaiting triage) | accepted (in the pipeline) | declined | delivered (benefit measured)
    state: so.Mapped[str] = so.mapped_column(Line(20), default="proposed")
    phase: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger)  # 1 … 5 once accepted
    value_score: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger)  # 1 … 5
    effort_score: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger)  # 1 … 5
    owner_name: so.Mapped[str] = so.mapped_column(Line(120), default="")
    triage_note: so.Mapped[str] = so.mapped_column(Prose, default="")
    benefit_measured: so.Mapped[str] = so.mapped_column(Prose, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    proposer: so.Mapped[User | None] = so.relationship()
    organisation: so.Mapped[Organisation] = so.relationship()
    events: so.Mapped[list[ImprovementEvent]] = so.relationship(
        back_populates="improvement",
        cascade="all, delete-orphan",
        order_by="ImprovementEvent.created_at.desc(), ImprovementEvent.id.desc()",
    )

    @property
    def reference(self) -> str:
        return f"CSI-{self.id:03d}"

    @property
    def priority_score(self) -> int | None:
        """Value over effort, as the pipeline ranks: high value for little effort first."""
        if self.value_score is None or self.effort_score is None:
            return None
        return self.value_score * (6 - self.effort_score)


class ImprovementEvent(db.Model):
    """The pipeline's history of one improvement: who changed what, when, with their note."""

    __tablename__ = "improvement_event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    improvement_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("improvement.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    summary: so.Mapped[str] = so.mapped_column(Line(300))
    note: so.Mapped[str] = so.mapped_column(Prose, default="")

    improvement: so.Mapped[Improvement] = so.relationship(back_populates="events")
    user: so.Mapped[User | None] = so.relationship()


class ImprovementFollower(db.Model):
    """Someone told by email when an improvement moves on (the proposer follows from the start)."""

    __tablename__ = "improvement_follower"
    __table_args__ = (sa.UniqueConstraint("improvement_id", "user_id", name="uq_improvement_follower"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    improvement_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("improvement.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
