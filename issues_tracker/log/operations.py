"""The weekly industry issues log: what it says, its commentary, and publishing it.

A published log is an immutable snapshot: the PDF bytes are stored with their
SHA-256 and served as stored, never rendered again. A correction is a new,
numbered revision of the same week; the earlier revision stays downloadable.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from ..accounts.models import User
from ..core import choices
from ..core.charts import AGE_COLOURS, BarChart, bar_chart
from ..core.extensions import db
from ..core.formats import LONDON, days_ago, format_date, format_datetime, format_week, plural
from ..core.models import utcnow
from ..core.pdf import html_to_pdf
from ..core.transaction import ConflictError, flush, savepoint
from ..issues.models import Issue, IssueAction
from ..issues.queries import open_issue_counts
from ..notifications.models import Announcement
from ..participation.affected import NONE as NO_DECLARATIONS
from ..participation.affected import affected_counts, impact_labels
from .models import LogCommentary, PublishedLog

WEEK_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A table cell longer than this is shortened in the PDF, so that one row always fits on a
# page; the full text stays on the issue's page in the app.
CELL_TEXT_LIMIT = 600
COMMENTARY_FIELDS = ("trends", "emerging_risks", "decisions_required")


class LogError(Exception):
    """A request about the log that cannot be carried out; the message says why, and
    `field` names the input that caused it (the week, or the revision's reason)."""

    def __init__(self, message: str, field: str = "week"):
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- weeks


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def current_week(now: datetime | None = None) -> date:
    """The Monday of this week in Europe/London."""
    return monday_of((now or utcnow()).astimezone(LONDON).date())


def week_start(week: date) -> datetime:
    """Monday 00:00 in London, as an aware UTC datetime."""
    return datetime.combine(week, time(0, 0), tzinfo=LONDON).astimezone(UTC)


def parse_week(text: str) -> date:
    """A YYYY-MM-DD date that is a Monday; LogError (with the reason) otherwise."""
    text = (text or "").strip()
    try:
        if not WEEK_FORMAT.match(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise LogError(f'"{text[:40]}" is not a date: give the week commencing as YYYY-MM-DD, e.g. 2026-04-13.') from None
    check_monday(day)
    return day


def check_monday(day: date) -> None:
    if day.weekday() != 0:
        raise LogError(
            f"{day.isoformat()} is a {day.strftime('%A')}: the log is published for the week commencing "
            f"a Monday (that week's Monday is {monday_of(day).isoformat()})."
        )


EARLIEST_WEEK = date(2000, 1, 3)
# A first publication may be late by this much; older weeks would report today's data
# under an old date. A correction of any published week is always possible.
LATE_PUBLICATION_WEEKS = 1


def check_publishable(week: date, now: datetime | None = None) -> None:
    check_monday(week)
    this_week = current_week(now)
    if week < EARLIEST_WEEK:
        raise LogError(f"{week.isoformat()} is too long ago: give a week commencing in 2000 or later.")
    if week > this_week:
        raise LogError(
            f"The week commencing {week.isoformat()} has not started yet; the latest week that can be "
            f"published is {this_week.isoformat()}."
        )


# ---------------------------------------------------------------- what the log says


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


# ---------------------------------------------------------------- commentary


def get_commentary(week: date) -> LogCommentary | None:
    return db.session.scalar(sa.select(LogCommentary).where(LogCommentary.week_commencing == week))


def save_commentary(
    week: date, data: dict, user: User, *, expected_version: int | None = None, now: datetime | None = None
) -> LogCommentary:
    """Write the week's commentary. expected_version: the version the editor saw (0: none yet);
    ConflictError when someone else saved it since."""
    check_monday(week)
    commentary = get_commentary(week)
    if expected_version is not None and expected_version != (commentary.version if commentary else 0):
        raise ConflictError("Someone else saved this week's commentary after you opened it, so yours was not saved.")
    if commentary is None:
        commentary = LogCommentary(week_commencing=week)
        db.session.add(commentary)
    for name in COMMENTARY_FIELDS:
        setattr(commentary, name, (data.get(name) or "").strip())
    commentary.updated_by_id = user.id
    commentary.updated_at = now or utcnow()
    flush()
    return commentary


# ---------------------------------------------------------------- rendering


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


# ---------------------------------------------------------------- publishing


def latest_revision(week: date) -> PublishedLog | None:
    return db.session.scalar(
        sa.select(PublishedLog)
        .where(PublishedLog.week_commencing == week)
        .order_by(PublishedLog.revision.desc())
        .limit(1)
    )


@dataclass
class PublishOutcome:
    log: PublishedLog
    created: bool

    @property
    def message(self) -> str:
        log = self.log
        week = format_date(log.week_commencing)
        when = format_datetime(log.published_at)
        if not self.created:
            return (
                f"The log for the week commencing {week} is already published (revision {log.revision}, {when}); "
                "nothing changed. To correct it, publish a new revision with a reason."
            )
        what = "Published" if log.revision == 1 else f"Published revision {log.revision} of"
        return (
            f"{what} the industry issues log for the week commencing {week}: {plural(log.open_count, 'open issue')}, "
            f"{log.size_bytes / 1024:.1f} kB, SHA-256 {log.sha256[:16]}…"
        )


def check_publish_request(week: date, *, revise: bool, reason: str, now: datetime | None = None) -> PublishedLog | None:
    """Refuse (LogError) a request that cannot be carried out; return the published log when it would change nothing."""
    check_publishable(week, now)
    existing = latest_revision(week)
    if revise:
        if existing is None:
            raise LogError(
                f"There is no published log for the week commencing {week.isoformat()} to revise; publish it first."
            )
        if not (reason or "").strip():
            raise LogError("Say what the revision corrects: a reason is required.", field="reason")
        return None
    if (reason or "").strip():
        raise LogError("A reason is given only with a revision (--revise).", field="reason")
    if existing is None:
        check_first_publication(week, now)
    return existing


def check_first_publication(week: date, now: datetime | None = None) -> None:
    """A new week is published in order, and only this week or shortly after it."""
    latest_week = db.session.scalar(sa.select(sa.func.max(PublishedLog.week_commencing)))
    if latest_week is not None and latest_week > week:
        raise LogError(
            f"The log for the later week commencing {latest_week.isoformat()} is already published; "
            f"a log for {week.isoformat()} now would misplace this week's changes. Revise a published week instead."
        )
    oldest = current_week(now) - timedelta(weeks=LATE_PUBLICATION_WEEKS)
    if week < oldest:
        raise LogError(
            f"The week commencing {week.isoformat()} is over; the log can be published for this week or last week "
            f"({oldest.isoformat()} or later). A published week can be revised at any time."
        )


def publish_log(
    week: date,
    *,
    user: User | None = None,
    revise: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> PublishOutcome:
    """Render and store the log for the week commencing `week`, once.

    Publishing a week that exists changes nothing (created=False), unless `revise`
    asks for a correction, which needs a reason and becomes the next revision.
    """
    now = now or utcnow()
    reason = (reason or "").strip()
    existing = check_publish_request(week, revise=revise, reason=reason, now=now)
    if existing is not None:
        return PublishOutcome(existing, created=False)
    existing = latest_revision(week)

    revision = existing.revision + 1 if existing else 1
    contents = log_contents(week, now=now)
    pdf = render_log_pdf(contents, published_at=now, revision=revision, reason=reason)
    log = PublishedLog(
        week_commencing=week,
        revision=revision,
        published_at=now,
        published_by_id=user.id if user else None,
        reason=reason,
        **contents.summary.counts(),
        sha256=hashlib.sha256(pdf).hexdigest(),
        size_bytes=len(pdf),
        pdf=pdf,
    )
    try:
        with savepoint():
            db.session.add(log)
            db.session.flush()
    except sa.exc.IntegrityError:
        # Someone published the same revision while this one rendered: theirs stands.
        theirs = latest_revision(week)
        if theirs is None:
            raise
        if revise:
            raise LogError(
                f"Revision {theirs.revision} of the week commencing {week.isoformat()} was published while this "
                "one was rendering; check it, and publish another revision if it still needs correcting."
            ) from None
        return PublishOutcome(theirs, created=False)
    # Told to everyone who wants to hear of it, from this outbox record, by the worker.
    title = f"Industry issues log for the week commencing {week.strftime('%d %b %Y')}"
    db.session.add(Announcement(
        kind="log", published_log_id=log.id, created_by_id=user.id if user else None, created_at=now,
        title=title if revision == 1 else f"{title}, revision {revision}: {reason}",
    ))
    flush()
    return PublishOutcome(log, created=True)


@dataclass
class ArchivedWeek:
    week: date
    revisions: list[PublishedLog]  # newest first
    publishers: dict[int, str]

    @property
    def latest(self) -> PublishedLog:
        return self.revisions[0]

    def publisher(self, log: PublishedLog) -> str:
        return self.publishers.get(log.published_by_id, "the command line (scheduled run)")


def archive() -> list[ArchivedWeek]:
    """Every published week, newest first, with its revisions; the PDF bytes stay unloaded."""
    logs = db.session.scalars(
        sa.select(PublishedLog).order_by(PublishedLog.week_commencing.desc(), PublishedLog.revision.desc())
    ).all()
    user_ids = {log.published_by_id for log in logs if log.published_by_id}
    publishers = dict(
        db.session.execute(sa.select(User.id, sa.func.coalesce(sa.func.nullif(User.name, ""), User.email))
                           .where(User.id.in_(user_ids))).all()
    ) if user_ids else {}
    weeks: dict[date, list[PublishedLog]] = {}
    for log in logs:
        weeks.setdefault(log.week_commencing, []).append(log)
    return [ArchivedWeek(week, revisions, publishers) for week, revisions in weeks.items()]


def get_log(week: date, revision: int | None = None) -> PublishedLog | None:
    stmt = sa.select(PublishedLog).where(PublishedLog.week_commencing == week)
    if revision is None:
        stmt = stmt.order_by(PublishedLog.revision.desc()).limit(1)
    else:
        stmt = stmt.where(PublishedLog.revision == revision)
    return db.session.scalar(stmt.options(so.undefer(PublishedLog.pdf)))


def latest_log() -> PublishedLog | None:
    return db.session.scalar(
        sa.select(PublishedLog)
        .order_by(PublishedLog.week_commencing.desc(), PublishedLog.revision.desc())
        .limit(1)
        .options(so.undefer(PublishedLog.pdf))
    )
