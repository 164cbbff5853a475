"""Service-desk records: storing an extract, and what staff add to major incidents.

Storing is all or nothing and in bulk: rows come checked (servicedesk/extract.py), in
chunks as the file is read; here records are matched by Number a chunk at a time, new ones are
inserted and changed ones updated with executemany statements, never ORM objects one
by one, and the monthly sums are rebuilt once at the end. Each record's service-level
figures are worked out here, once, when it is stored.

Like every service, these functions flush and never commit: the caller (a view, the
CLI, a job's runner) commits once, or rolls back on any error.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from .clock import (
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
    "outcome": ("outcome",),
}
# Staff can also record these in the app: an empty cell in a later extract keeps what is there.
KEPT_WHEN_EMPTY = ("mi_portal_banner_at", "mi_email_at", "industry_circular_at", "pir_published_on")
MEASURED = ("opened_month", "resolved_month", "response_seconds", "resolution_seconds", "response_clock_seconds",
            "resolution_clock_seconds", "response_met", "resolution_met", "work_kind", "work_kind_source", "mi_review")


class ServiceDeskError(ValueError):
    """A change to a service-desk record that cannot be made; the message says why."""


# ---------------------------------------------------------------- what a record measures


@functools.lru_cache(maxsize=4096)  # an extract names a few dozen categories and groups, thousands of times
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


def import_extract(extract: Extract, **kw) -> ImportOutcome:
    """Store a checked extract: new numbers added, changed records updated, the rest left alone.

    refresh=False leaves the monthly sums for the caller to rebuild (a generator storing
    records in batches rebuilds them once at the end).
    """
    rows = extract.rows
    return import_chunks((rows[first : first + CHUNK] for first in range(0, len(rows), CHUNK)), extract.fields, **kw)


def import_chunks(
    chunks: Iterable[Sequence[ExtractRow]],
    fields: frozenset[str],
    *,
    user: User | None = None,
    filename: str = "",
    source: str = "upload",
    now: datetime | None = None,
    progress: Callable[[int, str], None] | None = None,
    calendar: BusinessCalendar | None = None,
    refresh: bool = True,
) -> ImportOutcome:
    """import_extract for rows that arrive in chunks (an extract read as it is stored), each
    chunk matched by Number with one query and stored with one INSERT and one UPDATE
    statement. Whatever the chunks raise propagates; the caller rolls back."""
    now = now or utcnow()
    calendar = calendar or app_calendar()
    columns = _columns(fields)
    log = ServiceDeskImport(imported_at=now, user_id=user.id if user else None, filename=filename[:255], source=source,
                            rows=0)
    db.session.add(log)
    db.session.flush()
    import_id = log.id
    table = ServiceDeskRecord.__table__
    update_statement = _update_statement(columns)
    total = added = updated = unchanged = 0
    for chunk in chunks:
        total += len(chunk)
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
            values.update(source_digest=digest, import_id=import_id, updated_at=now)
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
            progress(total, f"Stored {total:,} records")
    if (added or updated) and refresh:
        if progress:
            progress(total, "Updating the monthly figures")
        refresh_monthly_sums()
    log.rows, log.added, log.updated, log.unchanged = total, added, updated, unchanged
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
    # Each rebuild numbers its rows after the last rebuild's (a database that reuses the numbers of
    # deleted rows would not), so the highest number tells readers the figures were rebuilt.
    after = db.session.scalar(sa.select(sa.func.max(ServiceDeskMonth.id))) or 0
    db.session.execute(sa.delete(ServiceDeskMonth))
    rows = [{"id": after + number, **row} for number, row in enumerate(sums.values(), start=1)]
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


