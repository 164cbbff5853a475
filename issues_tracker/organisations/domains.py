"""Email domains an organisation claims as its own. A claim counts once staff have verified it:
then requests for access from the domain go to the organisation's admins, and single sign-on
makes new accounts from it in the organisation."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.joinedload)

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.models import utcnow
from . import audit
from .models import EmailDomain

DOMAIN_SHAPE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# Addresses anyone can have: never a claim of one organisation.
PUBLIC_DOMAINS = {
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "live.com",
    "yahoo.com",
    "yahoo.co.uk",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "btinternet.com",
    "sky.com",
    "gmx.com",
    "mail.com",
}


class DomainError(ValueError):
    """The domain cannot be claimed or changed; the message says why."""


def normalise_domain(value: str) -> str:
    return (value or "").strip().lower().lstrip("@").rstrip(".")


def organisation_for_domain(domain: str) -> Organisation | None:
    """The organisation whose verified claim covers this domain, or None."""
    return db.session.scalar(
        sa.select(Organisation)
        .join(EmailDomain, EmailDomain.organisation_id == Organisation.id)
        .where(EmailDomain.domain == normalise_domain(domain), EmailDomain.verified_at.is_not(None))
    )


def domains_of(organisation: Organisation) -> list[EmailDomain]:
    return db.session.scalars(
        sa.select(EmailDomain).where(EmailDomain.organisation_id == organisation.id).order_by(EmailDomain.domain)
    ).all()


def claim(
    organisation: Organisation, domain: str, *, actor: User, ip_address: str = "", now: datetime | None = None
) -> EmailDomain:
    """Claim a domain for the organisation; staff claiming it verify it at once."""
    domain = normalise_domain(domain)
    if not DOMAIN_SHAPE.match(domain):
        raise DomainError("Enter a domain such as northern-supply.co.uk (the part of an address after @).")
    if domain in PUBLIC_DOMAINS:
        raise DomainError(f"{domain} is a public email service; it cannot belong to one organisation.")
    existing = db.session.scalar(sa.select(EmailDomain).where(EmailDomain.domain == domain))
    if existing is not None:
        if existing.organisation_id == organisation.id:
            raise DomainError(f"{domain} is claimed by this organisation already.")
        raise DomainError(f"{domain} is claimed by another organisation. Ask the service-management team if it is yours.")
    now = now or utcnow()
    row = EmailDomain(organisation_id=organisation.id, domain=domain, created_at=now)
    if actor.is_staff:
        row.verified_at, row.verified_by_id = now, actor.id
    db.session.add(row)
    db.session.flush()
    audit.record(
        "domain.claimed",
        actor=actor,
        organisation_id=organisation.id,
        target=domain,
        detail="verified at once by staff" if row.verified_at else "awaiting verification by staff",
        ip_address=ip_address,
        now=now,
    )
    return row


def verify(row: EmailDomain, *, actor: User, ip_address: str = "", now: datetime | None = None) -> None:
    if row.verified_at is not None:
        return
    now = now or utcnow()
    row.verified_at, row.verified_by_id = now, actor.id
    db.session.flush()
    audit.record(
        "domain.verified", actor=actor, organisation_id=row.organisation_id, target=row.domain, ip_address=ip_address, now=now
    )


def remove(row: EmailDomain, *, actor: User, ip_address: str = "") -> None:
    audit.record("domain.removed", actor=actor, organisation_id=row.organisation_id, target=row.domain, ip_address=ip_address)
    db.session.delete(row)
    db.session.flush()


def pending_claims() -> list[EmailDomain]:
    return db.session.scalars(
        sa.select(EmailDomain)
        .where(EmailDomain.verified_at.is_(None))
        .order_by(EmailDomain.created_at)
        .options(sa.orm.joinedload(EmailDomain.organisation))
    ).all()
