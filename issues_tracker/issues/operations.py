"""Changes of state for industry issues: submit, update, triage, actions; and the published
issues most like a new one (the list's queries are in queries.py).

Views, the CLI, the seeds and the tests all call these, so every change is
journalled the same way whoever makes it. They add and flush, never commit: the
caller commits once (see issues_tracker.core.transaction).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import Organisation, User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.transaction import ConflictError, flush
from ..search import queries as search_queries
from ..search.text import SearchText, similar_search
from . import fields
from .models import Issue, IssueAction, IssueEvent, IssueMessage, IssueService


class IssueRuleError(ValueError):
    """A change that would leave the issue saying something untrue; the message says why."""


RESOLUTION_REQUIRED = "Say how the issue was resolved: a resolved or closed issue needs its resolution."


class ConcurrentEditError(ConflictError):
    """Someone else saved the issue after this editor opened it."""


def _display(field: str, value) -> str:
    if field == "owner_id" and value is not None:
        user = db.session.get(User, value)
        return user.display_name if user else str(value)
    return fields.display(field, value)


def issue_for_submission(token: str | None, user: User) -> Issue | None:
    """The issue this person's form (by its one-time token) already submitted, if any."""
    if not token:
        return None
    return db.session.scalar(sa.select(Issue).where(Issue.submission_token == token, Issue.submitted_by_id == user.id))


def submit_issue(
    data: dict, user: User, *, submission_token: str | None = None, now: datetime | None = None,
    organisation: Organisation | None = None,
) -> Issue:
    """A participant's (or staff member's) new issue, awaiting triage.

    submission_token: the form's one-time token; a second issue with the same token is
    refused by the database (ConflictError), so a double click makes one issue.
    organisation: who raised it, when not the submitter's own (an imported tracker's row).
    """
    now = now or utcnow()
    issue = Issue(
        submission_token=submission_token,
        **{field: data[field] for field in fields.SUBMITTED_FIELDS if field in data},
        organisation=organisation or user.organisation,
        submitted_by_id=user.id,
        created_at=now,
        last_update_at=now,
        status="New",
        triage_state="pending",
    )
    issue.service_links = [IssueService(code) for code in _unique(data.get("services", []))]
    issue.message_links = [IssueMessage(code) for code in _unique(data.get("messages", []))]
    db.session.add(issue)
    db.session.add(IssueEvent(issue=issue, user_id=user.id, created_at=now, kind="created", note="Issue submitted"))
    flush()
    return issue


def _unique(values) -> list[str]:
    seen: list[str] = []
    for value in values or []:
        if value not in seen:
            seen.append(value)
    return seen


def update_issue(
    issue: Issue,
    data: dict,
    user: User,
    *,
    expected_version: int | None,
    note: str = "",
    complete_resolution: bool = True,
    now: datetime | None = None,
) -> list[IssueEvent]:
    """Apply staff changes, journal each field (old → new), and record a progress note.

    Refuses with ConcurrentEditError when the issue changed since expected_version, and with
    IssueRuleError when it would be resolved or closed without a resolution. Resolving or
    closing sets the resolution status to Complete (journalled), unless complete_resolution
    is False (an import that states the resolution status itself).
    """
    now = now or utcnow()
    if expected_version is not None and expected_version != issue.version:
        raise ConcurrentEditError
    events: list[IssueEvent] = []
    # Nothing is written until the changes are complete (a concurrent save then shows at the flush).
    with db.session.no_autoflush:
        for field in fields.STAFF_FIELDS:
            if field not in data:
                continue
            old, new = getattr(issue, field), data[field]
            if field == "owner_id" and new == 0:
                new = None
            if old != new:
                events.append(_change_event(issue, user, now, field, old, new))
                setattr(issue, field, new)
        for field, link_cls, attr in (
            ("services", IssueService, "service_links"),
            ("messages", IssueMessage, "message_links"),
        ):
            if field not in data:
                continue
            old, new = list(getattr(issue, field)), _unique(data[field])
            if sorted(old) != sorted(new):
                events.append(_change_event(issue, user, now, field, old, new))
                setattr(issue, attr, [link_cls(code) for code in new])
    if issue.status in choices.CLOSED_STATUSES and "status" in data and any(e.field == "status" for e in events):
        # Closing or resolving records the resolution, and the resolution is then complete.
        if not (issue.resolution_description or "").strip() and issue.triage_state != "rejected":
            raise IssueRuleError(RESOLUTION_REQUIRED)
        if complete_resolution and issue.resolution_status != "Complete":
            events.append(_change_event(issue, user, now, "resolution_status", issue.resolution_status, "Complete"))
            issue.resolution_status = "Complete"
    if note:
        events.append(IssueEvent(issue=issue, user_id=user.id, created_at=now, kind="note", note=note))
    if not events:
        return []
    _stamp_resolved(issue, now)
    issue.last_update_at = now
    db.session.add_all(events)
    try:
        flush()
    except ConflictError:
        raise ConcurrentEditError from None
    return events


def _stamp_resolved(issue: Issue, now: datetime) -> None:
    if issue.status in choices.CLOSED_STATUSES and issue.resolved_at is None:
        issue.resolved_at = now
    elif issue.status not in choices.CLOSED_STATUSES:
        issue.resolved_at = None


def _set_status(issue: Issue, user: User | None, now: datetime, status: str, note: str = "") -> IssueEvent:
    """A status change made as a consequence of another decision: journalled like any other."""
    event = _change_event(issue, user, now, "status", issue.status, status)
    event.note = note
    issue.status = status
    _stamp_resolved(issue, now)
    return event


def _change_event(issue, user, now, field, old, new) -> IssueEvent:
    return IssueEvent(
        issue=issue,
        user_id=user.id if user else None,
        created_at=now,
        kind="change",
        field=field,
        old_value=_display(field, old),
        new_value=_display(field, new),
    )


class TriageError(ValueError):
    """A triage decision that does not fit the issue's current state."""


def triage_issue(
    issue: Issue, user: User, decision: str, reason: str = "", *, note: str = "", now: datetime | None = None
) -> None:
    """Publish or reject a pending submission; a rejected one may still be published later.

    A rejected submission is closed (it no longer counts as open); publishing it later
    reopens it. Every status change this makes is journalled.
    """
    now = now or utcnow()
    automatic: list[IssueEvent] = []
    old_state = issue.triage_state
    if old_state == "published":
        raise TriageError(f"{issue.reference} is already published to the industry view; nothing was changed.")
    if old_state == "rejected" and decision != "publish":
        raise TriageError(f"{issue.reference} is already rejected; nothing was changed.")
    if decision == "publish":
        issue.triage_state = "published"
        issue.published_at = issue.published_at or now
        issue.rejection_reason = ""
        if issue.status == "New" or old_state == "rejected":
            automatic.append(_set_status(issue, user, now, "Under investigation", "Published to the industry view"))
        note = note or "Published to the industry view"
    elif decision == "reject":
        issue.triage_state = "rejected"
        issue.rejection_reason = reason
        if issue.status not in choices.CLOSED_STATUSES:
            automatic.append(_set_status(issue, user, now, "Closed", "Closed because the submission was rejected"))
        note = note or f"Rejected: {reason}"
    else:
        raise ValueError(f"unknown triage decision {decision!r}")
    issue.last_update_at = now
    db.session.add(
        IssueEvent(
            issue=issue,
            user_id=user.id,
            created_at=now,
            kind="triage",
            field="triage_state",
            old_value=old_state,
            new_value=issue.triage_state,
            note=note,
        )
    )
    db.session.add_all(automatic)
    flush()


def add_action(issue: Issue, user: User, data: dict, *, now: datetime | None = None) -> IssueAction:
    now = now or utcnow()
    action = IssueAction(
        issue=issue,
        description=data["description"],
        owner_name=data["owner_name"],
        due_date=data.get("due_date"),
        status=data.get("status") or "Open",
        created_at=now,
        updated_at=now,
    )
    due = f", due {action.due_date.isoformat()}" if action.due_date else ""
    db.session.add(action)
    db.session.add(
        IssueEvent(
            issue_id=issue.id, user_id=user.id, created_at=now, kind="action",
            note=f"Action added for {action.owner_name}{due}: {action.description}",
        )
    )
    issue.last_update_at = now
    flush()
    return action


def set_action_status(action: IssueAction, user: User, status: str, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if status == action.status:
        return
    db.session.add(
        IssueEvent(
            issue_id=action.issue_id, user_id=user.id, created_at=now, kind="action",
            field="action_status", old_value=action.status, new_value=status,
            note=f"Action for {action.owner_name}: {action.description[:120]}",
        )
    )
    action.status = status
    action.updated_at = now
    action.issue.last_update_at = now
    flush()


def reject_as_duplicate(issue: Issue, original: Issue, user: User, *, now: datetime | None = None) -> None:
    """Reject a submission because it repeats a published issue, and link it to that issue."""
    if issue.triage_state != "pending":
        raise TriageError(f"{issue.reference} is not awaiting triage, so it cannot be rejected as a duplicate.")
    if original.id == issue.id or original.triage_state != "published":
        raise TriageError("An issue can only duplicate another issue that is published to the industry view.")
    issue.duplicate_of = original
    triage_issue(issue, user, "reject", f"Duplicate of {original.reference}: {original.summary}",
                 note=f"Rejected as a duplicate of {original.reference}", now=now)


SIMILAR_LIMIT = 5


def similar_issues(
    summary: str, description: str = "", *, exclude_id: int | None = None, limit: int = SIMILAR_LIMIT
) -> tuple[list[Issue], SearchText | None]:
    """Published issues most like a new issue's summary (and description), best first, with the
    search to highlight them by. Issues with every distinctive word of the summary come first,
    then those sharing the most of the words."""
    strict, loose = similar_search(summary, description)
    if not loose:
        return [], None
    facets = search_queries.published_only()
    ids: list[int] = []
    for search, any_term in ((strict, False), (loose, True)):
        if not search or len(ids) >= limit:
            continue
        hits = search_queries.ranked_hits(
            db.session, search, facets, limit=limit, any_term=any_term, exclude_id=exclude_id,
            window=search_queries.SIMILAR_WINDOW,
        )
        ids += [row.id for row in db.session.execute(sa.select(hits.c.id, hits.c.score).order_by(hits.c.score, hits.c.id.desc()))
                if row.id not in ids]
    ids = ids[:limit]
    if not ids:
        return [], loose
    issues = {issue.id: issue for issue in db.session.scalars(
        sa.select(Issue).where(Issue.id.in_(ids)).options(so.selectinload(Issue.service_links))
    )}
    return [issues[issue_id] for issue_id in ids if issue_id in issues], loose
