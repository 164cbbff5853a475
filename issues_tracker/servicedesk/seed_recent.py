"""The service desk since the April 2026 forum, up to the day the seed runs: a newer extract.

The pack's extract (seed_extract.py) stops when it was exported, on 14 April 2026. This
generates what a later export would hold: the pack's records still open then, resolved
and closed in the weeks after (except the eight cases of its aged extract, which its
own tests read as the pack printed them), and every month from April 2026 to the
current one with cases and incidents in the pack's style: volumes, priorities,
services, groups, responses mostly in minutes, resolutions mostly in hours, a few
cases left waiting for weeks or months with their aged reasons, now and then a P2
incident, and every third month a major incident with its banner, MI email and
updates, industry circular, PIR and PIR actions.

Each month is drawn from its own seeded generator, so a month's records are the same
whichever day the seed runs; the day only decides where the extract stops (midnight
at the start of it, London time): what had not happened by then is left out, and
what is still open is shown open. Seeding again on the same day changes nothing;
seeding on a later day updates the records by their numbers, as a newer export does.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from .clock import LONDON
from .seed_fit import local_month, month_bounds, working_time
from .vocabulary import (
    AWAITING,
    AWAITING_FIX,
    CASE_CATEGORIES,
    CASE_GROUPS,
    CASE_PRODUCTS,
    COLUMNS,
    DEPENDENCY,
    DESCRIPTIONS,
    INCIDENT_CATEGORIES,
    INCIDENT_GROUPS,
    OPEN_STATES,
    PRIORITY_LABELS,
    YOUNG_AGED_REASONS,
)

RANDOM_SEED = 20260414
FIRST_MONTH = 202604
FIRST_CHANGE_MONTH = 202510  # changes were not in the pack's extract: generated from its first month
EXPORTED_AT = datetime(2026, 4, 14, 7, 30, tzinfo=LONDON).astimezone(UTC)
# The pack's aged extract: left as the pack printed them.
PACK_AGED = {"CS0016629", "CS0017353", "CS0017650", "CS0018574", "CS0018606", "CS0018621", "CS0018769", "CS0018774"}
RECENT_SERVICES = {"DIP": 30, "ISD": 22, "DAH": 24, "MDS": 8, "Data Integrity": 9, "LSS": 4, "VAS": 3}
LONG_REASONS = [AWAITING, AWAITING, DEPENDENCY, AWAITING_FIX]
MI_SUMMARIES = {
    "DIP": "DIP message delivery delayed for all participants",
    "ISD": "ISD unavailable: standing data downloads failing",
    "DAH": "DAH ingestion halted: settlement files not processed",
    "MDS": "MDS consumption data missing for a settlement run",
}
CHANGES = {
    "DIP": ["DIP release deployment", "DIP certificate rotation", "DIP message schema update", "DIP capacity increase"],
    "ISD": ["ISD standing data refresh", "ISD API version upgrade"],
    "DAH": ["DAH scaling change", "DAH ingestion pipeline patch"],
    "MDS": ["MDS schema update", "MDS reporting release"],
    "Platform": ["Platform security patching", "Firewall rule change", "Database failover test"],
}
CHANGE_OUTCOMES = {"Successful": 85, "Successful with issues": 11, "Failed": 4}
PIR_ACTIONS = [
    ("Add an alert on the queue depth that failed to warn us", 14, "Closed"),
    ("Publish the root cause and the fix to participants in the PIR", 10, "Closed"),
    ("Review the supplier's change that caused the outage with the DCAB", 30, "In progress"),
    ("Rehearse the failover runbook with the operations team", 45, "Open"),
]


@dataclass
class Row:
    """One record of the newer extract, with what a major incident adds outside it."""

    number: str
    opened: datetime
    priority: int
    state: str
    description: str
    group: str
    product: str
    category: str = ""
    responded: datetime | None = None
    resolved: datetime | None = None
    closed: datetime | None = None
    incident: str = ""
    aged: tuple[str, str] = ("", "")
    major: bool = False
    banner: datetime | None = None
    mi_email: datetime | None = None
    circular: datetime | None = None
    pir: date | None = None
    outcome: str = ""
    updates: list[datetime] = field(default_factory=list)
    actions: list[tuple[str, date, str]] = field(default_factory=list)


def cutoff_for(today: date) -> datetime:
    """Where the extract stops: the start of the seed's day, London time."""
    return datetime.combine(today, time(0, 0), tzinfo=LONDON).astimezone(UTC)


def months_until(today: date, first: int = FIRST_MONTH) -> list[int]:
    months, month = [], first
    last = today.year * 100 + today.month
    while month <= last:
        months.append(month)
        month = month + 1 if month % 100 < 12 else (month // 100 + 1) * 100 + 1
    return months


def _opening(rng: random.Random, month: int) -> datetime:
    start, end = month_bounds(month)
    first = start.astimezone(LONDON).date()
    days = (end.astimezone(LONDON).date() - first).days
    while True:
        day = first + timedelta(days=rng.randrange(days))
        if rng.random() < 0.88:
            if day.weekday() >= 5:
                continue
            minute = rng.randint(8 * 60 + 30, 17 * 60 + 30)
        else:
            minute = rng.randint(6 * 60, 22 * 60)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=LONDON).astimezone(UTC)


def _close(rng: random.Random, row: Row, cutoff: datetime, open_states: list[str]) -> Row | None:
    """The row as the extract taken at `cutoff` shows it; None if it had not been opened."""
    if row.opened >= cutoff:
        return None
    if row.responded and row.responded >= cutoff:
        row.responded = None
    if row.resolved is None or row.resolved >= cutoff:
        row.resolved = row.closed = None
        row.state = row.state if row.state in open_states else rng.choice(open_states)
    elif row.closed is None or row.closed >= cutoff:
        row.closed, row.state = None, "Resolved"
    else:
        row.state = "Closed"
    for name in ("banner", "mi_email", "circular"):
        if getattr(row, name) and getattr(row, name) >= cutoff:
            setattr(row, name, None)
    if row.pir and row.pir >= cutoff.astimezone(LONDON).date():
        row.pir = None
    row.updates = [moment for moment in row.updates if moment < cutoff]
    if row.resolved is None or row.pir is None:
        row.actions = []
    return row


def _case(rng: random.Random, month: int, *, long: bool) -> Row:
    product = rng.choices(list(CASE_PRODUCTS), weights=list(CASE_PRODUCTS.values()))[0]
    opened = _opening(rng, month)
    response = rng.choice([rng.randint(60, 1200), rng.randint(60, 1200), rng.randint(300, 2400), rng.randint(1800, 9000)])
    if long:
        hours = rng.uniform(32 * 24, 130 * 24)
    else:
        hours = 10 ** rng.uniform(0.2, 2.1)  # about two hours to five days
    resolved = opened + timedelta(hours=hours)
    resolved = working_time(rng, resolved, opened + timedelta(minutes=40), resolved + timedelta(days=4))
    row = Row("", opened, rng.choices([2, 3, 4], weights=[5, 40, 55])[0], "", rng.choice(DESCRIPTIONS[product]),
              rng.choice(CASE_GROUPS[product]), product, rng.choice(CASE_CATEGORIES),
              responded=opened + timedelta(seconds=min(response, int(hours * 3600) - 60)), resolved=resolved,
              closed=resolved + timedelta(days=rng.choice([3, 4, 5])))
    if long:
        row.aged = rng.choice(LONG_REASONS)
        row.state = "Awaiting Info" if row.aged == AWAITING else "On Hold"
    else:
        row.aged = rng.choice(YOUNG_AGED_REASONS)
    return row


def _incident(rng: random.Random, month: int, priority: int) -> Row:
    product = rng.choices(list(RECENT_SERVICES), weights=list(RECENT_SERVICES.values()))[0]
    opened = _opening(rng, month)
    minutes = rng.choice([rng.randint(3, 30), rng.randint(3, 30), rng.randint(20, 240)])
    hours = rng.uniform(3, 20) if priority == 2 else 10 ** rng.uniform(0.3, 2.3)
    resolved = working_time(rng, opened + timedelta(hours=hours), opened + timedelta(minutes=40),
                            opened + timedelta(hours=hours + 96))
    return Row("", opened, priority, "", rng.choice(DESCRIPTIONS[product]), rng.choice(INCIDENT_GROUPS[product]),
               product, rng.choice(INCIDENT_CATEGORIES), responded=opened + timedelta(minutes=minutes),
               resolved=resolved, closed=resolved + timedelta(days=5))


def _major_incident(rng: random.Random, month: int, priority: int) -> Row:
    """A major incident mid-month, with its communications, PIR and actions."""
    year, m = divmod(month, 100)
    day = date(year, m, rng.randint(6, 20))
    while day.weekday() >= 5:
        day += timedelta(days=1)
    opened = datetime.combine(day, time(rng.randint(8, 13), rng.choice([5, 20, 35, 50])), tzinfo=LONDON).astimezone(UTC)
    product = rng.choice(list(MI_SUMMARIES))
    resolved = opened + timedelta(hours=rng.uniform(4, 9) if priority == 1 else rng.uniform(8, 26))
    email = opened + timedelta(minutes=rng.choice([18, 25, 28, 41]))
    gap = timedelta(hours=2 if priority == 1 else 4)
    updates, moment = [], email
    while moment + gap * 0.9 < resolved:
        moment += gap * rng.uniform(0.75, 0.98)
        updates.append(moment.replace(second=0, microsecond=0))
    resolved_day = resolved.astimezone(LONDON).date()
    row = Row("", opened, priority, "", MI_SUMMARIES[product], rng.choice(INCIDENT_GROUPS[product]), product, "Fault",
              responded=opened + timedelta(minutes=rng.randint(4, 14)), resolved=resolved,
              closed=resolved + timedelta(days=5), major=True, banner=opened + timedelta(minutes=rng.randint(8, 20)),
              mi_email=email, circular=opened + timedelta(hours=rng.uniform(2, 5)), updates=updates,
              pir=resolved_day + timedelta(days=rng.choice([5, 6, 7, 9])))
    row.actions = [(text, resolved_day + timedelta(days=days), status) for text, days, status in PIR_ACTIONS]
    return row


def change_rows(month: int, cutoff: datetime) -> list[Row]:
    """The month's changes (CHG…): raised a week or two ahead, closed a day or two after they are made."""
    rng = random.Random(f"{RANDOM_SEED}-{month}-changes")
    index = (month // 100 - 2025) * 12 + month % 100 - 10
    rows = []
    for _ in range(rng.randint(8, 16)):
        product = rng.choices(list(CHANGES), weights=[40, 15, 20, 10, 15])[0]
        done = _opening(rng, month)
        closed = done + timedelta(days=rng.uniform(1, 3))
        row = Row("", done - timedelta(days=rng.uniform(6, 15)), rng.choice([3, 4, 4]), "Closed",
                  rng.choice(CHANGES[product]), "Elexon - Change Management", product, "Change",
                  closed=closed.replace(microsecond=0),
                  outcome=rng.choices(list(CHANGE_OUTCOMES), weights=list(CHANGE_OUTCOMES.values()))[0])
        if row.opened >= cutoff:
            continue
        if closed >= cutoff:
            row.closed, row.outcome = None, ""
            row.state = "Scheduled" if done >= cutoff else "Review"
        rows.append(row)
    for rank, row in enumerate(sorted(rows, key=lambda r: r.opened)):
        row.number = f"CHG{31000 + index * 60 + rank:07d}"
    return rows


def month_rows(month: int) -> list[Row]:
    """Every record opened in the month, as they turn out (the cut-off is applied later)."""
    rng = random.Random(f"{RANDOM_SEED}-{month}")
    index = (month // 100 - 2026) * 12 + month % 100 - 4
    long = rng.randint(2, 3)
    cases = [_case(rng, month, long=i < long) for i in range(rng.randint(110, 150))]
    incidents = [_incident(rng, month, rng.choices([2, 3, 4], weights=[3, 52, 45])[0])
                 for _ in range(rng.randint(50, 80))]
    if index % 3 == 1:
        incidents.append(_major_incident(rng, month, 1 if index % 2 else 2))
    for rank, row in enumerate(sorted(cases, key=lambda r: r.opened)):
        row.number = f"CS{19300 + index * 200 + rank:07d}"
    for rank, row in enumerate(sorted(incidents, key=lambda r: r.opened)):
        row.number = f"INC{151000 + index * 6000 + rank * 60 + rng.randint(0, 40):07d}"
    for row in rng.sample(cases, k=min(len(cases), 12)):
        earlier = [incident for incident in incidents if incident.opened < row.opened]
        if earlier:
            row.incident = rng.choice(earlier).number
    return cases + incidents


def _pack_rows_still_open(cutoff: datetime) -> list[Row]:
    """The pack's records open when it was exported, resolved and closed in the weeks after."""
    from .seed_extract import SEED_FILE

    rng = random.Random(f"{RANDOM_SEED}-after-export")
    rows = []
    with open(SEED_FILE, encoding="utf-8", newline="") as handle:
        for cells in csv.DictReader(handle):
            if cells["State"] == "Closed" or cells["Number"] in PACK_AGED:
                continue
            row = Row(cells["Number"], _parse(cells["Opened"]), int(cells["Priority"][0]), cells["State"],
                      cells["Short description"], cells["Assignment group"], cells["MHHS Product"], cells["Category"],
                      responded=_parse(cells["Responded"]), resolved=_parse(cells["Resolved"]),
                      incident=cells["Incident"], aged=(cells["Aged reason"], cells["Aged reason detail"]))
            if row.resolved is None:
                row.resolved = working_time(rng, EXPORTED_AT + timedelta(hours=rng.uniform(4, 21 * 24)),
                                            EXPORTED_AT, EXPORTED_AT + timedelta(days=30))
            row.responded = row.responded or row.opened + timedelta(minutes=rng.randint(5, 60))
            # Open on the forum day, as the pack's aged cases show: closed after it.
            row.closed = max(row.resolved + timedelta(days=rng.choice([3, 4, 5])), EXPORTED_AT + timedelta(days=1))
            states = OPEN_STATES if row.number.startswith("CS") else ["New", "In Progress", "On Hold"]
            rows.append(_close(rng, row, cutoff, states))
    return rows


def _parse(text: str) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


def recent_rows(today: date) -> list[Row]:
    """The newer extract as at the start of `today`: the pack's open records, then April 2026 onwards."""
    cutoff = cutoff_for(today)
    rows = _pack_rows_still_open(cutoff) if cutoff > EXPORTED_AT else []
    for month in months_until(today, FIRST_CHANGE_MONTH):
        rows += change_rows(month, cutoff)
    for month in months_until(today):
        rng = random.Random(f"{RANDOM_SEED}-{month}-states")
        for row in month_rows(month):
            states = OPEN_STATES if row.number.startswith("CS") else ["New", "In Progress", "On Hold"]
            kept = _close(rng, row, cutoff, [row.state] if row.state else states)
            if kept is not None:
                rows.append(kept)
    return rows


def _moment(value: datetime | None) -> str:
    return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def extract_text(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*COLUMNS, "Outcome"])
    for r in rows:
        writer.writerow([
            r.number, _moment(r.opened), PRIORITY_LABELS[r.priority], r.state, r.description, r.group, r.product,
            r.category, _moment(r.responded), _moment(r.resolved), _moment(r.closed), r.incident, r.aged[0], r.aged[1],
            "Y" if r.major else "N", _moment(r.banner), _moment(r.mi_email), _moment(r.circular),
            r.pir.isoformat() if r.pir else "", r.outcome,
        ])
    return buffer.getvalue()


def months_of(rows: list[Row]) -> set[int]:
    return {local_month(row.opened) for row in rows}
