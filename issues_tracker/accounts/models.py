"""Organisations and accounts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.extensions import db
from ..core.models import Line, Prose, UTCDateTime, utcnow

# A password hash that no password matches starts with this (werkzeug's hashes never do).
NO_PASSWORD = "!"  # noqa: S105  (a marker, not a password)


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(Line(120), unique=True)
    kind: so.Mapped[str] = so.mapped_column(Line(30), default="other")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # Set by the organisation's admins: every member's password sign-in needs a second factor.
    require_mfa: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # Bumped on every save: a save based on an older version is refused as a conflict.
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    users: so.WriteOnlyMapped[User] = so.relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(Line(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(Line(120), default="")
    password_hash: so.Mapped[str] = so.mapped_column(Line(256))
    role: so.Mapped[str] = so.mapped_column(Line(20), default="participant")
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # A participant who manages their own organisation's people, invitations and contacts.
    organisation_admin: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    password_changed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # The authenticator app's key, sealed (core.sealed); set while enrolling, in use once confirmed.
    totp_secret: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    totp_confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # The 30-second step of the last code accepted: a code is never accepted twice.
    totp_last_step: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    deactivated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # A closed account: its name is gone from what it wrote, its settings removed; the row stays.
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # When the owner was last told that sign-in to the account is paused (too many wrong
    # passwords from anywhere), so they are told once a pause, not at every refused attempt.
    sign_in_paused_notice_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Bumped by every edit of the account (by an admin, say): an edit opened before another's is
    # refused (accounts.operations.claim_version). Not a mapper version: signing in writes the row
    # too, and two sign-ins at once must not conflict.
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")

    organisation: so.Mapped[Organisation] = so.relationship(
        back_populates="users", lazy="joined"
    )

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt with a random salt.
        self.password_hash = generate_password_hash(password)

    def set_unusable_password(self) -> None:
        """An account that signs in only through single sign-on (or has been closed)."""
        self.password_hash = NO_PASSWORD + secrets.token_hex(16)

    @property
    def has_password(self) -> bool:
        return not self.password_hash.startswith(NO_PASSWORD)

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None

    def check_password(self, password: str) -> bool:
        if not self.has_password:
            return False
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        # The session names the account and a fingerprint of its password hash, so a
        # password change (or reset) signs out every other session of the account.
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def session_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @hybrid_property
    def display_name(self) -> str:
        return self.name or self.email

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls) -> sa.ColumnElement[str]:
        # The same in SQL, for pages that read names as plain columns.
        return sa.func.coalesce(sa.func.nullif(cls.name, ""), cls.email)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserSession(db.Model):
    """A signed-in browser. The cookie holds a random key; only its hash is stored.

    Signing out deletes the row, so a copy of the cookie stops working at once.
    """

    __tablename__ = "user_session"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    key_hash: so.Mapped[str] = so.mapped_column(Line(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # What the person sees on their security page to tell their sessions apart.
    user_agent: so.Mapped[str] = so.mapped_column(Line(300), default="", server_default="")
    ip_address: so.Mapped[str] = so.mapped_column(Line(64), default="", server_default="")
    # password | password+code | passkey | recovery code | sso
    method: so.Mapped[str] = so.mapped_column(Line(20), default="password", server_default="password")
    # Signed in through a provider: its name and ID token, for the provider's own sign-out.
    sso_provider: so.Mapped[str] = so.mapped_column(Line(60), default="", server_default="")
    id_token: so.Mapped[str] = so.mapped_column(Prose, default="", server_default="")

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class RecoveryCode(db.Model):
    """One of the ten single-use codes that stand in for the authenticator; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: so.Mapped[str] = so.mapped_column(Line(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class Passkey(db.Model):
    """A WebAuthn credential: the public key of a passkey the person registered."""

    __tablename__ = "passkey"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    credential_id: so.Mapped[str] = so.mapped_column(Line(1400), unique=True)  # base64url
    public_key: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    sign_count: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    transports: so.Mapped[str] = so.mapped_column(Line(100), default="")
    name: so.Mapped[str] = so.mapped_column(Line(60), default="Passkey")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class SsoIdentity(db.Model):
    """An account's identity at an OpenID Connect provider: the provider's name and its `sub`."""

    __tablename__ = "sso_identity"
    __table_args__ = (sa.UniqueConstraint("provider", "subject", name="uq_sso_identity_subject"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    provider: so.Mapped[str] = so.mapped_column(Line(60))
    subject: so.Mapped[str] = so.mapped_column(Line(255))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class PasswordReset(db.Model):
    """A password-reset link sent by email: single use, short-lived, only its verifier's hash kept."""

    __tablename__ = "password_reset"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    selector: so.Mapped[str] = so.mapped_column(Line(16), unique=True)
    verifier_hash: so.Mapped[str] = so.mapped_column(Line(64))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
