"""Passwords: the rules (NIST SP 800-63B: a minimum length, no composition rules, and not one
that is common, breached or easy to guess), changing one's own, and resetting a forgotten one
by an emailed single-use link.

Common and breached passwords come from zxcvbn's lists (30,000 passwords from breach corpora,
with English words, names and keyboard patterns), shipped with the package: no network call.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ..core.extensions import db
from ..core.models import utcnow
from ..core.tokens import new_token, split_token, verifier_matches
from ..core.urls import external_url
from .models import PasswordReset, User

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# zxcvbn's estimate below which a password is refused: about a million guesses.
MIN_GUESSES = 10**6
SITE_WORDS = ["issues", "tracker", "industry", "service", "forum", "elexon", "mhhs"]
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


class PasswordRuleError(ValueError):
    """The password is refused; the message says why, in the person's words."""


def check_password_rules(password: str, *, personal: tuple[str, ...] = ()) -> None:
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRuleError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRuleError(f"The password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    if password.lower() in _COMMON:
        raise PasswordRuleError("That password is on a list of common or breached passwords. Choose another.")
    words = SITE_WORDS + [part for value in personal for part in re.split(r"[^a-z0-9]+", (value or "").lower()) if len(part) > 2]
    # zxcvbn's cost grows with length; the first 100 characters decide whether it is guessable.
    if zxcvbn(password[:100], user_inputs=words)["guesses"] < MIN_GUESSES:
        raise PasswordRuleError(
            "That password is too easy to guess: it is built from common words, names, dates or a "
            "repeated pattern. A few unrelated words make a strong one."
        )


def personal_words(user: User | None, email: str = "", name: str = "") -> tuple[str, ...]:
    if user is not None:
        return (user.email, user.name, user.organisation.name if user.organisation else "")
    return (email, name)


def change_password(user: User, current: str, new: str, *, now: datetime | None = None) -> None:
    """Change one's own password; the current one is needed. The caller ends other sessions."""
    if not user.check_password(current or ""):
        raise PasswordRuleError("That is not your current password.")
    set_password(user, new, now=now)


def set_password(user: User, new: str, *, now: datetime | None = None) -> None:
    check_password_rules(new, personal=personal_words(user))
    user.set_password(new)
    user.password_changed_at = now or utcnow()
    db.session.flush()


# ---------------------------------------------------------------- reset by email


def reset_lifetime() -> timedelta:
    return timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"])


def start_reset(user: User, *, now: datetime | None = None, lifetime: timedelta | None = None) -> str:
    """A new single-use reset link for the account (earlier unused ones stop working); returns its URL.
    A welcome's link to choose a first password lasts longer (`lifetime`)."""
    now = now or utcnow()
    db.session.execute(
        sa.update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)).values(used_at=now)
    )
    token = new_token()
    db.session.add(
        PasswordReset(
            selector=token.selector,
            verifier_hash=token.verifier_hash,
            user_id=user.id,
            created_at=now,
            expires_at=now + (lifetime or reset_lifetime()),
        )
    )
    db.session.flush()
    return external_url("accounts.reset_password", token=token.token)


class ResetLinkError(ValueError):
    """The link cannot be used: the message says why (400 or 410)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def reset_for_token(token: str, *, now: datetime | None = None, lock: bool = False) -> PasswordReset:
    """The reset this link names, while it is unused and unexpired; else ResetLinkError."""
    parts = split_token(token)
    if parts is None:
        raise ResetLinkError(
            "This password-reset link is incomplete or not one of ours. "
            "Copy the whole link from the email, or ask for a new one.",
            400,
        )
    selector, verifier = parts
    stmt = sa.select(PasswordReset).where(PasswordReset.selector == selector)
    if lock:
        stmt = stmt.with_for_update()
    reset = db.session.scalar(stmt)
    if reset is None or not verifier_matches(verifier, reset.verifier_hash):
        raise ResetLinkError("This password-reset link is not valid. Ask for a new one.", 400)
    if reset.used_at is not None:
        raise ResetLinkError("This password-reset link has been used already. Ask for a new one if you need it.", 410)
    if reset.expires_at <= (now or utcnow()):
        raise ResetLinkError("This password-reset link has expired (they last an hour). Ask for a new one.", 410)
    user = db.session.get(User, reset.user_id)
    if user is None or not user.active:
        raise ResetLinkError("This password-reset link is not valid. Ask for a new one.", 400)
    return reset


def complete_reset(token: str, new_password: str, *, now: datetime | None = None) -> User:
    """Set the new password and spend the link, in one transaction; every session of the account ends."""
    from .operations import end_sessions

    now = now or utcnow()
    reset = reset_for_token(token, now=now, lock=True)
    user = db.session.get(User, reset.user_id)
    set_password(user, new_password, now=now)
    # Spent only if nobody else spent it first: a second use of the link at the same moment loses.
    spent = db.session.execute(
        sa.update(PasswordReset).where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None)).values(used_at=now)
    )
    if spent.rowcount != 1:
        raise ResetLinkError("This password-reset link has been used already. Ask for a new one if you need it.", 410)
    end_sessions(user)
    return user
