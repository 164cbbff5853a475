"""Each organisation's contact register: people with an account or shared mailboxes without one,
each with the roles that drive distribution (forum invitations, the Monday log, major-incident
emails). Staff export every organisation's register as CSV or Excel."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.joinedload)
from email_validator import EmailNotValidError, validate_email
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from ..accounts.models import Organisation, User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.transaction import ConflictError
from . import audit
from .models import Contact, ContactOptOut

MAX_CONTACTS = 200
EXPORT_COLUMNS = (
    ["Organisation", "Kind", "Name", "Email", "Has account"]
    + [label for _, label in choices.CONTACT_ROLES]
    + ["Unsubscribed from"]
)


class ContactError(ValueError):
    """The contact cannot be saved; `field` names the field at fault."""

    def __init__(self, message: str, field: str = "email"):
        super().__init__(message)
        self.field = field


def register_of(organisation: Organisation) -> list[Contact]:
    return db.session.scalars(
        sa.select(Contact)
        .where(Contact.organisation_id == organisation.id)
        .order_by(sa.func.lower(Contact.name), Contact.email)
        .options(sa.orm.joinedload(Contact.user))
    ).all()


def get(organisation: Organisation, contact_id: int) -> Contact | None:
    return db.session.scalar(sa.select(Contact).where(Contact.id == contact_id, Contact.organisation_id == organisation.id))


def roles_of(contact: Contact) -> list[str]:
    return [code for code in choices.CONTACT_ROLE_CODES if getattr(contact, code)]


def opt_outs(emails: set[str]) -> set[tuple[str, str]]:
    if not emails:
        return set()
    return set(
        tuple(row)
        for row in db.session.execute(
            sa.select(ContactOptOut.email, ContactOptOut.role).where(ContactOptOut.email.in_(emails))
        ).all()
    )


def save(
    organisation: Organisation,
    contact: Contact | None,
    *,
    name: str,
    email: str,
    roles: list[str],
    actor: User,
    expected_version: int | None = None,
    ip_address: str = "",
    now: datetime | None = None,
) -> Contact:
    """Add a contact (contact=None) or change one. A contact whose address is a member's account is linked to it."""
    now = now or utcnow()
    if contact is not None and expected_version is not None and expected_version != contact.version:
        raise ConflictError("Someone else changed this contact after you opened it, so your changes were not saved.")
    try:
        email = validate_email(email or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ContactError("Enter a valid email address, such as service.desk@company.co.uk.") from None
    roles = [role for role in roles if role in choices.CONTACT_ROLE_CODES]
    clash = db.session.scalar(
        sa.select(Contact.id).where(
            Contact.organisation_id == organisation.id, Contact.email == email, Contact.id != (contact.id if contact else -1)
        )
    )
    if clash:
        raise ContactError("That address is in the register already.")
    account = db.session.scalar(sa.select(User).where(User.email == email, User.organisation_id == organisation.id))
    if contact is None:
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Contact).where(Contact.organisation_id == organisation.id)
        )
        if count >= MAX_CONTACTS:
            raise ContactError(f"The register holds at most {MAX_CONTACTS} contacts.")
        contact = Contact(organisation_id=organisation.id, created_at=now)
        db.session.add(contact)
        action = "contact.added"
    else:
        action = "contact.changed"
    contact.name = (name or "").strip()[:120] or (account.display_name if account else "")
    contact.email, contact.user_id, contact.updated_at = email, account.id if account else None, now
    for code in choices.CONTACT_ROLE_CODES:
        setattr(contact, code, code in roles)
    db.session.flush()
    labels = dict(choices.CONTACT_ROLES)
    audit.record(
        action,
        actor=actor,
        organisation_id=organisation.id,
        target=email,
        detail=", ".join(labels[role] for role in roles) or "no roles",
        ip_address=ip_address,
        now=now,
    )
    return contact


def remove(
    organisation: Organisation, contact: Contact, *, actor: User, expected_version: int | None = None, ip_address: str = ""
) -> None:
    if expected_version is not None and expected_version != contact.version:
        raise ConflictError("Someone else changed this contact after you opened it, so it was not removed.")
    audit.record("contact.removed", actor=actor, organisation_id=organisation.id, target=contact.email, ip_address=ip_address)
    db.session.delete(contact)
    db.session.flush()


# ---------------------------------------------------------------- the register, exported


def _safe(value):
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def export_rows() -> list[list]:
    """Every organisation's register, one row per contact, in one query (and one for opt-outs)."""
    rows = db.session.execute(
        sa.select(Contact, Organisation.name, Organisation.kind)
        .join(Organisation, Organisation.id == Contact.organisation_id)
        .order_by(sa.func.lower(Organisation.name), sa.func.lower(Contact.name), Contact.email)
    ).all()
    outs = opt_outs({contact.email for contact, _, _ in rows})
    kinds = dict(choices.ORGANISATION_KINDS)
    result = []
    for contact, organisation, kind in rows:
        stopped = [choices.DISTRIBUTION_ROLES[role] for role in choices.DISTRIBUTION_ROLES if (contact.email, role) in outs]
        result.append(
            [organisation, kinds.get(kind, kind), contact.name, contact.email, "Yes" if contact.user_id else "No"]
            + ["Yes" if getattr(contact, code) else "" for code in choices.CONTACT_ROLE_CODES]
            + ["; ".join(stopped)]
        )
    return result


def export_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in export_rows():
        writer.writerow([_safe(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode()


def export_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Contact register"
    sheet.append(EXPORT_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in export_rows():
        sheet.append([_safe(value) for value in row])
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for column, width in zip("ABCDEFGHIJK", (32, 18, 28, 36, 12, 16, 18, 14, 20, 22, 40), strict=False):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
