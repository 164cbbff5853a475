""""How are we doing" beside the issue counts: this month's service levels against target for
cases and incidents (the service desk's own KPI figures), open major incidents, cases aged 30
days or more, open escalations and the improvement programme's progress. A fixed number of
queries, whatever the number of records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ..accounts.models import User
from ..core.extensions import db
from ..escalations import operations as escalations
from ..improvements import programme
from ..servicedesk import performance
from ..servicedesk.aged import AGED_EXTRACT_DAYS, aged_summary
from ..servicedesk.kpis import Figures, monthly_figures
from ..servicedesk.models import ServiceDeskRecord
from ..servicedesk.periods import Period


@dataclass
class ServiceLevels:
    record_type: str
    figures: Figures

    @property
    def label(self) -> str:
        return "Cases" if self.record_type == "case" else "Incidents"


@dataclass
class HowWeAreDoing:
    month: int
    service_levels: list[ServiceLevels]
    open_major_incidents: int
    aged_cases: int
    aged_days: int
    open_escalations: int
    tracker: programme.Tracker

    @property
    def month_label(self) -> str:
        return date(self.month // 100, self.month % 100, 1).strftime("%B %Y")

    @property
    def month_text(self) -> str:
        return f"{self.month // 100:04d}-{self.month % 100:02d}"


def _service_desk(today: date) -> tuple[list[ServiceLevels], int, int]:
    """This month's service levels, open major incidents and aged cases."""
    month = today.year * 100 + today.month
    figures = monthly_figures(Period(month, month))
    levels = [ServiceLevels(record_type, figures[(month, record_type, "all")]) for record_type in ("case", "incident")]
    r = ServiceDeskRecord
    major = db.session.scalar(
        sa.select(sa.func.count()).select_from(r)
        .where(r.record_type == "incident", r.major_incident.is_(True), r.resolved_at.is_(None), r.closed_at.is_(None))
    )
    return levels, major, aged_summary(today, extract_limit=0).extract_total


def how_we_are_doing(user: User, today: date) -> HowWeAreDoing:
    # The service desk's part is the same for everyone and changes with its data, so it is kept
    # like the dashboard's figures; escalations and the programme are read each time.
    levels, major, aged = performance.kept(("home", today), lambda: _service_desk(today))
    return HowWeAreDoing(
        month=today.year * 100 + today.month,
        service_levels=levels,
        open_major_incidents=major,
        aged_cases=aged,
        aged_days=AGED_EXTRACT_DAYS,
        open_escalations=escalations.open_count(user),
        tracker=programme.tracker(),
    )
