"""Two-factor sign-in: an authenticator app's time-based codes (RFC 6238, through pyotp) with
ten single-use recovery codes, and who must have a second factor.

The authenticator's key is stored sealed (core.sealed); recovery codes only as hashes. A code
is accepted once: the step it belongs to is remembered, so a code seen over someone's
shoulder cannot be used again in its 30 seconds.
"""

from __future__ import annotations

import io
import secrets
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from ..core.extensions import db
from ..core.models import utcnow
from ..core.sealed import Unreadable, seal, unseal
from ..core.tokens import digest, matches_any
from .models import Passkey, RecoveryCode, User

SEAL = "totp-secret"
ISSUER = "Industry Issues Tracker"
RECOVERY_CODES = 10
# Codes from one step before or after the current one are accepted (clocks drift).
VALID_WINDOW = 1


class CodeError(ValueError):
    """The code was refused; the message says why."""


def required_roles() -> set[str]:
    return {role.strip() for role in (current_app.config.get("MFA_REQUIRED_ROLES") or "").split(",") if role.strip()}


def second_factor_required(user: User) -> bool:
    """Does this account's password sign-in need a second factor (by its role, or its organisation's choice)?"""
    roles = required_roles()
    if user.role in roles or (user.organisation_admin and "organisation_admin" in roles):
        return True
    return bool(user.organisation and user.organisation.require_mfa)


def passkey_count(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Passkey).where(Passkey.user_id == user.id)) or 0


def has_second_factor(user: User) -> bool:
    return user.has_totp or passkey_count(user) > 0


# ---------------------------------------------------------------- the authenticator app


def start_enrolment(user: User) -> str:
    """A new key for the authenticator (not in use until a code from it is confirmed); returns it."""
    key = pyotp.random_base32()
    user.totp_secret = seal(key.encode(), SEAL)
    if not user.has_totp:
        user.totp_last_step = None
    db.session.flush()
    return key


def pending_key(user: User) -> str | None:
    """The key being enrolled (or in use), readable only with this site's SECRET_KEY."""
    if user.totp_secret is None:
        return None
    try:
        return unseal(user.totp_secret, SEAL).decode()
    except Unreadable:
        return None


def provisioning_uri(user: User, key: str) -> str:
    return pyotp.TOTP(key).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The enrolment QR code as an SVG image (shown inline, no script). Safe to show unescaped:
    segno writes only paths and a fixed title; the URI is encoded in the modules, not as text."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title="QR code for your authenticator app"
    )
    return Markup(out.getvalue().decode())  # noqa: S704


def _normalise(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _accept_totp(user: User, key: str, code: str, now: datetime) -> bool:
    code = _normalise(code)
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(key)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # this code (or a later one) was used already
            user.totp_last_step = step
            return True
    return False


def confirm_enrolment(user: User, code: str, *, now: datetime | None = None) -> list[str]:
    """Turn on the authenticator after a first code from it; returns new recovery codes (shown once)."""
    now = now or utcnow()
    key = pending_key(user)
    if key is None:
        raise CodeError("Start again: set up the authenticator from the beginning.")
    if not _accept_totp(user, key, code, now):
        raise CodeError("That code does not match. Check the time on your phone, and enter the newest code.")
    user.totp_confirmed_at = now
    codes = new_recovery_codes(user, now=now)
    db.session.flush()
    return codes


def disable_totp(user: User) -> None:
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def new_recovery_codes(user: User, *, now: datetime | None = None) -> list[str]:
    """Ten new single-use codes replacing any before; only their hashes are kept."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 10 hex characters, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=digest(raw), created_at=now or utcnow()))
    db.session.flush()
    return codes


def unused_recovery_codes(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def _spend_recovery_code(user: User, code: str, now: datetime) -> bool:
    code = _normalise(code)
    if len(code) != 10:
        return False
    rows = db.session.scalars(
        sa.select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)).order_by(RecoveryCode.id)
    ).all()
    position = matches_any(code, [row.code_hash for row in rows])
    if position is None:
        return False
    row = rows[position]
    # Spent once only, even by two sign-ins at the same moment.
    spent = db.session.execute(
        sa.update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None)).values(used_at=now)
    )
    return spent.rowcount == 1


def verify_second_factor(user: User, code: str, *, now: datetime | None = None) -> str:
    """Check a sign-in's second step: an authenticator code or a recovery code. Returns which
    ("code" or "recovery code"); raises CodeError."""
    now = now or utcnow()
    if user.has_totp:
        key = pending_key(user)
        if key is not None and _accept_totp(user, key, code, now):
            db.session.flush()
            return "code"
    if _spend_recovery_code(user, code, now):
        return "recovery code"
    raise CodeError(
        "That code is not right, or has been used already. Enter the newest code from your authenticator app, "
        "or one of your recovery codes."
    )
