"""The pack's pages beyond the KPIs: the headline summary on its first page (this month against
the month the previous meeting's pack ended on), the improvement programme, escalations by
route and state, and the questions the meeting answered. Each page is printed only when it has
something to show. Escalations appear as counts only: the pack goes to the whole forum, and an
escalation is its organisation's and staff's business."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..core import choices
from ..core.extensions import db
from ..escalations.models import Escalation
from ..improvements import programme
from ..improvements.models import ImprovementAction
from ..servicedesk.kpis import Figures, percent_text
from .models import Meeting, MeetingQuestion
from .questions import answered_questions


@dataclass
class Headline:
    label: str
    now: str
    before: str


@dataclass
class EscalationCounts:
    by_route: dict[str, Counter] = field(default_factory=dict)
    responded_in_time: int = 0
    responded_late: int = 0

    @property
    def total(self) -> int:
        return sum(sum(counter.values()) for counter in self.by_route.values())

    @property
    def still_open(self) -> int:
        """Not closed yet: open, or acknowledged and being worked."""
        return sum(counter["open"] + counter["acknowledged"] for counter in self.by_route.values())


@dataclass
class AgendaPages:
    headlines: list[Headline]
    month_label: str
    before_label: str
    tracker: programme.Tracker
    improvement_actions: list[ImprovementAction]
    escalations: EscalationCounts
    questions: list[MeetingQuestion]

    def digest_data(self) -> list:
        return [
            [[h.label, h.now, h.before] for h in self.headlines],
            sorted(self.tracker.overall.items()),
            [[a.code, a.title, a.owner_name, a.status, a.due_on] for a in self.improvement_actions],
            sorted((route, sorted(counter.items())) for route, counter in self.escalations.by_route.items()),
            [self.escalations.responded_in_time, self.escalations.responded_late],
            [[q.id, q.body, q.answer, q.votes] for q in self.questions],
        ]


def _headlines(figures: dict, month: int, before: int) -> list[Headline]:
    def get(m: int, record_type: str) -> Figures:
        return figures.get((m, record_type, "all")) or Figures(m, record_type, "all")

    rows = []
    for record_type, noun in (("case", "Cases"), ("incident", "Incidents")):
        now, then = get(month, record_type), get(before, record_type)
        rows += [
            Headline(f"{noun} raised", str(now.raised), str(then.raised)),
            Headline(f"{noun} resolved", str(now.resolved), str(then.resolved)),
            Headline(f"{noun} open at month end", str(now.open_at_month_end), str(then.open_at_month_end)),
            Headline(f"{noun} responded within SLA", percent_text(now.response_within_sla_pct),
                     percent_text(then.response_within_sla_pct)),
            Headline(f"{noun} resolved within SLA", percent_text(now.resolution_within_sla_pct),
                     percent_text(then.resolution_within_sla_pct)),
        ]
    return rows


def _escalations() -> EscalationCounts:
    """Counts by route and state, and responses in time or late: one aggregate query."""
    e = Escalation
    # 1: answered within the response target, 0: after it, NULL: not answered yet.
    answered = sa.case((e.acknowledged_at.is_(None), None), (e.acknowledged_at <= e.response_due_at, 1), else_=0)
    counts = EscalationCounts()
    for route, status, in_time, number in db.session.execute(
        sa.select(e.route, e.status, answered, sa.func.count()).group_by(e.route, e.status, answered)
    ):
        counts.by_route.setdefault(route, Counter())[status] += number
        if in_time == 1:
            counts.responded_in_time += number
        elif in_time == 0:
            counts.responded_late += number
    return counts


def agenda_pages(meeting: Meeting, figures: dict, months: list[int], month_label) -> AgendaPages:
    """months: the pack's months, oldest first; the headline compares the last two."""
    month = months[-1]
    before = months[-2] if len(months) > 1 else months[-1]
    actions = db.session.scalars(
        sa.select(ImprovementAction).order_by(ImprovementAction.theme, ImprovementAction.code)
    ).all()
    order = {code: n for n, code in enumerate(choices.IMPROVEMENT_THEME_CODES)}
    return AgendaPages(
        headlines=_headlines(figures, month, before),
        month_label=month_label(month, "%B %Y"),
        before_label=month_label(before, "%B %Y"),
        tracker=programme.tracker(),
        improvement_actions=sorted(actions, key=lambda a: (order.get(a.theme, 99), a.code)),
        escalations=_escalations(),
        questions=answered_questions(meeting),
    )
