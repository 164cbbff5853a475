"""Organisations and accounts: the rules shared by the admin screens and the CLI."""

from __future__ import annotations

import sqlalchemy as sa

from .. import choices
from ..extensions import db
from ..models import Organisation, User

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A request to create or change an account that cannot be carried out."""


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > 200:
        raise AccountError("The password must be at most 200 characters long.")


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
    email: str, *, role: str, organisation_name: str, password: str, name: str = ""
) -> User:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise AccountError(f"{email!r} is not a valid email address.")
    if role not in choices.ROLE_CODES:
        raise AccountError(f"Role must be one of: {', '.join(choices.ROLE_CODES)}.")
    check_password_rules(password)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"An account for {email} exists already.")
    org = get_or_create_organisation(organisation_name)
    user = User(email=email, name=(name or "").strip()[:120], role=role, organisation=org)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user
