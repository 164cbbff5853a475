"""What staff add to a major incident by hand: the times of communications made elsewhere (the MI portal
banner, the MI email and its updates, the industry circular) and the PIR's publication date, and the
PIR's corrective and preventive actions, tracked to closure with their history."""

from __future__ import annotations

from datetime import date, datetime

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.transaction import ConflictError, flush
from .clock import (
    LONDON,
)
from .models import (
    MajorIncidentUpdate,
    PirAction,
    PirActionUpdate,
    ServiceDeskRecord,
)
from .operations import ServiceDeskError


def _check_moment(record: ServiceDeskRecord, label: str, moment: datetime | None, now: datetime) -> None:
    if moment is None:
        return
    if moment < record.opened_at:
        raise ServiceDeskError(f"{label} cannot be before the incident was opened "
                               f"({record.opened_at.astimezone(LONDON):%d %b %Y %H:%M} UK time).")
    if moment > now:
        raise ServiceDeskError(f"{label} cannot be in the future.")


def record_communications(
    record: ServiceDeskRecord,
    *,
    portal_banner: datetime | None,
    mi_email: datetime | None,
    industry_circular: datetime | None,
    pir_published: date | None,
    user: User,
    now: datetime | None = None,
) -> list[str]:
    """Set the major-incident communication times and the PIR date; returns what changed."""
    now = now or utcnow()
    for label, moment in (("The MI portal banner", portal_banner), ("The MI email", mi_email),
                          ("The industry circular", industry_circular)):
        _check_moment(record, label, moment, now)
    if pir_published is not None:
        if record.resolution_at is None:
            raise ServiceDeskError("A PIR is published after the incident is resolved; this incident is not resolved.")
        if pir_published < record.opened_at.astimezone(LONDON).date():
            raise ServiceDeskError("The PIR cannot be published before the incident was opened.")
        if pir_published > now.date():
            raise ServiceDeskError("The PIR publication date cannot be in the future.")
    changed = []
    for name, label, value in (("mi_portal_banner_at", "MI portal banner", portal_banner),
                               ("mi_email_at", "MI email", mi_email),
                               ("industry_circular_at", "industry circular", industry_circular),
                               ("pir_published_on", "PIR published", pir_published)):
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed.append(label)
    if changed:
        record.mi_updated_by_id = user.id
        record.mi_updated_at = now
    db.session.flush()
    return changed


def add_mi_update(record: ServiceDeskRecord, channel: str, sent_at: datetime, user: User,
                  *, now: datetime | None = None) -> MajorIncidentUpdate:
    now = now or utcnow()
    if channel not in dict(choices.MI_UPDATE_CHANNELS):
        raise ServiceDeskError("Choose the MI email or the industry circular.")
    first = record.mi_email_at if channel == "email" else record.industry_circular_at
    if first is None:
        what = "MI email" if channel == "email" else "industry circular"
        raise ServiceDeskError(f"Record when the first {what} was sent before adding an update to it.")
    _check_moment(record, "An update", sent_at, now)
    if sent_at < first:
        raise ServiceDeskError("An update cannot be sent before the first communication it updates.")
    if any(update.channel == channel and update.sent_at == sent_at for update in record.mi_updates):
        raise ServiceDeskError("That update is already recorded.")
    update = MajorIncidentUpdate(channel=channel, sent_at=sent_at, recorded_by_id=user.id, recorded_at=now)
    record.mi_updates.append(update)
    record.mi_updated_by_id, record.mi_updated_at = user.id, now
    db.session.flush()
    return update


def remove_mi_update(record: ServiceDeskRecord, update_id: int, user: User, *, now: datetime | None = None) -> None:
    update = next((u for u in record.mi_updates if u.id == update_id), None)
    if update is None:
        raise LookupError(update_id)
    record.mi_updates.remove(update)
    record.mi_updated_by_id, record.mi_updated_at = user.id, now or utcnow()
    db.session.flush()


def _check_action_fields(description: str, owner_name: str) -> tuple[str, str]:
    description, owner_name = (description or "").strip(), (owner_name or "").strip()
    if not description:
        raise ServiceDeskError("Describe the action.")
    if len(description) > 2000:
        raise ServiceDeskError("The action is longer than 2,000 characters.")
    if not owner_name:
        raise ServiceDeskError("Name the action's owner.")
    if len(owner_name) > 120:
        raise ServiceDeskError("The owner's name is longer than 120 characters.")
    return description, owner_name


def add_pir_action(record: ServiceDeskRecord, *, description: str, owner_name: str, due_date: date | None,
                   user: User, now: datetime | None = None) -> PirAction:
    now = now or utcnow()
    if not record.mi_review:
        raise ServiceDeskError("PIR actions belong to major incidents and P1/P2 incidents.")
    description, owner_name = _check_action_fields(description, owner_name)
    action = PirAction(description=description, owner_name=owner_name, due_date=due_date, status="Open",
                       created_at=now, created_by_id=user.id, updated_at=now)
    action.updates = [PirActionUpdate(user_id=user.id, created_at=now, text="Action raised.",
                                      changes=f"status: Open; owner: {owner_name}"
                                      + (f"; due date: {due_date:%d %b %Y}" if due_date else ""))]
    record.pir_actions.append(action)
    db.session.flush()
    return action


def update_pir_action(action: PirAction, *, status: str, owner_name: str, due_date: date | None, note: str,
                      user: User, expected_version: int | None = None, now: datetime | None = None
                      ) -> PirActionUpdate | None:
    """Change an action's status, owner or due date, with a note; every change is kept in its history.

    expected_version: the version the person's form was opened at; a save after someone else's
    is refused (ConflictError), as is one racing another at the same moment (at the flush).
    """
    now = now or utcnow()
    if expected_version is not None and expected_version != action.version:
        raise ConflictError("Someone else updated this action after you opened it, so your change was not saved.")
    if status not in choices.PIR_ACTION_STATUS_CODES:
        raise ServiceDeskError(f"Status must be one of: {', '.join(choices.PIR_ACTION_STATUS_CODES)}.")
    _, owner_name = _check_action_fields(action.description, owner_name)
    note = (note or "").strip()
    if len(note) > 2000:
        raise ServiceDeskError("The note is longer than 2,000 characters.")

    def day(value: date | None) -> str:
        return value.strftime("%d %b %Y") if value else "none"

    changes = []
    if status != action.status:
        changes.append(f"status: {action.status} → {status}")
    if owner_name != action.owner_name:
        changes.append(f"owner: {action.owner_name} → {owner_name}")
    if due_date != action.due_date:
        changes.append(f"due date: {day(action.due_date)} → {day(due_date)}")
    if not changes and not note:
        return None
    if status == "Closed" and action.status != "Closed" and not note:
        raise ServiceDeskError("Say how the action was completed: a note is required to close it.")
    action.status, action.owner_name, action.due_date, action.updated_at = status, owner_name, due_date, now
    action.closed_at = now if status == "Closed" else None
    update = PirActionUpdate(user_id=user.id, created_at=now, text=note, changes="; ".join(changes))
    action.updates.append(update)
    flush()
    return update
