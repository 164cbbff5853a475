"""Asking for access with a work email.

The address is proved by an emailed link first. Then the request goes to the admins of the
organisation that has claimed (and had verified) the address's domain, or to staff when none
has; approving it makes the account and sends a welcome with a link to choose a password.
Asking never reveals whether the address has an account: the page says the same either way,
and an address that has one is sent a reminder of how to sign in instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.joinedload)
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from ..accounts import operations as accounts
from ..accounts.models import Organisation, User
from ..accounts.passwords import start_reset
from ..accounts.sso import provider_for_email
from ..core.extensions import db
from ..core.models import utcnow
from ..core.tokens import new_token, split_token, verifier_matches
from ..core.transaction import ConflictError
from ..core.urls import external_url
from ..notifications.outgoing import queue_email
from . import audit
from .domains import organisation_for_domain
from .models import AccessRequest

PAGE_SIZE = 50


class AccessRequestError(ValueError):
    """The request cannot be decided as asked; the message says why."""


class VerifyLinkError(ValueError):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def checked_email(email: str) -> str | None:
    try:
        return validate_email(email or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def request_access(
    *, email: str, name: str, organisation_name: str, message: str, ip_address: str = "", now: datetime | None = None
) -> None:
    """Record the request and email a link to prove the address; or, when the address has an
    account, email that instead. Either way one email, and the same answer to the page."""
    now = now or utcnow()
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is not None:
        queue_email(
            email,
            "You already have an account on the Industry Issues Tracker",
            "organisations/email/already_registered",
            kind="access_existing",
            user=existing,
            now=now,
            sign_in=external_url("accounts.login"),
            forgot=external_url("accounts.forgot_password"),
        )
        return
    db.session.execute(
        sa.update(AccessRequest)
        .where(AccessRequest.email == email, AccessRequest.state == "unverified")
        .values(state="superseded")
        .execution_options(synchronize_session=False)
    )
    token = new_token()
    hours = current_app.config["ACCESS_REQUEST_VERIFY_HOURS"]
    row = AccessRequest(
        email=email,
        name=name.strip()[:120],
        organisation_name=(organisation_name or "").strip()[:120],
        message=(message or "").strip()[:1000],
        selector=token.selector,
        verifier_hash=token.verifier_hash,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    db.session.add(row)
    db.session.flush()
    queue_email(
        email,
        "Confirm your email address to ask for access",
        "organisations/email/verify_access",
        kind="access_verify",
        name=row.name,
        now=now,
        link=external_url("organisations.verify_access", token=token.token),
        hours=hours,
    )


def verify(token: str, *, ip_address: str = "", now: datetime | None = None) -> AccessRequest:
    """Follow the emailed link: the request goes to whoever decides it."""
    now = now or utcnow()
    parts = split_token(token)
    if parts is None:
        raise VerifyLinkError("This link is incomplete or not one of ours. Copy the whole link from the email.", 400)
    selector, verifier = parts
    row = db.session.scalar(sa.select(AccessRequest).where(AccessRequest.selector == selector).with_for_update())
    if row is None or not verifier_matches(verifier, row.verifier_hash):
        raise VerifyLinkError("This link is not valid. Ask for access again to get a new one.", 404)
    if row.state != "unverified":
        raise VerifyLinkError("This link has been used already. Your request is with the people who decide it.", 410)
    if row.expires_at <= now:
        raise VerifyLinkError("This link has expired. Ask for access again to get a new one.", 410)
    if db.session.scalar(sa.select(User.id).where(User.email == row.email)) is not None:
        row.state = "superseded"
        db.session.flush()
        raise VerifyLinkError("An account with this address exists already. Sign in, or reset your password.", 410)
    row.state, row.verified_at = "pending", now
    organisation = organisation_for_domain(row.email.rpartition("@")[2])
    row.organisation_id = organisation.id if organisation else None
    db.session.flush()
    audit.record(
        "access.requested",
        actor=None,
        organisation_id=row.organisation_id,
        target=row.email,
        detail=f"{row.name}; says: {row.organisation_name}" if row.organisation_name else row.name,
        ip_address=ip_address,
        now=now,
    )
    for approver in approvers(row.organisation):
        link = (
            external_url("organisations.index")
            if approver.organisation_admin and not approver.is_staff
            else external_url("admin.access_requests")
        )
        queue_email(
            approver.email,
            f"{row.name} asks for access to the Industry Issues Tracker",
            "organisations/email/request_waiting",
            kind="access_waiting",
            user=approver,
            now=now,
            request=row,
            link=link,
        )
    return row


def approvers(organisation: Organisation | None) -> list[User]:
    """The organisation's active admins; staff when there is no organisation or it has no admin."""
    people = []
    if organisation is not None:
        people = db.session.scalars(
            sa.select(User).where(
                User.organisation_id == organisation.id, User.organisation_admin.is_(True), User.active.is_(True)
            )
        ).all()
    if not people:
        people = db.session.scalars(sa.select(User).where(User.role.in_(("staff", "admin")), User.active.is_(True))).all()
    return list(people)


def check_version(row: AccessRequest, expected: int | None) -> None:
    if expected is not None and expected != row.version:
        raise ConflictError("Someone else decided this request after you opened the page. Look at it again.")


def approve(
    row: AccessRequest,
    *,
    actor: User,
    organisation: Organisation,
    expected_version: int | None = None,
    ip_address: str = "",
    now: datetime | None = None,
) -> User:
    now = now or utcnow()
    check_version(row, expected_version)
    if row.state != "pending":
        raise AccessRequestError("This request has been decided already.")
    if not actor.is_staff and row.organisation_id != organisation.id:
        raise AccessRequestError("This request is not for your organisation.")
    if db.session.scalar(sa.select(User.id).where(User.email == row.email)) is not None:
        raise AccessRequestError("An account with this address exists already.")
    user = accounts.create_user(row.email, role="participant", password=None, name=row.name, organisation_id=organisation.id)
    row.state, row.decided_at, row.decided_by_id, row.user_id = "approved", now, actor.id, user.id
    row.organisation_id = organisation.id
    db.session.flush()
    audit.record(
        "access.approved", actor=actor, organisation_id=organisation.id, target=row.email, ip_address=ip_address, now=now
    )
    provider = provider_for_email(row.email)
    set_password = (
        None if provider else start_reset(user, now=now, lifetime=timedelta(days=current_app.config["INVITATION_DAYS"]))
    )
    queue_email(
        user.email,
        "Welcome to the Industry Issues Tracker",
        "organisations/email/welcome",
        kind="welcome",
        user=user,
        now=now,
        organisation=organisation,
        sign_in=external_url("accounts.login"),
        set_password=set_password,
        provider=provider,
    )
    return user


def decline(
    row: AccessRequest,
    *,
    actor: User,
    reason: str = "",
    expected_version: int | None = None,
    ip_address: str = "",
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    check_version(row, expected_version)
    if row.state != "pending":
        raise AccessRequestError("This request has been decided already.")
    row.state, row.decided_at, row.decided_by_id = "declined", now, actor.id
    db.session.flush()
    audit.record(
        "access.declined",
        actor=actor,
        organisation_id=row.organisation_id,
        target=row.email,
        detail=reason,
        ip_address=ip_address,
        now=now,
    )
    queue_email(
        row.email,
        "Your request for access to the Industry Issues Tracker",
        "organisations/email/declined",
        kind="access_declined",
        name=row.name,
        now=now,
        reason=reason,
    )


def pending_for(organisation: Organisation | None) -> list[AccessRequest]:
    """Pending requests routed to this organisation; None: those no organisation claimed (staff decide)."""
    where = AccessRequest.organisation_id == organisation.id if organisation else AccessRequest.organisation_id.is_(None)
    return db.session.scalars(
        sa.select(AccessRequest)
        .where(AccessRequest.state == "pending", where)
        .order_by(AccessRequest.verified_at)
        .limit(PAGE_SIZE)
    ).all()


def all_pending() -> list[AccessRequest]:
    return db.session.scalars(
        sa.select(AccessRequest)
        .where(AccessRequest.state == "pending")
        .order_by(AccessRequest.verified_at)
        .limit(PAGE_SIZE)
        .options(sa.orm.joinedload(AccessRequest.organisation))
    ).all()
