"""API tokens: made (shown once, stored as a hash), listed, revoked, and found by what a request presents.

A token is "iit_" followed by 43 random characters; only its SHA-256 is stored (core.tokens),
so a copy of the database gives nobody a working token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.models import utcnow
from ..core.tokens import digest, new_secret
from ..core.transaction import flush
from ..issues.models import IssueEvent
from .models import SCOPES, ApiToken

PREFIX = "iit_"
MAX_NAME = 60
MAX_EXPIRY_DAYS = 3650
# A token's "last used" is written at most this often, so a busy integration does not write on every request.
LAST_USED_EVERY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token that cannot be made or changed as asked; the message says why."""


@dataclass(frozen=True)
class NewApiToken:
    token: str  # shown once, never stored
    record: ApiToken


def can_make_service_token(user: User, organisation: Organisation) -> bool:
    """Staff make service tokens for any organisation; an organisation admin for their own."""
    return user.is_staff or (user.organisation_admin and user.organisation_id == organisation.id)


def create_token(
    user: User, name: str, scope: str, *, expires_days: int | None = None, organisation: Organisation | None = None,
    now: datetime | None = None,
) -> NewApiToken:
    """A new token for `user` (a service token when `organisation` is given); the caller commits."""
    now = now or utcnow()
    name = (name or "").strip()
    if not name:
        raise TokenError("Give the token a name, so you can tell it apart later (e.g. “ServiceNow sync”).")
    if len(name) > MAX_NAME:
        raise TokenError(f"A token's name can be at most {MAX_NAME} characters long.")
    if scope not in SCOPES:
        raise TokenError("Choose read or write access.")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise TokenError(f"A token expires after 1 to {MAX_EXPIRY_DAYS} days (or never).")
    if organisation is not None and not can_make_service_token(user, organisation):
        raise TokenError("Only the organisation's admins and staff can make a service token for it.")
    secret, _ = new_secret()
    token = PREFIX + secret
    record = ApiToken(
        token_hash=digest(token), prefix=token[:12], name=name, scope=scope, user_id=user.id,
        organisation_id=organisation.id if organisation is not None else None, created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    db.session.add(record)
    flush()
    return NewApiToken(token, record)


def tokens_of(user: User) -> list[ApiToken]:
    """The person's tokens (personal and the service tokens they made), newest first."""
    return db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()


def service_tokens_of(organisation: Organisation) -> list[ApiToken]:
    return db.session.scalars(
        sa.select(ApiToken).where(ApiToken.organisation_id == organisation.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()


def can_revoke(user: User, token: ApiToken) -> bool:
    return token.user_id == user.id or (token.organisation is not None and can_make_service_token(user, token.organisation))


def revoke_token(token: ApiToken, *, now: datetime | None = None) -> bool:
    """Revoke the token (it stops working at once); False when it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    flush()
    return True


def find_token(presented: str | None, *, now: datetime | None = None) -> ApiToken | None:
    """The usable token a request presents (by its hash), or None: unknown, revoked, expired or its owner gone."""
    if not presented or not presented.startswith(PREFIX) or len(presented) > 100:
        return None
    now = now or utcnow()
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(presented)))
    if token is None or not token.usable(now):
        return None
    return token


def use_worth_noting(token: ApiToken, *, now: datetime | None = None) -> bool:
    return token.last_used_at is None or (now or utcnow()) - token.last_used_at >= LAST_USED_EVERY


def note_use(token: ApiToken, *, now: datetime | None = None) -> bool:
    """Record that the token was used (at most once a minute); True when it wrote."""
    now = now or utcnow()
    if not use_worth_noting(token, now=now):
        return False
    db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    token.last_used_at = now
    return True


TOKEN_IN_SESSION = "api_token_name"  # noqa: S105  (a key of session.info) while a request made with a token runs


@sa.event.listens_for(Session, "before_flush")
def _journal_names_the_token(session: Session, flush_context, instances) -> None:
    """Every journal entry written by a request made with a token names the token."""
    name = session.info.get(TOKEN_IN_SESSION)
    if not name:
        return
    for record in session.new:
        if isinstance(record, IssueEvent) and not record.via:
            record.via = name
