"""Change volume by outcome (the pack's "Reported Change Volume, Issues, Failures"): the changes (CHG…)
completed each month, counted in the month they were closed, as successful, successful with issues or failed."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..core.extensions import db
from .charts import ColumnChart, Series, column_chart
from .clock import month_label
from .extract import OUTCOMES
from .models import ServiceDeskRecord
from .periods import Filters, Period

OUTCOME_COLOURS = {"Successful": "#15803d", "Successful with issues": "#b45309", "Failed": "#b91c1c"}


@dataclass
class ChangeVolume:
    months: list[int]
    counts: dict[tuple[int, str], int]  # (month, outcome) -> changes closed
    open_now: int

    def count(self, month: int, outcome: str) -> int:
        return self.counts.get((month, outcome), 0)

    def total(self, month: int) -> int:
        return sum(self.count(month, outcome) for outcome in OUTCOMES)

    @property
    def grand_total(self) -> int:
        return sum(self.counts.values())

    def outcome_total(self, outcome: str) -> int:
        return sum(self.count(month, outcome) for month in self.months)

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        """The table: one row per outcome, then the month's total."""
        rows = [(outcome, [self.count(m, outcome) for m in self.months]) for outcome in OUTCOMES]
        return rows + [("Total", [self.total(m) for m in self.months])]

    @property
    def failure_rate_text(self) -> str:
        total = self.grand_total
        if not total:
            return "No changes were completed in these months."
        failed, issues = self.outcome_total("Failed"), self.outcome_total("Successful with issues")
        return (f"{total:,} change{'' if total == 1 else 's'} completed: {100 * failed / total:.0f}% failed, "
                f"{100 * issues / total:.0f}% successful with issues.")


def change_volume(period: Period, filters: Filters = Filters()) -> ChangeVolume:
    """Two small queries on the (record type, resolved month) index, whatever the number of records."""
    r = ServiceDeskRecord
    conditions = [r.record_type == "change"]
    if filters.service:
        conditions.append(r.product == filters.service)
    rows = db.session.execute(
        sa.select(r.resolved_month, r.outcome, sa.func.count())
        .where(*conditions, r.resolved_month >= period.first, r.resolved_month <= period.last)
        .group_by(r.resolved_month, r.outcome)
    ).all()
    counts = {(month, outcome): int(count) for month, outcome, count in rows if outcome in OUTCOMES}
    open_now = db.session.scalar(
        sa.select(sa.func.count()).select_from(r).where(*conditions, r.resolved_month.is_(None))) or 0
    return ChangeVolume(months=period.months, counts=counts, open_now=int(open_now))


def change_chart(volume: ChangeVolume) -> ColumnChart:
    return column_chart(
        "chart-changes", "Changes completed by outcome", [month_label(m, "%b %y") for m in volume.months],
        [Series(outcome, OUTCOME_COLOURS[outcome], [volume.count(m, outcome) for m in volume.months])
         for outcome in OUTCOMES],
        stacked=True,
    )
