"""The seed's service-desk extract: October 2025 – March 2026, as the April 2026 forum pack reports it.

    python -m issues_tracker.servicedesk.seed_extract           # write issues_tracker/seeds/servicedesk-extract.csv
    python -m issues_tracker.servicedesk.seed_extract --check   # exit 1 if the file differs from what this makes

The extract is generated, deterministically, so that the app computes the pack's own
figures from it:

- cases raised 231, 163, 116, 128, 138, 136 and resolved 225, 162, 112, 103, 167, 144;
- incidents raised 68, 73, 109, 66, 66, 70 and resolved 55, 68, 105, 67, 67, 83;
- mean case response 27, 32, 120, 103, 96 and 11 minutes;
- mean case resolution 52h45m, 36h52m, 33h9m, 43h2m, 44h50m and 40h24m;
- mean incident resolution 51, 40, 40, 48, 32 and 33 hours;
- P1/P2 incidents' mean response 2h41m, 37m, 11m, 43m and 3h44m and mean resolution
  12, 12, 9 and 6 hours, October to January (February's three are the pack's own table;
  docs/seed-data.md says why its printed 13 hours cannot hold), and none in March;
- 38 cases and 18 incidents open at the end of March (the pack's March figures);
- the eight cases of the "30+ days" extract, with their numbers, linked incidents,
  products, descriptions, states, priorities, groups and reasons, opened on the days
  that make their ages 118, 82, 71, 40, 39, 37, 34 and 33 days on 14 April 2026, and no
  other case 30 days old or more that day;
- the three incidents of the major-incident table (INC0143161, INC0142039, INC0139429).

Some cases resolved in October were raised in September (the pack resolves more cases
than it raises), so the extract starts with that backlog. Everything else (products,
groups, descriptions, times of day, resolution times) is realistic filler drawn from
the pack's own words with a fixed random seed. Records are resolved oldest first
within each month, except the pinned ones above. Times are UK time, as ServiceNow
exports them; it was exported at 07:30 on 14 April 2026.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from .clock import LONDON
from .seed_fit import (
    fit_resolution_mean,
    fit_response_means,
    late_opening,
    local_month,
    month_bounds,
    working_time,
)
from .vocabulary import (
    ASSURANCE,
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
    INCIDENT_SERVICES,
    OPEN_STATES,
    PRIORITY_LABELS,
    SDP,
    TRIAGE,
    YOUNG_AGED_REASONS,
)

SEED_FILE = Path(__file__).resolve().parent.parent / "seeds" / "servicedesk-extract.csv"
RANDOM_SEED = 20260414
EXPORTED_AT = datetime(2026, 4, 14, 7, 30, tzinfo=LONDON)
BACKLOG_MONTH = 202509
MONTHS = [202510, 202511, 202512, 202601, 202602, 202603]

CASES_RAISED = [231, 163, 116, 128, 138, 136]
CASES_RESOLVED = [225, 162, 112, 103, 167, 144]
CASE_RESPONSE_MINUTES = [27, 32, 120, 103, 96, 11]
CASE_BACKLOG = 39  # raised in September, resolved in October: 38 open at the end of March
INCIDENTS_RAISED = [68, 73, 109, 66, 66, 70]
INCIDENTS_RESOLVED = [55, 68, 105, 67, 67, 83]
INCIDENT_BACKLOG = 11  # 18 open at the end of March
CASE_RESOLUTION_HOURS = [52 + 45 / 60, 36 + 52 / 60, 33 + 9 / 60, 43 + 2 / 60, 44 + 50 / 60, 40 + 24 / 60]
INCIDENT_RESOLUTION_HOURS = [51, 40, 40, 48, 32, 33]


def _at(y, mo, d, h, mi) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LONDON).astimezone(UTC)


@dataclass
class Seeded:
    """A record of the extract; pinned ones are the pack's own rows."""

    number: str
    record_type: str
    opened: datetime
    priority: int
    product: str
    description: str
    group: str
    state: str = ""
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
    pinned: bool = False
    resolve_month: int | None = None  # None: still open at the end of March
    extra: dict = field(default_factory=dict)


# The eight cases of the pack's "Aged Cases Detail 30+ days" extract.
AGED_CASES = [
    Seeded("CS0016629", "case", _at(2025, 12, 17, 10, 12), 4, "MHHS Query", "Timings of Migration messages", TRIAGE,
           state="Open", incident="INC0126133", aged=AWAITING),
    Seeded("CS0017353", "case", _at(2026, 1, 22, 14, 5), 4, "MHHS Query", "MHHS Loss reads", ASSURANCE,
           state="Awaiting Info", incident="INC0139151", aged=AWAITING),
    Seeded("CS0017650", "case", _at(2026, 2, 2, 11, 30), 4, "DIP", "Receipt of IF/PUB002 for secondary MPAN", TRIAGE,
           state="Resolved", incident="INC0136795", aged=DEPENDENCY, resolved=_at(2026, 3, 20, 15, 0),
           resolve_month=202603),
    Seeded("CS0018574", "case", _at(2026, 3, 5, 9, 48), 3, "MHHS Query",
           "Retrospective Data Service Appointments Settlement Risk", ASSURANCE,
           state="Awaiting Info", incident="INC0142678", aged=AWAITING),
    Seeded("CS0018606", "case", _at(2026, 3, 6, 13, 20), 3, "DIP", "IF-014 incorrect energisation status in MDS", TRIAGE,
           state="Awaiting Info", incident="INC0144508", aged=AWAITING),
    Seeded("CS0018621", "case", _at(2026, 3, 8, 11, 2), 4, "ISD", "MHHS Query EPG", SDP,
           state="Resolved", aged=AWAITING_FIX, resolved=_at(2026, 4, 2, 16, 30)),
    Seeded("CS0018769", "case", _at(2026, 3, 11, 16, 45), 3, "DIP",
           "PUB-014 Rejections for Unmetered De- energised MPANs -", SDP,
           state="Awaiting Info", incident="INC0145293", aged=AWAITING),
    Seeded("CS0018774", "case", _at(2026, 3, 12, 8, 55), 4, "DIP", "Issue with validation of REP-002B", SDP,
           state="Awaiting Info", incident="INC0145711", aged=AWAITING),
]

# The pack's major-incident table: P2 incidents of February, one a major incident.
MAJOR_INCIDENTS = [
    Seeded("INC0139429", "incident", _at(2026, 2, 6, 9, 40), 2, "MDS", "MPANs excluded from Settlement (SPQI)",
           "Elexon - Data Integrity", state="Closed", category="Data Issue", responded=_at(2026, 2, 6, 9, 52),
           resolved=_at(2026, 2, 13, 12, 30), closed=_at(2026, 2, 18, 12, 30), major=True,
           banner=_at(2026, 2, 6, 9, 58), mi_email=_at(2026, 2, 6, 10, 5), circular=_at(2026, 2, 6, 15, 30),
           pir=date(2026, 2, 24), resolve_month=202602),
    Seeded("INC0142039", "incident", _at(2026, 2, 19, 10, 5), 2, "DIP", "Large File Processing", "DIP Operations",
           state="Closed", category="Fault", responded=_at(2026, 2, 19, 20, 52), resolved=_at(2026, 2, 26, 16, 0),
           closed=_at(2026, 3, 3, 16, 0), resolve_month=202602),
    Seeded("INC0143161", "incident", _at(2026, 2, 24, 8, 52), 2, "DIP", "Unavailable", "DIP Operations",
           state="Closed", category="Fault", responded=_at(2026, 2, 24, 9, 5), resolved=_at(2026, 2, 26, 11, 40),
           closed=_at(2026, 3, 3, 11, 40), pir=date(2026, 3, 13), resolve_month=202602),
]



def _p2(opened: datetime, product: str, description: str, group: str, respond_minutes: int,
        resolve_minutes: int) -> Seeded:
    resolved = opened + timedelta(minutes=resolve_minutes)
    return Seeded("", "incident", opened, 2, product, description, group, state="Closed", category="Fault",
                  responded=opened + timedelta(minutes=respond_minutes), resolved=resolved,
                  closed=resolved + timedelta(days=5), resolve_month=local_month(resolved))


# The P1/P2 incidents of October to January, opened and resolved within their month, so that
# their means are the pack's: response 2h41m, 37m, 11m, 43m; resolution 12, 12, 9, 6 hours.
P2_INCIDENTS = [
    _p2(_at(2025, 10, 7, 10, 15), "ISD", "ISD API unavailable", "ISD Data Operations", 20, 8 * 60),
    _p2(_at(2025, 10, 15, 13, 40), "ISD", "Standing data download failing", "ISD Data Operations", 115, 690),
    _p2(_at(2025, 10, 28, 9, 5), "DIP", "Messages delayed on the DIP", "DIP Operations", 348, 990),
    _p2(_at(2025, 11, 4, 11, 20), "DIP", "ACK not received for PUB-003", "DIP Operations", 18, 9 * 60),
    _p2(_at(2025, 11, 13, 14, 5), "DAH", "DAH job stuck in queue", "DAH Platform Operations", 35, 12 * 60),
    _p2(_at(2025, 11, 24, 9, 30), "ISD", "ISD download timeout", "ISD Data Operations", 58, 15 * 60),
    _p2(_at(2025, 12, 2, 10, 10), "DIP", "Message rejected on schema validation", "DIP Operations", 6, 5 * 60),
    _p2(_at(2025, 12, 5, 15, 45), "DIP", "DIP connectivity test failure", "DIP Operations", 9, 450),
    _p2(_at(2025, 12, 9, 9, 20), "DIP", "Large file upload slow", "DIP Operations", 12, 570),
    _p2(_at(2025, 12, 16, 11, 0), "DIP", "Messages delayed on the DIP", "DIP Operations", 17, 14 * 60),
    _p2(_at(2026, 1, 12, 10, 30), "MDS", "Consumption data gap", "Elexon - Data Integrity", 28, 4 * 60),
    _p2(_at(2026, 1, 27, 14, 15), "DAH", "Monitoring alert: late files", "DAH Platform Operations", 58, 8 * 60),
]

# The incidents the aged cases link to, opened when their numbers say.
LINKED_INCIDENTS = {
    "INC0126133": _at(2025, 12, 10, 11, 0),
    "INC0136795": _at(2026, 2, 2, 14, 10),
    "INC0139151": _at(2026, 2, 5, 10, 30),
    "INC0142678": _at(2026, 2, 23, 10, 0),
    "INC0144508": _at(2026, 3, 2, 12, 0),
    "INC0145293": _at(2026, 3, 6, 15, 0),
    "INC0145711": _at(2026, 3, 9, 10, 0),
}


# ---------------------------------------------------------------- helpers


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _opening_time(rng: random.Random, month: int, *, first_day: int = 1) -> datetime:
    """Mostly working hours on working days, some evenings and weekends; never in the small hours
    (when a clock change makes a local time ambiguous or missing)."""
    year, m = divmod(month, 100)
    days = (month_bounds(month)[1].astimezone(LONDON).date() - date(year, m, 1)).days
    while True:
        day = date(year, m, rng.randint(first_day, days))
        if rng.random() < 0.88:
            if day.weekday() >= 5:
                continue
            minute = rng.randint(8 * 60 + 30, 17 * 60 + 30)
        else:
            minute = rng.randint(6 * 60, 22 * 60)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=LONDON).astimezone(UTC)


def _resolution_matrix(records: list[Seeded], backlog: int, raised: list[int], resolved: list[int]) -> dict:
    """How many of each month's unpinned records resolve in each later month, oldest first (None: still open).

    The pinned records keep their own months; the rest of each month's resolutions go to
    the oldest unpinned records still open.
    """
    pinned = [r for r in records if r.pinned]
    queue = [(BACKLOG_MONTH, backlog)] + list(zip(MONTHS, raised, strict=True))
    remaining = {month: count - sum(1 for r in pinned if local_month(r.opened) == month) for month, count in queue}
    matrix: dict[int, dict[int | None, int]] = {month: {} for month, _ in queue}
    for month, count in zip(MONTHS, resolved, strict=True):
        need = count - sum(1 for r in pinned if r.resolve_month == month)
        for opened, _ in queue:
            if opened > month or not need:
                continue
            take = min(need, remaining[opened])
            if take:
                matrix[opened][month] = matrix[opened].get(month, 0) + take
                remaining[opened] -= take
                need -= take
        if need:
            raise ValueError(f"more records resolved in {month} than were open")
    for month, count in remaining.items():
        if count:
            matrix[month][None] = count
    return matrix


def _assign_resolution_months(records: list[Seeded], matrix: dict[int, dict[int | None, int]]) -> None:
    """Each month's unpinned records take that month's places, oldest first."""
    for opened_month, slots in matrix.items():
        free = sorted((r for r in records if not r.pinned and local_month(r.opened) == opened_month),
                      key=lambda r: r.opened)
        order = sorted(k for k in slots if k is not None) + ([None] if None in slots else [])
        queue = [month for month in order for _ in range(slots[month])]
        if len(queue) != len(free):
            raise ValueError(f"{opened_month}: {len(free)} records for {len(queue)} places")
        for record, month in zip(free, queue, strict=True):
            record.resolve_month = month


def _resolution_time(rng: random.Random, record: Seeded) -> datetime:
    start, end = month_bounds(record.resolve_month)
    latest = min(end, EXPORTED_AT.astimezone(UTC)) - timedelta(minutes=5)
    earliest = max(start, record.opened + timedelta(minutes=40))
    if record.resolve_month == local_month(record.opened):
        hours = 10 ** rng.uniform(0, 2.1)  # about an hour to five days
        moment = min(latest, max(earliest, record.opened + timedelta(hours=hours)))
    else:
        span = (latest - earliest).total_seconds()
        moment = earliest + timedelta(seconds=span * rng.random() ** 2.5)
    return working_time(rng, moment, earliest, latest)


def _month_end_rush(rng: random.Random, records: list[Seeded], days: int) -> None:
    """Records still open when their month closes were opened in its last days: the pack's short mean
    resolutions beside its month-end open counts leave no room for older ones."""
    for record in records:
        if not record.pinned and not record.number and record.resolve_month != local_month(record.opened):
            record.opened = late_opening(rng, local_month(record.opened), days)


def _fit_resolutions(rng: random.Random, records: list[Seeded], means: list[float]) -> None:
    """Each month's resolutions (the pinned ones as they are) moved to give the pack's mean resolution."""
    export = EXPORTED_AT.astimezone(UTC)
    for month, mean in zip(MONTHS, means, strict=True):
        members = [r for r in records if r.resolved and local_month(r.resolved) == month]
        fixed = sum(int((r.resolved - r.opened).total_seconds()) for r in members if r.pinned)
        free = [r for r in members if not r.pinned]
        start, end = month_bounds(month)
        bounds = {id(r): (max(start, r.opened + timedelta(minutes=40)), min(end, export) - timedelta(minutes=5))
                  for r in free}
        fit_resolution_mean(rng, free, fixed, len(members), mean, bounds)


def _numbers(records: list[Seeded], prefix: str, width: int, anchors: dict[str, datetime]) -> None:
    """Numbers rise with opening time through the pinned ones, as ServiceNow's do."""
    points = sorted((moment.timestamp(), int(number[len(prefix):])) for number, moment in anchors.items())
    (t0, n0), (t1, n1) = points[0], points[-1]
    rate = (n1 - n0) / (t1 - t0)

    def at(moment: datetime) -> float:
        t = moment.timestamp()
        if t <= t0:
            return n0 - (t0 - t) * rate
        if t >= t1:
            return n1 + (t - t1) * rate
        for (ta, na), (tb, nb) in zip(points, points[1:], strict=False):
            if ta <= t <= tb:
                return na + (t - ta) * (nb - na) / (tb - ta)
        raise AssertionError

    ordered = sorted(records, key=lambda r: r.opened)
    previous = 0
    for index, record in enumerate(ordered):
        if record.number:
            previous = int(record.number[len(prefix):])
            continue
        wanted = max(int(at(record.opened)), previous + 1)
        following = next((int(r.number[len(prefix):]) for r in ordered[index + 1:] if r.number), None)
        if following is not None and wanted >= following:
            raise ValueError(f"no number left before {prefix}{following} for a record opened {record.opened}")
        record.number = f"{prefix}{wanted:0{width}d}"
        previous = wanted


# ---------------------------------------------------------------- the records


def _cases(rng: random.Random) -> list[Seeded]:
    pinned = [Seeded(**{**vars(case), "pinned": True, "extra": {}}) for case in AGED_CASES]
    records = list(pinned)
    counts = {BACKLOG_MONTH: CASE_BACKLOG, **dict(zip(MONTHS, CASES_RAISED, strict=True))}
    for month, count in counts.items():
        have = sum(1 for r in pinned if local_month(r.opened) == month)
        for _ in range(count - have):
            product = _weighted(rng, CASE_PRODUCTS)
            opened = _opening_time(rng, month, first_day=20 if month == BACKLOG_MONTH else 1)
            # Keep clear of the pack's cases opened within hours of each other, whose numbers are close.
            while any(abs((opened - r.opened).total_seconds()) < 6 * 3600 for r in pinned):
                opened = _opening_time(rng, month, first_day=20 if month == BACKLOG_MONTH else 1)
            records.append(Seeded(
                "", "case", opened, rng.choices([2, 3, 4], weights=[5, 40, 55])[0], product,
                rng.choice(DESCRIPTIONS[product]), rng.choice(CASE_GROUPS[product]), category=rng.choice(CASE_CATEGORIES),
            ))
    matrix = _resolution_matrix(records, CASE_BACKLOG, CASES_RAISED, CASES_RESOLVED)
    _assign_resolution_months(records, matrix)
    _month_end_rush(rng, records, 5)
    for record in records:
        if record.pinned:
            continue
        if record.resolve_month is not None:
            record.resolved = _resolution_time(rng, record)
        elif rng.random() < 0.3:
            # Some of the cases still open at the end of March were resolved in April, before the export.
            record.resolve_month = 202604
            record.resolved = _resolution_time(rng, record)
            record.resolve_month = None
    _fit_resolutions(rng, records, CASE_RESOLUTION_HOURS)
    for month, mean in [(BACKLOG_MONTH, 25), *zip(MONTHS, CASE_RESPONSE_MINUTES, strict=True)]:
        fit_response_means(rng, [r for r in records if local_month(r.opened) == month], mean)
    cutoff = date(2026, 3, 16)
    for record in records:
        if record.pinned:
            record.closed = None
            continue
        if record.resolved is None:
            record.state = rng.choice(OPEN_STATES)
            record.aged = rng.choice(YOUNG_AGED_REASONS)
            continue
        closes = record.resolved + timedelta(days=rng.choice([3, 4, 5]))
        if closes <= EXPORTED_AT.astimezone(UTC):
            record.state, record.closed = "Closed", closes
        elif record.opened.astimezone(LONDON).date() < cutoff:
            # Only the pack's eight cases are 30 days old or more and not closed on 14 April.
            record.state, record.closed = "Closed", EXPORTED_AT.astimezone(UTC) - timedelta(hours=1)
        else:
            record.state = "Resolved"
    _numbers(records, "CS", 7, {r.number: r.opened for r in pinned})
    return records


def _incidents(rng: random.Random) -> list[Seeded]:
    pinned = [Seeded(**{**vars(mi), "pinned": True, "extra": {}}) for mi in MAJOR_INCIDENTS + P2_INCIDENTS]
    records = list(pinned)
    linked = []
    for number, opened in LINKED_INCIDENTS.items():
        product = "DIP" if number != "INC0126133" else "ISD"
        linked.append(Seeded(number, "incident", opened, rng.choice([3, 4]), product, rng.choice(DESCRIPTIONS[product]),
                             rng.choice(INCIDENT_GROUPS[product]), category=rng.choice(INCIDENT_CATEGORIES)))
    records += linked
    counts = {BACKLOG_MONTH: INCIDENT_BACKLOG, **dict(zip(MONTHS, INCIDENTS_RAISED, strict=True))}
    anchors = {r.number: r.opened for r in pinned + linked if r.number}
    for month, count in counts.items():
        have = sum(1 for r in pinned + linked if local_month(r.opened) == month)
        for _ in range(count - have):
            product = _weighted(rng, INCIDENT_SERVICES[month])
            opened = _opening_time(rng, month, first_day=20 if month == BACKLOG_MONTH else 1)
            while any(abs((opened - moment).total_seconds()) < 3 * 3600 for moment in anchors.values()):
                opened = _opening_time(rng, month, first_day=20 if month == BACKLOG_MONTH else 1)
            records.append(Seeded(
                "", "incident", opened, rng.choices([3, 4], weights=[55, 45])[0], product,
                rng.choice(DESCRIPTIONS[product]), rng.choice(INCIDENT_GROUPS[product]),
                category=rng.choice(INCIDENT_CATEGORIES),
            ))
    matrix = _resolution_matrix(records, INCIDENT_BACKLOG, INCIDENTS_RAISED, INCIDENTS_RESOLVED)
    _assign_resolution_months(records, matrix)
    _month_end_rush(rng, records, 3)
    for record in records:
        if not record.pinned and record.resolve_month is not None:
            record.resolved = _resolution_time(rng, record)
    _fit_resolutions(rng, records, INCIDENT_RESOLUTION_HOURS)
    for record in records:
        if record.pinned:
            continue
        minutes = rng.choice([rng.randint(3, 30), rng.randint(3, 30), rng.randint(20, 240)])
        limit = (record.resolved - record.opened).total_seconds() - 60 if record.resolved else 10**9
        record.responded = record.opened + timedelta(seconds=int(min(minutes * 60, limit)))
        if record.resolved is None:
            record.state = rng.choice(["New", "In Progress", "On Hold"])
        else:
            closes = record.resolved + timedelta(days=5)
            if closes <= EXPORTED_AT.astimezone(UTC):
                record.state, record.closed = "Closed", closes
            else:
                record.state = "Resolved"
    _numbers(records, "INC", 7, anchors)
    return records


def generate() -> list[Seeded]:
    rng = random.Random(RANDOM_SEED)
    cases = _cases(rng)
    incidents = _incidents(rng)
    return sorted(cases, key=lambda r: r.number) + sorted(incidents, key=lambda r: r.number)


def _moment(value: datetime | None) -> str:
    return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def extract_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in generate():
        writer.writerow([
            r.number, _moment(r.opened), PRIORITY_LABELS[r.priority], r.state, r.description, r.group, r.product,
            r.category, _moment(r.responded), _moment(r.resolved), _moment(r.closed), r.incident, r.aged[0], r.aged[1],
            "Y" if r.major else "N", _moment(r.banner), _moment(r.mi_email), _moment(r.circular),
            r.pir.isoformat() if r.pir else "",
        ])
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m issues_tracker.servicedesk.seed_extract",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the file in seeds/ instead of writing it")
    args = parser.parse_args(argv)
    text = extract_csv()
    if args.check:
        same = SEED_FILE.exists() and SEED_FILE.read_text(encoding="utf-8") == text
        print(f"{SEED_FILE.name} {'matches' if same else 'DIFFERS from'} what the generator makes.")
        return 0 if same else 1
    SEED_FILE.write_text(text, encoding="utf-8")
    print(f"Wrote {SEED_FILE} ({text.count(chr(10)) - 1} records).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
