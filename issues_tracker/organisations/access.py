"""Who may manage an organisation: staff and admins any, an organisation admin their own only."""

from __future__ import annotations

from ..accounts.models import Organisation, User


def can_manage(user: User, organisation: Organisation | int) -> bool:
    if not user.is_authenticated or not user.active:
        return False
    if user.is_staff:
        return True
    organisation_id = organisation if isinstance(organisation, int) else organisation.id
    return bool(user.organisation_admin and user.organisation_id == organisation_id)


def can_read_audit(user: User, organisation_id: int | None) -> bool:
    """Admins read the whole log; an organisation admin (or staff member) their organisation's part."""
    if user.is_admin:
        return True
    return organisation_id is not None and can_manage(user, organisation_id)
