"""Monthly KPIs per record type and priority, read from the service-desk records (the pack's section 04),
and how their figures read.

Counting rules (DESIGN.md, capability 4):

- A record counts as raised in the month it was opened and as resolved in the month
  it was resolved (months in Europe/London). A record closed without a resolved time
  counts as resolved when it was closed.
- Churn is raised − resolved. Open at month end is every record opened by the end of
  the month and not resolved by then.
- Mean response (minutes, wall clock) is over the records opened in the month that
  have a response; mean resolution (hours, wall clock) over the records resolved in
  the month.
- % responded within the service level is over records opened in the month that have
  a response; % resolved within it over records resolved in the month. Both on the
  priority's clock (P1 round the clock, P2–P4 business hours); P5 has no service
  level and is left out of both, though it counts in the volumes and means of "all".

The monthly figures come from servicedesk_month (sums rebuilt at every import), so a
month range costs a few small aggregate queries whatever the number of records.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from ..core.extensions import db
from .models import ServiceDeskMonth
from .periods import Filters, Period, filtered

RECORD_TYPES = ("case", "incident")


KPI_PRIORITIES = (1, 2, 3, 4)


@dataclass
class Figures:
    """One month's figures for one record type and one priority (or every priority: "all")."""

    month: int
    record_type: str
    priority: str  # P1 … P5, or all
    raised: int = 0
    resolved: int = 0
    open_at_month_end: int = 0
    responded: int = 0
    response_seconds: int = 0
    response_measured: int = 0
    response_met: int = 0
    resolution_seconds: int = 0
    resolution_measured: int = 0
    resolution_met: int = 0

    def add(self, other: Figures) -> None:
        for name in ("raised", "resolved", "open_at_month_end", "responded", "response_seconds", "response_measured",
                     "response_met", "resolution_seconds", "resolution_measured", "resolution_met"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def churn(self) -> int:
        return self.raised - self.resolved

    @property
    def mean_response_minutes(self) -> float | None:
        return self.response_seconds / self.responded / 60 if self.responded else None

    @property
    def mean_resolution_hours(self) -> float | None:
        return self.resolution_seconds / self.resolved / 3600 if self.resolved else None

    @property
    def response_within_sla_pct(self) -> float | None:
        return 100 * self.response_met / self.response_measured if self.response_measured else None

    @property
    def resolution_within_sla_pct(self) -> float | None:
        return 100 * self.resolution_met / self.resolution_measured if self.resolution_measured else None


SUMMED = ("raised", "resolved", "responded", "response_seconds", "response_measured", "response_met",
          "resolution_seconds", "resolution_measured", "resolution_met")


def monthly_figures(period: Period, filters: Filters = Filters()) -> dict[tuple[int, str, str], Figures]:
    """Figures per (month, record type, priority) with "all" beside P1 … P5, open counts carried forward."""
    m = ServiceDeskMonth
    rows = db.session.execute(
        filtered(
            sa.select(m.month, m.record_type, m.priority, *(sa.func.sum(getattr(m, name)) for name in SUMMED))
            .where(m.month >= period.first, m.month <= period.last)
            .group_by(m.month, m.record_type, m.priority),
            filters,
        )
    ).all()
    before = db.session.execute(
        filtered(
            sa.select(m.record_type, m.priority, sa.func.sum(m.raised), sa.func.sum(m.resolved))
            .where(m.month < period.first)
            .group_by(m.record_type, m.priority),
            filters,
        )
    ).all()
    open_now: dict[tuple[str, int], int] = defaultdict(int)
    for record_type, priority, raised, resolved in before:
        open_now[(record_type, priority)] = int(raised or 0) - int(resolved or 0)
    by_key: dict[tuple[int, str, int], tuple] = {(row[0], row[1], row[2]): row[3:] for row in rows}
    priorities = sorted({key[1] for key in open_now} | {key[2] for key in by_key} | set(KPI_PRIORITIES))
    figures: dict[tuple[int, str, str], Figures] = {}
    for month in period.months:
        for record_type in RECORD_TYPES:
            total = Figures(month, record_type, "all")
            for priority in priorities:
                sums = by_key.get((month, record_type, priority))
                one = Figures(month, record_type, f"P{priority}")
                if sums:
                    for name, value in zip(SUMMED, sums, strict=True):
                        setattr(one, name, int(value or 0))
                open_now[(record_type, priority)] += one.raised - one.resolved
                one.open_at_month_end = open_now[(record_type, priority)]
                figures[(month, record_type, one.priority)] = one
                total.add(one)
            figures[(month, record_type, "all")] = total
    return figures


def kpi_csv_rows(period: Period, filters: Filters = Filters()) -> list[Figures]:
    """kpis.csv: one row per month × record type × priority (P1 … P4, then all)."""
    figures = monthly_figures(period, Filters(service=filters.service))
    return [
        figures[(month, record_type, priority)]
        for month in period.months
        for record_type in RECORD_TYPES
        for priority in ("P1", "P2", "P3", "P4", "all")
    ]


def combined(figures: dict, month: int, record_type: str, priorities: tuple[str, ...]) -> Figures:
    total = Figures(month, record_type, "+".join(priorities))
    for priority in priorities:
        found = figures.get((month, record_type, priority))
        if found:
            total.add(found)
    return total


def minutes_text(value: float | None) -> str:
    """Mean minutes as the pack prints them: 27m."""
    return "—" if value is None else f"{round(value):,}m"


def hours_minutes_text(value: float | None) -> str:
    """Mean hours as the pack prints them: 52h 45m."""
    if value is None:
        return "—"
    total = round(value * 60)
    return f"{total // 60:,}h {total % 60}m"


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def signed_text(value: int) -> str:
    return f"+{value:,}" if value > 0 else f"{value:,}"


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: list[tuple[str, str]]  # (figure, small print such as "of 45")


def kpi_rows(figures: dict, months: list[int], record_type: str, *, p1p2: bool = False) -> list[TableRow]:
    """The pack's monthly table for cases or incidents, as text."""
    rows = [(m, figures[(m, record_type, "all")]) for m in months]
    table = [
        TableRow("Raised", [(f"{f.raised:,}", "") for _, f in rows]),
        TableRow("Resolved", [(f"{f.resolved:,}", "") for _, f in rows]),
        TableRow("Churn (raised − resolved)", [(signed_text(f.churn), "") for _, f in rows]),
        TableRow("Open at month end", [(f"{f.open_at_month_end:,}", "") for _, f in rows]),
        TableRow("Mean response", [(minutes_text(f.mean_response_minutes), "") for _, f in rows]),
        TableRow("Mean resolution", [(hours_minutes_text(f.mean_resolution_hours), "") for _, f in rows]),
        TableRow("Responded within SLA", [(percent_text(f.response_within_sla_pct), "") for _, f in rows]),
        TableRow("Resolved within SLA", [(percent_text(f.resolution_within_sla_pct), "") for _, f in rows]),
    ]
    if p1p2:
        both = [combined(figures, m, record_type, ("P1", "P2")) for m in months]
        table.append(TableRow("P1 and P2: mean response", [(minutes_text(f.mean_response_minutes), "") for f in both]))
        table.append(TableRow("P1 and P2: mean resolution",
                              [(hours_minutes_text(f.mean_resolution_hours), "") for f in both]))
    return table


def compliance_rows(figures: dict, months: list[int], priority: int | None = None) -> list[TableRow]:
    """% within the service level per record type and priority, with how many records each is of."""
    table = []
    for record_type, label in (("case", "Cases"), ("incident", "Incidents")):
        for p in (1, 2, 3, 4):
            if priority and priority != p:
                continue
            one = [figures[(m, record_type, f"P{p}")] for m in months]
            table.append(TableRow(f"{label} P{p} response", [
                (percent_text(f.response_within_sla_pct), f"of {f.response_measured:,}" if f.response_measured else "")
                for f in one]))
            table.append(TableRow(f"{label} P{p} resolution", [
                (percent_text(f.resolution_within_sla_pct),
                 f"of {f.resolution_measured:,}" if f.resolution_measured else "")
                for f in one]))
    return table
