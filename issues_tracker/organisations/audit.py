"""The audit log: who did what to an organisation's people, invitations, contacts and sign-in
settings, when, and from which address. Admins read and filter all of it; an organisation's
admins read their own organisation's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.joinedload)

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.formats import LONDON
from ..core.models import utcnow
from .models import AuditEntry

ACTIONS = {
    "invitation.sent": "Invitation sent",
    "invitation.resent": "Invitation sent again",
    "invitation.withdrawn": "Invitation withdrawn",
    "invitation.accepted": "Invitation accepted",
    "access.requested": "Access requested",
    "access.approved": "Access approved",
    "access.declined": "Access declined",
    "member.deactivated": "Member deactivated",
    "member.reactivated": "Member reactivated",
    "member.admin_granted": "Made an organisation admin",
    "member.admin_removed": "No longer an organisation admin",
    "organisation.mfa_required": "Two-factor sign-in required",
    "organisation.mfa_optional": "Two-factor sign-in made optional",
    "domain.claimed": "Email domain claimed",
    "domain.verified": "Email domain verified",
    "domain.removed": "Email domain removed",
    "contact.added": "Contact added",
    "contact.changed": "Contact changed",
    "contact.removed": "Contact removed",
    "account.created_sso": "Account created by single sign-on",
    "account.password_changed": "Password changed",
    "account.password_reset": "Password reset by email link",
    "account.mfa_enabled": "Authenticator turned on",
    "account.mfa_disabled": "Authenticator turned off",
    "account.passkey_added": "Passkey added",
    "account.passkey_removed": "Passkey removed",
    "account.closed": "Account closed",
}
PAGE_SIZE = 50


def record(
    action: str,
    *,
    actor: User | None,
    organisation_id: int | None,
    target: str = "",
    detail: str = "",
    ip_address: str = "",
    now: datetime | None = None,
) -> AuditEntry:
    assert action in ACTIONS, action
    label = f"{actor.display_name} <{actor.email}>" if actor is not None else "(no one signed in)"
    entry = AuditEntry(
        created_at=now or utcnow(),
        actor_id=actor.id if actor else None,
        actor_label=label[:300],
        organisation_id=organisation_id,
        action=action,
        target=(target or "")[:300],
        detail=(detail or "")[:1000],
        ip_address=(ip_address or "")[:64],
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class AuditFilter:
    organisation_id: int | None = None
    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON)


def entries(query: AuditFilter) -> AuditPage:
    """One page of the log, newest first, in two queries whatever the page's size."""
    conditions = []
    if query.organisation_id is not None:
        conditions.append(AuditEntry.organisation_id == query.organisation_id)
    if query.action:
        conditions.append(AuditEntry.action == query.action)
    if query.actor:
        conditions.append(sa.func.lower(AuditEntry.actor_label).contains(query.actor.lower(), autoescape=True))
    if query.since:
        conditions.append(AuditEntry.created_at >= _london_midnight(query.since))
    if query.until:
        conditions.append(AuditEntry.created_at < _london_midnight(query.until + timedelta(days=1)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    rows = db.session.scalars(
        sa.select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .options(sa.orm.joinedload(AuditEntry.organisation))
    ).all()
    return AuditPage(list(rows), total, page, pages)


def organisation_names() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Organisation.id, Organisation.name).order_by(Organisation.name)).all())


def recent_for(organisation_id: int, limit: int = 10) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.organisation_id == organisation_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
