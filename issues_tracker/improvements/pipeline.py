"""The continual-service-improvement pipeline: anyone signed in proposes an improvement; staff
triage it (accept or decline, score its value and effort), move it through the pack's five
phases and record the benefit measured. People follow an improvement and are emailed when it
moves on.

Who sees what: a proposal awaiting triage, or one declined, is seen by its proposer's
organisation and by staff; once accepted, by everyone signed in.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.transaction import ConflictError
from ..core.urls import external_url
from ..notifications.outgoing import queue_email
from .models import Improvement, ImprovementEvent, ImprovementFollower

STATE_LABELS = dict(choices.IMPROVEMENT_STATES)
PHASE_LABELS = dict(choices.CSI_PHASES)
PUBLIC_STATES = ("accepted", "delivered")


class PipelineError(ValueError):
    """A change the pipeline refuses; `field` names the field at fault."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def visible_clause(user: User):
    if user.is_staff:
        return sa.true()
    return sa.or_(Improvement.state.in_(PUBLIC_STATES), Improvement.organisation_id == user.organisation_id)


def can_view(user: User, improvement: Improvement) -> bool:
    return user.is_staff or improvement.state in PUBLIC_STATES or improvement.organisation_id == user.organisation_id


def visible_improvements(user: User, *, state: str = "") -> list[Improvement]:
    """Those the person may see, the pipeline's ranking first: the phase they are in, then value for effort."""
    query = sa.select(Improvement).where(visible_clause(user)).options(sa.orm.joinedload(Improvement.organisation))
    if state:
        query = query.where(Improvement.state == state)
    order = [sa.case({"proposed": 0, "accepted": 1, "delivered": 2, "declined": 3}, value=Improvement.state),
             Improvement.phase.desc(), Improvement.created_at.desc(), Improvement.id.desc()]
    return list(db.session.scalars(query.order_by(*order)))


def pipeline_counts(user: User) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Improvement.state, sa.func.count()).where(visible_clause(user)).group_by(Improvement.state)
    ).all()
    return {state: count for state, count in rows}


def _event(improvement: Improvement, user: User, summary: str, note: str, now: datetime) -> None:
    improvement.events.append(ImprovementEvent(user_id=user.id, created_at=now, summary=summary[:300], note=note))


def propose(user: User, data: dict, *, now: datetime | None = None) -> Improvement:
    """A new proposal from anyone signed in; its proposer follows it."""
    now = now or utcnow()
    title = (data.get("title") or "").strip()
    if not title:
        raise PipelineError("Give the improvement a short title.", "title")
    if data.get("service") and data["service"] not in choices.SERVICE_CODES:
        raise PipelineError("Choose a service from the list, or none.", "service")
    improvement = Improvement(
        title=title, description=(data.get("description") or "").strip(),
        expected_benefit=(data.get("expected_benefit") or "").strip(), service=data.get("service") or "",
        proposer_id=user.id, organisation_id=user.organisation_id, state="proposed", created_at=now, updated_at=now,
    )
    db.session.add(improvement)
    _event(improvement, user, "Proposed", "", now)
    db.session.flush()
    follow(user, improvement, now=now)
    return improvement


def is_following(user: User, improvement: Improvement) -> bool:
    return db.session.scalar(
        sa.select(ImprovementFollower.id).where(
            ImprovementFollower.improvement_id == improvement.id, ImprovementFollower.user_id == user.id
        )
    ) is not None


def follow(user: User, improvement: Improvement, *, now: datetime | None = None) -> None:
    if not is_following(user, improvement):
        db.session.add(ImprovementFollower(improvement_id=improvement.id, user_id=user.id, created_at=now or utcnow()))
        db.session.flush()


def unfollow(user: User, improvement: Improvement) -> None:
    db.session.execute(
        sa.delete(ImprovementFollower).where(
            ImprovementFollower.improvement_id == improvement.id, ImprovementFollower.user_id == user.id
        )
    )


def follower_count(improvement: Improvement) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ImprovementFollower)
        .where(ImprovementFollower.improvement_id == improvement.id)
    )


def _score(value, label: str, field: str) -> int | None:
    if value in (None, ""):
        return None
    if not isinstance(value, int) or not 1 <= value <= 5:
        raise PipelineError(f"Score the {label} from 1 to 5.", field)
    return value


def triage(improvement: Improvement, user: User, data: dict, *, expected_version: int | None,
           now: datetime | None = None) -> list[str]:
    """Staff move an improvement on: its state, phase, scores, owner and the benefit measured.

    Accepting needs a value and an effort score and puts it in phase 1 unless a phase is
    given; a phase needs it accepted; delivering needs the benefit measured. Returns what
    changed, as the history says it (empty: nothing changed)."""
    if expected_version is not None and expected_version != improvement.version:
        raise ConflictError("Someone else changed this improvement after you opened it, so your changes were not saved.")
    now = now or utcnow()
    state = data.get("state") or improvement.state
    if state not in STATE_LABELS:
        raise PipelineError("Choose one of the states listed.", "state")
    value = _score(data.get("value_score"), "value", "value_score")
    effort = _score(data.get("effort_score"), "effort", "effort_score")
    phase = data.get("phase") or None
    if phase is not None and phase not in PHASE_LABELS:
        raise PipelineError("Choose one of the five phases.", "phase")
    benefit = (data.get("benefit_measured") or "").strip()
    if state in ("accepted", "delivered") and (value is None or effort is None):
        raise PipelineError("Score its value and effort before accepting it into the pipeline.",
                            "value_score" if value is None else "effort_score")
    if state in ("accepted", "delivered"):
        phase = phase or improvement.phase or 1
    elif phase is not None:
        raise PipelineError("Only an improvement in the pipeline has a phase: accept it, or leave the phase empty.", "phase")
    if state == "delivered" and not benefit:
        raise PipelineError("Record the benefit measured before marking it delivered.", "benefit_measured")
    note = (data.get("note") or "").strip()
    changes = []
    if state != improvement.state:
        changes.append(f"{STATE_LABELS[improvement.state]} → {STATE_LABELS[state]}")
    if phase != improvement.phase:
        changes.append(f"now in {PHASE_LABELS[phase]}" if phase else "taken out of the phases")
    if (value, effort) != (improvement.value_score, improvement.effort_score):
        changes.append(f"scored value {value or '–'}, effort {effort or '–'}")
    owner = (data.get("owner_name") or "").strip()
    if owner != improvement.owner_name:
        changes.append(f"owner {owner or 'none'}")
    if benefit != improvement.benefit_measured:
        changes.append("benefit measured recorded" if benefit else "benefit measured cleared")
    if not changes and not note:
        raise PipelineError("Nothing changed: change something or add a note.", "note")
    improvement.state, improvement.phase = state, phase
    improvement.value_score, improvement.effort_score = value, effort
    improvement.owner_name, improvement.benefit_measured = owner, benefit
    if note:
        improvement.triage_note = note
    improvement.updated_at = now
    summary = "; ".join(changes) or "Note added"
    _event(improvement, user, summary[:1].upper() + summary[1:], note, now)
    db.session.flush()
    tell_followers(improvement, user, summary, note, now=now)
    return changes


def tell_followers(improvement: Improvement, actor: User, summary: str, note: str, *, now: datetime) -> int:
    """Email everyone following the improvement who may still see it, but not the person who changed it."""
    people = db.session.scalars(
        sa.select(User)
        .join(ImprovementFollower, ImprovementFollower.user_id == User.id)
        .where(ImprovementFollower.improvement_id == improvement.id, User.id != actor.id,
               User.active.is_(True), User.closed_at.is_(None))
        .order_by(User.id)
    ).all()
    link = external_url("improvements.improvement", improvement_id=improvement.id)
    sent = 0
    for person in people:
        if not can_view(person, improvement):
            continue
        queue_email(
            person.email, f"{improvement.reference} {improvement.title}: {summary}"[:200],
            "improvements/email/moved_on", kind="improvement_update", user=person, now=now,
            improvement=improvement, summary=summary, note=note, link=link,
            state_label=STATE_LABELS[improvement.state], phase_label=PHASE_LABELS.get(improvement.phase, ""),
        )
        sent += 1
    return sent
