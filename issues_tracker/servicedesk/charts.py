"""Geometry for the column charts of the performance dashboard and the meeting pack.

As with the issues log's bar charts (issues_tracker/core/charts.py), Python lays the chart
out and one SVG template (performance/_charts.html) draws it, the same in the web page
and in the PDF. Presentation attributes only: no style attribute or element, which the
Content-Security-Policy would block. Each chart carries a text description of its
figures, and the page prints the same figures in tables beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from ..core.charts import _tick_step

# Distinguishable in colour and in greyscale print, and with white text-free fills.
SERIES_COLOURS = ("#1d4ed8", "#f59e0b", "#0f766e", "#be123c", "#6d28d9", "#4b5563", "#65a30d", "#0e7490", "#9a3412")
PRIORITY_COLOURS = {1: "#991b1b", 2: "#ea580c", 3: "#1d4ed8", 4: "#0f766e", 5: "#6b7280"}


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: list[float]


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # "Oct 2025, Raised: 231"


@dataclass(frozen=True)
class AxisTick:
    value: float
    y: float
    label: str


@dataclass(frozen=True)
class CategoryLabel:
    x: float
    text: str


@dataclass(frozen=True)
class LegendEntry:
    x: float
    name: str
    colour: str


@dataclass
class ColumnChart:
    chart_id: str
    title: str
    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_bottom: int
    plot_right: int
    unit: str
    columns: list[Column] = field(default_factory=list)
    ticks: list[AxisTick] = field(default_factory=list)
    categories: list[CategoryLabel] = field(default_factory=list)
    legend: list[LegendEntry] = field(default_factory=list)
    totals: list[tuple[float, float, str]] = field(default_factory=list)  # (x, y, text) above stacks
    empty: bool = False
    summary: str = ""

    @property
    def description(self) -> str:
        return self.summary or "No data"

    def svg(self) -> Markup:
        """The chart as SVG markup, every text escaped. Built here rather than in a template:
        a chart is hundreds of numbers, and escaping each through Jinja costs milliseconds."""
        cid = escape(self.chart_id)
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="column-chart" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" role="img" aria-labelledby="{cid}-title {cid}-desc" '
            'font-family="DejaVu Sans, Verdana, sans-serif" font-size="10">',
            f'<title id="{cid}-title">{escape(self.title)}</title>',
            f'<desc id="{cid}-desc">{escape(self.description)}</desc>',
        ]
        for entry in self.legend:
            out.append(f'<rect x="{entry.x}" y="6" width="12" height="12" fill="{entry.colour}"/>'
                       f'<text x="{entry.x + 16}" y="16" fill="#1f2937">{escape(entry.name)}</text>')
        for tick in self.ticks:
            out.append(f'<line x1="{self.plot_left}" y1="{tick.y}" x2="{self.plot_right}" y2="{tick.y}" stroke="#d0d5dd" '
                       f'stroke-width="1"/><text x="{self.plot_left - 5}" y="{tick.y + 3}" text-anchor="end" '
                       f'fill="#555555" font-size="9">{tick.label}</text>')
        for column in self.columns:
            out.append(f'<rect x="{column.x}" y="{column.y}" width="{column.width}" height="{column.height}" '
                       f'fill="{column.colour}"><title>{escape(column.label)}</title></rect>')
        for x, y, text in self.totals:
            out.append(f'<text x="{x}" y="{y}" text-anchor="middle" fill="#1f2937" font-size="8.5">{text}</text>')
        out.append(f'<line x1="{self.plot_left}" y1="{self.plot_bottom}" x2="{self.plot_right}" y2="{self.plot_bottom}" '
                   'stroke="#6b7280" stroke-width="1"/>')
        for label in self.categories:
            out.append(f'<text x="{label.x}" y="{self.plot_bottom + 14}" text-anchor="middle" fill="#1f2937">'
                       f'{escape(label.text)}</text>')
        if self.empty:
            out.append(f'<text x="{(self.plot_left + self.plot_right) / 2}" y="{(self.plot_top + self.plot_bottom) / 2}" '
                       'text-anchor="middle" fill="#555555">No records in these months</text>')
        out.append("</svg>")
        return Markup("\n".join(out))  # noqa: S704 (every text above is escaped)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def column_chart(
    chart_id: str,
    title: str,
    categories: list[str],
    series: list[Series],
    *,
    stacked: bool = False,
    unit: str = "",
    width: int = 560,
    height: int = 250,
    show_totals: bool = True,
) -> ColumnChart:
    """Columns per category: side by side for each series, or stacked."""
    left, right, top = 46, 10, 30
    bottom_room = 24
    plot_bottom = height - bottom_room
    plot_width = width - left - right
    plot_height = plot_bottom - top
    if stacked:
        peak = max((sum(s.values[i] for s in series) for i in range(len(categories))), default=0)
    else:
        peak = max((value for s in series for value in s.values), default=0)
    step = _tick_step(math.ceil(peak)) if peak else 1
    scale_max = max(step, math.ceil(peak / step) * step) if peak else 1
    chart = ColumnChart(chart_id=chart_id, title=title, width=width, height=height, plot_left=left, plot_top=top,
                        plot_bottom=plot_bottom, plot_right=width - right, unit=unit, empty=peak == 0)
    chart.ticks = [
        AxisTick(value=v, y=round(plot_bottom - plot_height * v / scale_max, 1), label=_number(v))
        for v in range(0, int(scale_max) + 1, int(step))
    ]
    slot = plot_width / max(1, len(categories))
    group_width = slot * 0.72
    for index, category in enumerate(categories):
        slot_left = left + index * slot
        chart.categories.append(CategoryLabel(x=round(slot_left + slot / 2, 1), text=category))
        if stacked:
            base = plot_bottom
            total = 0.0
            for s in series:
                value = s.values[index]
                total += value
                h = plot_height * value / scale_max
                if value:
                    chart.columns.append(Column(
                        x=round(slot_left + (slot - group_width) / 2, 1), y=round(base - h, 1),
                        width=round(group_width, 1), height=round(h, 1), colour=s.colour,
                        label=f"{category}, {s.name}: {_number(value)}{unit}",
                    ))
                base -= h
            if show_totals and total:
                chart.totals.append((round(slot_left + slot / 2, 1), round(base - 3, 1), _number(total)))
        else:
            bar = group_width / max(1, len(series))
            for position, s in enumerate(series):
                value = s.values[index]
                h = plot_height * value / scale_max
                x = slot_left + (slot - group_width) / 2 + position * bar
                chart.columns.append(Column(
                    x=round(x, 1), y=round(plot_bottom - h, 1), width=round(bar - 1, 1), height=round(h, 1),
                    colour=s.colour, label=f"{category}, {s.name}: {_number(value)}{unit}",
                ))
                if show_totals and value:
                    chart.totals.append((round(x + (bar - 1) / 2, 1), round(plot_bottom - h - 3, 1), _number(value)))
    x = left
    for s in series:
        chart.legend.append(LegendEntry(x=x, name=s.name, colour=s.colour))
        x += 22 + 6.5 * len(s.name) + 10
    chart.summary = "; ".join(
        f"{category}: " + ", ".join(f"{s.name} {_number(s.values[i])}{unit}" for s in series)
        for i, category in enumerate(categories)
    )
    return chart
