"""Changes of state for the Service Management Forum: meetings, agenda, actions log.

Views, the CLI and the tests share these, so every action update is journalled
the same way whoever makes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from ..accounts.models import User
from ..accounts.operations import display_names
from ..core import choices
from ..core.extensions import db
from ..core.formats import LONDON, format_date
from ..core.models import utcnow
from ..core.transaction import ConflictError, flush, savepoint
from ..issues.access import can_view_issue, visible_issues_clause
from ..issues.models import Issue
from ..polls.models import Poll
from .models import AgendaItem, ForumAction, ForumActionUpdate, Meeting

# How often to retry when another request took the SMF number we picked.
NUMBER_ATTEMPTS = 20


class ForumError(ValueError):
    """A change to a meeting or action that cannot be carried out; the message says why."""


# ---------------------------------------------------------------- meetings


@dataclass
class AgendaEntry:
    number: int | None
    topic: str
    presenter: str = ""


def meeting_times(meeting: Meeting) -> tuple[datetime, datetime]:
    """Start and end as aware Europe/London datetimes (the stored times are London wall-clock)."""
    start = datetime.combine(meeting.meeting_date, time.fromisoformat(meeting.start_time), tzinfo=LONDON)
    end = datetime.combine(meeting.meeting_date, time.fromisoformat(meeting.end_time), tzinfo=LONDON)
    return start, end


def upcoming_and_past(today: date) -> tuple[list[Meeting], list[Meeting]]:
    """Meetings from today onwards (soonest first) and before today (latest first)."""
    meetings = db.session.scalars(sa.select(Meeting).order_by(Meeting.meeting_date)).all()
    upcoming = [m for m in meetings if m.meeting_date >= today]
    past = [m for m in reversed(meetings) if m.meeting_date < today]
    return upcoming, past


def polls_by_meeting(user: User) -> dict[int | None, list[Poll]]:
    """Every poll the user may see, grouped by meeting (None: not tied to a meeting)."""
    stmt = sa.select(Poll).order_by(Poll.created_at, Poll.id)
    if not user.is_staff:
        stmt = stmt.where(Poll.state != "draft")
    grouped: dict[int | None, list[Poll]] = {}
    for poll in db.session.scalars(stmt):
        grouped.setdefault(poll.meeting_id, []).append(poll)
    return grouped


def meeting_choices(none_label: str) -> list[tuple[int, str]]:
    """Meetings for a select box, latest first; 0 stands for "no meeting"."""
    meetings = db.session.scalars(sa.select(Meeting).order_by(Meeting.meeting_date.desc()))
    return [(0, none_label)] + [
        (meeting.id, f"{format_date(meeting.meeting_date)} – {meeting.title}") for meeting in meetings
    ]


def default_chair() -> str:
    """The chair of the latest meeting: the usual chair for the next one."""
    return db.session.scalar(
        sa.select(Meeting.chair).where(Meeting.chair != "").order_by(Meeting.meeting_date.desc()).limit(1)
    ) or ""


def _numbered(entries: list[AgendaEntry]) -> list[AgendaItem]:
    """Agenda rows in order; a row without a number takes the next one after those before it."""
    items: list[AgendaItem] = []
    last = 0
    for entry in entries:
        number = entry.number if entry.number else last + 1
        last = max(last, number)
        items.append(AgendaItem(number=number, topic=entry.topic, presenter=entry.presenter))
    return sorted(items, key=lambda item: item.number)


def check_version(record, expected_version: int | None, what: str) -> None:
    """Refuse (ConflictError) a save based on an older version of the record than the stored one."""
    if expected_version is not None and record is not None and expected_version != record.version:
        raise ConflictError(f"Someone else saved this {what} after you opened it, so your changes were not saved.")


def save_meeting(
    meeting: Meeting | None, data: dict, agenda: list[AgendaEntry], *, expected_version: int | None = None
) -> Meeting:
    """Create a meeting (meeting=None) or change one, replacing its agenda."""
    check_version(meeting, expected_version, "meeting")
    clash = db.session.scalar(
        sa.select(Meeting.id).where(
            Meeting.meeting_date == data["meeting_date"], Meeting.id != (meeting.id if meeting else -1)
        )
    )
    if clash:
        raise ForumError("There is already a forum meeting on that date.")
    try:
        with savepoint():
            if meeting is None:
                meeting = Meeting()
                db.session.add(meeting)
            for name in ("meeting_date", "title", "chair", "start_time", "end_time", "recording_url", "minutes"):
                setattr(meeting, name, data[name])
            meeting.agenda_items = _numbered(agenda)
            if meeting.id is not None:
                flag_modified(meeting, "title")  # an agenda-only change is a new version too
            db.session.flush()
    except so.exc.StaleDataError:
        raise ConflictError("Someone else saved this meeting at the same moment, so your changes were not saved.") from None
    except IntegrityError:
        # Another staff member saved a meeting on the same date a moment ago.
        raise ForumError("There is already a forum meeting on that date.") from None
    return meeting


def meeting_actions(meeting: Meeting) -> list[ForumAction]:
    return db.session.scalars(
        sa.select(ForumAction).where(ForumAction.meeting_id == meeting.id).order_by(ForumAction.number)
    ).all()


# ---------------------------------------------------------------- the actions log


@dataclass
class ActionQuery:
    """The actions log's filters, already validated."""

    status: str = ""
    owner: str = ""


def action_select(query: ActionQuery) -> sa.Select:
    stmt = sa.select(ForumAction).order_by(ForumAction.number)
    if query.status == "not-closed":
        stmt = stmt.where(ForumAction.status != "Closed")
    elif query.status:
        stmt = stmt.where(ForumAction.status == query.status)
    if query.owner:
        stmt = stmt.where(ForumAction.owner_name == query.owner)
    return stmt.options(so.selectinload(ForumAction.updates), so.joinedload(ForumAction.meeting))


def list_actions(query: ActionQuery) -> list[ForumAction]:
    return db.session.scalars(action_select(query)).unique().all()


def owner_names() -> list[str]:
    return list(db.session.scalars(sa.select(ForumAction.owner_name).distinct().order_by(ForumAction.owner_name)))


def get_action(number: int) -> ForumAction | None:
    return db.session.scalar(sa.select(ForumAction).where(ForumAction.number == number))


def linked_issues(actions: list[ForumAction], user: User) -> dict[int, Issue]:
    """The linked issue of each action, keyed by issue id, only where the user may see it."""
    ids = {action.issue_id for action in actions if action.issue_id}
    if not ids:
        return {}
    issues = db.session.scalars(sa.select(Issue).where(Issue.id.in_(ids), visible_issues_clause(user)))
    return {issue.id: issue for issue in issues}


ISSUE_REFERENCE = re.compile(r"^(?:IIT-?|#)?0*(\d{1,9})$", re.IGNORECASE)


def find_issue_for_link(reference: str, user: User) -> Issue:
    """The issue a reference such as "IIT-0042" names, if the user may see it."""
    match = ISSUE_REFERENCE.match((reference or "").strip())
    if not match:
        raise ForumError("Give an industry issue ID such as IIT-0042.")
    issue = db.session.get(Issue, int(match.group(1)))
    # One message whether missing or hidden, so the answer does not reveal hidden issues.
    if issue is None or not can_view_issue(user, issue):
        raise ForumError(f"There is no industry issue IIT-{int(match.group(1)):04d} that you can see.")
    return issue


def _next_number() -> int:
    return (db.session.scalar(sa.select(sa.func.max(ForumAction.number))) or 0) + 1


def create_action(data: dict, user: User, *, now: datetime | None = None) -> ForumAction:
    """Raise a new forum action with the next SMF number.

    Two staff adding actions at once may both pick the same number; the unique
    constraint refuses the second, which then takes the next free number.
    """
    now = now or utcnow()
    status = data.get("status") or "Open"
    if status not in choices.FORUM_ACTION_STATUS_CODES:
        raise ForumError("Choose Open, Propose Close or Closed.")
    for _attempt in range(NUMBER_ATTEMPTS):
        action = ForumAction(
            number=_next_number(),
            description=data["description"],
            owner_name=data["owner_name"],
            date_raised=data["date_raised"],
            status=status,
            meeting_id=data.get("meeting_id") or None,
            issue_id=data.get("issue_id") or None,
            updated_at=now,
        )
        action.updates = [
            ForumActionUpdate(user_id=user.id, created_at=now, text="Action raised", old_status="", new_status=status)
        ]
        try:
            with savepoint():
                db.session.add(action)
                db.session.flush()
        except IntegrityError:
            continue
        return action
    raise ForumError("Could not allocate an action number because many actions were added at once. Please try again.")


def record_action_update(
    action: ForumAction, user: User, *, status: str, text: str = "", expected_version: int | None = None,
    now: datetime | None = None,
) -> ForumActionUpdate:
    """A dated entry in the action's history: a status change, an update note, or both."""
    now = now or utcnow()
    check_version(action, expected_version, "action")
    text = (text or "").strip()
    if status not in choices.FORUM_ACTION_STATUS_CODES:
        raise ForumError("Choose Open, Propose Close or Closed.")
    if status == action.status and not text:
        raise ForumError("Change the status or write an update; nothing was recorded.")
    update = ForumActionUpdate(
        action=action, user_id=user.id, created_at=now, text=text, old_status=action.status, new_status=status
    )
    action.status = status
    action.updated_at = now
    db.session.add(update)
    flush()
    return update


EDITABLE_ACTION_FIELDS = {
    "description": "Description",
    "owner_name": "Owner",
    "date_raised": "Date raised",
    "meeting_id": "Meeting",
    "issue_id": "Linked issue",
}


def _describe(field: str, value) -> str:
    if value in (None, ""):
        return "none"
    if field == "meeting_id":
        meeting = db.session.get(Meeting, value)
        return format_date(meeting.meeting_date) if meeting else str(value)
    if field == "issue_id":
        return f"IIT-{value:04d}"
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def edit_action(
    action: ForumAction, data: dict, user: User, *, expected_version: int | None = None, now: datetime | None = None
) -> list[str]:
    """Change an action's details; each change is journalled in its history."""
    now = now or utcnow()
    check_version(action, expected_version, "action")
    changes: list[str] = []
    for field, label in EDITABLE_ACTION_FIELDS.items():
        if field not in data:
            continue
        old, new = getattr(action, field), data[field]
        if field.endswith("_id") and not new:
            new = None
        if old == new:
            continue
        if field == "description":
            changes.append("Description changed.")
        else:
            changes.append(f"{label}: {_describe(field, old)} → {_describe(field, new)}.")
        setattr(action, field, new)
    if not changes:
        return []
    action.updated_at = now
    db.session.add(
        ForumActionUpdate(
            action=action, user_id=user.id, created_at=now, text=" ".join(changes),
            old_status=action.status, new_status=action.status,
        )
    )
    flush()
    return changes


def update_authors(actions: list[ForumAction]) -> dict[int, str]:
    """Display names of the people who wrote the listed actions' updates, in one query."""
    return display_names(update.user_id for action in actions for update in action.updates)


def london_today() -> date:
    return utcnow().astimezone(LONDON).date()
