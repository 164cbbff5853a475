"""“We are affected too”: organisations declare that an issue affects them.

The supplier and distributor counts shown on the issue, sorted on in the list and
printed in the Monday log all come from ``affected_counts`` here, so every screen says
the same; while an issue has no declaration, the typed estimate ("Individual",
"Multiple", a number) is shown instead, marked as an estimate.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.models import utcnow
from ..issues.models import Issue
from .models import AffectedDeclaration

MAX_METER_POINTS = 100_000_000


class AffectedError(ValueError):
    """A declaration that cannot be made; the message says why."""


@dataclass(frozen=True)
class AffectedCount:
    """How many organisations declared an issue affects them, by kind."""

    suppliers: int = 0
    distributors: int = 0
    others: int = 0
    meter_points: int = 0

    @property
    def organisations(self) -> int:
        return self.suppliers + self.distributors + self.others

    @property
    def declared(self) -> bool:
        return self.organisations > 0


NONE = AffectedCount()


def _bucket(organisation_kind: str) -> str:
    return {"supplier": "suppliers", "distributor": "distributors"}.get(organisation_kind, "others")


def count_declarations(declarations: list[AffectedDeclaration]) -> AffectedCount:
    """The count for one issue from its declarations already loaded (the issue page has them)."""
    tally = {"suppliers": 0, "distributors": 0, "others": 0, "meter_points": 0}
    for declaration in declarations:
        tally[_bucket(declaration.organisation.kind)] += 1
        tally["meter_points"] += declaration.meter_points or 0
    return AffectedCount(**tally)


def affected_counts(issue_ids) -> dict[int, AffectedCount]:
    """Declared counts for many issues in one query; issues without declarations are absent."""
    return affected_summary(issue_ids)[0]


def affected_summary(issue_ids, organisation_id: int | None = None) -> tuple[dict[int, AffectedCount], set[int]]:
    """Declared counts for many issues, and which of them `organisation_id` declared, in one query."""
    ids = list(issue_ids)
    if not ids:
        return {}, set()
    mine = sa.func.max(sa.case((AffectedDeclaration.organisation_id == (organisation_id or 0), 1), else_=0))
    rows = db.session.execute(
        sa.select(
            AffectedDeclaration.issue_id,
            Organisation.kind,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(AffectedDeclaration.meter_points), 0),
            mine,
        )
        .join(Organisation, Organisation.id == AffectedDeclaration.organisation_id)
        .where(AffectedDeclaration.issue_id.in_(ids))
        .group_by(AffectedDeclaration.issue_id, Organisation.kind)
    ).all()
    tallies: dict[int, dict[str, int]] = {}
    declared: set[int] = set()
    for issue_id, kind, count, meter_points, own in rows:
        tally = tallies.setdefault(issue_id, {"suppliers": 0, "distributors": 0, "others": 0, "meter_points": 0})
        tally[_bucket(kind)] += count
        tally["meter_points"] += int(meter_points or 0)
        if own:
            declared.add(issue_id)
    return {issue_id: AffectedCount(**tally) for issue_id, tally in tallies.items()}, declared


def affected_count(issue: Issue) -> AffectedCount:
    return affected_counts([issue.id]).get(issue.id, NONE)


def impact_labels(issue: Issue, count: AffectedCount) -> tuple[str, str]:
    """(suppliers, distributors) as people read them: declared counts once there are any,
    otherwise the typed estimate."""
    if count.declared:
        return f"{count.suppliers} (declared)", f"{count.distributors} (declared)"
    supplier = f"{issue.supplier_impact} (estimate)" if issue.supplier_impact else "—"
    distributor = f"{issue.distributor_impact} (estimate)" if issue.distributor_impact else "—"
    return supplier, distributor


def declaration_of(issue: Issue, organisation_id: int) -> AffectedDeclaration | None:
    return db.session.scalar(
        sa.select(AffectedDeclaration).where(
            AffectedDeclaration.issue_id == issue.id, AffectedDeclaration.organisation_id == organisation_id
        )
    )


@functools.cache
def _declarations_select() -> sa.Select:
    # Built once: every issue page runs it.
    return (
        sa.select(AffectedDeclaration)
        .where(AffectedDeclaration.issue_id == sa.bindparam("issue_id"))
        .order_by(AffectedDeclaration.created_at, AffectedDeclaration.id)
    )


def declarations(issue: Issue) -> list[AffectedDeclaration]:
    return db.session.scalars(_declarations_select(), {"issue_id": issue.id}).all()


def check_can_declare(user: User, issue: Issue) -> None:
    if user.is_staff:
        raise AffectedError("Declarations are made by affected organisations; staff record impact on the issue itself.")
    if issue.triage_state != "published":
        raise AffectedError("Organisations can say they are affected once the issue is published to the industry view.")


def parse_meter_points(text: str | None) -> int | None:
    text = (text or "").strip().replace(",", "").replace(" ", "")
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise AffectedError("Meter points must be a whole number, e.g. 1200, or left blank.")
    value = int(text)
    if value > MAX_METER_POINTS:
        raise AffectedError(f"Meter points must be at most {MAX_METER_POINTS:,}.")
    return value


def declare_affected(
    user: User, issue: Issue, *, note: str = "", meter_points: int | None = None, now: datetime | None = None
) -> AffectedDeclaration:
    """Declare (or update) that the person's organisation is affected; the caller commits."""
    check_can_declare(user, issue)
    now = now or utcnow()
    note = (note or "").strip()
    if len(note) > 1000:
        raise AffectedError("The note must be at most 1,000 characters long.")
    declaration = declaration_of(issue, user.organisation_id)
    if declaration is None:
        declaration = AffectedDeclaration(
            issue_id=issue.id, organisation_id=user.organisation_id, declared_by_id=user.id,
            note=note, meter_points=meter_points, created_at=now, updated_at=now,
        )
        db.session.add(declaration)
        db.session.flush()  # a second declaration by the same organisation fails here (unique)
        _adjust_count(issue, +1)
    else:
        declaration.note = note
        declaration.meter_points = meter_points
        declaration.declared_by_id = user.id
        declaration.updated_at = now
        db.session.flush()
    return declaration


def withdraw_affected(user: User, issue: Issue) -> bool:
    """Withdraw the organisation's declaration; False when there was none."""
    check_can_declare(user, issue)
    removed = db.session.execute(
        sa.delete(AffectedDeclaration).where(
            AffectedDeclaration.issue_id == issue.id, AffectedDeclaration.organisation_id == user.organisation_id
        )
    ).rowcount
    if removed:
        _adjust_count(issue, -removed)
    return bool(removed)


def _adjust_count(issue: Issue, delta: int) -> None:
    # An atomic increment under the row lock: exact when organisations declare at once,
    # and it leaves the issue's version alone, so a staff member's open edit is not refused.
    db.session.execute(
        sa.update(Issue.__table__)
        .where(Issue.__table__.c.id == issue.id)
        .values(affected_org_count=Issue.__table__.c.affected_org_count + delta)
    )
    db.session.expire(issue, ["affected_org_count"])
