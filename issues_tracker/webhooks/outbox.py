"""The webhooks' outbox: every change a subscription may hear of is written as a WebhookEvent by the
flush that writes the change, so the event is committed (or rolled back) with it.

The flush's new journal entries say what happened to an issue (created, published, changed,
resolved, commented on); new affected declarations, published logs and incidents, and polls that
opened, are seen directly. Nothing is written while no subscription is active. The JSON body is
made now, from the state the change left; who may receive it is decided at fan-out
(delivery.fan_out), by what each subscription's owner may see then.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections import defaultdict
from collections.abc import Callable

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.orm import Session

from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.urls import external_url
from ..issues.models import Issue, IssueEvent
from ..jobs import poke_after_commit
from ..log.models import PublishedLog
from ..participation.models import AffectedDeclaration
from ..polls.models import Poll
from ..servicedesk.models import ServiceDeskRecord
from .models import WebhookEvent, WebhookSubscription

PENDING = "webhook_events_pending"  # in session.info between a flush and its end
TASK = "webhooks"  # the background task that delivers them (jobs.py)


def issue_data(issue: Issue) -> dict:
    return {
        "id": issue.id, "reference": issue.reference, "summary": issue.summary, "status": issue.status,
        "triage_state": issue.triage_state, "severity": issue.severity, "services": list(issue.services),
        "resolution_status": issue.resolution_status, "next_run_resolves": issue.next_run_resolves,
        "last_update_at": issue.last_update_at.isoformat() if issue.last_update_at else None,
        "url": external_url("issues.detail", issue_id=issue.id),
    }


def _issue_events(entries: list[IssueEvent]) -> list[tuple[str, int | None, Callable[[], dict]]]:
    by_issue: dict[int, list[IssueEvent]] = defaultdict(list)
    for entry in entries:
        by_issue[entry.issue_id or entry.issue.id].append(entry)
    found = []
    for issue_id, group in sorted(by_issue.items()):
        types: list[str] = []
        kinds = {entry.kind for entry in group}
        if "created" in kinds:
            types.append("issue.created")
        if any(entry.kind == "triage" and entry.new_value == "published" for entry in group):
            types.append("issue.published")
        changes = [entry for entry in group if entry.kind in ("change", "note", "action", "moderation", "triage")]
        if changes and not types:
            types.append("issue.updated")
        if any(entry.field == "status" and entry.new_value in choices.CLOSED_STATUSES for entry in group):
            types.append("issue.resolved")
        change_list = [{"field": entry.field, "old": entry.old_value, "new": entry.new_value}
                       for entry in group if entry.kind == "change"]
        note = next((entry.note for entry in group if entry.kind == "note"), "")
        for event_type in types:
            found.append((event_type, issue_id, functools.partial(_issue_change, issue_id, change_list, note)))
        for entry in group:
            if entry.kind == "comment":
                found.append(("comment.created", issue_id, functools.partial(_comment, issue_id, int(entry.new_value))))
    return found


def _issue_change(issue_id: int, changes: list[dict], note: str) -> dict:
    return {"issue": issue_data(db.session.get(Issue, issue_id)), "changes": changes, "note": note}


def _comment(issue_id: int, comment_id: int) -> dict:
    return {"issue": issue_data(db.session.get(Issue, issue_id)), "comment_id": comment_id}


def _changed_to(record, attribute: str, value) -> bool:
    history = sa.inspect(record).attrs[attribute].history
    return bool(history.added) and history.added[0] == value and value not in (history.deleted or ())


def _incident(record: ServiceDeskRecord) -> dict:
    return {"number": record.number, "priority": f"P{record.priority}", "state": record.state, "product": record.product,
            "short_description": record.short_description, "major_incident": record.major_incident,
            "opened_at": record.opened_at.isoformat() if record.opened_at else None,
            "resolved_at": record.resolved_at.isoformat() if record.resolved_at else None}


def _affected(declaration: AffectedDeclaration) -> dict:
    return {"issue": issue_data(db.session.get(Issue, declaration.issue_id)),
            "organisation": declaration.organisation.name if declaration.organisation else None}


def _log(log: PublishedLog) -> dict:
    return {"week_commencing": log.week_commencing.isoformat(), "revision": log.revision,
            "pdf": external_url("log.week_pdf", week=log.week_commencing.isoformat())}


def _poll(poll: Poll) -> dict:
    return {"poll": {"id": poll.id, "title": poll.title, "url": external_url("polls.show", poll_id=poll.id)}}


def events_of_flush(session: Session) -> list[tuple[str, int | None, Callable[[], dict]]]:
    """What the flush that is ending tells of, as (event type, issue id, a function making the JSON's data
    once the flush is complete: nothing is loaded while it runs)."""
    found = _issue_events([record for record in session.new if isinstance(record, IssueEvent)])
    for record in session.new:
        if isinstance(record, AffectedDeclaration):
            found.append(("affected.declared", record.issue_id, functools.partial(_affected, record)))
        elif isinstance(record, PublishedLog):
            found.append(("log.published", None, functools.partial(_log, record)))
        elif isinstance(record, ServiceDeskRecord) and record.record_type == "incident":
            found.append(("incident.opened", None, functools.partial(lambda r: {"incident": _incident(r)}, record)))
        elif isinstance(record, Poll) and record.state == "open":
            found.append(("poll.opened", None, functools.partial(_poll, record)))
    for record in session.dirty:
        if isinstance(record, Poll) and _changed_to(record, "state", "open"):
            found.append(("poll.opened", None, functools.partial(_poll, record)))
        elif isinstance(record, ServiceDeskRecord) and record.record_type == "incident" and session.is_modified(record):
            resolved = sa.inspect(record).attrs["resolved_at"].history
            newly_resolved = bool(resolved.added) and resolved.added[0] is not None and not any(resolved.deleted or ())
            kind = "incident.resolved" if newly_resolved else "incident.updated"
            found.append((kind, None, functools.partial(lambda r: {"incident": _incident(r)}, record)))
    return found


@sa.event.listens_for(Session, "after_flush")
def _note_events(session: Session, flush_context) -> None:
    if not has_app_context():
        return
    interesting = (IssueEvent, AffectedDeclaration, PublishedLog, ServiceDeskRecord, Poll)
    if not any(isinstance(record, interesting) for record in (*session.new, *session.dirty)):
        return
    if session.connection().scalar(
        sa.select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True)).limit(1)
    ) is None:
        return
    session.info.setdefault(PENDING, []).extend(events_of_flush(session))


@sa.event.listens_for(Session, "after_flush_postexec")
def _write_events(session: Session, flush_context) -> None:
    events = session.info.pop(PENDING, None)
    if not events:
        return
    now = utcnow()
    rows = []
    for event_type, issue_id, make_data in events:
        payload = {"type": event_type, "timestamp": now.isoformat(), "data": make_data()}
        rows.append({"message_id": "msg_" + secrets.token_urlsafe(18), "event_type": event_type, "issue_id": issue_id,
                     "created_at": now, "payload": json.dumps(payload, separators=(",", ":"))})
    session.connection().execute(sa.insert(WebhookEvent.__table__), rows)
    poke_after_commit(TASK, session)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(PENDING, None)


# ---------------------------------------------------------------- changes made without the ORM's objects


def add_events(events: list[tuple[str, int | None, dict]], session: Session | None = None) -> int:
    """Write events a bulk change tells of (records stored by a feed's statements rather than as
    objects), in the caller's transaction; nothing while no subscription is active."""
    session = session or db.session()
    if not events or session.scalar(
        sa.select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True)).limit(1)
    ) is None:
        return 0
    now = utcnow()
    session.execute(sa.insert(WebhookEvent.__table__), [
        {"message_id": "msg_" + secrets.token_urlsafe(18), "event_type": event_type, "issue_id": issue_id, "created_at": now,
         "payload": json.dumps({"type": event_type, "timestamp": now.isoformat(), "data": data}, separators=(",", ":"))}
        for event_type, issue_id, data in events
    ])
    poke_after_commit(TASK, session)
    return len(events)


def incidents_as_they_are(numbers: list[str]) -> dict[str, tuple]:
    """The incidents among these numbers as stored now: (digest of what the extract said, resolved time)."""
    if not numbers:
        return {}
    return {number: (digest, resolved) for number, digest, resolved in db.session.execute(
        sa.select(ServiceDeskRecord.number, ServiceDeskRecord.source_digest, ServiceDeskRecord.resolved_at)
        .where(ServiceDeskRecord.number.in_(numbers), ServiceDeskRecord.record_type == "incident")
    )}


def incident_events(before: dict[str, tuple], numbers: list[str]) -> list[tuple[str, int | None, dict]]:
    """incident.opened / .updated / .resolved for the incidents a bulk store added or changed."""
    events = []
    for record in db.session.scalars(
        sa.select(ServiceDeskRecord).where(ServiceDeskRecord.number.in_(numbers), ServiceDeskRecord.record_type == "incident")
        .order_by(ServiceDeskRecord.number)
    ):
        earlier = before.get(record.number)
        if earlier is None:
            kind = "incident.opened"
        elif earlier[0] == record.source_digest:
            continue
        elif record.resolved_at is not None and earlier[1] is None:
            kind = "incident.resolved"
        else:
            kind = "incident.updated"
        events.append((kind, None, {"incident": _incident(record)}))
    return events
