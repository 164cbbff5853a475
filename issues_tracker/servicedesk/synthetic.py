"""Generated service-desk records over years, for benchmarks and demos.

    flask --app issues_tracker seed --servicedesk 200000 [--servicedesk-years 3] [--random-seed 2026]

Cases and incidents in the pack's proportions (two cases to each incident), spread
over the years before now with the working week's rhythm, on the pack's products,
assignment groups and descriptions. Most are resolved within days and closed a few
days later; about 2% of the last months' cases are still open with an aged reason; a
few incidents are P1/P2, some of them major incidents with their communications and
post-incident reviews. Numbers are CS8… and INC8…, apart from any real extract's.

They are stored the way an import stores them (services/servicedesk.import_extract):
in bulk, with their service-level results worked out, and the monthly sums rebuilt
once at the end. The same random seed on the same database gives the same records;
running again adds more.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from ..core.extensions import db
from ..core.models import utcnow
from .clock import LONDON
from .extract import Extract, ExtractRow
from .models import ServiceDeskRecord
from .operations import ImportOutcome, import_extract, refresh_monthly_sums
from .vocabulary import (
    CASE_CATEGORIES,
    CASE_GROUPS,
    CASE_PRODUCTS,
    DESCRIPTIONS,
    INCIDENT_CATEGORIES,
    INCIDENT_GROUPS,
    OPEN_STATES,
    YOUNG_AGED_REASONS,
)

BATCH = 20_000
CASE_SHARE = 2 / 3
INCIDENT_SERVICES = {"DIP": 30, "ISD": 24, "DAH": 22, "MDS": 9, "Data Integrity": 7, "LSS": 4, "VAS": 4}
FIELDS = frozenset({
    "number", "opened", "priority", "state", "short_description", "assignment_group", "product", "responded",
    "resolved", "closed", "incident", "aged_reason", "aged_reason_detail", "major_incident", "mi_portal_banner",
    "mi_email", "industry_circular", "pir_published", "category",
})


def _next_numbers() -> tuple[int, int]:
    def last(prefix: str) -> int:
        found = db.session.scalar(
            sa.select(sa.func.max(ServiceDeskRecord.number)).where(ServiceDeskRecord.number.like(prefix + "%"))
        )
        return int(found[len(prefix):]) if found else 0

    return last("CS8") + 1, last("INC8") + 1


def _opened(rng: random.Random, start: datetime, span_seconds: float) -> datetime:
    """A moment in the span, nudged into the working week most of the time."""
    while True:
        moment = start + timedelta(seconds=rng.random() * span_seconds)
        local = moment.astimezone(LONDON)
        if local.hour < 3:
            continue  # no ambiguous or missing times around clock changes
        if rng.random() < 0.85 and (local.weekday() >= 5 or not 8 <= local.hour < 18):
            continue
        return moment.replace(microsecond=0, second=0)


def _record(rng: random.Random, number: str, record_type: str, opened: datetime, now: datetime) -> ExtractRow:
    if record_type == "case":
        product = rng.choices(list(CASE_PRODUCTS), weights=list(CASE_PRODUCTS.values()))[0]
        group = rng.choice(CASE_GROUPS[product])
        category = rng.choice(CASE_CATEGORIES)
        priority = rng.choices([2, 3, 4, 5], weights=[4, 40, 55, 1])[0]
    else:
        product = rng.choices(list(INCIDENT_SERVICES), weights=list(INCIDENT_SERVICES.values()))[0]
        group = rng.choice(INCIDENT_GROUPS.get(product, ["Elexon - Technical Triage"]))
        category = rng.choice(INCIDENT_CATEGORIES)
        priority = rng.choices([1, 2, 3, 4, 5], weights=[0.3, 1.2, 52, 45, 1.5])[0]
    age_days = (now - opened).total_seconds() / 86400
    responded = opened + timedelta(seconds=int(60 * (rng.expovariate(1 / 12) if rng.random() < 0.92
                                                     else rng.uniform(30, 600))))
    hours = 10 ** rng.uniform(-0.3, 2.3)  # half an hour to about eight days
    resolved = opened + timedelta(hours=hours)
    resolved = max(resolved, responded + timedelta(minutes=5))
    # The last few weeks still have open records; older ones are nearly all done.
    still_open = resolved > now or rng.random() < (0.25 if age_days < 30 else 0.02 if age_days < 120 else 0.001)
    row = ExtractRow(
        line=0, number=number, record_type=record_type, opened_at=opened,
        responded_at=responded if responded <= now else None, resolved_at=None, closed_at=None,
        priority=priority, state="", product=product,
        short_description=rng.choice(DESCRIPTIONS.get(product, DESCRIPTIONS["DIP"])),
        assignment_group=group, category=category,
    )
    if still_open:
        row.state = rng.choice(OPEN_STATES)
        if record_type == "case":
            row.aged_reason, row.aged_reason_detail = rng.choice(YOUNG_AGED_REASONS)
        return row
    row.resolved_at = resolved
    closes = resolved + timedelta(days=rng.choice([3, 4, 5]))
    if closes <= now:
        row.state, row.closed_at = "Closed", closes
    else:
        row.state = "Resolved"
    if record_type == "incident" and priority <= 2 and rng.random() < 0.4:
        row.major_incident = True
        row.mi_portal_banner_at = opened + timedelta(minutes=rng.randint(5, 40))
        row.mi_email_at = opened + timedelta(minutes=rng.randint(10, 50))
        row.industry_circular_at = opened + timedelta(hours=rng.uniform(1, 6))
        pir_days = rng.randint(3, 12)
        pir = resolved.astimezone(LONDON).date() + timedelta(days=pir_days)
        if pir <= now.astimezone(LONDON).date():
            row.pir_published_on = pir
    return row


def generate_records(
    n: int,
    *,
    years: int = 3,
    random_seed: int = 2026,
    now: datetime | None = None,
    progress: bool = False,
) -> ImportOutcome:
    """Add n generated cases and incidents spread over the years before now (flushes; the caller commits)."""
    now = (now or utcnow()).astimezone(UTC).replace(microsecond=0)
    start = datetime.combine(date(now.year - years, now.month, 1), time(0), tzinfo=LONDON).astimezone(UTC)
    span = (now - start).total_seconds()
    next_case, next_incident = _next_numbers()
    rng = random.Random(f"{random_seed}:{next_case}:{next_incident}")
    from tqdm import tqdm

    bar = tqdm(total=n, unit="record", desc="Synthetic service-desk records", disable=not progress, leave=True)
    totals = ImportOutcome(rows=0, added=0, updated=0, unchanged=0)
    try:
        for first in range(0, n, BATCH):
            rows = []
            for _ in range(min(BATCH, n - first)):
                if rng.random() < CASE_SHARE:
                    number, record_type = f"CS8{next_case:08d}", "case"
                    next_case += 1
                else:
                    number, record_type = f"INC8{next_incident:08d}", "incident"
                    next_incident += 1
                rows.append(_record(rng, number, record_type, _opened(rng, start, span), now))
            outcome = import_extract(Extract(rows=rows, fields=FIELDS), filename="synthetic", source="synthetic",
                                     refresh=False)
            totals.rows += outcome.rows
            totals.added += outcome.added
            bar.update(len(rows))
    finally:
        bar.close()
    refresh_monthly_sums()
    return totals


def analyse_tables() -> None:
    """After a committed bulk load: planner statistics for the new rows (PostgreSQL)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE servicedesk_record, servicedesk_month"))
