"""Organisations, accounts and sign-in sessions: the rules shared by the admin screens,
the sign-in page and the CLI. Adds and flushes; the caller commits."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.text import clean_text
from ..core.transaction import ConflictError
from .models import Organisation, User, UserSession
from .passwords import MIN_PASSWORD_LENGTH, PasswordRuleError
from .passwords import check_password_rules as _password_rules

__all__ = ["MIN_PASSWORD_LENGTH", "AccountError"]


class AccountError(ValueError):
    """A request to create or change an account that cannot be carried out."""


def check_password_rules(password: str, *, personal: tuple[str, ...] = ()) -> None:
    try:
        _password_rules(password, personal=personal)
    except PasswordRuleError as exc:
        raise AccountError(str(exc)) from None


def display_names(user_ids) -> dict[int, str]:
    """The display names of these accounts, in one query (for histories that name who wrote each entry)."""
    ids = {user_id for user_id in user_ids if user_id}
    if not ids:
        return {}
    return {user.id: user.display_name for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def normalise_email(email: str | None) -> str:
    """The one form of an address used to find its account and to count its sign-in attempts."""
    return clean_text(email or "").strip().lower()[:254]


def _name_taken(name: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Organisation.id).where(sa.func.lower(Organisation.name) == name.lower())
    if exclude_id:
        stmt = stmt.where(Organisation.id != exclude_id)
    return db.session.scalar(stmt) is not None


def save_organisation(organisation: Organisation | None, *, name: str, kind: str,
                      expected_version: int | None = None) -> Organisation:
    """Add an organisation (organisation=None) or rename / reclassify one; names are unique ignoring case."""
    from ..core.transaction import ConflictError

    if organisation is not None and expected_version is not None and expected_version != organisation.version:
        raise ConflictError("Someone else changed this organisation after you opened it, so your changes were not saved.")
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
    password: str | None,
    name: str = "",
    organisation_name: str | None = None,
    organisation_id: int | None = None,
    active: bool = True,
    organisation_admin: bool = False,
) -> User:
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise AccountError(f"{email!r} is not a valid email address.")
    if role not in choices.ROLE_CODES:
        raise AccountError(f"Role must be one of: {', '.join(choices.ROLE_CODES)}.")
    if password is not None:
        check_password_rules(password, personal=(email, name or "", organisation_name or ""))
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"An account for {email} exists already.")
    if organisation_id is not None:
        org = db.session.get(Organisation, organisation_id)
        if org is None:
            raise AccountError("Choose one of the listed organisations.")
    else:
        org = get_or_create_organisation(organisation_name or "")
    user = User(email=email, name=(name or "").strip()[:120], role=role, organisation=org, active=active,
                organisation_admin=organisation_admin)
    if password is None:
        user.set_unusable_password()  # signs in through single sign-on
    else:
        user.set_password(password)
        user.password_changed_at = utcnow()
    db.session.add(user)
    db.session.flush()
    return user


def fingerprint_for(email: str) -> str:
    """The password fingerprint of the account with this address ("" for none)."""
    password_hash = db.session.scalar(sa.select(User.password_hash).where(User.email == email))
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16] if password_hash else ""


PAUSE_NOTICE_EVERY = timedelta(hours=1)


def note_sign_in_paused(user: User, *, now: datetime | None = None) -> bool:
    """Record that the owner is told sign-in is paused; False when they were told within the hour."""
    now = now or utcnow()
    if user.sign_in_paused_notice_at and now - user.sign_in_paused_notice_at < PAUSE_NOTICE_EVERY:
        return False
    user.sign_in_paused_notice_at = now
    db.session.flush()
    return True


def claim_version(user: User, expected_version: int) -> None:
    """Bump the account's version if it is still `expected_version`, else ConflictError. The check
    and the bump are one UPDATE, so of two edits at the same moment the later one is refused."""
    table = User.__table__
    claimed = db.session.execute(
        sa.update(table).where(table.c.id == user.id, table.c.version == expected_version)
        .values(version=table.c.version + 1)
    ).rowcount
    if not claimed:
        raise ConflictError("Someone else changed this account after you opened it, so your changes were not saved.")
    db.session.expire(user, ["version"])


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
    expected_version: int | None = None,
) -> None:
    """Change an account. A new password ends every session of the account but the one kept.

    expected_version: the version the editor's form was opened at; an edit saved since by
    someone else, or at the same moment, refuses this one (ConflictError).
    """
    if expected_version is not None:
        claim_version(user, expected_version)
    email = normalise_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email, User.id != user.id)):
        raise AccountError("Another account uses that email address.")
    if user.id == acting_user.id and (role != "admin" or not active):
        raise AccountError("You cannot remove your own admin role or deactivate yourself.")
    if role not in choices.ROLE_CODES:
        raise AccountError(f"Role must be one of: {', '.join(choices.ROLE_CODES)}.")
    if db.session.get(Organisation, organisation_id) is None:
        raise AccountError("Choose one of the listed organisations.")
    if password:
        check_password_rules(password, personal=(email, name or ""))
    was_active = user.active
    user.email, user.name, user.role = email, (name or "").strip()[:120], role
    if user.organisation_id != organisation_id:
        user.organisation_admin = False  # an organisation's admin only in their own
    user.organisation_id = organisation_id
    if password:
        user.set_password(password)
        user.password_changed_at = utcnow()
        end_sessions(user, keep_key=keep_session_key if user.id == acting_user.id else None)
    if was_active and not active:
        deactivate(user)
    elif active and not was_active:
        reactivate(user)
    db.session.flush()


def deactivate(user: User, *, now: datetime | None = None) -> None:
    """The account can no longer sign in: its sessions end at once, and it is sent no more email.
    What it wrote keeps its name."""
    user.active = False
    user.deactivated_at = now or utcnow()
    end_sessions(user)
    db.session.flush()


def reactivate(user: User) -> None:
    user.active = True
    user.deactivated_at = None
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


def start_session(user: User, *, now: datetime | None = None, method: str = "password", user_agent: str = "",
                  ip_address: str = "", sso_provider: str = "", id_token: str = "") -> str:
    """Record a new signed-in session; returns the random key the browser's cookie carries."""
    key = secrets.token_urlsafe(32)
    now = now or utcnow()
    db.session.add(UserSession(
        key_hash=UserSession.hash_key(key), user_id=user.id, created_at=now, method=method,
        user_agent=(user_agent or "")[:300], ip_address=(ip_address or "")[:64], sso_provider=sso_provider,
        id_token=id_token or "",
    ))
    user.last_login_at = now
    db.session.flush()
    return key


@functools.cache
def _live_session_select() -> sa.Select:
    # Built once: every request runs it, and building it costs more than running it.
    return (
        sa.select(User).join(UserSession, UserSession.user_id == User.id)
        .where(User.id == sa.bindparam("user_id"), UserSession.key_hash == sa.bindparam("key_hash"),
               UserSession.created_at > sa.bindparam("since", type_=UserSession.created_at.type))
    )


def user_with_live_session(user_id: int, key: str | None, *, max_age: timedelta | None = None,
                           now: datetime | None = None) -> User | None:
    """The account whose session this is, while the session's record exists and is younger than max_age."""
    if not key or len(key) > 100:
        return None
    since = (now or utcnow()) - max_age if max_age is not None else datetime.min.replace(tzinfo=UTC)
    return db.session.scalar(
        _live_session_select(), {"user_id": user_id, "key_hash": UserSession.hash_key(key), "since": since}
    )


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


def sessions_of(user: User) -> list[UserSession]:
    return db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.created_at.desc())
    ).all()


def current_session(key: str | None) -> UserSession | None:
    if not key:
        return None
    return db.session.scalar(sa.select(UserSession).where(UserSession.key_hash == UserSession.hash_key(key)))


def end_session_by_id(user: User, session_id: int) -> bool:
    """End one of the person's own sessions (from their security page); False if it is not theirs."""
    result = db.session.execute(sa.delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id))
    return bool(result.rowcount)


def session_lifetime() -> timedelta:
    """How long a sign-in lasts, however active: after it, the browser signs in again."""
    return timedelta(days=current_app.config["SESSION_LIFETIME_DAYS"])


# The signed-in session's own key; its record on the server is what makes the cookie valid.
SESSION_KEY = "sid"
