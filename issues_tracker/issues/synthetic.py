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
from ..core.extensions import db
from ..core.models import UTCDateTime, utcnow
from ..search import index_issues
from ..seeds.loader import SERVICE_PROVIDER
from .models import Issue, IssueAction, IssueEvent, IssueMessage, IssueService

SOURCE_PREFIX = "synthetic:"
HISTORY_DAYS = 730
BATCH_SIZE = 2_000

OPEN_SHARE = 0.02
PENDING_SHARE_OF_OPEN = 0.15
REJECTED_SHARE = 0.01

# Demand by service as the pack's trend analysis and tracker describe it.
SERVICE_WEIGHTS = {
    "DIP": 30,
    "ISD": 22,
    "Platform": 12,
    "DAH": 10,
    "MDS": 8,
    "Service Management": 6,
    "LSS": 5,
    "VAS": 5,
    "Other": 2,
}
SECOND_SERVICE_SHARE = 0.15
# Severity: "low-to-moderate severity dominates" (trend analysis).
SEVERITY_WEIGHTS = {1: 2, 2: 10, 3: 45, 4: 43}

ORGANISATIONS = [
    ("Northern Supply Co", "supplier"),
    ("Brightwater Energy", "supplier"),
    ("Solent Power", "supplier"),
    ("Pennine Home Energy", "supplier"),
    ("Greenleaf Electricity", "supplier"),
    ("Atlas Business Energy", "supplier"),
    ("Eastern Networks", "distributor"),
    ("Highland Grid Distribution", "distributor"),
    ("Midlands Networks", "distributor"),
    ("Meridian Data Services", "agent"),
    ("Keystone Metering Services", "agent"),
    ("Harbour Data Collection", "agent"),
]
# Share of issues the service provider raises itself (as in the MVP tracker).
PROVIDER_RAISED_SHARE = 0.1

STAFF = [
    ("Morgan Hale", "morgan.hale"),
    ("Priya Raman", "priya.raman"),
    ("Tom Okafor", "tom.okafor"),
    ("Hannah Lowe", "hannah.lowe"),
    ("Dev Mistry", "dev.mistry"),
    ("Ellen Carr", "ellen.carr"),
]
STAFF_EMAIL_DOMAIN = "service-management.example"

FLOWS = {
    "IF": ["IF-001", "IF-014", "IF-021", "IF-033", "IF-036"],
    "PUB": ["PUB-002", "PUB-003", "PUB-014", "PUB-024", "PUB-030"],
    "REP": ["REP-002A", "REP-002B", "REP-004", "REP-011"],
}


@dataclass(frozen=True)
class Archetype:
    """One kind of issue, in the pack's tracker columns; summaries vary around it."""

    services: tuple[str, ...]
    summaries: tuple[str, ...]
    root_cause: str
    settlement_impact: str
    action_underway: str
    resolution: str
    dependencies: str
    parties: str
    messages: tuple[str, ...]


ARCHETYPES = [
    Archetype(("DIP",), ("Message schema validation failures", "Schema validation rejections for {IF}"),
              "Participant message format errors", "Rejections causing processing delays",
              "Schema validation guidance issued", "Participants updating message structures",
              "Participant configuration", "Suppliers / Participants", ("Dflows",)),
    Archetype(("DIP",), ("Visibility of message processing status", "No acknowledgement visible for {PUB}"),
              "Limited processing visibility", "Participants unsure if messages processed",
              "Guidance on checking ACKs/logs", "Considered visibility enhancements",
              "Platform monitoring", "Elexon / Platform provider", ("Dflows", "PUB")),
    Archetype(("DIP", "ISD"), ("Guidance on message submission process", "Unexpected platform behaviour queries"),
              "User understanding / documentation", "Incorrect submission approaches",
              "Guidance provided", "Improved documentation", "Documentation updates", "Elexon", ("Dflows", "Various")),
    Archetype(("ISD",), ("Settlement output interpretation queries", "Issue with validation of {REP}"),
              "Complex reporting interpretation", "Misinterpretation of outputs",
              "Interpretation guidance provided", "Enhanced reporting documentation",
              "Reporting documentation", "Elexon / Participants", ("REP",)),
    Archetype(("Platform", "DIP"), ("Catalogue / schema version confusion", "Outdated schema used for {IF}"),
              "Version management awareness", "Use of outdated schemas",
              "Advised to use latest catalogue", "Better version visibility", "Catalogue publication", "Elexon",
              ("IF", "PUB")),
    Archetype(("ISD",), ("Data reconciliation discrepancies", "Standing data differs from participant records"),
              "Participant data comparison differences", "Differences vs internal data",
              "Reviewing reconciliation logic", "Updated reconciliation guidance", "Reconciliation logic",
              "Participants / Elexon", ("REP",)),
    Archetype(("Platform",), ("Certificate expiry / TLS issues", "DIP certificate renewal failures"),
              "Certificate lifecycle management", "Connection failures", "Renewal guidance issued",
              "Certificates renewed", "Certificate processes", "Participants", ("N/A",)),
    Archetype(("Platform",), ("MFA access issues", "Users locked out of the portal"),
              "User access configuration", "Users unable to access systems", "Access reset guidance provided",
              "MFA reset", "Identity management", "Participants / Elexon", ("N/A",)),
    Archetype(("Service Management",), ("Case status tracking queries", "Late notification of incident updates"),
              "Visibility gap", "Limited visibility of case progress", "Service desk updates",
              "Improved status visibility in portal", "ServiceNow enhancements", "Elexon", ("N/A",)),
    Archetype(("DIP",), ("Message processing delays (peak periods)", "DIP large file processing delays"),
              "Throughput under load", "Temporary processing delays", "Monitoring platform performance",
              "Platform optimisation", "Platform capacity", "Platform provider", ("Dflows",)),
    Archetype(("DIP",), ("Incorrect message structure submissions", "{PUB} rejections for unmetered de-energised MPANs"),
              "Participant system configuration", "Validation failures", "Guidance provided",
              "Participant fixes ongoing", "Integration systems", "Suppliers", ("Dflows", "PUB")),
    Archetype(("Platform",), ("Incorrect endpoint configuration", "Failed connectivity to the DIP test endpoint"),
              "Wrong endpoint usage", "Failed connectivity", "Correct endpoint guidance issued",
              "Endpoint correction", "Participant configuration", "Participants", ("IF",)),
    Archetype(("MDS", "DAH"), ("Data ingestion anomalies", "{IF} incorrect energisation status in MDS"),
              "Ingestion validation issues", "Record rejections", "Reviewing validation rules",
              "Adjustment to ingestion rules", "Validation logic", "Platform provider", ("PUB", "REP")),
    Archetype(("Platform", "Other"), ("Onboarding queries", "Wave 1 onboarding readiness queries"),
              "Onboarding process understanding", "Support needed during onboarding", "Support provided",
              "Improved documentation", "Onboarding materials", "Elexon", ("Various",)),
    Archetype(("DIP",), ("Receipt of {IF} for secondary MPAN", "Timings of migration messages"),
              "Message routing for linked MPANs", "Flows received out of sequence",
              "Reviewing routing rules with the DIP Manager", "Routing rule correction", "DIP release",
              "DIP Manager", ("IF", "Dflows")),
    Archetype(("MDS",), ("MPANs excluded from settlement (SPQI)", "Retrospective data service appointments settlement risk"),
              "Appointment data not applied before the run", "MPANs missing from settlement volumes",
              "Manual inclusion ahead of the next run", "Data correction and reprocessing", "Settlement calendar",
              "Elexon / Platform provider", ("REP", "PUB")),
    Archetype(("DAH",), ("Ingestion retry failures", "Scheduled extract not delivered", "Monitoring alert gaps"),
              "Scheduler configuration", "Late or missing data for downstream users", "Manual re-run of the schedule",
              "Scheduler fix and retry policy", "Platform monitoring", "Platform provider", ("REP",)),
    Archetype(("LSS", "VAS"), ("API readiness for {service} rollout", "Historic data load for {service}"),
              "Rollout sequencing", "Downstream usage delayed", "Rollout plan shared",
              "Phased rollout with historic data backfill", "Release timetable", "Elexon / Platform provider",
              ("PUB", "REP")),
    Archetype(("ISD",), ("ISD API availability", "Industry standing data published late"),
              "API availability under load", "Participants using stale standing data", "Monitoring API availability",
              "Capacity increase", "Platform capacity", "Platform provider", ("Various",)),
]
ARCHETYPES_BY_SERVICE: dict[str, list[Archetype]] = {}
for _archetype in ARCHETYPES:
    for _service in _archetype.services:
        ARCHETYPES_BY_SERVICE.setdefault(_service, []).append(_archetype)

QUALIFIERS = ["", "", "", " (peak periods)", " after the {month} release", " for secondary MPANs",
              " during migration", " for half-hourly MPANs", " – {org}", " in Wave 1"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
AGED_REASONS = [
    "Case paused while awaiting additional information or confirmation.",
    "Ageing driven by reassignment or dependency on another team or external party.",
    "Linked to product backlog, release timing, or planned change activity.",
    "Managed through an associated incident and service management review.",
]
PROGRESS_NOTES = [
    "Reviewed at the Service Management Forum.",
    "Awaiting participant response before the next step.",
    "Linked to the product backlog; fix planned for the next release.",
    "Guidance issued through Technical Triage.",
    "Workaround agreed with the affected parties.",
    "Discussed at TOG; update due at the next meeting.",
    "Escalated to the platform provider via the OSM route.",
    "Further examples requested from the participant.",
    "Root cause confirmed with the platform provider.",
    "Included in this week's industry issues log.",
    "Release notes issued 20 days ahead of the change.",
    "Cross-checked with similar cases raised this month.",
]
RESOLVED_NOTES = [
    "Fix deployed; the next settlement run completed without rejections.",
    "Guidance published and confirmed by the affected parties.",
    "Participants confirmed their systems are corrected.",
    "Monitoring shows no recurrence over two settlement runs.",
]
ACTIONS = [
    "Issue a guidance note to affected participants",
    "Confirm the root cause with the platform provider",
    "Share examples of rejected messages",
    "Deploy the fix in the next DIP release",
    "Update the knowledge base article",
    "Confirm the outcome after the next settlement run",
    "Review the reconciliation logic",
    "Contact the affected parties and agree a workaround",
    "Add the item to the Continuous Improvement backlog",
    "Present an update at the Service Management Forum",
]
REJECTION_REASONS = [
    "Duplicate of an existing industry issue.",
    "A single-party configuration matter; handled as a service-desk case.",
    "Not an industry issue: raised with the wrong service desk.",
    "Not enough detail to assess; resubmit with examples.",
]
# Open issues stop somewhere along the way; closed ones went all the way.
OPEN_STAGES = ["Under investigation", "Under analysis", "Known behaviour", "Fix in progress", "Monitoring"]


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
    provider = get_or_create_organisation(SERVICE_PROVIDER, kind="service_provider")

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
        org_id, org_name = people.provider_id, SERVICE_PROVIDER
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
