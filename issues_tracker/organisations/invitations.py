"""Invitations into an organisation: sent by staff into any organisation and by an organisation's
admins into their own, as an emailed single-use link that expires (INVITATION_DAYS, 7 by
default). The invitee sets their name and a password, or signs in with single sign-on; the
organisation and role are the invitation's, never the invitee's choice."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.joinedload)
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from ..accounts import operations as accounts
from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.models import utcnow
from ..core.tokens import new_token, split_token, verifier_matches
from ..core.transaction import ConflictError
from ..core.urls import external_url
from ..notifications.outgoing import queue_email
from . import audit
from .models import Invitation

ROLES = {
    "participant": "Participant",
    "organisation_admin": "Organisation admin",
    "staff": "Staff",
    "admin": "Admin",
}
PAGE_SIZE = 50


class InvitationError(ValueError):
    """The invitation cannot be sent or changed; the message says why."""


class InvitationLinkError(ValueError):
    """The link cannot be used; `status` is the answer's code (400 malformed, 404 unknown, 410 spent or expired)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def lifetime() -> timedelta:
    return timedelta(days=current_app.config["INVITATION_DAYS"])


def roles_for(actor: User) -> list[tuple[str, str]]:
    """The roles this person may invite with: admins any, others participant or organisation admin."""
    codes = ["participant", "organisation_admin"] + (["staff", "admin"] if actor.is_admin else [])
    return [(code, ROLES[code]) for code in codes]


def _checked_email(email: str) -> str:
    try:
        return validate_email(email or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvitationError("Enter a valid email address, such as name@company.co.uk.") from None


def _send(invitation: Invitation, token: str, actor: User, now: datetime) -> None:
    link = external_url("organisations.invitation", token=token)
    queue_email(
        invitation.email,
        f"You are invited to the Industry Issues Tracker for {invitation.organisation.name}",
        "organisations/email/invitation",
        kind="invitation",
        name=invitation.name,
        now=now,
        invitation=invitation,
        link=link,
        inviter=actor,
        role_label=ROLES[invitation.role],
        expires_at=invitation.expires_at,
    )


def invite(
    organisation: Organisation,
    *,
    email: str,
    name: str,
    role: str,
    actor: User,
    ip_address: str = "",
    now: datetime | None = None,
) -> Invitation:
    now = now or utcnow()
    email = _checked_email(email)
    if role not in dict(roles_for(actor)):
        raise InvitationError("Choose one of the roles listed.")
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise InvitationError("An account with that email address exists already.")
    pending = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.organisation_id == organisation.id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.withdrawn_at.is_(None),
            Invitation.expires_at > now,
        )
    )
    if pending is not None:
        raise InvitationError("That address has a pending invitation already: send it again from the list below.")
    token = new_token()
    invitation = Invitation(
        organisation=organisation,
        email=email,
        name=(name or "").strip()[:120],
        role=role,
        selector=token.selector,
        verifier_hash=token.verifier_hash,
        invited_by_id=actor.id,
        created_at=now,
        sent_at=now,
        expires_at=now + lifetime(),
    )
    db.session.add(invitation)
    db.session.flush()
    _send(invitation, token.token, actor, now)
    audit.record(
        "invitation.sent",
        actor=actor,
        organisation_id=organisation.id,
        target=email,
        detail=f"as {ROLES[role]}",
        ip_address=ip_address,
        now=now,
    )
    return invitation


def check_version(invitation: Invitation, expected: int | None) -> None:
    if expected is not None and expected != invitation.version:
        raise ConflictError(
            "Someone else changed this invitation after you opened the page, so nothing was done. Look at it again."
        )


def resend(
    invitation: Invitation, *, actor: User, expected_version: int | None = None, ip_address: str = "", now: datetime | None = None
) -> None:
    """A new link with a new expiry; the earlier link stops working."""
    now = now or utcnow()
    check_version(invitation, expected_version)
    if invitation.accepted_at or invitation.withdrawn_at:
        raise InvitationError("This invitation has been accepted or withdrawn; it cannot be sent again.")
    token = new_token()
    invitation.selector, invitation.verifier_hash = token.selector, token.verifier_hash
    invitation.sent_at, invitation.expires_at = now, now + lifetime()
    invitation.times_sent += 1
    db.session.flush()
    _send(invitation, token.token, actor, now)
    audit.record(
        "invitation.resent",
        actor=actor,
        organisation_id=invitation.organisation_id,
        target=invitation.email,
        ip_address=ip_address,
        now=now,
    )


def withdraw(
    invitation: Invitation, *, actor: User, expected_version: int | None = None, ip_address: str = "", now: datetime | None = None
) -> None:
    check_version(invitation, expected_version)
    if invitation.accepted_at:
        raise InvitationError("This invitation has been accepted already.")
    if invitation.withdrawn_at:
        return
    invitation.withdrawn_at = now or utcnow()
    db.session.flush()
    audit.record(
        "invitation.withdrawn",
        actor=actor,
        organisation_id=invitation.organisation_id,
        target=invitation.email,
        ip_address=ip_address,
        now=now,
    )


def for_token(token: str, *, now: datetime | None = None, lock: bool = False) -> Invitation:
    parts = split_token(token)
    if parts is None:
        raise InvitationLinkError(
            "This invitation link is incomplete or not one of ours. Copy the whole link from the email.", 400
        )
    selector, verifier = parts
    stmt = sa.select(Invitation).where(Invitation.selector == selector)
    if lock:
        stmt = stmt.with_for_update()
    invitation = db.session.scalar(stmt)
    if invitation is None or not verifier_matches(verifier, invitation.verifier_hash):
        raise InvitationLinkError("This invitation link is not valid. If it was sent again, use the newest email.", 404)
    state = invitation.state(now or utcnow())
    if state == "accepted":
        raise InvitationLinkError("This invitation has been accepted already. Sign in with the account it made.", 410)
    if state == "withdrawn":
        raise InvitationLinkError("This invitation was withdrawn. Ask whoever invited you to send a new one.", 410)
    if state == "expired":
        raise InvitationLinkError("This invitation has expired. Ask whoever invited you to send it again.", 410)
    return invitation


def _role_fields(role: str) -> dict:
    if role in ("staff", "admin"):
        return {"role": role}
    return {"role": "participant", "organisation_admin": role == "organisation_admin"}


def accept(token: str, *, name: str, password: str | None, ip_address: str = "", now: datetime | None = None) -> User:
    """Make the invitee's account in the invitation's organisation and spend the link (once)."""
    now = now or utcnow()
    invitation = for_token(token, now=now, lock=True)
    if db.session.scalar(sa.select(User.id).where(User.email == invitation.email)) is not None:
        raise InvitationLinkError("An account with this address exists already. Sign in with it.", 409)
    user = accounts.create_user(
        invitation.email,
        password=password,
        name=name,
        organisation_id=invitation.organisation_id,
        **_role_fields(invitation.role),
    )
    spent = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=now, accepted_user_id=user.id, version=Invitation.version + 1)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise InvitationLinkError("This invitation has been accepted already. Sign in with the account it made.", 410)
    audit.record(
        "invitation.accepted",
        actor=user,
        organisation_id=invitation.organisation_id,
        target=user.email,
        ip_address=ip_address,
        now=now,
    )
    queue_email(
        user.email,
        "Welcome to the Industry Issues Tracker",
        "organisations/email/welcome",
        kind="welcome",
        user=user,
        now=now,
        organisation=invitation.organisation,
        sign_in=external_url("accounts.login"),
    )
    return user


def listing(organisation: Organisation, *, now: datetime | None = None) -> list[Invitation]:
    """The organisation's invitations not yet accepted (pending, expired or withdrawn), newest first."""
    return db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.organisation_id == organisation.id, Invitation.accepted_at.is_(None))
        .order_by(Invitation.created_at.desc())
        .limit(PAGE_SIZE)
        .options(sa.orm.joinedload(Invitation.invited_by))
    ).all()


def get(organisation_id: int, invitation_id: int) -> Invitation | None:
    return db.session.scalar(
        sa.select(Invitation).where(Invitation.id == invitation_id, Invitation.organisation_id == organisation_id)
    )


def accept_by_sso(token: str, claims: dict, *, ip_address: str = "", now: datetime | None = None) -> User:
    """Accept with single sign-on: the provider's verified address must be the invited one.
    Makes the account (without a password) in the invitation's organisation and spends the link."""
    now = now or utcnow()
    invitation = for_token(token, now=now, lock=True)
    email = accounts.normalise_email(claims.get("email") or "")
    if email != invitation.email:
        raise InvitationLinkError(
            f"You signed in as {email or 'someone without an address'}, but the invitation is for {invitation.email}. "
            "Sign out of your organisation's sign-in and try again with the invited account.",
            403,
        )
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise InvitationLinkError("An account with this address exists already. Sign in with it.", 409)
    user = accounts.create_user(
        email,
        password=None,
        name=str(claims.get("name") or invitation.name or "")[:120],
        organisation_id=invitation.organisation_id,
        **_role_fields(invitation.role),
    )
    invitation.accepted_at, invitation.accepted_user_id = now, user.id
    db.session.flush()
    audit.record(
        "invitation.accepted",
        actor=user,
        organisation_id=invitation.organisation_id,
        target=user.email,
        detail="with single sign-on",
        ip_address=ip_address,
        now=now,
    )
    return user
