"""Bearer tokens for the API: personal ones, and service tokens for an organisation's integration."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.models import Line, UTCDateTime, utcnow

SCOPES = ("read", "write")


class ApiToken(db.Model):
    """A token a program presents as `Authorization: Bearer <token>`. Only its SHA-256 is kept.

    A personal token acts as its owner. A service token belongs to an organisation's
    integration: it acts with the rights of the organisation admin (or staff member) who made
    it, and the journal names the token rather than a person.
    """

    __tablename__ = "api_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(Line(64), unique=True)
    # The token's first characters, shown in lists so its holder can tell tokens apart.
    prefix: so.Mapped[str] = so.mapped_column(Line(12))
    name: so.Mapped[str] = so.mapped_column(Line(60))
    scope: so.Mapped[str] = so.mapped_column(Line(10), default="read")
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # Set for a service token: the organisation whose integration uses it.
    organisation_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("organisation.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship(lazy="joined")
    organisation: so.Mapped[Organisation | None] = so.relationship()

    @property
    def is_service(self) -> bool:
        return self.organisation_id is not None

    @property
    def can_write(self) -> bool:
        return self.scope == "write"

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now) and self.user.active
