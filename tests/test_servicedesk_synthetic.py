"""Generated service-desk records for benchmarks and demos: years of cases and incidents, stored as an import stores them."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import ServiceDeskMonth, ServiceDeskRecord
from issues_tracker.servicedesk.synthetic import generate_records

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_years_of_records_with_their_monthly_sums(app):
    outcome = generate_records(3000, years=3, random_seed=7, now=NOW)
    db.session.commit()
    assert outcome.added == 3000
    types = dict(db.session.execute(
        sa.select(ServiceDeskRecord.record_type, sa.func.count()).group_by(ServiceDeskRecord.record_type)).all())
    assert types["case"] > types["incident"] > 600
    first, last = db.session.execute(
        sa.select(sa.func.min(ServiceDeskRecord.opened_month), sa.func.max(ServiceDeskRecord.opened_month))).one()
    assert first <= 202401 and last == 202611
    # The monthly sums agree with the records they summarise.
    assert db.session.scalar(sa.select(sa.func.sum(ServiceDeskMonth.raised))) == 3000
    resolved = db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDeskRecord)
                                 .where(ServiceDeskRecord.resolved_month.is_not(None)))
    assert db.session.scalar(sa.select(sa.func.sum(ServiceDeskMonth.resolved))) == resolved
    # Some cases are still open, some incidents are major with a PIR.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDeskRecord).where(
        ServiceDeskRecord.record_type == "case", ServiceDeskRecord.closed_at.is_(None))) > 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDeskRecord).where(
        ServiceDeskRecord.major_incident.is_(True))) >= 1


def test_running_again_adds_more_with_new_numbers(app):
    generate_records(200, random_seed=7, now=NOW)
    generate_records(200, random_seed=7, now=NOW)
    db.session.commit()
    numbers = db.session.scalars(sa.select(ServiceDeskRecord.number)).all()
    assert len(numbers) == len(set(numbers)) == 400
    assert all(n.startswith(("CS8", "INC8")) for n in numbers)


def test_the_seed_command_generates_them(runner):
    result = runner.invoke(args=["seed", "--servicedesk", "300", "--servicedesk-years", "1"])
    assert result.exit_code == 0, result.output
    assert "Added 300 synthetic service-desk records over 1 year (random seed 2026)" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDeskRecord)
                             .where(ServiceDeskRecord.number.like("CS8%"))) > 150
