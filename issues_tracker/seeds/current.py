"""A demo that is current on the day it is seeded.

`flask seed` loads the forum pack as it was in April 2026 (loader.py), then this brings
it up to the day the seed runs: the service desk since the pack's extract was exported
(servicedesk/seed_recent.py), with major incidents' updates and PIR actions; the
forum's meetings up to this month with their agendas, earlier meetings' feedback polls
closed with the members' responses and this month's left open (forum.py here); and the
Monday issues logs of the weeks before this one, so week-on-week changes show.

Everything is keyed by something natural (record number, meeting date, poll seed key,
log week), so running it again on the same day changes nothing; on a later day it adds
what has happened since.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import sqlalchemy as sa

from ..core.extensions import db
from ..servicedesk.models import (
    MajorIncidentUpdate,
    MiNotice,
    MiNoticeEntry,
    PirAction,
    PirActionUpdate,
    ServiceDeskRecord,
)

RECENT_EXTRACT = "servicedesk-recent.csv"


def seed_current(today: date, now: datetime | None = None) -> dict[str, int]:
    """Add what the demo needs to be current on `today`; returns what was added, by kind."""
    from .meetings import seed_logs, seed_meetings_and_polls

    now = now or datetime.now(UTC)
    counts = {"recent service-desk records": _seed_servicedesk(today)}
    counts.update(seed_meetings_and_polls(today, now))
    counts["Monday logs"] = seed_logs(today, now)
    return counts


def _seed_servicedesk(today: date) -> int:
    from ..servicedesk.extract import read_extract
    from ..servicedesk.operations import import_extract
    from ..servicedesk.seed_recent import extract_text, recent_rows

    rows = recent_rows(today)
    if not rows:
        return 0
    extract = read_extract(io.BytesIO(extract_text(rows).encode()), RECENT_EXTRACT)
    outcome = import_extract(extract, filename=RECENT_EXTRACT, source="seed")
    _seed_major_incident_extras([row for row in rows if row.major])
    return outcome.added + outcome.updated


def _seed_major_incident_extras(rows) -> None:
    """MI email updates and PIR actions, which the extract does not carry."""
    if not rows:
        return
    records = {r.number: r for r in db.session.scalars(
        sa.select(ServiceDeskRecord).where(ServiceDeskRecord.number.in_([row.number for row in rows])))}
    for row in rows:
        record = records.get(row.number)
        if record is None:
            continue
        sent = {update.sent_at for update in record.mi_updates if update.channel == "email"}
        for moment in row.updates:
            if moment not in sent:
                record.mi_updates.append(MajorIncidentUpdate(channel="email", sent_at=moment, recorded_at=moment))
        _seed_notice(record, row)
        if row.actions and not record.pir_actions:
            raised = datetime.combine(row.pir, datetime.min.time(), tzinfo=UTC).replace(hour=15)
            for description, due, status in row.actions:
                action = PirAction(description=description, owner_name="Service Management", due_date=due,
                                   status=status, created_at=raised, updated_at=raised)
                action.updates = [PirActionUpdate(created_at=raised, text="Raised at the PIR.",
                                                  changes=f"status: Open; owner: Service Management; "
                                                          f"due date: {due:%d %b %Y}")]
                if status == "Closed":
                    action.closed_at = raised
                    action.updates.append(PirActionUpdate(created_at=raised, text="Done and checked at the PIR review.",
                                                          changes="status: Open → Closed"))
                record.pir_actions.append(action)
    db.session.flush()


def _seed_notice(record: ServiceDeskRecord, row) -> None:
    """The notice as it was sent from the product, for a resolved major incident: history, so nobody is emailed."""
    if row.resolved is None or row.mi_email is None or db.session.scalar(
            sa.select(MiNotice.id).where(MiNotice.record_id == record.id)):
        return
    service = record.product
    notice = MiNotice(record_id=record.id, service=service, headline=record.short_description, state="resolved",
                      published_at=row.mi_email, resolved_at=row.resolved)
    said = [("notice", row.mi_email, f"{service} is affected: {record.short_description}. We are investigating and "
                                     "will update you within the hour. Hold retries until then.")]
    said += [("update", moment, f"Update {number}: the cause is identified and a fix is being prepared; "
                                "participants need take no action yet.") for number, moment in enumerate(row.updates, 1)]
    if row.circular:
        said.append(("circular", row.circular, f"Industry circular: {record.short_description}. Messages held during "
                                               "the incident will be processed once the fix is in; no resubmission is needed."))
    said.append(("resolution", row.resolved, f"Resolved: {service} is working normally again. A post-incident review "
                                             "will follow within 7 days."))
    notice.entries = [MiNoticeEntry(kind=kind, text=text, created_at=moment) for kind, moment, text in
                      sorted(said, key=lambda item: item[1])]
    db.session.add(notice)
