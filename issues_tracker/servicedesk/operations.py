"""Service-desk records: storing an extract, and what staff add to major incidents.

Storing is all or nothing and in bulk: the extract has been checked as a whole before
(servicedesk/extract.py); here records are matched by Number in chunks, new ones are
inserted and changed ones updated with executemany statements, never ORM objects one
by one, and the monthly sums are rebuilt once at the end. Each record's service-level
figures are worked out here, once, when it is stored.

Like every service, these functions flush and never commit: the caller (a view, the
CLI, a job's runner) commits once, or rolls back on any error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.transaction import ConflictError, flush
from .clock import (
    LONDON,
    RESOLUTION_TARGETS,
    RESPONSE_TARGETS,
    BusinessCalendar,
    app_calendar,
    clock_seconds,
    month_key,
    wall_seconds,
)
from .extract import NUMBER, Extract, ExtractRow
from .models import (
    MajorIncidentUpdate,
    PirAction,
    PirActionUpdate,
    ServiceDeskImport,
    ServiceDeskMonth,
    ServiceDeskRecord,
)

CHUNK = 1000
# Statement parameters may not share a column's name in an UPDATE's SET clause.
PARAMETER = "new_"

# Extract fields -> record columns (the fields every extract has, then the optional ones).
ALWAYS = ("opened_at", "responded_at", "resolved_at", "closed_at", "priority", "state", "product",
          "short_description", "assignment_group")
OPTIONAL = {
    "category": ("category",),
    "incident": ("incident_number",),
    "aged_reason": ("aged_reason",),
    "aged_reason_detail": ("aged_reason_detail",),
    "major_incident": ("major_incident",),
    "mi_portal_banner": ("mi_portal_banner_at",),
    "mi_email": ("mi_email_at",),
    "industry_circular": ("industry_circular_at",),
    "pir_published": ("pir_published_on",),
}
# Staff can also record these in the app: an empty cell in a later extract keeps what is there.
KEPT_WHEN_EMPTY = ("mi_portal_banner_at", "mi_email_at", "industry_circular_at", "pir_published_on")
MEASURED = ("opened_month", "resolved_month", "response_seconds", "resolution_seconds", "response_clock_seconds",
            "resolution_clock_seconds", "response_met", "resolution_met", "work_kind", "work_kind_source", "mi_review")


class ServiceDeskError(ValueError):
    """A change to a service-desk record that cannot be made; the message says why."""


# ---------------------------------------------------------------- what a record measures


def work_kind(category: str, assignment_group: str, record_type: str) -> tuple[str, str]:
    """(kind of work, where that came from): the category first, then the assignment group, then the type."""
    for source, text in (("category", category), ("assignment group", assignment_group)):
        lowered = (text or "").lower()
        if not lowered:
            continue
        for kind, words in choices.WORK_KIND_RULES:
            if any(word in lowered for word in words):
                return kind, source
    return ("guidance" if record_type == "case" else "technical"), "record type"


def measure(values: dict, calendar: BusinessCalendar) -> dict:
    """The record's months, wall-clock times and service-level results, from its extract values."""
    opened = values["opened_at"]
    priority = values["priority"]
    responded = values["responded_at"]
    resolution = values["resolved_at"] or values["closed_at"]
    out = {
        "opened_month": month_key(opened),
        "resolved_month": month_key(resolution) if resolution else None,
        "response_seconds": wall_seconds(opened, responded) if responded else None,
        "resolution_seconds": wall_seconds(opened, resolution) if resolution else None,
        "response_clock_seconds": None,
        "resolution_clock_seconds": None,
        "response_met": None,
        "resolution_met": None,
    }
    if priority in RESPONSE_TARGETS and responded:
        out["response_clock_seconds"] = clock_seconds(priority, opened, responded, calendar)
        out["response_met"] = out["response_clock_seconds"] <= RESPONSE_TARGETS[priority]
    if priority in RESOLUTION_TARGETS and resolution:
        out["resolution_clock_seconds"] = clock_seconds(priority, opened, resolution, calendar)
        out["resolution_met"] = out["resolution_clock_seconds"] <= RESOLUTION_TARGETS[priority]
    out["work_kind"], out["work_kind_source"] = work_kind(
        values.get("category", ""), values["assignment_group"], values["record_type"]
    )
    out["mi_review"] = values["record_type"] == "incident" and (bool(values.get("major_incident")) or priority in (1, 2))
    return out


# ---------------------------------------------------------------- storing an extract


@dataclass
class ImportOutcome:
    rows: int
    added: int
    updated: int
    unchanged: int
    import_id: int | None = None

    @property
    def message(self) -> str:
        return (
            f"Imported {self.rows:,} record{'' if self.rows == 1 else 's'}: {self.added:,} added, "
            f"{self.updated:,} updated, {self.unchanged:,} unchanged."
        )


def _columns(fields: frozenset[str]) -> tuple[str, ...]:
    columns = list(ALWAYS)
    for field, names in OPTIONAL.items():
        if field in fields:
            columns += names
    return tuple(columns)


def _values(row: ExtractRow, columns: Sequence[str]) -> dict:
    values = {"number": row.number, "record_type": row.record_type}
    for name in columns:
        values[name] = getattr(row, name)
    return values


def _digest(values: dict, columns: Sequence[str]) -> str:
    """What the extract says about a record, as a short digest; the column set is part of it."""
    parts = [",".join(columns)]
    for name in columns:
        value = values[name]
        if value is None:
            parts.append("")
        elif isinstance(value, datetime):
            parts.append(str(int(value.timestamp())))  # the instant, whatever the zone it is written in
        else:
            parts.append(str(value))
    return hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()


def import_extract(
    extract: Extract,
    *,
    user: User | None = None,
    filename: str = "",
    source: str = "upload",
    now: datetime | None = None,
    progress: Callable[[int, str], None] | None = None,
    calendar: BusinessCalendar | None = None,
    refresh: bool = True,
) -> ImportOutcome:
    """Store a checked extract: new numbers added, changed records updated, the rest left alone.

    refresh=False leaves the monthly sums for the caller to rebuild (a generator storing
    records in batches rebuilds them once at the end).
    """
    now = now or utcnow()
    calendar = calendar or app_calendar()
    columns = _columns(extract.fields)
    log = ServiceDeskImport(imported_at=now, user_id=user.id if user else None, filename=filename[:255], source=source,
                            rows=len(extract.rows))
    db.session.add(log)
    db.session.flush()
    table = ServiceDeskRecord.__table__
    update_statement = _update_statement(columns)
    added = updated = unchanged = 0
    total = len(extract.rows)
    for first in range(0, total, CHUNK):
        chunk = extract.rows[first : first + CHUNK]
        existing = {
            number: (record_id, digest, category, major)
            for number, record_id, digest, category, major in db.session.execute(
                sa.select(table.c.number, table.c.id, table.c.source_digest, table.c.category, table.c.major_incident)
                .where(table.c.number.in_([row.number for row in chunk]))
            )
        }
        inserts, updates = [], []
        for row in chunk:
            values = _values(row, columns)
            digest = _digest(values, columns)
            found = existing.get(row.number)
            if found is not None and found[1] == digest:
                unchanged += 1
                continue
            if found is not None:
                # Columns this extract does not have keep the record's values, and so count in its measures.
                values.setdefault("category", found[2])
                values.setdefault("major_incident", found[3])
            values.update(measure(values, calendar))
            values.update(source_digest=digest, import_id=log.id, updated_at=now)
            if found is None:
                inserts.append(values)
            else:
                values.pop("number")
                values.pop("record_type")
                updates.append({"record_id": found[0], **{PARAMETER + name: value for name, value in values.items()}})
        if inserts:
            db.session.execute(sa.insert(table), inserts)
            added += len(inserts)
        if updates:
            db.session.execute(update_statement, updates)
            updated += len(updates)
        if progress:
            done = min(first + CHUNK, total)
            progress(done, f"Stored {done:,} of {total:,} records")
    if (added or updated) and refresh:
        if progress:
            progress(total, "Updating the monthly figures")
        refresh_monthly_sums()
    log.added, log.updated, log.unchanged = added, updated, unchanged
    import_id = log.id
    if not (added or updated):
        # An extract that changes nothing leaves no trace: importing it twice is the same as once.
        db.session.delete(log)
        import_id = None
    db.session.flush()
    return ImportOutcome(rows=total, added=added, updated=updated, unchanged=unchanged, import_id=import_id)


def _update_statement(columns: Sequence[str]):
    table = ServiceDeskRecord.__table__
    names = [*columns, *MEASURED, "source_digest", "import_id", "updated_at"]
    if "category" not in names:
        names.append("category")  # kept value passed through, so every row has the same parameters
    if "major_incident" not in names:
        names.append("major_incident")
    values = {}
    for name in names:
        parameter = sa.bindparam(PARAMETER + name, type_=table.c[name].type)
        values[name] = sa.func.coalesce(parameter, table.c[name]) if name in KEPT_WHEN_EMPTY else parameter
    return sa.update(table).where(table.c.id == sa.bindparam("record_id")).values(values)


def store_records(rows: Iterable[ExtractRow], fields: frozenset[str], **kw) -> ImportOutcome:
    """Generated or seeded rows, stored as an import would store them."""
    return import_extract(Extract(rows=list(rows), fields=fields), **kw)


def refresh_monthly_sums() -> int:
    """Rebuild the monthly sums from the records: two GROUP BY queries and one bulk insert."""
    record = ServiceDeskRecord.__table__
    keys = (record.c.record_type, record.c.priority, record.c.product, record.c.work_kind, record.c.work_kind_source)
    as_int = sa.case((record.c.response_met.is_(True), 1), else_=0)
    raised = db.session.execute(
        sa.select(
            record.c.opened_month, *keys, sa.func.count(), sa.func.count(record.c.response_seconds),
            sa.func.coalesce(sa.func.sum(record.c.response_seconds), 0), sa.func.count(record.c.response_met),
            sa.func.sum(as_int),
        ).group_by(record.c.opened_month, *keys)
    ).all()
    resolved_met = sa.case((record.c.resolution_met.is_(True), 1), else_=0)
    resolved = db.session.execute(
        sa.select(
            record.c.resolved_month, *keys, sa.func.count(),
            sa.func.coalesce(sa.func.sum(record.c.resolution_seconds), 0), sa.func.count(record.c.resolution_met),
            sa.func.sum(resolved_met),
        )
        .where(record.c.resolved_month.is_not(None))
        .group_by(record.c.resolved_month, *keys)
    ).all()
    sums: dict[tuple, dict] = {}

    def entry(key) -> dict:
        found = sums.get(key)
        if found is None:
            month, record_type, priority, product, kind, source = key
            found = sums[key] = {
                "month": month, "record_type": record_type, "priority": priority, "product": product,
                "work_kind": kind, "work_kind_source": source, "raised": 0, "responded": 0, "response_seconds": 0,
                "response_measured": 0, "response_met": 0, "resolved": 0, "resolution_seconds": 0,
                "resolution_measured": 0, "resolution_met": 0,
            }
        return found

    for *key, count, responded, seconds, measured, met in raised:
        row = entry(tuple(key))
        row.update(raised=int(count), responded=int(responded), response_seconds=int(seconds),
                   response_measured=int(measured), response_met=int(met or 0))
    for *key, count, seconds, measured, met in resolved:
        row = entry(tuple(key))
        row.update(resolved=int(count), resolution_seconds=int(seconds), resolution_measured=int(measured),
                   resolution_met=int(met or 0))
    db.session.execute(sa.delete(ServiceDeskMonth))
    rows = list(sums.values())
    for first in range(0, len(rows), 2000):
        db.session.execute(sa.insert(ServiceDeskMonth.__table__), rows[first : first + 2000])
    db.session.flush()
    return len(rows)


def remeasure_all(*, calendar: BusinessCalendar | None = None, progress: Callable[[int, str], None] | None = None) -> int:
    """Work every record's service-level figures out again (after BUSINESS_HOURS changes)."""
    calendar = calendar or app_calendar()
    table = ServiceDeskRecord.__table__
    names = ("record_type", "opened_at", "responded_at", "resolved_at", "closed_at", "priority", "assignment_group",
             "category", "major_incident")
    statement = sa.update(table).where(table.c.id == sa.bindparam("record_id")).values(
        {name: sa.bindparam(PARAMETER + name, type_=table.c[name].type) for name in MEASURED}
    )
    last_id, done = 0, 0
    while True:
        rows = db.session.execute(
            sa.select(table.c.id, *(table.c[name] for name in names))
            .where(table.c.id > last_id).order_by(table.c.id).limit(5000)
        ).all()
        if not rows:
            break
        updates = []
        for row in rows:
            values = dict(zip(names, row[1:], strict=True))
            updates.append({"record_id": row[0], **{PARAMETER + k: v for k, v in measure(values, calendar).items()}})
        db.session.execute(statement, updates)
        last_id = rows[-1][0]
        done += len(rows)
        if progress:
            progress(done, f"Measured {done:,} records")
    refresh_monthly_sums()
    return done


# ---------------------------------------------------------------- major incidents and PIRs


def get_record(number: str) -> ServiceDeskRecord | None:
    """The record with that number (CS… or INC…, any case); None for anything that cannot be one."""
    number = (number or "").strip().upper()
    if not NUMBER.match(number):
        return None
    return db.session.scalar(sa.select(ServiceDeskRecord).where(ServiceDeskRecord.number == number))


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
