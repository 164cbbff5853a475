"""Geometry for the small horizontal bar charts of the issues log.

The web page and the PDF draw the same chart from the same numbers with one SVG
template (``log/_charts.html``). The SVG uses presentation attributes only: no
``style`` attribute or element, which the Content-Security-Policy would block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

BAR_COLOUR = "#1d4ed8"
# Older issues are more worrying: the age profile runs from calm to alarming.
AGE_COLOURS = ("#1e5631", "#4d7c0f", "#a16207", "#c2410c", "#8a1c1c")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    colour: str


@dataclass(frozen=True)
class Tick:
    value: int
    x: float


@dataclass
class BarChart:
    chart_id: str
    title: str
    width: int
    height: int
    label_width: int
    plot_width: int
    bar_height: int
    top: int
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)

    @property
    def description(self) -> str:
        return "; ".join(f"{bar.label}: {bar.value}" for bar in self.bars) or "No data"


def _tick_step(maximum: int) -> int:
    """A round step giving at most five ticks: 1, 2, 5, 10, 20, 50, ..."""
    if maximum <= 5:
        return 1
    raw = maximum / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= raw:
            return int(multiple * magnitude)
    return int(10 * magnitude)


def bar_chart(
    chart_id: str,
    title: str,
    rows: list[tuple[str, int]],
    *,
    colours: tuple[str, ...] | None = None,
    width: int = 460,
    label_width: int = 130,
    bar_height: int = 16,
    gap: int = 6,
) -> BarChart:
    """Lay out one bar per (label, value) row, longest value spanning the plot."""
    top = 8
    value_room = 40  # space right of the longest bar for its number
    plot_width = width - label_width - value_room
    maximum = max((value for _, value in rows), default=0)
    step = _tick_step(maximum)
    scale_max = max(step, math.ceil(maximum / step) * step) if maximum else 1
    bars = []
    for index, (label, value) in enumerate(rows):
        colour = colours[index % len(colours)] if colours else BAR_COLOUR
        bars.append(
            Bar(
                label=label,
                value=value,
                y=top + index * (bar_height + gap),
                width=round(plot_width * value / scale_max, 1),
                colour=colour,
            )
        )
    ticks = [
        Tick(value=v, x=round(label_width + plot_width * v / scale_max, 1))
        for v in range(0, scale_max + 1, step)
    ]
    height = top + max(1, len(rows)) * (bar_height + gap) + 18
    return BarChart(
        chart_id=chart_id,
        title=title,
        width=width,
        height=height,
        label_width=label_width,
        plot_width=plot_width,
        bar_height=bar_height,
        top=top,
        bars=bars,
        ticks=ticks,
    )
