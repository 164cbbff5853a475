"""The improvement programme's register: the IPA review's actions by theme, their progress
updates, what they link to (an industry issue, a case or incident, a PIR action), and the
overall tracker the pack shows (complete / in progress / not started, tactical and strategic)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.transaction import ConflictError
from ..issues.access import can_view_issue
from ..issues.models import Issue
from ..servicedesk.models import PirAction, ServiceDeskRecord
from .models import ImprovementAction, ImprovementActionUpdate

ISSUE_REFERENCE = re.compile(r"^\s*IIT-?(\d{1,9})\s*$", re.IGNORECASE)
RECORD_NUMBER = re.compile(r"^(CS|INC)\d{4,12}$")
THEME_LABELS = dict(choices.IMPROVEMENT_THEMES)
STATUS_LABELS = dict(choices.IMPROVEMENT_ACTION_STATUSES)
KIND_LABELS = dict(choices.IMPROVEMENT_ACTION_KINDS)


class ProgrammeError(ValueError):
    """A change to the programme that cannot be made; `field` names the field at fault."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass
class Tracker:
    """The overall tracker: counts by status, overall and for tactical and strategic actions."""

    overall: Counter = field(default_factory=Counter)
    by_kind: dict[str, Counter] = field(default_factory=lambda: {"tactical": Counter(), "strategic": Counter()})
    by_theme: dict[str, Counter] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.overall.values())

    @property
    def complete_pct(self) -> int:
        return round(100 * self.overall["complete"] / self.total) if self.total else 0

    def rows(self, counter: Counter) -> list[tuple[str, str, int]]:
        """(status code, label, count) in the pack's order, leaving out the empty ones."""
        return [(code, label, counter[code]) for code, label in reversed(choices.IMPROVEMENT_ACTION_STATUSES)
                if counter[code]]


def tracker() -> Tracker:
    """One aggregate query, whatever the number of actions."""
    result = Tracker()
    rows = db.session.execute(
        sa.select(ImprovementAction.theme, ImprovementAction.kind, ImprovementAction.status, sa.func.count())
        .group_by(ImprovementAction.theme, ImprovementAction.kind, ImprovementAction.status)
    ).all()
    for theme, kind, status, count in rows:
        result.overall[status] += count
        result.by_kind.setdefault(kind, Counter())[status] += count
        result.by_theme.setdefault(theme, Counter())[status] += count
    return result


def actions_by_theme(*, kind: str = "", status: str = "") -> list[tuple[str, str, list[ImprovementAction]]]:
    """(theme code, label, its actions) in the pack's order of themes, actions by code."""
    query = sa.select(ImprovementAction).order_by(ImprovementAction.code)
    if kind:
        query = query.where(ImprovementAction.kind == kind)
    if status:
        query = query.where(ImprovementAction.status == status)
    grouped: dict[str, list[ImprovementAction]] = {code: [] for code in choices.IMPROVEMENT_THEME_CODES}
    for action in db.session.scalars(query):
        grouped.setdefault(action.theme, []).append(action)
    return [(code, THEME_LABELS.get(code, code), grouped[code]) for code in grouped]


def get_action(action_id: int) -> ImprovementAction | None:
    return db.session.get(ImprovementAction, action_id)


def linked_issues(actions: list[ImprovementAction], user: User) -> dict[int, Issue]:
    """The linked industry issues the person may see, in one query."""
    ids = {action.issue_id for action in actions if action.issue_id}
    if not ids:
        return {}
    issues = db.session.scalars(sa.select(Issue).where(Issue.id.in_(ids))).all()
    return {issue.id: issue for issue in issues if can_view_issue(user, issue)}


def find_issue(reference: str, user: User) -> Issue:
    match = ISSUE_REFERENCE.match(reference or "")
    if not match:
        raise ProgrammeError("Give an industry issue ID such as IIT-0042.", "issue_ref")
    issue = db.session.get(Issue, int(match.group(1)))
    if issue is None or not can_view_issue(user, issue):
        raise ProgrammeError(f"There is no industry issue IIT-{int(match.group(1)):04d} that you can see.", "issue_ref")
    return issue


def _next_code() -> str:
    numbers = [int(code.split("-")[1]) for code in db.session.scalars(sa.select(ImprovementAction.code))
               if re.fullmatch(r"IPA-\d+", code)]
    return f"IPA-{(max(numbers) if numbers else 0) + 1:02d}"


def _links(data: dict, user: User) -> dict:
    """The issue, case/incident and PIR action an action links to, checked."""
    links = {"issue_id": None, "record_number": "", "pir_action_id": None}
    if (data.get("issue_ref") or "").strip():
        links["issue_id"] = find_issue(data["issue_ref"], user).id
    number = (data.get("record_number") or "").strip().upper()
    if number:
        if not RECORD_NUMBER.match(number):
            raise ProgrammeError("Give a case or incident number such as CS0012345 or INC0012345.", "record_number")
        links["record_number"] = number
    if data.get("pir_action_id"):
        if db.session.get(PirAction, data["pir_action_id"]) is None:
            raise ProgrammeError("Choose one of the PIR actions listed.", "pir_action_id")
        links["pir_action_id"] = data["pir_action_id"]
    return links


def _check(data: dict) -> None:
    if data.get("theme") not in choices.IMPROVEMENT_THEME_CODES:
        raise ProgrammeError("Choose one of the four recommendation themes.", "theme")
    if data.get("kind") not in KIND_LABELS:
        raise ProgrammeError("Choose tactical or strategic.", "kind")
    if data.get("status", "not_started") not in STATUS_LABELS:
        raise ProgrammeError("Choose not started, in progress or complete.", "status")


def create_action(data: dict, user: User, *, now: datetime | None = None) -> ImprovementAction:
    """Add an action to the register with the next IPA number; its first history entry says so."""
    now = now or utcnow()
    _check(data)
    action = ImprovementAction(
        code=_next_code(), theme=data["theme"], kind=data["kind"], title=data["title"],
        description=data.get("description") or "", owner_name=data.get("owner_name") or "",
        status=data.get("status") or "not_started", due_on=data.get("due_on"), created_at=now, updated_at=now,
        **_links(data, user),
    )
    db.session.add(action)
    action.updates.append(ImprovementActionUpdate(
        user_id=user.id, created_at=now, text="Added to the programme.", old_status="", new_status=action.status,
    ))
    db.session.flush()
    return action


def edit_action(action: ImprovementAction, data: dict, user: User, *, expected_version: int | None,
                now: datetime | None = None) -> ImprovementAction:
    """Change an action's details (its status moves through progress updates)."""
    if expected_version is not None and expected_version != action.version:
        raise ConflictError("Someone else changed this action after you opened it, so your changes were not saved.")
    _check({**data, "status": action.status})
    links = _links(data, user)
    action.theme, action.kind, action.title = data["theme"], data["kind"], data["title"]
    action.description, action.owner_name = data.get("description") or "", data.get("owner_name") or ""
    action.due_on = data.get("due_on")
    for name, value in links.items():
        setattr(action, name, value)
    action.updated_at = now or utcnow()
    db.session.flush()
    return action


def record_update(action: ImprovementAction, user: User, *, status: str, text: str,
                  expected_version: int | None, now: datetime | None = None) -> ImprovementActionUpdate:
    """A progress update: what happened, and the status it leaves the action in."""
    if expected_version is not None and expected_version != action.version:
        raise ConflictError("Someone else updated this action after you opened it, so your update was not saved.")
    if status not in STATUS_LABELS:
        raise ProgrammeError("Choose not started, in progress or complete.", "status")
    text = (text or "").strip()
    if status == action.status and not text:
        raise ProgrammeError("Say what has progressed, or change the status.", "text")
    now = now or utcnow()
    update = ImprovementActionUpdate(user_id=user.id, created_at=now, text=text, old_status=action.status,
                                     new_status=status)
    action.updates.append(update)
    action.status = status
    action.updated_at = now
    db.session.flush()
    return update


def pir_action_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(PirAction.id, PirAction.description, ServiceDeskRecord.number)
        .join(ServiceDeskRecord, ServiceDeskRecord.id == PirAction.record_id)
        .order_by(ServiceDeskRecord.number, PirAction.id)
    ).all()
    return [(row.id, f"{row.number}: {row.description[:80]}") for row in rows]


def linked_pir_actions(actions: list[ImprovementAction]) -> dict[int, tuple[PirAction, str]]:
    """The linked PIR actions with their incident's number, in one query."""
    ids = {action.pir_action_id for action in actions if action.pir_action_id}
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(PirAction, ServiceDeskRecord.number)
        .join(ServiceDeskRecord, ServiceDeskRecord.id == PirAction.record_id)
        .where(PirAction.id.in_(ids))
    ).all()
    return {pir.id: (pir, number) for pir, number in rows}


def overdue(action: ImprovementAction, today: date) -> bool:
    return action.status != "complete" and action.due_on is not None and action.due_on < today
