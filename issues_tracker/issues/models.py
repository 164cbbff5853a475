"""Industry issues, their journal and their actions."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy

from ..accounts.models import Organisation, User
from ..core.choices import CLOSED_STATUSES, SEVERITY_LABELS
from ..core.extensions import db
from ..core.formats import london_date
from ..core.models import Line, Prose, UTCDateTime, utcnow


class IssueService(db.Model):
    """A service or system an issue affects (an issue may affect several)."""

    __tablename__ = "issue_service"
    __table_args__ = (sa.Index("ix_issue_service_service_issue", "service", "issue_id"),)

    issue_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True
    )
    service: so.Mapped[str] = so.mapped_column(Line(40), primary_key=True)

    def __init__(self, service: str, **kw):
        super().__init__(service=service, **kw)


class IssueMessage(db.Model):
    """A settlement message type an issue affects (Dflows, IF, PUB, REP, ...)."""

    __tablename__ = "issue_message"

    issue_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True
    )
    message: so.Mapped[str] = so.mapped_column(Line(40), primary_key=True)

    def __init__(self, message: str, **kw):
        super().__init__(message=message, **kw)


class IssueFacts:
    """What an issue says of itself from its id, status, severity, services and dates: shared by
    the model and by the plain rows a list page is drawn from (services.issues.ListedIssue)."""

    @property
    def reference(self) -> str:
        return f"IIT-{self.id:04d}"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, str(self.severity))

    @property
    def services_label(self) -> str:
        return " / ".join(self.services) or "—"

    def age_days(self, now: datetime | None = None) -> int:
        """Whole calendar days (Europe/London) from the day it was raised to today, or to the day it was resolved."""
        end = self.resolved_at if (self.resolved_at and not self.is_open) else (now or utcnow())
        return max(0, (london_date(end) - london_date(self.created_at)).days)

    def days_since_update(self, now: datetime | None = None) -> int:
        return max(0, ((now or utcnow()) - self.last_update_at).days)

    def is_stale(self, stale_after_days: int = 14, now: datetime | None = None) -> bool:
        return self.is_open and self.days_since_update(now) >= stale_after_days


class Issue(IssueFacts, db.Model):
    __tablename__ = "issue"
    __table_args__ = (
        sa.Index("ix_issue_triage_updated", "triage_state", "last_update_at"),
        sa.Index("ix_issue_triage_created", "triage_state", "created_at"),
        # Status filters, holding the visibility columns too: counting a participant's
        # "resolved or closed" issues reads only this index.
        sa.Index("ix_issue_status_updated", "status", "last_update_at", "id", "triage_state", "organisation_id"),
        sa.Index("ix_issue_org_triage", "organisation_id", "triage_state"),
        # The list's sort orders. Each leads with its sort keys, so a page is read from the index
        # in order, and also holds what a participant's visibility rule and the status filter
        # need, so picking a page's ids rarely touches the wide rows.
        sa.Index("ix_issue_sort_updated", "last_update_at", "id", "triage_state", "organisation_id", "status"),
        sa.Index("ix_issue_sort_created", "created_at", "id", "triage_state", "organisation_id", "status"),
        sa.Index(
            "ix_issue_sort_affected", "affected_org_count", "last_update_at", "id", "triage_state", "organisation_id", "status"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # The ID the issue had in an imported tracker or the seed pack, for idempotent loads.
    source_ref: so.Mapped[str | None] = so.mapped_column(Line(60), unique=True)
    # The one-time token of the form that submitted it: the same form sent twice makes one issue.
    submission_token: so.Mapped[str | None] = so.mapped_column(Line(32), unique=True)

    summary: so.Mapped[str] = so.mapped_column(Line(200))
    description: so.Mapped[str] = so.mapped_column(Prose, default="")
    severity: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=3, index=True)

    root_cause: so.Mapped[str] = so.mapped_column(Prose, default="")
    root_cause_certainty: so.Mapped[str] = so.mapped_column(Line(20), default="Suspected")
    impact_assessment: so.Mapped[str] = so.mapped_column(
        Line(30), default="Not started", index=True
    )
    supplier_impact: so.Mapped[str] = so.mapped_column(Line(20), default="")
    distributor_impact: so.Mapped[str] = so.mapped_column(Line(20), default="")
    settlement_impact: so.Mapped[str] = so.mapped_column(Prose, default="")

    status: so.Mapped[str] = so.mapped_column(Line(40), default="New")
    action_underway: so.Mapped[str] = so.mapped_column(Prose, default="")
    resolution_description: so.Mapped[str] = so.mapped_column(Prose, default="")
    resolution_status: so.Mapped[str] = so.mapped_column(
        Line(30), default="Not started", index=True
    )
    dependencies: so.Mapped[str] = so.mapped_column(Prose, default="")
    parties_responsible: so.Mapped[str] = so.mapped_column(Line(200), default="")
    next_run_resolves: so.Mapped[str] = so.mapped_column(
        Line(10), default="Unknown", index=True
    )
    service_desk_refs: so.Mapped[str] = so.mapped_column(Line(300), default="")
    target_date: so.Mapped[date | None] = so.mapped_column(sa.Date)

    owner_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"), index=True)
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id"))
    submitted_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))

    # pending: seen by its organisation and staff; published: the industry view.
    triage_state: so.Mapped[str] = so.mapped_column(Line(20), default="pending")
    rejection_reason: so.Mapped[str] = so.mapped_column(Prose, default="")
    # A submission rejected as a duplicate names the issue it repeats.
    duplicate_of_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("issue.id", ondelete="SET NULL"))

    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_update_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    published_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, index=True)
    # Organisations that declared "we are affected too" (kept by services.affected, for sorting).
    affected_org_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    version: so.Mapped[int] = so.mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    owner: so.Mapped[User | None] = so.relationship(foreign_keys=[owner_id])
    submitted_by: so.Mapped[User | None] = so.relationship(foreign_keys=[submitted_by_id])
    organisation: so.Mapped[Organisation] = so.relationship()
    duplicate_of: so.Mapped[Issue | None] = so.relationship(remote_side=[id], foreign_keys=[duplicate_of_id])

    service_links: so.Mapped[list[IssueService]] = so.relationship(
        cascade="all, delete-orphan", order_by=IssueService.service
    )
    message_links: so.Mapped[list[IssueMessage]] = so.relationship(
        cascade="all, delete-orphan", order_by=IssueMessage.message
    )
    services: AssociationProxy[list[str]] = association_proxy("service_links", "service")
    messages: AssociationProxy[list[str]] = association_proxy("message_links", "message")

    events: so.Mapped[list[IssueEvent]] = so.relationship(
        back_populates="issue",
        cascade="all, delete-orphan",
        order_by="IssueEvent.created_at.desc(), IssueEvent.id.desc()",
    )
    actions: so.Mapped[list[IssueAction]] = so.relationship(
        back_populates="issue",
        cascade="all, delete-orphan",
        order_by="IssueAction.due_date, IssueAction.id",
    )

    @property
    def messages_label(self) -> str:
        return " / ".join(self.messages) or "—"

    def __repr__(self) -> str:
        return f"<Issue {self.id} {self.summary!r}>"


def _with_column_defaults(model: type, skip: tuple[str, ...] = ()) -> None:
    """New rows of `model` hold their columns' plain defaults from the start, not only once written.

    The services compare an issue's fields with its defaults (status "New", impact assessment
    "Not started") before any flush; and journal entries that all carry the same columns are
    written together in one statement rather than in runs of alike ones.
    """
    defaults = [
        (column.key, column.default.arg)
        for column in model.__table__.columns
        if column.default is not None and column.default.is_scalar and column.key not in skip
    ]

    @sa.event.listens_for(model, "init")
    def _set_defaults(target, args, kwargs) -> None:
        for key, value in defaults:
            if key not in kwargs:
                setattr(target, key, value)


_with_column_defaults(Issue, skip=("version",))  # the version counter is the ORM's to set


# The severity sort mixes directions (most severe first, then latest update), so its index does too.
sa.Index(
    "ix_issue_sort_severity",
    Issue.severity, Issue.last_update_at.desc(), Issue.id.desc(), Issue.triage_state, Issue.organisation_id, Issue.status,
)


class IssueEvent(db.Model):
    """One journal entry: a field change, a progress note, a triage decision."""

    __tablename__ = "issue_event"
    __table_args__ = (
        sa.Index("ix_issue_event_issue_created", "issue_id", "created_at"),
        sa.Index("ix_issue_event_fan_out", "fanned_out_at", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    issue_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("issue.id", ondelete="CASCADE"))
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # created | change | note | triage | action
    kind: so.Mapped[str] = so.mapped_column(Line(20))
    field: so.Mapped[str] = so.mapped_column(Line(60), default="")
    old_value: so.Mapped[str] = so.mapped_column(Prose, default="")
    new_value: so.Mapped[str] = so.mapped_column(Prose, default="")
    note: so.Mapped[str] = so.mapped_column(Prose, default="")
    # The API token a change was made through (its name), blank for a change made on a page.
    via: so.Mapped[str] = so.mapped_column(Line(60), default="", server_default="")
    # The journal is also the outbox of notifications: an entry is written in the same
    # transaction as its change, and marked here once turned into deliveries (history
    # loaded in bulk is marked as it is written).
    fanned_out_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    issue: so.Mapped[Issue] = so.relationship(back_populates="events")
    user: so.Mapped[User | None] = so.relationship(lazy="joined")


_with_column_defaults(IssueEvent)


class IssueAction(db.Model):
    """An action on an issue with an owner and a due date: who does what by when."""

    __tablename__ = "issue_action"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    issue_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("issue.id", ondelete="CASCADE"), index=True
    )
    description: so.Mapped[str] = so.mapped_column(Prose)
    owner_name: so.Mapped[str] = so.mapped_column(Line(120))
    due_date: so.Mapped[date | None] = so.mapped_column(sa.Date, index=True)
    status: so.Mapped[str] = so.mapped_column(Line(20), default="Open")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    issue: so.Mapped[Issue] = so.relationship(back_populates="actions")

    def is_overdue(self, today: date) -> bool:
        return self.status != "Done" and self.due_date is not None and self.due_date < today
