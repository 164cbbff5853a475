"""An organisation's people, managed by its admins (or by staff): deactivating and reactivating
members, making a member an organisation admin, requiring two-factor sign-in. Each change is
recorded in the audit log. Adds and flushes; the caller commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..accounts import operations as accounts
from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.transaction import ConflictError
from . import audit

PAGE_SIZE = 100


class MemberError(ValueError):
    """The change cannot be made; the message says why."""


def members(organisation: Organisation) -> list[User]:
    return db.session.scalars(
        sa.select(User)
        .where(User.organisation_id == organisation.id, User.closed_at.is_(None))
        .order_by(User.active.desc(), sa.func.lower(User.display_name))
        .limit(PAGE_SIZE)
    ).all()


def member(organisation: Organisation, user_id: int) -> User | None:
    """A member of this organisation, or None (another organisation's id is not found here)."""
    return db.session.scalar(
        sa.select(User).where(User.id == user_id, User.organisation_id == organisation.id, User.closed_at.is_(None))
    )


def _check(actor: User, target: User) -> None:
    if target.id == actor.id:
        raise MemberError("You cannot change your own access here.")
    if target.is_staff and not actor.is_staff:
        raise MemberError("Staff accounts are managed by the service-management team.")


def set_active(
    organisation: Organisation, target: User, active: bool, *, actor: User, ip_address: str = "", now: datetime | None = None
) -> None:
    """Deactivate (sessions end at once, email stops, their name stays on what they wrote) or reactivate."""
    _check(actor, target)
    if active == target.active:
        return
    if active:
        accounts.reactivate(target)
    else:
        accounts.deactivate(target, now=now)
    audit.record(
        "member.reactivated" if active else "member.deactivated",
        actor=actor,
        organisation_id=organisation.id,
        target=target.email,
        ip_address=ip_address,
        now=now,
    )


def set_organisation_admin(
    organisation: Organisation, target: User, admin: bool, *, actor: User, ip_address: str = "", now: datetime | None = None
) -> None:
    _check(actor, target)
    if target.is_staff:
        raise MemberError("Staff manage every organisation already.")
    if admin and not target.active:
        raise MemberError("Reactivate the account before making it an organisation admin.")
    if admin == target.organisation_admin:
        return
    target.organisation_admin = admin
    db.session.flush()
    audit.record(
        "member.admin_granted" if admin else "member.admin_removed",
        actor=actor,
        organisation_id=organisation.id,
        target=target.email,
        ip_address=ip_address,
        now=now,
    )


def set_require_mfa(
    organisation: Organisation,
    required: bool,
    *,
    actor: User,
    expected_version: int | None = None,
    ip_address: str = "",
    now: datetime | None = None,
) -> None:
    if expected_version is not None and expected_version != organisation.version:
        raise ConflictError("Someone else changed this organisation's settings after you opened the page. Look at them again.")
    if organisation.require_mfa == required:
        return
    organisation.require_mfa = required
    db.session.flush()
    audit.record(
        "organisation.mfa_required" if required else "organisation.mfa_optional",
        actor=actor,
        organisation_id=organisation.id,
        target=organisation.name,
        ip_address=ip_address,
        now=now,
    )


def organisation_admins(organisation: Organisation) -> list[User]:
    return db.session.scalars(
        sa.select(User).where(User.organisation_id == organisation.id, User.organisation_admin.is_(True), User.active.is_(True))
    ).all()
