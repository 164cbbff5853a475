"""The performance dashboard: the pack's sections 04–06 together (KPIs, the major-incident review, aged
cases, trends and their charts) for a period, and what the dashboard's cache is keyed by."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.render_cache import render_cache
from .aged import AgedSummary, aged_summary
from .changes import ChangeVolume, change_chart, change_volume
from .charts import PRIORITY_COLOURS, SERIES_COLOURS, ColumnChart, Series, column_chart
from .clock import month_key, month_label, months_between
from .incidents import IncidentReview, mi_review, open_pir_actions
from .kpis import RECORD_TYPES, Figures, TableRow, combined, compliance_rows, kpi_rows, monthly_figures
from .models import PirAction, ServiceDeskImport, ServiceDeskMonth, ServiceDeskRecord
from .periods import Filters, Period, filtered, latest_data_month, london_today, months_before

T = TypeVar("T")

# ---------------------------------------------------------------- trend analysis


@dataclass
class ServiceDemand:
    service: str
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (record type, kind) -> raised

    def count(self, record_type: str | None = None, kind: str | None = None) -> int:
        return sum(n for (t, k), n in self.counts.items() if (record_type in (None, t)) and (kind in (None, k)))

    @property
    def total(self) -> int:
        return self.count()

    @property
    def guidance_pct(self) -> float:
        return 100 * self.count(kind="guidance") / self.total if self.total else 0.0

    @property
    def profile(self) -> str:
        share = self.guidance_pct
        if share >= 65:
            return "guidance-led"
        if share <= 35:
            return "technical / operational"
        return "mixed"


@dataclass
class TrendAnalysis:
    services: list[ServiceDemand]
    sources: list[tuple[str, int]]  # where the split came from: (source label, records)

    @property
    def total(self) -> int:
        return sum(service.total for service in self.services)


def trend_analysis(period: Period, filters: Filters = Filters()) -> TrendAnalysis:
    m = ServiceDeskMonth
    rows = db.session.execute(
        filtered(
            sa.select(m.product, m.record_type, m.work_kind, m.work_kind_source, sa.func.sum(m.raised))
            .where(m.month >= period.first, m.month <= period.last, m.raised > 0, m.record_type.in_(RECORD_TYPES))
            .group_by(m.product, m.record_type, m.work_kind, m.work_kind_source),
            filters,
        )
    ).all()
    services: dict[str, ServiceDemand] = {}
    sources: dict[str, int] = defaultdict(int)
    for product, record_type, kind, source, count in rows:
        demand = services.setdefault(product or "Not specified", ServiceDemand(product or "Not specified"))
        demand.counts[(record_type, kind)] = demand.counts.get((record_type, kind), 0) + int(count)
        sources[source] += int(count)
    ordered = sorted(services.values(), key=lambda s: (-s.total, s.service))
    labels = dict(choices.WORK_KIND_SOURCES)
    return TrendAnalysis(ordered, [(labels.get(source, source), sources[source])
                                   for source, _ in choices.WORK_KIND_SOURCES if sources.get(source)])


# ---------------------------------------------------------------- charts


def _short(month: int) -> str:
    return month_label(month, "%b %y")


def volume_chart(chart_id: str, title: str, figures: dict, period: Period, record_type: str) -> ColumnChart:
    months = period.months
    return column_chart(
        chart_id, title, [_short(m) for m in months],
        [Series("Raised", SERIES_COLOURS[0], [figures[(m, record_type, "all")].raised for m in months]),
         Series("Resolved", SERIES_COLOURS[1], [figures[(m, record_type, "all")].resolved for m in months])],
    )


def incidents_by_priority_chart(figures: dict, period: Period) -> ColumnChart:
    months = period.months
    priorities = [p for p in (1, 2, 3, 4, 5) if any(figures.get((m, "incident", f"P{p}")) and
                                                     figures[(m, "incident", f"P{p}")].raised for m in months)]
    return column_chart(
        "chart-incidents-priority", "Incidents raised by priority", [_short(m) for m in months],
        [Series(f"P{p}", PRIORITY_COLOURS[p], [figures[(m, "incident", f"P{p}")].raised for m in months])
         for p in priorities],
        stacked=True,
    )


SERVICES_IN_CHART = 7


def incidents_by_service(period: Period, filters: Filters) -> dict[str, dict[int, int]]:
    m = ServiceDeskMonth
    rows = db.session.execute(
        filtered(
            sa.select(m.product, m.month, sa.func.sum(m.raised))
            .where(m.record_type == "incident", m.month >= period.first, m.month <= period.last, m.raised > 0)
            .group_by(m.product, m.month),
            filters,
        )
    ).all()
    by_service: dict[str, dict[int, int]] = defaultdict(dict)
    for product, month, count in rows:
        by_service[product or "Not specified"][month] = int(count)
    return by_service


def incidents_by_service_chart(by_service: dict[str, dict[int, int]], period: Period) -> ColumnChart:
    months = period.months
    ranked = sorted(by_service, key=lambda s: (-sum(by_service[s].values()), s))
    shown, rest = ranked[:SERVICES_IN_CHART], ranked[SERVICES_IN_CHART:]
    series = [Series(service, SERIES_COLOURS[i % len(SERIES_COLOURS)], [by_service[service].get(m, 0) for m in months])
              for i, service in enumerate(shown)]
    if rest:
        series.append(Series("Other services", "#9ca3af", [sum(by_service[s].get(m, 0) for s in rest) for m in months]))
    return column_chart("chart-incidents-service", "Incidents raised by service affected", [_short(m) for m in months],
                        series, stacked=True)


def response_chart(figures: dict, period: Period) -> ColumnChart:
    months = period.months
    values = [round(figures[(m, "case", "all")].mean_response_minutes or 0, 1) for m in months]
    return column_chart("chart-case-response", "Mean case response (minutes)", [_short(m) for m in months],
                        [Series("Mean response, minutes", SERIES_COLOURS[2], values)])


def resolution_chart(figures: dict, period: Period, record_type: str) -> ColumnChart:
    months = period.months
    values = [round(figures[(m, record_type, "all")].mean_resolution_hours or 0, 1) for m in months]
    noun = "case" if record_type == "case" else "incident"
    return column_chart(f"chart-{noun}-resolution", f"Mean {noun} resolution (hours)", [_short(m) for m in months],
                        [Series("Mean resolution, hours", SERIES_COLOURS[3], values)])


def aged_chart(summary: AgedSummary) -> ColumnChart:
    return column_chart(
        "chart-aged", f"Cases not closed, by age in days (as at {summary.as_at:%d %b %Y})",
        [label for label, _ in summary.buckets],
        [Series("Cases", SERIES_COLOURS[5], [count for _, count in summary.buckets])],
    )


def trend_chart(trend: TrendAnalysis) -> ColumnChart:
    services = trend.services[:9]
    return column_chart(
        "chart-trend", "Demand by service and kind of work (records raised)", [s.service[:12] for s in services],
        [Series("Guidance / knowledge", SERIES_COLOURS[0], [s.count(kind="guidance") for s in services]),
         Series("Technical / operational", SERIES_COLOURS[1], [s.count(kind="technical") for s in services])],
        stacked=True,
    )


# ---------------------------------------------------------------- the dashboard


@dataclass
class Dashboard:
    period: Period
    filters: Filters
    as_at: date
    figures: dict
    months: list[int]
    reviews: list[IncidentReview]
    reviews_total: int
    actions: list[PirAction]
    aged: AgedSummary
    trend: TrendAnalysis
    charts: dict[str, ColumnChart]
    last_import: ServiceDeskImport | None
    has_records: bool
    changes: ChangeVolume | None = None

    def row(self, month: int, record_type: str, priority: str = "all") -> Figures:
        return self.figures[(month, record_type, priority)]

    def p1p2(self, month: int) -> Figures:
        return combined(self.figures, month, "incident", ("P1", "P2"))

    def kpi_rows(self, record_type: str, p1p2: bool = False) -> list[TableRow]:
        return kpi_rows(self.figures, self.months, record_type, p1p2=p1p2)

    @property
    def compliance_rows(self) -> list[TableRow]:
        return compliance_rows(self.figures, self.months, self.filters.priority)


def kept(key: tuple, make: Callable[[], T], *, version: tuple | None = None) -> T:
    """`make()`'s result, kept by this app process (core.render_cache) while the service-desk data
    (data_version, read here unless the caller has it) and the minute are what they were: the
    figures change when an extract is imported or staff record something about a major incident,
    a few times a day, and are read at every visit. The minute moves statuses such as "missing"
    with the clock. `key` holds whatever else the result depends on (the reader's choices, the
    day, whether the reader is staff). PERFORMANCE_CACHE False makes every call afresh."""
    if not current_app.config.get("PERFORMANCE_CACHE", True):
        return make()
    cache = render_cache("performance_results")
    full_key = (*key, version if version is not None else data_version(), int(time.time() // 60))
    found = cache.get(full_key)
    if found is None:
        found = make()
        cache.put(full_key, found)
    return found


def data_version() -> tuple:
    """What the dashboard's figures depend on, in one cheap query: the latest import that changed
    records, the latest rebuild of the monthly sums (after an import, or the service levels
    measured again), the latest change to a major incident's communications, and to PIR actions."""
    return tuple(db.session.execute(sa.select(
        sa.select(sa.func.max(ServiceDeskImport.id)).scalar_subquery(),
        sa.select(sa.func.max(ServiceDeskMonth.id)).scalar_subquery(),
        sa.select(sa.func.max(ServiceDeskRecord.mi_updated_at)).scalar_subquery(),
        sa.select(sa.func.max(PirAction.updated_at)).scalar_subquery(),
        sa.select(sa.func.count(PirAction.id)).scalar_subquery(),
    )).one())


def last_import() -> ServiceDeskImport | None:
    return db.session.scalar(
        sa.select(ServiceDeskImport).where(ServiceDeskImport.added + ServiceDeskImport.updated > 0)
        .order_by(ServiceDeskImport.id.desc()).limit(1)
    )


FED_RECORD_TYPES = ("case", "incident", "change")
FEED_SOURCE = "feed"  # ServiceDeskImport.source of records sent to the API by the service desk itself


def last_fed() -> dict[str, datetime]:
    """When the live feed last changed records of each type (case, incident, change).

    Per type, the newest feed import that holds a record of that type, looked for from the newest
    import back through the index on the records' import: a few index probes, not a pass over
    every record."""
    latest = sa.select(*(
        sa.select(ServiceDeskImport.imported_at)
        .where(ServiceDeskImport.source == FEED_SOURCE, sa.exists().where(
            ServiceDeskRecord.import_id == ServiceDeskImport.id, ServiceDeskRecord.record_type == record_type,
        ))
        .order_by(ServiceDeskImport.id.desc()).limit(1)
        .scalar_subquery().label(record_type)
        for record_type in FED_RECORD_TYPES
    ))
    row = db.session.execute(latest).one()
    return {record_type: moment for record_type, moment in zip(FED_RECORD_TYPES, row, strict=True) if moment}


def dashboard(period: Period, filters: Filters = Filters(), as_at: date | None = None,
              now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    as_at = as_at or london_today(now)
    figures = monthly_figures(period, filters)
    reviews, reviews_total = mi_review(period, filters, now)
    aged = aged_summary(as_at, filters)
    trend = trend_analysis(period, filters)
    by_service = incidents_by_service(period, filters)
    changes = change_volume(period, filters)
    charts = {
        "case_volumes": volume_chart("chart-case-volumes", "Case volumes: raised and resolved", figures, period, "case"),
        "incident_volumes": volume_chart("chart-incident-volumes", "Incident volumes: raised and resolved", figures,
                                         period, "incident"),
        "case_response": response_chart(figures, period),
        "incident_resolution": resolution_chart(figures, period, "incident"),
        "incidents_priority": incidents_by_priority_chart(figures, period),
        "incidents_service": incidents_by_service_chart(by_service, period),
        "aged": aged_chart(aged),
        "trend": trend_chart(trend),
        "changes": change_chart(changes),
    }
    latest = last_import()
    return Dashboard(
        period=period, filters=filters, as_at=as_at, figures=figures, months=period.months, reviews=reviews,
        reviews_total=reviews_total, actions=open_pir_actions(), aged=aged, trend=trend, charts=charts,
        last_import=latest, has_records=latest is not None or bool(latest_data_month()), changes=changes,
    )


def filter_choices() -> tuple[list[str], list[int]]:
    """The services named in the records, and the months from the first record to this month."""
    services = db.session.scalars(
        sa.select(ServiceDeskMonth.product).where(ServiceDeskMonth.product != "").distinct().order_by(ServiceDeskMonth.product)
    ).all()
    first, last = db.session.execute(sa.select(sa.func.min(ServiceDeskMonth.month), sa.func.max(ServiceDeskMonth.month))).one()
    this_month = month_key(utcnow())
    first = min(first or this_month, this_month)
    last = max(last or this_month, this_month)
    return list(services), months_between(first, last)


def importer_name(record: ServiceDeskImport | None) -> str:
    if record is None or record.user_id is None:
        return ""
    user = db.session.get(User, record.user_id)
    return user.display_name if user else ""


def meeting_performance(meeting_day: date) -> dict:
    """What a meeting page shows of the months before it (forum/meeting.html includes it)."""
    period = months_before(meeting_day)
    figures = monthly_figures(period)
    return {"period": period, "figures": figures, "months": period.months, "month_label": month_label,
            "has_records": latest_data_month() is not None}
