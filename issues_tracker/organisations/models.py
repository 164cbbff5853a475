"""An organisation's own side: claimed email domains, invitations, requests for access, the
contact register and the audit log of who changed what."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.models import Line, Prose, UTCDateTime, utcnow


class EmailDomain(db.Model):
    """An email domain an organisation says is its own; it counts once staff have verified it.

    Requests for access from a verified domain go to that organisation's admins, and single
    sign-on puts a new account from it in that organisation. A domain belongs to one
    organisation at most.
    """

    __tablename__ = "email_domain"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    domain: so.Mapped[str] = so.mapped_column(Line(253), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    verified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    verified_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    organisation: so.Mapped[Organisation] = so.relationship()


class Invitation(db.Model):
    """An emailed invitation into an organisation: single use, expiring, only the verifier's hash kept."""

    __tablename__ = "invitation"
    __table_args__ = (sa.Index("ix_invitation_org_state", "organisation_id", "accepted_at", "withdrawn_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    email: so.Mapped[str] = so.mapped_column(Line(254), index=True)
    name: so.Mapped[str] = so.mapped_column(Line(120), default="")
    # participant | organisation_admin | staff | admin (staff and admin: invited by an admin only)
    role: so.Mapped[str] = so.mapped_column(Line(20), default="participant")
    selector: so.Mapped[str] = so.mapped_column(Line(16), unique=True)
    verifier_hash: so.Mapped[str] = so.mapped_column(Line(64))
    invited_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    sent_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    times_sent: so.Mapped[int] = so.mapped_column(default=1)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    accepted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    accepted_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    organisation: so.Mapped[Organisation] = so.relationship()
    invited_by: so.Mapped[User | None] = so.relationship(foreign_keys=[invited_by_id])

    def state(self, now: datetime) -> str:
        if self.accepted_at:
            return "accepted"
        if self.withdrawn_at:
            return "withdrawn"
        if self.expires_at <= now:
            return "expired"
        return "pending"


class AccessRequest(db.Model):
    """Someone asking for an account with their work email.

    state: unverified (the emailed link not yet followed) -> pending (waiting for the
    organisation's admins, or staff) -> approved | declined.
    """

    __tablename__ = "access_request"
    __table_args__ = (sa.Index("ix_access_request_state", "state", "organisation_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(Line(254), index=True)
    name: so.Mapped[str] = so.mapped_column(Line(120))
    organisation_name: so.Mapped[str] = so.mapped_column(Line(120), default="")  # as the person typed it
    message: so.Mapped[str] = so.mapped_column(Line(1000), default="")
    selector: so.Mapped[str] = so.mapped_column(Line(16), unique=True)
    verifier_hash: so.Mapped[str] = so.mapped_column(Line(64))
    state: so.Mapped[str] = so.mapped_column(Line(12), default="unverified")
    # The organisation that claimed the address's domain; None: staff decide.
    organisation_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("organisation.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    verified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    decided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    decided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    organisation: so.Mapped[Organisation | None] = so.relationship()


class Contact(db.Model):
    """An entry of an organisation's contact register: a person with an account, or a shared
    mailbox without one, and the roles that decide which emails go to it."""

    __tablename__ = "contact"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "email", name="uq_contact_org_email"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    name: so.Mapped[str] = so.mapped_column(Line(120), default="")
    email: so.Mapped[str] = so.mapped_column(Line(254))
    # The roles (core.choices.CONTACT_ROLES), one column each so distribution is one query.
    primary_contact: so.Mapped[bool] = so.mapped_column(default=False)
    escalation_contact: so.Mapped[bool] = so.mapped_column(default=False)
    forum_invitee: so.Mapped[bool] = so.mapped_column(default=False)
    log_recipient: so.Mapped[bool] = so.mapped_column(default=False)
    major_incident_contact: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    organisation: so.Mapped[Organisation] = so.relationship()
    user: so.Mapped[User | None] = so.relationship()


class ContactOptOut(db.Model):
    """An address that unsubscribed from one kind of distribution email (one click, no sign-in)."""

    __tablename__ = "contact_opt_out"
    __table_args__ = (sa.UniqueConstraint("email", "role", name="uq_contact_opt_out"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(Line(254))
    role: so.Mapped[str] = so.mapped_column(Line(30))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class MeetingInvitation(db.Model):
    """The calendar invitation of a forum meeting as last sent: its SEQUENCE rises with each
    update or cancellation, so calendars change the one entry in place."""

    __tablename__ = "meeting_invitation"

    meeting_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    sequence: so.Mapped[int] = so.mapped_column(default=0)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # The addresses invited, so a cancellation or an update reaches the same people.
    recipients: so.Mapped[str] = so.mapped_column(Prose, default="")


class AuditEntry(db.Model):
    """Who did what to an organisation's people, invitations, contacts or sign-in, when, from where."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.Index("ix_audit_org_time", "organisation_id", "created_at"),
        sa.Index("ix_audit_time", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    # The actor's name and address when it happened (the account may be closed later).
    actor_label: so.Mapped[str] = so.mapped_column(Line(300), default="")
    organisation_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("organisation.id", ondelete="SET NULL"))
    action: so.Mapped[str] = so.mapped_column(Line(40), index=True)
    target: so.Mapped[str] = so.mapped_column(Line(300), default="")
    detail: so.Mapped[str] = so.mapped_column(Line(1000), default="")
    ip_address: so.Mapped[str] = so.mapped_column(Line(64), default="")

    organisation: so.Mapped[Organisation | None] = so.relationship()
