"""Service-desk records (cases CS…, incidents INC…) imported from extracts, and what
the service-management team adds to them: major-incident communications, post-incident
reviews and their actions, and the meeting packs built from them.

A record keeps the extract's columns as imported and, beside them, what the
dashboard needs that depends only on the record: its months (Europe/London), its
wall-clock response and resolution times, its elapsed time on the service-level clock
and whether each target was met. Those are worked out once, when the record is
imported, so the dashboard reads sums instead of running clocks.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..core.extensions import db
from ..core.models import Line, Prose, UTCDateTime, utcnow


class ServiceDeskImport(db.Model):
    """One import of an extract: who, when, what it changed."""

    __tablename__ = "servicedesk_import"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    imported_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    filename: so.Mapped[str] = so.mapped_column(Line(255), default="")
    # upload | cli | seed | synthetic
    source: so.Mapped[str] = so.mapped_column(Line(20), default="upload")
    rows: so.Mapped[int] = so.mapped_column(default=0)
    added: so.Mapped[int] = so.mapped_column(default=0)
    updated: so.Mapped[int] = so.mapped_column(default=0)
    unchanged: so.Mapped[int] = so.mapped_column(default=0)


class ServiceDeskRecord(db.Model):
    __tablename__ = "servicedesk_record"
    __table_args__ = (
        sa.Index("ix_servicedesk_record_opened", "record_type", "opened_month"),
        sa.Index("ix_servicedesk_record_resolved", "record_type", "resolved_month"),
        # Aged cases: those not closed by a day, oldest first.
        sa.Index("ix_servicedesk_record_aged", "record_type", "closed_at", "opened_at"),
        sa.Index("ix_servicedesk_record_mi_review", "mi_review", "opened_month"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    number: so.Mapped[str] = so.mapped_column(Line(20), unique=True)
    # case | incident | change, from the number (CS…, INC… or CHG…)
    record_type: so.Mapped[str] = so.mapped_column(Line(10))
    opened_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    responded_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # 1 (Critical) … 4 (Low); 5 has no service level
    priority: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    state: so.Mapped[str] = so.mapped_column(Line(60))
    product: so.Mapped[str] = so.mapped_column(Line(100), default="")
    short_description: so.Mapped[str] = so.mapped_column(Line(500), default="")
    assignment_group: so.Mapped[str] = so.mapped_column(Line(120), default="")
    category: so.Mapped[str] = so.mapped_column(Line(120), default="")
    # A case's linked incident (INC…)
    incident_number: so.Mapped[str] = so.mapped_column(Line(20), default="")
    aged_reason: so.Mapped[str] = so.mapped_column(Line(200), default="")
    aged_reason_detail: so.Mapped[str] = so.mapped_column(Prose, default="")
    major_incident: so.Mapped[bool] = so.mapped_column(default=False)
    # Major-incident communications and the post-incident review (PIR)
    mi_portal_banner_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    mi_email_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    industry_circular_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    pir_published_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    # A change's outcome: Successful | Successful with issues | Failed ("" while it is open)
    outcome: so.Mapped[str] = so.mapped_column(Line(40), default="", server_default="")

    # Worked out at import (see services/servicedesk.measure)
    opened_month: so.Mapped[int] = so.mapped_column()  # YYYYMM, Europe/London
    resolved_month: so.Mapped[int | None] = so.mapped_column()
    response_seconds: so.Mapped[int | None] = so.mapped_column()  # wall clock
    resolution_seconds: so.Mapped[int | None] = so.mapped_column()
    response_clock_seconds: so.Mapped[int | None] = so.mapped_column()  # on the priority's clock
    resolution_clock_seconds: so.Mapped[int | None] = so.mapped_column()
    response_met: so.Mapped[bool | None] = so.mapped_column()
    resolution_met: so.Mapped[bool | None] = so.mapped_column()
    # guidance | technical, and where that came from: category | assignment group | record type
    work_kind: so.Mapped[str] = so.mapped_column(Line(20), default="")
    work_kind_source: so.Mapped[str] = so.mapped_column(Line(20), default="")
    # An incident the major-incident review lists: flagged major, or P1/P2
    mi_review: so.Mapped[bool] = so.mapped_column(default=False)

    # A digest of the extract's values as last imported: an identical row changes nothing.
    source_digest: so.Mapped[str] = so.mapped_column(Line(40), default="")
    import_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("servicedesk_import.id"), index=True)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    mi_updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    mi_updated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, index=True)

    mi_updates: so.Mapped[list[MajorIncidentUpdate]] = so.relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="MajorIncidentUpdate.sent_at"
    )
    pir_actions: so.Mapped[list[PirAction]] = so.relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="PirAction.id"
    )

    @property
    def priority_code(self) -> str:
        return f"P{self.priority}"

    @property
    def resolution_at(self) -> datetime | None:
        """When it counts as resolved: its resolved time, or its closed time if it was closed unresolved."""
        return self.resolved_at or self.closed_at


class ServiceDeskMonth(db.Model):
    """Monthly sums of the records, by type, priority, product and kind of work.

    Rebuilt from the records at every import that changes them; the dashboard, kpis.csv
    and the meeting pack read these few thousand rows instead of the records.
    "Raised" figures belong to the month records were opened, "resolved" figures to the
    month they were resolved.
    """

    __tablename__ = "servicedesk_month"
    __table_args__ = (
        sa.UniqueConstraint(
            "month", "record_type", "priority", "product", "work_kind", "work_kind_source",
            name="uq_servicedesk_month_key",
        ),
        # Open at month end adds up every earlier month: this index holds all that sum needs.
        sa.Index("ix_servicedesk_month_totals", "month", "record_type", "priority", "product", "raised", "resolved"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    month: so.Mapped[int] = so.mapped_column()
    record_type: so.Mapped[str] = so.mapped_column(Line(10))
    priority: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    product: so.Mapped[str] = so.mapped_column(Line(100))
    work_kind: so.Mapped[str] = so.mapped_column(Line(20))
    work_kind_source: so.Mapped[str] = so.mapped_column(Line(20))
    raised: so.Mapped[int] = so.mapped_column(default=0)
    responded: so.Mapped[int] = so.mapped_column(default=0)
    response_seconds: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    response_measured: so.Mapped[int] = so.mapped_column(default=0)
    response_met: so.Mapped[int] = so.mapped_column(default=0)
    resolved: so.Mapped[int] = so.mapped_column(default=0)
    resolution_seconds: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    resolution_measured: so.Mapped[int] = so.mapped_column(default=0)
    resolution_met: so.Mapped[int] = so.mapped_column(default=0)


class MajorIncidentUpdate(db.Model):
    """An update sent after the first MI email or industry circular."""

    __tablename__ = "major_incident_update"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    record_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("servicedesk_record.id", ondelete="CASCADE"), index=True
    )
    channel: so.Mapped[str] = so.mapped_column(Line(20))  # email | circular
    sent_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    recorded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    record: so.Mapped[ServiceDeskRecord] = so.relationship(back_populates="mi_updates")


class PirAction(db.Model):
    """A corrective or preventive action from a post-incident review, tracked to closure."""

    __tablename__ = "pir_action"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    record_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("servicedesk_record.id", ondelete="CASCADE"), index=True
    )
    description: so.Mapped[str] = so.mapped_column(Prose)
    owner_name: so.Mapped[str] = so.mapped_column(Line(120))
    due_date: so.Mapped[date | None] = so.mapped_column(sa.Date)
    # Open | In progress | Closed
    status: so.Mapped[str] = so.mapped_column(Line(20), default="Open", index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    # Bumped on every save: a save based on an older version is refused as a conflict.
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    record: so.Mapped[ServiceDeskRecord] = so.relationship(back_populates="pir_actions")
    updates: so.Mapped[list[PirActionUpdate]] = so.relationship(
        back_populates="action",
        cascade="all, delete-orphan",
        order_by="PirActionUpdate.created_at.desc(), PirActionUpdate.id.desc()",
    )

    def is_overdue(self, today: date) -> bool:
        return self.status != "Closed" and self.due_date is not None and self.due_date < today


class PirActionUpdate(db.Model):
    """The history of a PIR action: who changed what, when, with a note."""

    __tablename__ = "pir_action_update"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    action_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("pir_action.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    text: so.Mapped[str] = so.mapped_column(Prose, default="")
    # "status: Open → Closed; due date: 01 May 2026 → 15 May 2026"
    changes: so.Mapped[str] = so.mapped_column(Prose, default="")

    action: so.Mapped[PirAction] = so.relationship(back_populates="updates")




class MiNotice(db.Model):
    """A major-incident notice published from the product: the banner on every page while it is
    open, the MI email to the service's followers and the register's major-incident contacts,
    its updates, the industry circular and the resolution. Each act records its time on the
    incident, where the major-incident review reads it."""

    __tablename__ = "mi_notice"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    record_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("servicedesk_record.id", ondelete="CASCADE"), unique=True
    )
    service: so.Mapped[str] = so.mapped_column(Line(100), default="")
    headline: so.Mapped[str] = so.mapped_column(Line(200))
    # open | resolved
    state: so.Mapped[str] = so.mapped_column(Line(10), default="open", index=True)
    published_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    published_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    next_update_due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # When staff were last reminded that the next update is due (once per due time).
    reminded_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    record: so.Mapped[ServiceDeskRecord] = so.relationship()
    entries: so.Mapped[list[MiNoticeEntry]] = so.relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="MiNoticeEntry.id"
    )


class MiNoticeEntry(db.Model):
    """What was said, and when: the notice, each update, each circular, the resolution."""

    __tablename__ = "mi_notice_entry"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    notice_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mi_notice.id", ondelete="CASCADE"), index=True)
    # notice | update | circular | resolution
    kind: so.Mapped[str] = so.mapped_column(Line(20))
    text: so.Mapped[str] = so.mapped_column(Prose)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    emailed: so.Mapped[int] = so.mapped_column(default=0)

    notice: so.Mapped[MiNotice] = so.relationship(back_populates="entries")
