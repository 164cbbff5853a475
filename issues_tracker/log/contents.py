"""What a week's log says (its executive summary against the last log, what needs attention, every
open issue, actions, what was resolved) and its print layout, rendered to PDF."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from ..core import choices
from ..core.charts import AGE_COLOURS, BarChart, bar_chart
from ..core.extensions import db
from ..core.formats import LONDON, days_ago, format_week
from ..core.models import utcnow
from ..core.pdf import html_to_pdf
from ..issues.models import Issue, IssueAction
from ..issues.queries import open_issue_counts
from ..participation.affected import NONE as NO_DECLARATIONS
from ..participation.affected import affected_counts, impact_labels
from .models import LogCommentary, PublishedLog
from .weeks import check_monday, week_start

# A table cell longer than this is shortened in the PDF, so that one row always fits on a
# page; the full text stays on the issue's page in the app.
CELL_TEXT_LIMIT = 600


def published_open_clause():
    return sa.and_(Issue.triage_state == "published", Issue.status.in_(choices.OPEN_STATUSES))


@dataclass
class Summary:
    """The executive summary: the same numbers on the web page and in the PDF."""

    week: date
    as_of: datetime
    period_start: datetime
    previous_log: PublishedLog | None
    open_count: int
    new_count: int
    resolved_count: int
    stale_count: int
    stale_after_days: int
    by_service: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    by_severity: list[tuple[str, int]]
    age_profile: list[tuple[str, int]]
    high_severity_count: int = 0
    overdue_actions_count: int = 0
    # The latest publication of the latest earlier week: what the week-on-week changes compare with.
    comparison: PublishedLog | None = None
    charts: list[BarChart] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The headline numbers, as stored with a published log for next week's comparison."""
        return {key: getattr(self, key) for key, _label in HEADLINES}

    @property
    def headlines(self) -> list[Headline]:
        found = []
        for key, label in HEADLINES:
            previous = getattr(self.comparison, key, None) if self.comparison is not None else None
            found.append(Headline(key, label, getattr(self, key), previous))
        return found


# The headline numbers on the log's first page, in order: (Summary attribute and stored column, label).
HEADLINES = [
    ("open_count", "Open issues"),
    ("high_severity_count", "P1 and P2 open"),
    ("new_count", "New this week"),
    ("resolved_count", "Resolved this week"),
    ("stale_count", "Stale"),
    ("overdue_actions_count", "Actions overdue"),
]


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: int
    previous: int | None  # None: no earlier log, or one published before this number was recorded

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.value - self.previous

    @property
    def change_text(self) -> str:
        """"▲ 3 on last week", "▼ 2 on last week", "no change on last week", or why there is none."""
        if self.previous is None:
            return "no earlier log to compare"
        change = self.change
        if change == 0:
            return "no change on last week"
        return f"{'▲' if change > 0 else '▼'} {abs(change)} on last week"

    @property
    def direction(self) -> str:
        change = self.change
        return "none" if not change else ("up" if change > 0 else "down")


def previous_log(week: date) -> PublishedLog | None:
    """The first publication of the latest earlier week: where "this week" starts."""
    latest_week = db.session.scalar(
        sa.select(sa.func.max(PublishedLog.week_commencing)).where(PublishedLog.week_commencing < week)
    )
    if latest_week is None:
        return None
    return db.session.scalar(
        sa.select(PublishedLog)
        .where(PublishedLog.week_commencing == latest_week)
        .order_by(PublishedLog.revision)
        .limit(1)
    )


def comparison_log(week: date) -> PublishedLog | None:
    """The latest revision of the latest earlier published week: last week's numbers as readers last saw them."""
    return db.session.scalar(
        sa.select(PublishedLog)
        .where(PublishedLog.week_commencing < week)
        .order_by(PublishedLog.week_commencing.desc(), PublishedLog.revision.desc())
        .limit(1)
    )


def reporting_period_start(week: date, previous: PublishedLog | None) -> datetime:
    if previous is not None:
        return previous.published_at
    return week_start(week - timedelta(days=7))


def _stale_after_days(value: int | None) -> int:
    if value is not None:
        return value
    return int(current_app.config.get("STALE_AFTER_DAYS", 14))


def executive_summary(week: date, *, now: datetime | None = None, stale_after_days: int | None = None) -> Summary:
    """Counts for the week from a handful of aggregate queries, whatever the number of issues."""
    as_of = now or utcnow()
    stale_days = _stale_after_days(stale_after_days)
    previous = previous_log(week)
    start = reporting_period_start(week, previous)
    open_issue = published_open_clause()

    counts = open_issue_counts(open_issue)
    status_counts, service_counts, without_service = counts.by_status, counts.by_service, counts.without_service
    severity_counts = dict(
        db.session.execute(sa.select(Issue.severity, sa.func.count()).where(open_issue).group_by(Issue.severity)).all()
    )
    # One date per open issue; the buckets follow Issue.age_days exactly.
    created = db.session.scalars(sa.select(Issue.created_at).where(open_issue)).all()
    ages = [max(0, (as_of - moment).days) for moment in created]
    age_profile = [
        (choices.age_bucket_label(low, high), sum(1 for age in ages if age >= low and (high is None or age <= high)))
        for low, high in choices.AGE_BUCKETS
    ]
    first_seen = sa.func.coalesce(Issue.published_at, Issue.created_at)
    new_count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Issue)
        .where(Issue.triage_state == "published", first_seen >= start, first_seen < as_of)
    )
    resolved_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Issue).where(*_resolved_conditions(start, as_of))
    )
    stale_count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Issue)
        .where(open_issue, Issue.last_update_at <= as_of - timedelta(days=stale_days))
    )
    overdue_actions_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(IssueAction).join(Issue, Issue.id == IssueAction.issue_id)
        .where(*_overdue_conditions(as_of))
    )

    known_services = [code for code in choices.SERVICE_CODES if service_counts.get(code)]
    other_services = sorted(code for code in service_counts if code not in choices.SERVICE_CODES)
    by_service = [(code, service_counts[code]) for code in known_services + other_services]
    if without_service:
        by_service.append(("Not specified", without_service))
    by_status = [(code, status_counts[code]) for code in choices.OPEN_STATUSES if status_counts.get(code)]
    by_status += [(code, n) for code, n in sorted(status_counts.items()) if code not in choices.OPEN_STATUSES]
    by_severity = [
        (label, severity_counts[code]) for code, label in choices.SEVERITIES if severity_counts.get(code)
    ]

    summary = Summary(
        week=week,
        as_of=as_of,
        period_start=start,
        previous_log=previous,
        open_count=sum(status_counts.values()),
        new_count=new_count,
        resolved_count=resolved_count,
        stale_count=stale_count,
        stale_after_days=stale_days,
        by_service=by_service,
        by_status=by_status,
        by_severity=by_severity,
        age_profile=age_profile,
        high_severity_count=sum(severity_counts.get(code, 0) for code in HIGH_SEVERITIES),
        overdue_actions_count=overdue_actions_count,
        comparison=comparison_log(week),
    )
    # Each breakdown once: services and ages as charts, statuses and severities as tables.
    summary.charts = [
        bar_chart("chart-by-service", "Open issues by service", by_service),
        bar_chart("chart-age-profile", "Age profile of open issues (days open)", age_profile, colours=AGE_COLOURS),
    ]
    return summary


HIGH_SEVERITIES = (1, 2)


# How many of each kind the "needs attention" list names; the rest are in the tables.
ATTENTION_LIMIT = 5


def _overdue_conditions(as_of: datetime) -> tuple:
    today = as_of.astimezone(LONDON).date()
    return (
        Issue.triage_state == "published",
        IssueAction.status != "Done",
        IssueAction.due_date.is_not(None),
        IssueAction.due_date < today,
    )


@dataclass
class Attention:
    """What a senior reader should look at first: the most severe open issues, the ones
    left longest without an update, and actions past their due date."""

    severe: list[Issue]
    severe_total: int
    longest_idle: list[Issue]
    overdue_actions: list[IssueAction]
    overdue_total: int

    @property
    def empty(self) -> bool:
        return not (self.severe or self.longest_idle or self.overdue_actions)


def needs_attention(summary: Summary) -> Attention:
    """A handful of rows in three small queries, whatever the size of the log."""
    open_issue = published_open_clause()
    severe = db.session.scalars(
        sa.select(Issue).where(open_issue, Issue.severity.in_(HIGH_SEVERITIES))
        .order_by(Issue.severity, Issue.last_update_at, Issue.id).limit(ATTENTION_LIMIT)
    ).all()
    longest_idle = db.session.scalars(
        sa.select(Issue).where(open_issue).order_by(Issue.last_update_at, Issue.id).limit(ATTENTION_LIMIT)
    ).all()
    overdue = db.session.scalars(
        sa.select(IssueAction).join(Issue, Issue.id == IssueAction.issue_id)
        .where(*_overdue_conditions(summary.as_of))
        .options(so.contains_eager(IssueAction.issue))
        .order_by(IssueAction.due_date, IssueAction.id).limit(ATTENTION_LIMIT)
    ).all()
    return Attention(severe=list(severe), severe_total=summary.high_severity_count, longest_idle=list(longest_idle),
                     overdue_actions=list(overdue), overdue_total=summary.overdue_actions_count)


HEADLINE_LIMIT = 220


def commentary_headline(text: str | None) -> str:
    """The first line of a commentary section, or its first sentence when that line runs long."""
    first = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    if len(first) > HEADLINE_LIMIT:
        sentence = re.match(r"^(.{20,}?[.!?])(\s|$)", first)
        first = sentence.group(1) if sentence and len(sentence.group(1)) <= HEADLINE_LIMIT else first
    if len(first) > HEADLINE_LIMIT:
        first = first[: HEADLINE_LIMIT - 1].rstrip() + "…"
    return first


def _resolved_conditions(start: datetime, end: datetime) -> tuple:
    return (
        Issue.triage_state == "published",
        Issue.status.in_(choices.CLOSED_STATUSES),
        Issue.resolved_at >= start,
        Issue.resolved_at < end,
    )


@dataclass
class LogContents:
    summary: Summary
    commentary: LogCommentary | None
    open_issues: list[Issue]
    actions: list[IssueAction]
    resolved: list[Issue]
    attention: Attention | None = None
    # Declared "affected" counts by issue id (issues without declarations are absent).
    affected: dict = field(default_factory=dict)

    def impact(self, issue: Issue) -> tuple[str, str]:
        """(suppliers, distributors) impacted, from declarations once there are any."""
        return impact_labels(issue, self.affected.get(issue.id, NO_DECLARATIONS))

    @property
    def week(self) -> date:
        return self.summary.week

    @property
    def commentary_headlines(self) -> list[tuple[str, str]]:
        """(section, first line) of each commentary section that has text."""
        c = self.commentary
        if c is None:
            return []
        sections = (("Trends", c.trends), ("Emerging risks", c.emerging_risks), ("Decisions required", c.decisions_required))
        return [(title, commentary_headline(text)) for title, text in sections if (text or "").strip()]


def log_contents(week: date, *, now: datetime | None = None, stale_after_days: int | None = None) -> LogContents:
    """Everything the log prints, loaded in a fixed number of queries."""
    summary = executive_summary(week, now=now, stale_after_days=stale_after_days)
    row_loads = (
        so.selectinload(Issue.service_links),
        so.selectinload(Issue.message_links),
        so.joinedload(Issue.owner),
    )
    open_issues = db.session.scalars(
        sa.select(Issue).where(published_open_clause()).options(*row_loads).order_by(Issue.severity, Issue.id)
    ).unique().all()
    week_end = week + timedelta(days=6)
    actions = db.session.scalars(
        sa.select(IssueAction)
        .join(Issue, Issue.id == IssueAction.issue_id)
        .where(
            Issue.triage_state == "published",
            IssueAction.status != "Done",
            IssueAction.due_date.is_not(None),
            IssueAction.due_date <= week_end,
        )
        .options(so.contains_eager(IssueAction.issue))
        .order_by(IssueAction.due_date, IssueAction.id)
    ).all()
    resolved = db.session.scalars(
        sa.select(Issue)
        .where(*_resolved_conditions(summary.period_start, summary.as_of))
        .options(*row_loads)
        .order_by(Issue.resolved_at, Issue.id)
    ).unique().all()
    commentary = db.session.scalar(sa.select(LogCommentary).where(LogCommentary.week_commencing == week))
    return LogContents(
        summary=summary, commentary=commentary, open_issues=open_issues, actions=actions, resolved=resolved,
        attention=needs_attention(summary), affected=affected_counts([issue.id for issue in open_issues]),
    )


def get_commentary(week: date) -> LogCommentary | None:
    return db.session.scalar(sa.select(LogCommentary).where(LogCommentary.week_commencing == week))


def shorten(text: str | None, limit: int = CELL_TEXT_LIMIT) -> str:
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "… [shortened: full text on the issue page]"


def clip(text: str | None, limit: int) -> str:
    """A short mention (page 1 names issues in a line each): cut at a word with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def render_log_html(
    contents: LogContents,
    *,
    published_at: datetime,
    revision: int | None,
    reason: str = "",
    draft: bool = False,
) -> str:
    """The print HTML. Rendered straight from the Jinja environment: no request needed."""
    template = current_app.jinja_env.get_template("log/print.html")
    return template.render(
        log=contents,
        summary=contents.summary,
        published_at=published_at,
        revision=revision,
        reason=reason,
        draft=draft,
        stale_after_days=contents.summary.stale_after_days,
        shorten=shorten,
        clip=clip,
        week_end=contents.week + timedelta(days=6),
        today=contents.summary.as_of.astimezone(LONDON).date(),
        severity_short={code: f"P{code}" for code, _ in choices.SEVERITIES},
        week_label=format_week(contents.week),
        ago=lambda moment: days_ago(moment, contents.summary.as_of.astimezone(LONDON).date()),
    )


def render_log_pdf(contents: LogContents, **kw) -> bytes:
    return html_to_pdf(render_log_html(contents, **kw), current_app.static_folder)


def render_draft(week: date, *, now: datetime | None = None) -> bytes:
    """The log as it would be published now, marked as a draft; nothing is stored."""
    now = now or utcnow()
    check_monday(week)
    return render_log_pdf(log_contents(week, now=now), published_at=now, revision=None, draft=True)
