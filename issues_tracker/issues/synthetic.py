"""Generated industry issues with a plausible history, for benchmarks and demos.

Everything is built from the April 2026 forum pack's own words: its MVP tracker
rows, aged-case extract, major incidents and trend analysis. Services are
weighted as the pack reports demand (DIP and ISD most). About 2% of the issues
are still open (10,000 give 200, the size of a real Monday log), a few await
triage, a few were rejected, the rest were resolved or closed over the two
years before now. Each issue has the journal the app itself writes (created,
triage, field changes old → new, progress notes, actions) and its actions.

Adds and flushes; the caller commits (then may call analyse_tables()).
The same random seed on the same database gives the same issues. Rows go in
with bulk INSERTs (executemany, ids assigned by the database and read back
with RETURNING), never ORM objects one by one, so 10,000 issues load in seconds
on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from ..accounts.models import User
from ..accounts.operations import get_or_create_organisation
from ..core import choices
from ..core.extensions import db
from ..core.models import UTCDateTime, utcnow
from ..search import index_issues
from .models import Issue, IssueAction, IssueEvent, IssueMessage, IssueService
from .synthetic_words import (
    ACTIONS,
    AGED_REASONS,
    ARCHETYPES,
    FLOWS,
    MONTHS,
    OPEN_STAGES,
    ORGANISATIONS,
    PROGRESS_NOTES,
    QUALIFIERS,
    REJECTION_REASONS,
    RESOLVED_NOTES,
    SERVICE_WEIGHTS,
    SEVERITY_WEIGHTS,
    STAFF,
    STAFF_EMAIL_DOMAIN,
    Archetype,
)

SOURCE_PREFIX = "synthetic:"
HISTORY_DAYS = 730
BATCH_SIZE = 2_000

OPEN_SHARE = 0.02
PENDING_SHARE_OF_OPEN = 0.15
REJECTED_SHARE = 0.01

SECOND_SERVICE_SHARE = 0.15

# Share of issues the service provider raises itself (as in the MVP tracker).
PROVIDER_RAISED_SHARE = 0.1


ARCHETYPES_BY_SERVICE: dict[str, list[Archetype]] = {}
for _archetype in ARCHETYPES:
    for _service in _archetype.services:
        ARCHETYPES_BY_SERVICE.setdefault(_service, []).append(_archetype)


@dataclass
class _People:
    staff: list[tuple[int, str]]  # (id, display name), in a fixed order
    organisations: list[tuple[int, str]]  # participant organisations (id, name)
    submitters: dict[int, int]  # organisation id -> a submitting account's id
    provider_id: int


def generate(n: int, *, random_seed: int = 2026, progress: bool = False, now: datetime | None = None) -> int:
    """Add n generated issues with history; return how many were added.

    The same seed on the same database gives the same issues; running again adds
    n more, different ones (the generator is also seeded by how many exist).
    """
    if n < 1:
        return 0
    now = now or utcnow()
    people = _ensure_people()
    start = synthetic_count()
    rng = random.Random(f"{random_seed}:{start}")
    kinds = _lifecycle_kinds(n, rng)

    from tqdm import tqdm

    bar = tqdm(total=n, unit="issue", desc="Synthetic issues", disable=not progress, leave=True)
    made = 0
    try:
        for first in range(0, n, BATCH_SIZE):
            stories = [
                _story(rng, start + first + k + 1, kinds[first + k], now, people)
                for k in range(min(BATCH_SIZE, n - first))
            ]
            _insert(stories)
            made += len(stories)
            bar.update(len(stories))
    finally:
        bar.close()
    db.session.flush()
    return made


def analyse_tables() -> None:
    """After a committed bulk load, leave the tables as autovacuum soon would: planner statistics,
    and the visibility map that lets counts use index-only scans. (SQLite keeps no statistics
    unless asked, and a production SQLite file has none, so neither here.)"""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(
                sa.text("VACUUM ANALYZE issue, issue_event, issue_action, issue_service, issue_message, issue_search")
            )


def _lifecycle_kinds(n: int, rng: random.Random) -> list[str]:
    """Exact shares (rounded), shuffled: 10,000 issues give 200 open."""
    open_count = round(n * OPEN_SHARE)
    pending = round(open_count * PENDING_SHARE_OF_OPEN)
    rejected = round(n * REJECTED_SHARE)
    kinds = ["pending"] * pending + ["open"] * (open_count - pending) + ["rejected"] * rejected
    kinds += ["closed"] * (n - len(kinds))
    rng.shuffle(kinds)
    return kinds


def _ensure_people() -> _People:
    """The organisations and accounts issues are linked to, created once."""
    # One random password nobody knows, hashed once: these accounts cannot sign in.
    unusable = generate_password_hash(secrets.token_urlsafe(32))
    provider = get_or_create_organisation(choices.SERVICE_PROVIDER, kind="service_provider")

    staff = db.session.execute(
        sa.select(User.id, User.name, User.email)
        .where(User.role.in_(("staff", "admin")), User.active.is_(True))
        .order_by(User.id)
    ).all()
    if not staff:
        for name, local in STAFF:
            db.session.add(User(email=f"{local}@{STAFF_EMAIL_DOMAIN}", name=name, role="staff",
                                organisation=provider, password_hash=unusable))
        db.session.flush()
        staff = db.session.execute(
            sa.select(User.id, User.name, User.email).where(User.role == "staff").order_by(User.id)
        ).all()

    organisations = []
    submitters = {}
    for name, kind in ORGANISATIONS:
        org = get_or_create_organisation(name, kind=kind)
        organisations.append((org.id, org.name))
        email = f"service.desk@{name.lower().replace(' ', '-')}.example"
        user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
        if user_id is None:
            user = User(email=email, name=f"{name} service desk", role="participant", organisation=org,
                        password_hash=unusable)
            db.session.add(user)
            db.session.flush()
            user_id = user.id
        submitters[org.id] = user_id
    return _People(
        staff=[(row.id, row.name or row.email) for row in staff],
        organisations=organisations,
        submitters=submitters,
        provider_id=provider.id,
    )


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _party_count(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return "Individual"
    if roll < 0.8:
        return "Multiple"
    return str(rng.randint(2, 40))


def _summary(rng: random.Random, archetype: Archetype, service: str, org_name: str) -> str:
    text = rng.choice(archetype.summaries).format(
        IF=rng.choice(FLOWS["IF"]), PUB=rng.choice(FLOWS["PUB"]), REP=rng.choice(FLOWS["REP"]), service=service
    )
    qualifier = rng.choice(QUALIFIERS).format(month=rng.choice(MONTHS), org=org_name)
    return (text + qualifier)[:200]


def _refs(rng: random.Random) -> str:
    refs = []
    if rng.random() < 0.7:
        refs.append(f"CS{rng.randint(15_000, 24_999):07d}")
    if rng.random() < 0.5:
        refs.append(f"INC{rng.randint(120_000, 159_999):07d}")
    return ", ".join(refs)


def _times(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """count ascending moments between start and end, rounded to the minute."""
    span = max((end - start).total_seconds(), 60.0)
    moments = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    return [moment.replace(second=0, microsecond=0) for moment in moments]


def _story(rng: random.Random, number: int, kind: str, now: datetime, people: _People) -> dict:
    """One issue as it would look after its life so far: the row, its links, journal and actions."""
    service = _weighted(rng, SERVICE_WEIGHTS)
    archetype = rng.choice(ARCHETYPES_BY_SERVICE.get(service) or ARCHETYPES)
    services = [service]
    if rng.random() < SECOND_SERVICE_SHARE:
        other = rng.choice([code for code in ("DIP", "ISD", "Platform", "MDS", "DAH") if code != service])
        services.append(other)
    messages = list(dict.fromkeys(rng.choice(archetype.messages) for _ in range(rng.randint(1, 2))))

    if rng.random() < PROVIDER_RAISED_SHARE:
        org_id, org_name = people.provider_id, choices.SERVICE_PROVIDER
        submitter = rng.choice(people.staff)[0]
    else:
        org_id, org_name = rng.choice(people.organisations)
        submitter = people.submitters[org_id]
    owner_id, owner_name = rng.choice(people.staff)
    summary = _summary(rng, archetype, service, org_name)

    if kind == "pending":
        created = now - timedelta(days=rng.uniform(0.05, 10))
    elif kind == "open":
        created = now - timedelta(days=min(HISTORY_DAYS - 1, 2 + rng.expovariate(1 / 60)))
    else:
        created = now - timedelta(days=rng.uniform(3, HISTORY_DAYS))
    created = created.replace(second=0, microsecond=0)

    issue = {
        "source_ref": f"{SOURCE_PREFIX}{number}",
        "summary": summary,
        "description": (
            f"{summary}. Raised by {org_name}: {archetype.settlement_impact.lower()} "
            f"({', '.join(services)}; {', '.join(messages)}). {rng.choice(AGED_REASONS)}"
        ),
        "severity": _weighted(rng, SEVERITY_WEIGHTS),
        "root_cause": archetype.root_cause,
        "root_cause_certainty": "Suspected",
        "impact_assessment": "Not started",
        "supplier_impact": _party_count(rng),
        "distributor_impact": _party_count(rng),
        "settlement_impact": archetype.settlement_impact,
        "status": "New",
        "action_underway": "",
        "resolution_description": "",
        "resolution_status": "Not started",
        "dependencies": archetype.dependencies,
        "parties_responsible": archetype.parties,
        "next_run_resolves": rng.choice(("Unknown", "Unknown", "No", "Yes")),
        "service_desk_refs": _refs(rng),
        "target_date": None,
        "owner_id": None,
        "organisation_id": org_id,
        "submitted_by_id": submitter,
        "triage_state": "pending",
        "rejection_reason": "",
        "created_at": created,
        "last_update_at": created,
        "published_at": None,
        "resolved_at": None,
        "version": 1,
    }
    events = [_event(created, submitter, "created", note="Issue submitted")]
    actions: list[dict] = []
    story = {"issue": issue, "services": services, "messages": messages, "events": events, "actions": actions}
    if kind == "pending":
        return story

    triager = rng.choice(people.staff)[0]
    if kind == "rejected":
        decided = created + timedelta(hours=rng.uniform(2, 96))
        reason = rng.choice(REJECTION_REASONS)
        issue.update(triage_state="rejected", rejection_reason=reason, status="Closed", resolved_at=decided,
                     last_update_at=decided)
        events.append(_event(decided, triager, "triage", "triage_state", "pending", "rejected", f"Rejected: {reason}"))
        events.append(_event(decided, triager, "change", "status", "New", "Closed"))
        return story

    # Published: the end of its story so far.
    if kind == "open":
        quiet_days = rng.uniform(0, 13) if rng.random() < 0.7 else rng.uniform(14, 45)
        end = max(now - timedelta(days=quiet_days), created + timedelta(hours=6))
        end = min(end, now)
        stage = OPEN_STAGES.index(rng.choice(OPEN_STAGES))
    else:
        lifetime = min(rng.lognormvariate(math.log(21), 0.9), (now - created).days - 1)
        end = created + timedelta(days=max(lifetime, 1))
        stage = len(OPEN_STAGES)
    path = ["Under investigation"] + [s for s in OPEN_STAGES[1:stage + 1] if rng.random() < 0.6]
    if kind == "open" and path[-1] != OPEN_STAGES[stage]:
        path.append(OPEN_STAGES[stage])
    notes = rng.randint(1, 3)
    action_count = rng.choice((1, 1, 2, 2, 3))
    steps = 3 + len(path) + notes + action_count
    when = iter(_times(rng, created + timedelta(hours=1), end, steps + 1))

    published = next(when)
    issue.update(triage_state="published", published_at=published, status="Under investigation",
                 owner_id=owner_id, impact_assessment="In progress")
    events.append(_event(published, triager, "triage", "triage_state", "pending", "published",
                         "Published to the industry view"))
    events.append(_event(next(when), owner_id, "change", "owner_id", "", owner_name))
    events.append(_event(next(when), owner_id, "change", "impact_assessment", "Not started", "In progress"))
    for old, new in zip(path, path[1:], strict=False):
        events.append(_event(next(when), owner_id, "change", "status", old, new))
    issue["status"] = path[-1]
    if len(path) > 2 or kind == "closed":
        at = next(when)
        issue.update(resolution_status="Planned", action_underway=archetype.action_underway,
                     resolution_description=archetype.resolution)
        events.append(_event(at, owner_id, "change", "resolution_status", "Not started", "Planned"))
        events.append(_event(at, owner_id, "change", "action_underway", "", archetype.action_underway))
    else:
        next(when)
    for _ in range(notes):
        events.append(_event(next(when), owner_id, "note", note=rng.choice(PROGRESS_NOTES)))
    for _ in range(action_count):
        at = next(when)
        who = rng.choice((owner_name, org_name, archetype.parties.split(" / ")[0]))
        due = (at + timedelta(days=rng.randint(5, 30))).date()
        description = rng.choice(ACTIONS)
        action = {"description": description, "owner_name": who, "due_date": due, "status": "Open",
                  "created_at": at, "updated_at": at}
        actions.append(action)
        events.append(_event(at, owner_id, "action", note=f"Action added for {who}, due {due.isoformat()}: {description}"))
    last = next(when)

    if kind == "open":
        if issue["resolution_status"] == "Planned" and stage >= 3:
            issue["resolution_status"] = "In progress"
            events.append(_event(last, owner_id, "change", "resolution_status", "Planned", "In progress"))
        if rng.random() < 0.6:
            issue["target_date"] = (now + timedelta(days=rng.randint(7, 90))).date()
        for action in actions:
            if rng.random() < 0.3:
                action.update(status="In progress", updated_at=last)
        issue["last_update_at"] = max(event["created_at"] for event in events)
        return story

    # Resolved, and most then confirmed closed.
    resolved = last
    issue.update(status="Resolved", resolution_status="Complete", impact_assessment="Confirmed",
                 root_cause_certainty="Known", resolved_at=resolved,
                 next_run_resolves=rng.choice(("Yes", "Yes", "No", "Unknown")))
    for action in actions:
        action.update(status="Done", updated_at=resolved)
        events.append(_event(resolved, owner_id, "action", "action_status", "Open", "Done",
                             f"Action for {action['owner_name']}: {action['description']}"))
    events.append(_event(resolved, owner_id, "change", "status", path[-1], "Resolved"))
    events.append(_event(resolved, owner_id, "change", "resolution_status", "Planned", "Complete"))
    events.append(_event(resolved, owner_id, "note", note=rng.choice(RESOLVED_NOTES)))
    if rng.random() < 0.6:
        closed = min(resolved + timedelta(days=rng.uniform(1, 14)), now).replace(second=0, microsecond=0)
        issue["status"] = "Closed"
        events.append(_event(closed, owner_id, "change", "status", "Resolved", "Closed"))
    issue["last_update_at"] = max(event["created_at"] for event in events)
    return story


def _event(at: datetime, user_id: int | None, kind: str, field: str = "", old: str = "", new: str = "",
           note: str = "") -> dict:
    # Generated history is not news: it is written already fanned out, so nobody is emailed about it.
    return {"user_id": user_id, "created_at": at, "kind": kind, "field": field, "old_value": old,
            "new_value": new, "note": note, "fanned_out_at": at}


def _insert(stories: list[dict]) -> None:
    """One batch: issues first (their ids known), then everything that points at them."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    issues = [story["issue"] for story in stories]
    if postgresql:
        # Reserve the ids from the table's own sequence, so it stays right for later inserts.
        ids = db.session.scalars(
            sa.text("SELECT nextval(pg_get_serial_sequence('issue', 'id')) FROM generate_series(1, :n)"),
            {"n": len(issues)},
        ).all()
        for issue_id, issue in zip(ids, issues, strict=True):
            issue["id"] = issue_id
        _copy(Issue.__table__, issues)
    else:
        table = Issue.__table__
        ids = db.session.scalars(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), issues
        ).all()
    services, messages, events, actions = [], [], [], []
    for issue_id, story in zip(ids, stories, strict=True):
        services += [{"issue_id": issue_id, "service": code} for code in story["services"]]
        messages += [{"issue_id": issue_id, "message": code} for code in story["messages"]]
        events += [{"issue_id": issue_id, **event} for event in story["events"]]
        actions += [{"issue_id": issue_id, **action} for action in story["actions"]]
    for model, rows in ((IssueService, services), (IssueMessage, messages), (IssueEvent, events), (IssueAction, actions)):
        if not rows:
            continue
        if postgresql:
            _copy(model.__table__, rows)
        else:
            db.session.execute(sa.insert(model.__table__), rows)
    # Bulk rows bypass the ORM's flush, so the batch is indexed here, in the same transaction.
    index_issues(db.session.connection(), ids)


def _copy(table: sa.Table, rows: list[dict]) -> None:
    """PostgreSQL's bulk load (COPY), through the session's own connection and transaction."""
    columns = list(rows[0])
    utc_columns = {name for name in columns if isinstance(table.c[name].type, UTCDateTime)}
    cursor = db.session.connection().connection.driver_connection.cursor()
    names = ", ".join(f'"{name}"' for name in columns)
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:  # names from our own models
        for row in rows:
            copy.write_row([
                _naive_utc(row[name]) if name in utc_columns else row[name] for name in columns
            ])


def _naive_utc(value: datetime | None) -> datetime | None:
    # UTCDateTime stores naive UTC; COPY bypasses the column type, so convert here.
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def synthetic_count() -> int:
    """How many generated issues the database holds."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Issue).where(Issue.source_ref.like(SOURCE_PREFIX + "%"))
    )
