"""Escalations by the forum pack's two routes (section 03, "Escalation Routes").

- When: the issue, case or incident is materially overdue, its impact is significant (or has
  increased), or resolution is blocked by a supplier or non-Elexon dependency. Not as a
  substitute for normal case updates.
- The Elexon case / incident route is taken in sequence, level by level, keeping the original
  reference in every escalation.
- The supplier / non-Elexon route goes through the Support Portal to Technical Triage, for
  onward routing to the relevant OSM(s); it supports coordinated intervention without
  replacing the original case.

An escalation is seen by its organisation and by staff. Raising it (or taking it to the next
level) emails the organisation's escalation contacts (its contact register) and the service
team; staff acknowledge it within the response target and close it with the outcome, and the
raiser and the contacts are told.
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.transaction import ConflictError
from ..core.urls import external_url
from ..issues.access import can_view_issue
from ..issues.models import Issue
from ..notifications.outgoing import queue_email
from ..organisations.models import Contact
from ..servicedesk.clock import HOUR, app_calendar
from ..servicedesk.models import ServiceDeskRecord
from .models import Escalation, EscalationEvent

ROUTE_LABELS = dict(choices.ESCALATION_ROUTES)
REASON_LABELS = dict(choices.ESCALATION_REASONS)
STATUS_LABELS = dict(choices.ESCALATION_STATUSES)
SUBJECT_LABELS = dict(choices.ESCALATION_SUBJECTS)
# Business hours within which staff acknowledge an escalation at each level: the higher the
# level, the sooner.
RESPONSE_TARGET_HOURS = {1: 8, 2: 4, 3: 2}
ISSUE_REFERENCE = re.compile(r"^IIT-?(\d{1,9})$")
CASE_NUMBER = re.compile(r"^CS\d{4,12}$")
INCIDENT_NUMBER = re.compile(r"^INC\d{4,12}$")


class EscalationError(ValueError):
    """An escalation that cannot be made or changed; `field` names the field at fault."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def level_label(route: str, level: int) -> str:
    return dict(choices.ESCALATION_LEVELS.get(route, [])).get(level, f"Level {level}")


def top_level(route: str) -> int:
    return len(choices.ESCALATION_LEVELS[route])


def visible_clause(user: User):
    if user.is_staff:
        return sa.true()
    return Escalation.organisation_id == user.organisation_id


def can_view(user: User, escalation: Escalation) -> bool:
    return user.is_staff or escalation.organisation_id == user.organisation_id


def can_act(user: User, escalation: Escalation) -> bool:
    """Staff, and members of the escalating organisation, may take it further or add to it."""
    return can_view(user, escalation)


def visible_escalations(user: User, *, status: str = "") -> list[Escalation]:
    query = sa.select(Escalation).where(visible_clause(user)).options(
        sa.orm.joinedload(Escalation.organisation), sa.orm.joinedload(Escalation.raised_by))
    if status == "open":
        query = query.where(Escalation.status != "closed")
    elif status:
        query = query.where(Escalation.status == status)
    return list(db.session.scalars(query.order_by(
        sa.case({"open": 0, "acknowledged": 1, "closed": 2}, value=Escalation.status),
        Escalation.response_due_at, Escalation.id.desc())))


def open_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Escalation).where(visible_clause(user), Escalation.status != "closed")
    )


def response_due(level: int, start: datetime) -> datetime:
    return app_calendar().add(start, RESPONSE_TARGET_HOURS.get(level, 8) * HOUR)


def find_subject(kind: str, reference: str, user: User) -> tuple[str, Issue | None, ServiceDeskRecord | None]:
    """The reference as it is kept (IIT-0042, CS0012345, INC0012345), and the issue or record it names."""
    text = re.sub(r"\s+", "", reference or "").upper()
    if kind == "issue":
        match = ISSUE_REFERENCE.match(text)
        if not match:
            raise EscalationError("Give the industry issue's ID, such as IIT-0042.", "reference")
        issue = db.session.get(Issue, int(match.group(1)))
        if issue is None or not can_view_issue(user, issue):
            raise EscalationError(f"There is no industry issue IIT-{int(match.group(1)):04d} that you can see.",
                                  "reference")
        return issue.reference, issue, None
    if kind in ("case", "incident"):
        pattern, example = (CASE_NUMBER, "CS0012345") if kind == "case" else (INCIDENT_NUMBER, "INC0012345")
        if not pattern.match(text):
            raise EscalationError(f"Give the {kind} number as the service desk shows it, such as {example}.", "reference")
        record = db.session.scalar(sa.select(ServiceDeskRecord).where(ServiceDeskRecord.number == text))
        return text, None, record
    raise EscalationError("Choose an industry issue, a case or an incident.", "subject_kind")


def _event(escalation: Escalation, user: User, summary: str, note: str, now: datetime) -> None:
    escalation.events.append(EscalationEvent(user_id=user.id, created_at=now, summary=summary[:300], note=note))


def raise_escalation(user: User, data: dict, *, now: datetime | None = None) -> Escalation:
    """A new escalation, at the first level of its route; its contacts and the service team are emailed."""
    now = now or utcnow()
    route, reason = data.get("route"), data.get("reason")
    if route not in ROUTE_LABELS:
        raise EscalationError("Choose the route: the Elexon case / incident route, or the supplier / non-Elexon route.",
                              "route")
    if reason not in REASON_LABELS:
        raise EscalationError("Choose why it needs escalating.", "reason")
    reference, issue, record = find_subject(data.get("subject_kind", ""), data.get("reference", ""), user)
    detail = (data.get("detail") or "").strip()
    if not detail:
        raise EscalationError("Say what has happened so far and what you need.", "detail")
    party = (data.get("blocking_party") or "").strip()
    if route == "supplier" and not party:
        raise EscalationError("Name the supplier, market party or dependency the blocker sits with.", "blocking_party")
    if route == "elexon" and reason == "blocked" and not party:
        raise EscalationError("A blocker with a supplier or another party goes by the supplier / non-Elexon route; "
                              "or name the dependency that blocks it.", "route")
    existing = db.session.scalar(
        sa.select(Escalation).where(
            Escalation.organisation_id == user.organisation_id, Escalation.reference == reference,
            Escalation.route == route, Escalation.status != "closed",
        )
    )
    if existing is not None:
        raise EscalationError(f"{reference} is already escalated by this route ({existing.code}, "
                              f"{level_label(route, existing.level)}): take that one to the next level instead.",
                              "reference")
    escalation = Escalation(
        subject_kind=data["subject_kind"], reference=reference, issue_id=issue.id if issue else None,
        record_id=record.id if record else None, route=route, level=1, reason=reason, detail=detail,
        blocking_party=party, raised_by_id=user.id, organisation_id=user.organisation_id, status="open",
        created_at=now, updated_at=now, response_due_at=response_due(1, now),
    )
    db.session.add(escalation)
    _event(escalation, user, f"Escalated to {level_label(route, 1)}: {REASON_LABELS[reason].lower()}", detail, now)
    db.session.flush()
    notify_raised(escalation, user, detail, now=now)
    return escalation


def _check_version(escalation: Escalation, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != escalation.version:
        raise ConflictError("Someone else changed this escalation after you opened it, so your change was not saved.")


def next_level(escalation: Escalation, user: User, note: str, *, expected_version: int | None,
               now: datetime | None = None) -> Escalation:
    """Take it to the route's next level, in sequence, keeping the original reference."""
    _check_version(escalation, expected_version)
    now = now or utcnow()
    if escalation.status == "closed":
        raise EscalationError("This escalation is closed: raise a new one if the problem is back.", "note")
    if escalation.level >= top_level(escalation.route):
        raise EscalationError("This escalation is at the route's last level already.", "note")
    note = (note or "").strip()
    if not note:
        raise EscalationError("Say why the last level has not resolved it: what is still blocked, or how the impact "
                              "has grown.", "note")
    escalation.level += 1
    escalation.status = "open"
    escalation.acknowledged_at = escalation.acknowledged_by_id = escalation.reminded_at = None
    escalation.response_due_at = response_due(escalation.level, now)
    escalation.updated_at = now
    _event(escalation, user, f"Escalated to {level_label(escalation.route, escalation.level)}", note, now)
    db.session.flush()
    notify_raised(escalation, user, note, now=now)
    return escalation


def acknowledge(escalation: Escalation, user: User, note: str, *, expected_version: int | None,
                now: datetime | None = None) -> Escalation:
    _check_version(escalation, expected_version)
    now = now or utcnow()
    if escalation.status != "open":
        raise EscalationError("Only an escalation awaiting acknowledgement can be acknowledged.", "note")
    escalation.status = "acknowledged"
    escalation.acknowledged_at, escalation.acknowledged_by_id = now, user.id
    escalation.updated_at = now
    late = " (after its response target)" if now > escalation.response_due_at else ""
    _event(escalation, user, f"Acknowledged at {level_label(escalation.route, escalation.level)}{late}",
           (note or "").strip(), now)
    db.session.flush()
    notify_participants(escalation, user, "acknowledged", (note or "").strip(), now=now)
    return escalation


def close(escalation: Escalation, user: User, outcome: str, *, expected_version: int | None,
          now: datetime | None = None) -> Escalation:
    _check_version(escalation, expected_version)
    now = now or utcnow()
    if escalation.status == "closed":
        raise EscalationError("This escalation is closed already.", "outcome")
    outcome = (outcome or "").strip()
    if not outcome:
        raise EscalationError("Record the outcome: what was done, and what happens to the original "
                              f"{SUBJECT_LABELS[escalation.subject_kind].split(' (')[0].lower()}.", "outcome")
    if escalation.acknowledged_at is None:
        escalation.acknowledged_at, escalation.acknowledged_by_id = now, user.id
    escalation.status, escalation.closed_at, escalation.outcome, escalation.updated_at = "closed", now, outcome, now
    _event(escalation, user, "Closed", outcome, now)
    db.session.flush()
    notify_participants(escalation, user, "closed", outcome, now=now)
    return escalation


def add_note(escalation: Escalation, user: User, note: str, *, now: datetime | None = None) -> None:
    note = (note or "").strip()
    if not note:
        raise EscalationError("Write the note.", "note")
    escalation.updated_at = now or utcnow()
    _event(escalation, user, "Note added", note, escalation.updated_at)
    db.session.flush()


# ---------------------------------------------------------------- who is told


def escalation_contacts(organisation_id: int) -> list[tuple[str, str]]:
    """The organisation's escalation contacts (its contact register), less stopped accounts."""
    stopped = sa.select(User.id).where(sa.or_(User.active.is_(False), User.closed_at.is_not(None)))
    rows = db.session.execute(
        sa.select(Contact.email, Contact.name).where(
            Contact.organisation_id == organisation_id, Contact.escalation_contact.is_(True),
            sa.or_(Contact.user_id.is_(None), Contact.user_id.not_in(stopped)),
        ).order_by(Contact.email)
    ).all()
    return [(email, name) for email, name in rows]


def service_team() -> list[User]:
    """The service management team: every active staff account."""
    return list(db.session.scalars(
        sa.select(User).where(User.role.in_(("staff", "admin")), User.active.is_(True), User.closed_at.is_(None))
        .order_by(User.email)
    ))


def _send(to: dict[str, str], escalation: Escalation, subject: str, template: str, now: datetime, **context) -> int:
    link = external_url("escalations.detail", escalation_id=escalation.id)
    for email, name in sorted(to.items()):
        queue_email(email, subject, template, kind="escalation", name=name, now=now, escalation=escalation, link=link,
                    route_label=ROUTE_LABELS[escalation.route], reason_label=REASON_LABELS[escalation.reason],
                    level=level_label(escalation.route, escalation.level), **context)
    return len(to)


def notify_raised(escalation: Escalation, actor: User, note: str, *, now: datetime) -> int:
    to = {email: name for email, name in escalation_contacts(escalation.organisation_id)}
    for person in service_team():
        to.setdefault(person.email, person.display_name)
    raiser = escalation.raised_by
    if raiser is not None and raiser.active and raiser.closed_at is None:
        to.setdefault(raiser.email, raiser.display_name)
    subject = (f"Escalation {escalation.code}: {escalation.reference} to "
               f"{level_label(escalation.route, escalation.level)}")
    return _send(to, escalation, subject, "escalations/email/raised", now, actor=actor, note=note)


def notify_participants(escalation: Escalation, actor: User, what: str, note: str, *, now: datetime) -> int:
    to = {email: name for email, name in escalation_contacts(escalation.organisation_id)}
    raiser = escalation.raised_by
    if raiser is not None and raiser.active and raiser.closed_at is None:
        to.setdefault(raiser.email, raiser.display_name)
    subject = f"Escalation {escalation.code} ({escalation.reference}) {what}"
    return _send(to, escalation, subject, "escalations/email/answered", now, what=what, note=note, actor=actor)


def remind_late(*, now: datetime | None = None) -> int:
    """Tell the service team, once per level, of each escalation still unacknowledged after its
    response target. Each reminder is claimed by a conditional update first, so two workers
    running at once send it once. Returns how many escalations were reminded of."""
    now = now or utcnow()
    late = db.session.scalars(
        sa.select(Escalation.id).where(Escalation.status == "open", Escalation.response_due_at < now,
                                       Escalation.reminded_at.is_(None))
        .order_by(Escalation.response_due_at)
    ).all()
    team = {person.email: person.display_name for person in service_team()}
    reminded = 0
    for escalation_id in late:
        claimed = db.session.execute(
            sa.update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.status == "open", Escalation.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        escalation = db.session.get(Escalation, escalation_id)
        subject = f"Response overdue: escalation {escalation.code} ({escalation.reference})"
        _send(team, escalation, subject, "escalations/email/late", now)
        reminded += 1
    db.session.flush()
    return reminded


def period_summary(start: datetime, end: datetime) -> dict:
    """Escalations for a report of [start, end) (a meeting's pack): raised in the period by route,
    closed in it, open at its end, and those acknowledged after their response target (or not
    yet acknowledged and past it at the end). Two aggregate queries."""
    e = Escalation
    raised = dict(db.session.execute(
        sa.select(e.route, sa.func.count()).where(e.created_at >= start, e.created_at < end).group_by(e.route)
    ).all())
    open_at_end = sa.and_(e.created_at < end, sa.or_(e.closed_at.is_(None), e.closed_at >= end))
    acknowledged_late = sa.and_(e.acknowledged_at.is_not(None), e.acknowledged_at > e.response_due_at)
    unanswered_late = sa.and_(sa.or_(e.acknowledged_at.is_(None), e.acknowledged_at >= end), e.response_due_at < end)
    closed, still_open, late = db.session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(sa.case((sa.and_(e.closed_at >= start, e.closed_at < end), 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((open_at_end, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((sa.and_(e.created_at < end, sa.or_(
            sa.and_(acknowledged_late, e.acknowledged_at < end), unanswered_late)), 1), else_=0)), 0),
    )).one()
    return {"raised": {code: raised.get(code, 0) for code in ROUTE_LABELS}, "raised_total": sum(raised.values()),
            "closed": int(closed), "open_at_end": int(still_open), "late_response": int(late)}
