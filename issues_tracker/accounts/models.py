"""Organisations and accounts."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.extensions import db
from ..core.models import Line, UTCDateTime, utcnow


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(Line(120), unique=True)
    kind: so.Mapped[str] = so.mapped_column(Line(30), default="other")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

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

    organisation: so.Mapped[Organisation] = so.relationship(
        back_populates="users", lazy="joined"
    )

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt with a random salt.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
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

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
