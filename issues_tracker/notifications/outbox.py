"""Fan-out: turn outbox records (journal entries, announcements) into per-person deliveries.

A change writes its journal entries in its own transaction; nothing else happens in the
request. Here each change (the entries one person wrote on one issue at one moment) is
matched against who follows it, who may see it and what each of them asked to hear, and
becomes one Delivery per person, unique per change and person. The records are marked
in the same transaction, so a crash repeats the work and never doubles it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.lazyload)

from ..accounts.models import User
from ..core.extensions import db
from ..core.models import utcnow
from ..issues.access import can_view_issue
from ..issues.models import Issue, IssueEvent, IssueService
from ..participation.models import AffectedDeclaration, Follow, SavedView
from .kinds import MODE_RANK, kind_of
from .models import Announcement, Delivery
from .preferences import Preferences, next_digest_at, preferences_for

FAN_OUT_BATCH = 500


@dataclass
class FanOutResult:
    records: int = 0
    deliveries: int = 0
    more: bool = False
    per_record: dict[str, int] = field(default_factory=dict)


def _pending_events(limit: int) -> list[IssueEvent]:
    batch = db.session.scalars(
        sa.select(IssueEvent)
        .where(IssueEvent.fanned_out_at.is_(None))
        .order_by(IssueEvent.id)
        .limit(limit)
        .options(sa.orm.lazyload(IssueEvent.user))
        .with_for_update(skip_locked=True, of=IssueEvent)
    ).all()
    if not batch:
        return []
    # Entries of one change travel together even when the batch limit cut through them.
    ids = {event.id for event in batch}
    issue_ids = {event.issue_id for event in batch}
    moments = {event.created_at for event in batch}
    rest = db.session.scalars(
        sa.select(IssueEvent).where(
            IssueEvent.fanned_out_at.is_(None),
            IssueEvent.issue_id.in_(issue_ids),
            IssueEvent.created_at.in_(moments),
            IssueEvent.id.not_in(ids),
        ).options(sa.orm.lazyload(IssueEvent.user)).with_for_update(skip_locked=True, of=IssueEvent)
    ).all()
    keys = {(e.issue_id, e.user_id, e.created_at) for e in batch}
    return sorted(batch + [e for e in rest if (e.issue_id, e.user_id, e.created_at) in keys], key=lambda e: e.id)


def fan_out(*, now: datetime | None = None, limit: int = FAN_OUT_BATCH) -> FanOutResult:
    """One round of fan-out over at most `limit` pending records; the caller commits."""
    now = now or utcnow()
    result = FanOutResult()
    events = _pending_events(limit)
    changes: dict[tuple, list[IssueEvent]] = defaultdict(list)
    for event in events:
        changes[(event.issue_id, event.user_id, event.created_at)].append(event)
    issues = _issues({issue_id for issue_id, _, _ in changes})
    # Which followed saved views show each issue of the round, in a few queries for all of them
    # (an import of thousands of issues is fanned out in rounds like any other change).
    by_views = _saved_view_followers(list(issues))
    follows = _follows_of(list(issues))
    # The records marked fanned out are written once, at the round's end: flushed before each
    # query, they cost a flush (and its hooks) for every change of the round.
    with db.session.no_autoflush:
        for (issue_id, actor_id, _), change in changes.items():
            told = [event for event in change if kind_of(event)]
            if told and issue_id in issues:
                result.deliveries += _deliver_change(issues[issue_id], actor_id, told, now,
                                                     by_views[issue_id], follows[issue_id])
            for event in change:
                event.fanned_out_at = now
            result.records += len(change)

    announcements = db.session.scalars(
        sa.select(Announcement)
        .where(Announcement.fanned_out_at.is_(None))
        .order_by(Announcement.id)
        .limit(max(1, limit // 100))
        .with_for_update(skip_locked=True, of=Announcement)
    ).all()
    for announcement in announcements:
        result.deliveries += _deliver_announcement(announcement, now)
        announcement.fanned_out_at = now
        result.records += 1
    db.session.flush()
    result.more = len(events) >= limit or pending_records() > 0
    return result


def pending_records() -> int:
    events = db.session.scalar(
        sa.select(sa.func.count()).select_from(IssueEvent).where(IssueEvent.fanned_out_at.is_(None))
    )
    announcements = db.session.scalar(
        sa.select(sa.func.count()).select_from(Announcement).where(Announcement.fanned_out_at.is_(None))
    )
    return events + announcements


def _issues(ids: set[int]) -> dict[int, Issue]:
    if not ids:
        return {}
    return {issue.id: issue for issue in db.session.scalars(sa.select(Issue).where(Issue.id.in_(ids)))}


# ---------------------------------------------------------------- who hears of an issue


@dataclass
class IssueFollows:
    """Who follows an issue directly or through its services (with when they began), who belongs
    to an organisation that declared itself affected, and who muted it."""

    following: list[tuple[int, datetime | None]] = field(default_factory=list)
    declared: set[int] = field(default_factory=set)
    muted: set[int] = field(default_factory=set)


def _follows_of(issue_ids: list[int]) -> defaultdict[int, IssueFollows]:
    """The follows of many issues in three queries for every 500 of them."""
    found: defaultdict[int, IssueFollows] = defaultdict(IssueFollows)
    for start in range(0, len(issue_ids), 500):
        chunk = issue_ids[start:start + 500]
        for issue_id, user_id, active, created_at in db.session.execute(
            sa.select(Follow.issue_id, Follow.user_id, Follow.active, Follow.created_at).where(Follow.issue_id.in_(chunk))
        ):
            if active:
                found[issue_id].following.append((user_id, created_at))
            else:
                found[issue_id].muted.add(user_id)
        for issue_id, user_id, created_at in db.session.execute(
            sa.select(IssueService.issue_id, Follow.user_id, Follow.created_at)
            .join(Follow, Follow.service == IssueService.service)
            .where(IssueService.issue_id.in_(chunk), Follow.active.is_(True))
        ):
            found[issue_id].following.append((user_id, created_at))
        for issue_id, user_id in db.session.execute(
            sa.select(AffectedDeclaration.issue_id, User.id)
            .join(User, User.organisation_id == AffectedDeclaration.organisation_id)
            .where(AffectedDeclaration.issue_id.in_(chunk))
        ):
            found[issue_id].declared.add(user_id)
    return found


def followers_of(follows: IssueFollows, by_views: set[int], since: datetime | None = None) -> set[int]:
    """Everyone who follows the issue one way or another, before visibility and settings.

    Members of an organisation that declared itself affected are included unless they
    said they do not want that; a mute (an inactive follow of the issue) wins over all.
    With `since` (the moment of the change), an issue or service followed only after it
    does not count: people hear of what happens once they follow. `follows`: the issue's, from
    _follows_of; `by_views`: the people whose followed saved views show it.
    """
    people = {user_id for user_id, began in follows.following
              if since is None or (began is not None and began <= since)}
    declared = follows.declared - people
    if declared:
        wanting = preferences_for(declared)
        people |= {user_id for user_id, prefs in wanting.items() if prefs.follow_when_affected}
    return (people | by_views) - follows.muted


def _saved_view_followers(issue_ids: list[int]) -> defaultdict[int, set[int]]:
    """For each issue, the people following a saved view of theirs that shows it: one query for
    a hundred views over one issue, or for fewer views over many (each view's select names every
    issue, and a statement keeps under 10,000 parameters)."""
    from urllib.parse import parse_qsl

    from ..issues.queries import IssueQuery, filter_conditions

    found: defaultdict[int, set[int]] = defaultdict(set)
    if not issue_ids:
        return found
    views = db.session.scalars(
        sa.select(SavedView)
        .join(Follow, Follow.saved_view_id == SavedView.id)
        .where(Follow.active.is_(True))
        .options(sa.orm.joinedload(SavedView.user))
    ).all()
    owners = {}
    per_query = max(1, min(100, 10_000 // max(1, len(issue_ids))))
    for start in range(0, len(views), per_query):
        checks = []
        for view in views[start:start + per_query]:
            owners[view.id] = view.user_id
            conditions = filter_conditions(IssueQuery.from_args(dict(parse_qsl(view.query or ""))), view.user)
            checks.append(sa.select(sa.literal(view.id), Issue.id).where(Issue.id.in_(issue_ids), *conditions))
        for view_id, issue_id in db.session.execute(sa.union_all(*checks)):
            found[issue_id].add(owners[view_id])
    return found


def _eligible_users(user_ids: set[int]) -> list[User]:
    users = []
    ids = list(user_ids)
    for start in range(0, len(ids), 900):
        users += db.session.scalars(
            sa.select(User).where(User.id.in_(ids[start:start + 900]), User.active.is_(True))
        ).all()
    return users


def _choice(kinds: list[str], prefs: Preferences) -> tuple[list[str], str | None]:
    wanted = [kind for kind in kinds if prefs.modes.get(kind, "off") != "off"]
    if not wanted:
        return [], None
    return wanted, min((prefs.modes[kind] for kind in wanted), key=MODE_RANK.__getitem__)


def _deliver_change(issue: Issue, actor_id: int | None, events: list[IssueEvent], now: datetime,
                    by_views: set[int], follows: IssueFollows) -> int:
    kinds = sorted({kind_of(event) for event in events})
    candidates = followers_of(follows, by_views, since=events[0].created_at)
    candidates.discard(actor_id)
    users = [user for user in _eligible_users(candidates) if can_view_issue(user, issue)]
    prefs = preferences_for(user.id for user in users)
    lead = events[0]
    rows = []
    for user in users:
        wanted, mode = _choice(kinds, prefs[user.id])
        if mode is None:
            continue
        rows.append(_row(user.id, mode, wanted, prefs[user.id], now, event_id=lead.id, issue_id=issue.id,
                         event_ids=",".join(str(event.id) for event in events)))
    _insert(rows)
    return len(rows)


def _deliver_announcement(announcement: Announcement, now: datetime) -> int:
    users = db.session.scalars(sa.select(User.id).where(User.active.is_(True))).all()
    prefs = preferences_for(users)
    rows = []
    for user_id in users:
        if user_id == announcement.created_by_id:
            continue
        wanted, mode = _choice([announcement.kind], prefs[user_id])
        if mode is None:
            continue
        rows.append(_row(user_id, mode, wanted, prefs[user_id], now, announcement_id=announcement.id))
    _insert(rows)
    return len(rows)


def _row(user_id: int, mode: str, kinds: list[str], prefs: Preferences, now: datetime, **target) -> dict:
    return {
        "user_id": user_id,
        "mode": mode,
        "kinds": ",".join(kinds),
        "state": "pending",
        "created_at": now,
        "due_at": next_digest_at(mode, prefs, now),
        "attempts": 0,
        "next_attempt_at": now,
        "message_id": "",
        "last_error": "",
        "event_ids": "",
        "event_id": None,
        "announcement_id": None,
        "issue_id": None,
        **target,
    }


def _insert(rows: list[dict]) -> None:
    for start in range(0, len(rows), 1000):
        db.session.execute(sa.insert(Delivery), rows[start:start + 1000])


def reschedule_digests(user_id: int, prefs: Preferences, *, now: datetime | None = None) -> None:
    """After a change of digest time or zone, pending digest items follow the new time."""
    now = now or utcnow()
    for mode in ("daily", "weekly"):
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.user_id == user_id, Delivery.state == "pending", Delivery.mode == mode)
            .values(due_at=next_digest_at(mode, prefs, now))
        )
