"""Organisations, accounts and sign-in sessions: the rules shared by the admin screens,
the sign-in page and the CLI. Adds and flushes; the caller commits."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.text import clean_text
from .models import Organisation, User, UserSession

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A request to create or change an account that cannot be carried out."""


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > 200:
        raise AccountError("The password must be at most 200 characters long.")


def normalise_email(email: str | None) -> str:
    """The one form of an address used to find its account and to count its sign-in attempts."""
    return clean_text(email or "").strip().lower()[:254]


def _name_taken(name: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Organisation.id).where(sa.func.lower(Organisation.name) == name.lower())
    if exclude_id:
        stmt = stmt.where(Organisation.id != exclude_id)
    return db.session.scalar(stmt) is not None


def save_organisation(organisation: Organisation | None, *, name: str, kind: str) -> Organisation:
    """Add an organisation (organisation=None) or rename / reclassify one; names are unique ignoring case."""
    name = (name or "").strip()
    if _name_taken(name, exclude_id=organisation.id if organisation else None):
        raise AccountError("An organisation with that name exists already.")
    if organisation is None:
        organisation = Organisation()
        db.session.add(organisation)
    organisation.name, organisation.kind = name, kind
    db.session.flush()
    return organisation


def get_or_create_organisation(name: str, kind: str = "other") -> Organisation:
    name = (name or "").strip()
    if not name:
        raise AccountError("An organisation name is required.")
    if len(name) > 120:
        raise AccountError("The organisation name must be at most 120 characters long.")
    org = db.session.scalar(sa.select(Organisation).where(sa.func.lower(Organisation.name) == name.lower()))
    if org is None:
        org = Organisation(name=name, kind=kind)
        db.session.add(org)
        db.session.flush()
    return org


def create_user(
    email: str,
    *,
    role: str,
    password: str,
    name: str = "",
    organisation_name: str | None = None,
    organisation_id: int | None = None,
    active: bool = True,
) -> User:
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise AccountError(f"{email!r} is not a valid email address.")
    if role not in choices.ROLE_CODES:
        raise AccountError(f"Role must be one of: {', '.join(choices.ROLE_CODES)}.")
    check_password_rules(password)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"An account for {email} exists already.")
    if organisation_id is not None:
        org = db.session.get(Organisation, organisation_id)
        if org is None:
            raise AccountError("Choose one of the listed organisations.")
    else:
        org = get_or_create_organisation(organisation_name or "")
    user = User(email=email, name=(name or "").strip()[:120], role=role, organisation=org, active=active)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    user: User,
    *,
    acting_user: User,
    email: str,
    name: str,
    role: str,
    organisation_id: int,
    active: bool,
    password: str = "",
    keep_session_key: str | None = None,
) -> None:
    """Change an account. A new password ends every session of the account but the one kept."""
    email = normalise_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email, User.id != user.id)):
        raise AccountError("Another account uses that email address.")
    if user.id == acting_user.id and (role != "admin" or not active):
        raise AccountError("You cannot remove your own admin role or deactivate yourself.")
    if role not in choices.ROLE_CODES:
        raise AccountError(f"Role must be one of: {', '.join(choices.ROLE_CODES)}.")
    if db.session.get(Organisation, organisation_id) is None:
        raise AccountError("Choose one of the listed organisations.")
    user.email, user.name, user.role = email, (name or "").strip()[:120], role
    user.organisation_id, user.active = organisation_id, active
    if password:
        check_password_rules(password)
        user.set_password(password)
        end_sessions(user, keep_key=keep_session_key if user.id == acting_user.id else None)
    if not active:
        end_sessions(user)
    db.session.flush()


# ---------------------------------------------------------------- signing in


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    """A hash made as real ones are, for an address with no account: checking it costs the same."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(generate_password_hash(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


def authenticate(email: str, password: str) -> User | None:
    """The active account with this address and password, or None.

    An unknown address still checks a password hash, so refusing it takes as long as
    refusing a known one, and the time taken does not reveal which addresses have accounts.
    """
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def start_session(user: User, *, now: datetime | None = None) -> str:
    """Record a new signed-in session; returns the random key the browser's cookie carries."""
    key = secrets.token_urlsafe(32)
    now = now or utcnow()
    db.session.add(UserSession(key_hash=UserSession.hash_key(key), user_id=user.id, created_at=now))
    user.last_login_at = now
    db.session.flush()
    return key


def user_with_live_session(user_id: int, key: str | None, *, max_age: timedelta | None = None,
                           now: datetime | None = None) -> User | None:
    """The account whose session this is, while the session's record exists and is younger than max_age."""
    if not key or len(key) > 100:
        return None
    conditions = [User.id == user_id, UserSession.key_hash == UserSession.hash_key(key)]
    if max_age is not None:
        conditions.append(UserSession.created_at > (now or utcnow()) - max_age)
    return db.session.scalar(sa.select(User).join(UserSession, UserSession.user_id == User.id).where(*conditions))


def prune_sessions(max_age: timedelta, *, now: datetime | None = None) -> int:
    """Forget sessions past their lifetime (a browser closed without signing out leaves one)."""
    result = db.session.execute(sa.delete(UserSession).where(UserSession.created_at <= (now or utcnow()) - max_age))
    return result.rowcount or 0


def end_session(key: str | None) -> None:
    """Sign-out: the session's record goes, so a copy of its cookie no longer signs anyone in."""
    if key:
        db.session.execute(sa.delete(UserSession).where(UserSession.key_hash == UserSession.hash_key(key)))


def end_sessions(user: User, *, keep_key: str | None = None) -> None:
    stmt = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep_key:
        stmt = stmt.where(UserSession.key_hash != UserSession.hash_key(keep_key))
    db.session.execute(stmt)


def session_lifetime() -> timedelta:
    """How long a sign-in lasts, however active: after it, the browser signs in again."""
    return timedelta(days=current_app.config["SESSION_LIFETIME_DAYS"])


# The signed-in session's own key; its record on the server is what makes the cookie valid.
SESSION_KEY = "sid"
