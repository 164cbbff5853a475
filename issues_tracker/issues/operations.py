"""Changes of state for industry issues: submit, update, triage, actions.

Views, the CLI, the seeds and the tests all call these, so every change is
journalled the same way whoever makes it. They add and flush, never commit: the
caller commits once (see issues_tracker.core.transaction).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.fields import ascii_int
from ..core.models import utcnow
from ..core.transaction import ConflictError, flush
from ..search import documents as search_documents
from ..search import queries as search_queries
from ..search.text import SearchText, parse_search, similar_search
from .access import visible_issues_clause
from .models import Issue, IssueAction, IssueEvent, IssueFacts, IssueMessage, IssueService

# The fields a participant gives when submitting, and staff may edit later.
SUBMITTED_FIELDS = (
    "summary",
    "description",
    "severity",
    "root_cause",
    "root_cause_certainty",
    "supplier_impact",
    "distributor_impact",
    "settlement_impact",
    "dependencies",
    "parties_responsible",
    "next_run_resolves",
    "service_desk_refs",
)
STAFF_FIELDS = SUBMITTED_FIELDS + (
    "status",
    "impact_assessment",
    "action_underway",
    "resolution_description",
    "resolution_status",
    "owner_id",
    "target_date",
)
FIELD_LABELS = {
    "summary": "Summary",
    "description": "Description",
    "severity": "Severity",
    "root_cause": "Root cause",
    "root_cause_certainty": "Root cause certainty",
    "supplier_impact": "Suppliers impacted",
    "distributor_impact": "Distributors impacted",
    "settlement_impact": "Settlement impact",
    "dependencies": "Dependencies",
    "parties_responsible": "Parties responsible",
    "next_run_resolves": "Next run resolves",
    "service_desk_refs": "Service-desk references",
    "status": "Current status",
    "impact_assessment": "Impact assessment",
    "action_underway": "Action underway",
    "resolution_description": "Resolution",
    "resolution_status": "Resolution status",
    "owner_id": "Owner",
    "target_date": "Target date",
    "services": "Services",
    "messages": "Settlement messages",
}


class IssueRuleError(ValueError):
    """A change that would leave the issue saying something untrue; the message says why."""


RESOLUTION_REQUIRED = "Say how the issue was resolved: a resolved or closed issue needs its resolution."


class ConcurrentEditError(ConflictError):
    """Someone else saved the issue after this editor opened it."""


def _display(field: str, value) -> str:
    if value is None or value == "":
        return ""
    if field == "severity":
        return choices.SEVERITY_LABELS.get(value, str(value))
    if field == "owner_id":
        user = db.session.get(User, value)
        return user.display_name if user else str(value)
    if isinstance(value, (list, tuple)):
        return " / ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def issue_for_submission(token: str | None, user: User) -> Issue | None:
    """The issue this person's form (by its one-time token) already submitted, if any."""
    if not token:
        return None
    return db.session.scalar(sa.select(Issue).where(Issue.submission_token == token, Issue.submitted_by_id == user.id))


def submit_issue(
    data: dict, user: User, *, submission_token: str | None = None, now: datetime | None = None
) -> Issue:
    """A participant's (or staff member's) new issue, awaiting triage.

    submission_token: the form's one-time token; a second issue with the same token is
    refused by the database (ConflictError), so a double click makes one issue.
    """
    now = now or utcnow()
    issue = Issue(
        submission_token=submission_token,
        **{field: data[field] for field in SUBMITTED_FIELDS if field in data},
        organisation_id=user.organisation_id,
        submitted_by_id=user.id,
        created_at=now,
        last_update_at=now,
        status="New",
        triage_state="pending",
    )
    issue.service_links = [IssueService(code) for code in _unique(data.get("services", []))]
    issue.message_links = [IssueMessage(code) for code in _unique(data.get("messages", []))]
    db.session.add(issue)
    db.session.add(IssueEvent(issue=issue, user_id=user.id, created_at=now, kind="created", note="Issue submitted"))
    flush()
    return issue


def _unique(values) -> list[str]:
    seen: list[str] = []
    for value in values or []:
        if value not in seen:
            seen.append(value)
    return seen


def update_issue(
    issue: Issue,
    data: dict,
    user: User,
    *,
    expected_version: int | None,
    note: str = "",
    complete_resolution: bool = True,
    now: datetime | None = None,
) -> list[IssueEvent]:
    """Apply staff changes, journal each field (old → new), and record a progress note.

    Refuses with ConcurrentEditError when the issue changed since expected_version, and with
    IssueRuleError when it would be resolved or closed without a resolution. Resolving or
    closing sets the resolution status to Complete (journalled), unless complete_resolution
    is False (an import that states the resolution status itself).
    """
    now = now or utcnow()
    if expected_version is not None and expected_version != issue.version:
        raise ConcurrentEditError
    events: list[IssueEvent] = []
    # Nothing is written until the changes are complete (a concurrent save then shows at the flush).
    with db.session.no_autoflush:
        for field in STAFF_FIELDS:
            if field not in data:
                continue
            old, new = getattr(issue, field), data[field]
            if field == "owner_id" and new == 0:
                new = None
            if old != new:
                events.append(_change_event(issue, user, now, field, old, new))
                setattr(issue, field, new)
        for field, link_cls, attr in (
            ("services", IssueService, "service_links"),
            ("messages", IssueMessage, "message_links"),
        ):
            if field not in data:
                continue
            old, new = list(getattr(issue, field)), _unique(data[field])
            if sorted(old) != sorted(new):
                events.append(_change_event(issue, user, now, field, old, new))
                setattr(issue, attr, [link_cls(code) for code in new])
    if issue.status in choices.CLOSED_STATUSES and "status" in data and any(e.field == "status" for e in events):
        # Closing or resolving records the resolution, and the resolution is then complete.
        if not (issue.resolution_description or "").strip() and issue.triage_state != "rejected":
            raise IssueRuleError(RESOLUTION_REQUIRED)
        if complete_resolution and issue.resolution_status != "Complete":
            events.append(_change_event(issue, user, now, "resolution_status", issue.resolution_status, "Complete"))
            issue.resolution_status = "Complete"
    if note:
        events.append(IssueEvent(issue=issue, user_id=user.id, created_at=now, kind="note", note=note))
    if not events:
        return []
    _stamp_resolved(issue, now)
    issue.last_update_at = now
    db.session.add_all(events)
    try:
        flush()
    except ConflictError:
        raise ConcurrentEditError from None
    return events


def _stamp_resolved(issue: Issue, now: datetime) -> None:
    if issue.status in choices.CLOSED_STATUSES and issue.resolved_at is None:
        issue.resolved_at = now
    elif issue.status not in choices.CLOSED_STATUSES:
        issue.resolved_at = None


def _set_status(issue: Issue, user: User | None, now: datetime, status: str, note: str = "") -> IssueEvent:
    """A status change made as a consequence of another decision: journalled like any other."""
    event = _change_event(issue, user, now, "status", issue.status, status)
    event.note = note
    issue.status = status
    _stamp_resolved(issue, now)
    return event


def _change_event(issue, user, now, field, old, new) -> IssueEvent:
    return IssueEvent(
        issue=issue,
        user_id=user.id if user else None,
        created_at=now,
        kind="change",
        field=field,
        old_value=_display(field, old),
        new_value=_display(field, new),
    )


class TriageError(ValueError):
    """A triage decision that does not fit the issue's current state."""


def triage_issue(
    issue: Issue, user: User, decision: str, reason: str = "", *, note: str = "", now: datetime | None = None
) -> None:
    """Publish or reject a pending submission; a rejected one may still be published later.

    A rejected submission is closed (it no longer counts as open); publishing it later
    reopens it. Every status change this makes is journalled.
    """
    now = now or utcnow()
    automatic: list[IssueEvent] = []
    old_state = issue.triage_state
    if old_state == "published":
        raise TriageError(f"{issue.reference} is already published to the industry view; nothing was changed.")
    if old_state == "rejected" and decision != "publish":
        raise TriageError(f"{issue.reference} is already rejected; nothing was changed.")
    if decision == "publish":
        issue.triage_state = "published"
        issue.published_at = issue.published_at or now
        issue.rejection_reason = ""
        if issue.status == "New" or old_state == "rejected":
            automatic.append(_set_status(issue, user, now, "Under investigation", "Published to the industry view"))
        note = note or "Published to the industry view"
    elif decision == "reject":
        issue.triage_state = "rejected"
        issue.rejection_reason = reason
        if issue.status not in choices.CLOSED_STATUSES:
            automatic.append(_set_status(issue, user, now, "Closed", "Closed because the submission was rejected"))
        note = note or f"Rejected: {reason}"
    else:
        raise ValueError(f"unknown triage decision {decision!r}")
    issue.last_update_at = now
    db.session.add(
        IssueEvent(
            issue=issue,
            user_id=user.id,
            created_at=now,
            kind="triage",
            field="triage_state",
            old_value=old_state,
            new_value=issue.triage_state,
            note=note,
        )
    )
    db.session.add_all(automatic)
    flush()


def add_action(issue: Issue, user: User, data: dict, *, now: datetime | None = None) -> IssueAction:
    now = now or utcnow()
    action = IssueAction(
        issue=issue,
        description=data["description"],
        owner_name=data["owner_name"],
        due_date=data.get("due_date"),
        status=data.get("status") or "Open",
        created_at=now,
        updated_at=now,
    )
    due = f", due {action.due_date.isoformat()}" if action.due_date else ""
    db.session.add(action)
    db.session.add(
        IssueEvent(
            issue_id=issue.id, user_id=user.id, created_at=now, kind="action",
            note=f"Action added for {action.owner_name}{due}: {action.description}",
        )
    )
    issue.last_update_at = now
    flush()
    return action


def set_action_status(action: IssueAction, user: User, status: str, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if status == action.status:
        return
    db.session.add(
        IssueEvent(
            issue_id=action.issue_id, user_id=user.id, created_at=now, kind="action",
            field="action_status", old_value=action.status, new_value=status,
            note=f"Action for {action.owner_name}: {action.description[:120]}",
        )
    )
    action.status = status
    action.updated_at = now
    action.issue.last_update_at = now
    flush()


def reject_as_duplicate(issue: Issue, original: Issue, user: User, *, now: datetime | None = None) -> None:
    """Reject a submission because it repeats a published issue, and link it to that issue."""
    if issue.triage_state != "pending":
        raise TriageError(f"{issue.reference} is not awaiting triage, so it cannot be rejected as a duplicate.")
    if original.id == issue.id or original.triage_state != "published":
        raise TriageError("An issue can only duplicate another issue that is published to the industry view.")
    issue.duplicate_of = original
    triage_issue(issue, user, "reject", f"Duplicate of {original.reference}: {original.summary}",
                 note=f"Rejected as a duplicate of {original.reference}", now=now)


SIMILAR_LIMIT = 5


def similar_issues(
    summary: str, description: str = "", *, exclude_id: int | None = None, limit: int = SIMILAR_LIMIT
) -> tuple[list[Issue], SearchText | None]:
    """Published issues most like a new issue's summary (and description), best first, with the
    search to highlight them by. Issues with every distinctive word of the summary come first,
    then those sharing the most of the words."""
    strict, loose = similar_search(summary, description)
    if not loose:
        return [], None
    facets = search_queries.published_only()
    ids: list[int] = []
    for search, any_term in ((strict, False), (loose, True)):
        if not search or len(ids) >= limit:
            continue
        hits = search_queries.ranked_hits(
            db.session, search, facets, limit=limit, any_term=any_term, exclude_id=exclude_id,
            window=search_queries.SIMILAR_WINDOW,
        )
        ids += [row.id for row in db.session.execute(sa.select(hits.c.id, hits.c.score).order_by(hits.c.score, hits.c.id.desc()))
                if row.id not in ids]
    ids = ids[:limit]
    if not ids:
        return [], loose
    issues = {issue.id: issue for issue in db.session.scalars(
        sa.select(Issue).where(Issue.id.in_(ids)).options(so.selectinload(Issue.service_links))
    )}
    return [issues[issue_id] for issue_id in ids if issue_id in issues], loose


# ---------------------------------------------------------------- querying


@dataclass
class OpenIssueCounts:
    by_status: dict[str, int]
    by_service: dict[str, int]
    without_service: int


def open_issue_counts(condition) -> OpenIssueCounts:
    """Issues matching `condition`, counted by current status and by service."""
    by_status = dict(
        db.session.execute(sa.select(Issue.status, sa.func.count()).where(condition).group_by(Issue.status)).all()
    )
    by_service = dict(
        db.session.execute(
            sa.select(IssueService.service, sa.func.count())
            .join(Issue, Issue.id == IssueService.issue_id)
            .where(condition)
            .group_by(IssueService.service)
        ).all()
    )
    without_service = db.session.scalar(
        sa.select(sa.func.count()).select_from(Issue).where(condition, ~sa.exists().where(IssueService.issue_id == Issue.id))
    )
    return OpenIssueCounts(by_status, by_service, without_service)


@dataclass
class IssueQuery:
    """The list's filters, already validated."""

    q: str = ""
    service: str = ""
    status: str = ""
    resolution_status: str = ""
    impact: str = ""
    next_run: str = ""
    severity: str = ""
    owner: str = ""
    triage: str = ""
    stale: str = ""
    org: str = ""  # "mine": raised by the signed-in person's organisation
    sort: str = "updated"

    @functools.cached_property
    def search(self) -> SearchText | None:
        """The words searched for, or None without a search."""
        return parse_search(self.q) if self.q and self.q.strip() else None

    @property
    def ranked(self) -> bool:
        return self.search is not None and self.sort == "relevance"


# Each sort as (column, descending?) keys; every order ends with the id, so it is total
# and can be read backwards exactly (see issues_page).
SORT_KEYS = {
    "updated": ((Issue.last_update_at, True), (Issue.id, True)),
    "stale": ((Issue.last_update_at, False), (Issue.id, False)),
    "age": ((Issue.created_at, False), (Issue.id, False)),
    "newest": ((Issue.created_at, True), (Issue.id, True)),
    "severity": ((Issue.severity, False), (Issue.last_update_at, True), (Issue.id, True)),
    "affected": ((Issue.affected_org_count, True), (Issue.last_update_at, True), (Issue.id, True)),
    "id": ((Issue.id, False),),
}


def sort_order(sort: str, *, reverse: bool = False) -> tuple:
    keys = SORT_KEYS.get(sort, SORT_KEYS["updated"])
    return tuple(column.desc() if descending != reverse else column.asc() for column, descending in keys)


SORT_ORDERS = {name: sort_order(name) for name in SORT_KEYS}


def _checked_only(clause):
    """The clause as SQLite's planner will only check, never use to choose an index.

    SQLite plans without statistics. Given "published OR own organisation", or "among these
    20,000 search matches", it looks the rows up through that condition's index and sorts
    them all for every page. Written as a CASE, the condition is only checked row by row, so
    a page walks the sort index (or a selective filter's index) and stops after a page.
    Same rows, same meaning; other databases plan from statistics and get the clause as is.
    """
    if db.session.get_bind().dialect.name != "sqlite":
        return clause
    return sa.case((clause, 1), else_=0) == 1


def _visibility(user: User):
    clause = visible_issues_clause(user)
    return clause if user.is_staff else _checked_only(clause)


def filter_conditions(
    query: IssueQuery, user: User, *, stale_after_days: int = 14, now: datetime | None = None, for_page: bool = False,
    broad_search: bool = False,
) -> list:
    """The list's WHERE clause. for_page: shaped for picking one page rather than counting them all.
    broad_search: the search matches at least search_queries.COUNT_CAP issues, so a page is
    found sooner by walking the sort order than by sorting every match."""
    now = now or utcnow()
    conditions = [_visibility(user)]
    if query.service and for_page:
        # Checked row by row as the sort (or status) index is walked: a page needs only a few rows.
        conditions.append(
            sa.exists().where(IssueService.issue_id == Issue.id, IssueService.service == query.service)
        )
    elif query.service:
        # The service's issues looked up once through its index: cheaper when counting them all.
        conditions.append(
            Issue.id.in_(sa.select(IssueService.issue_id).where(IssueService.service == query.service))
        )
    if query.status == "open":
        conditions.append(Issue.status.in_(choices.OPEN_STATUSES))
    elif query.status == "closed":
        conditions.append(Issue.status.in_(choices.CLOSED_STATUSES))
    elif query.status:
        conditions.append(Issue.status == query.status)
    if query.resolution_status:
        conditions.append(Issue.resolution_status == query.resolution_status)
    if query.impact:
        conditions.append(Issue.impact_assessment == query.impact)
    if query.next_run:
        conditions.append(Issue.next_run_resolves == query.next_run)
    if ascii_int(query.severity) is not None:
        conditions.append(Issue.severity == ascii_int(query.severity))
    if query.owner == "none":
        conditions.append(Issue.owner_id.is_(None))
    elif ascii_int(query.owner) is not None:
        conditions.append(Issue.owner_id == ascii_int(query.owner))
    if query.triage:
        conditions.append(Issue.triage_state == query.triage)
    if query.stale:
        conditions.append(Issue.status.in_(choices.OPEN_STATUSES))
        conditions.append(Issue.last_update_at <= now - timedelta(days=stale_after_days))
    if query.org == "mine":
        conditions.append(Issue.organisation_id == user.organisation_id)
    search = query.search
    if search is not None:
        if search:
            matched = Issue.id.in_(search_queries.matching_ids(db.session, search))
            conditions.append(_checked_only(matched) if broad_search and for_page else matched)
        else:
            conditions.append(sa.false())  # nothing searchable in what was typed: nothing matches
    return conditions


def issue_select(query: IssueQuery, user: User, **kw) -> sa.Select:
    return (
        sa.select(Issue)
        .where(*filter_conditions(query, user, **kw))
        .order_by(*SORT_ORDERS.get(query.sort, SORT_ORDERS["updated"]))
    )


def list_loader_options():
    """Eager loads for a page of issues: a fixed number of queries whatever the page size."""
    return (
        so.selectinload(Issue.service_links),
        so.selectinload(Issue.message_links),
        so.joinedload(Issue.owner),
        so.joinedload(Issue.organisation),
    )


@dataclass(frozen=True)
class ListedIssue(IssueFacts):
    """An issue as a list page shows it, read as plain columns: a page of 25 costs a fraction
    of loading the same issues as ORM objects with their services and owners."""

    id: int
    summary: str
    description: str
    triage_state: str
    status: str
    resolution_status: str
    severity: int
    next_run_resolves: str
    affected_org_count: int
    created_at: datetime
    last_update_at: datetime
    resolved_at: datetime | None
    owner_name: str | None
    services: tuple[str, ...] = ()


LISTED_COLUMNS = (
    Issue.id, Issue.summary, Issue.description, Issue.triage_state, Issue.status, Issue.resolution_status,
    Issue.severity, Issue.next_run_resolves, Issue.affected_org_count, Issue.created_at, Issue.last_update_at,
    Issue.resolved_at, User.display_name.label("owner_name"),
)
LISTED_FIELDS = tuple(f.name for f in fields(ListedIssue) if f.name != "services")


def listed_select(*extra) -> sa.Select:
    """The list page's columns of each issue (and its owner's name), with extra columns after them."""
    return sa.select(*LISTED_COLUMNS, *extra).select_from(Issue).outerjoin(User, User.id == Issue.owner_id)


def listed_issues(rows) -> list[ListedIssue]:
    """Rows of listed_select as ListedIssues with their services (one query for the page)."""
    services: dict[int, list[str]] = {row.id: [] for row in rows}
    if services:
        for issue_id, service in db.session.execute(
            sa.select(IssueService.issue_id, IssueService.service)
            .where(IssueService.issue_id.in_(list(services)))
            .order_by(IssueService.service)
        ):
            services[issue_id].append(service)
    return [
        ListedIssue(*(getattr(row, name) for name in LISTED_FIELDS), services=tuple(services[row.id]))
        for row in rows
    ]


def search_facets(
    query: IssueQuery, user: User, *, stale_after_days: int = 14, now: datetime | None = None
) -> search_queries.Facets:
    """The same filters as filter_conditions, as the search index's facets (see search/queries.py)."""
    facets = search_queries.visibility(user)
    facet = search_documents.facet
    if query.service:
        facets.all_of.append((facet("sv", query.service),))
    if query.status == "open":
        facets.all_of.append((search_documents.OPEN,))
    elif query.status == "closed":
        facets.none_of.append((search_documents.OPEN, None))
    elif query.status:
        facets.all_of.append((facet("st", query.status),))
    for value, name in (
        (query.resolution_status, "rs"), (query.impact, "ia"), (query.next_run, "nr"), (query.severity, "sev"),
        (query.triage, "t"),
    ):
        if value:
            facets.all_of.append((facet(name, value),))
    if query.owner:
        facets.all_of.append((facet("ow", query.owner),))
    if query.org == "mine":
        facets.all_of.append((facet("o", user.organisation_id),))
    if query.stale:
        facets.all_of.append((search_documents.OPEN,))
        facets.stale_before = (now or utcnow()) - timedelta(days=stale_after_days)
    return facets


def count_issues(query: IssueQuery, user: User, **kw) -> int:
    """How many issues the list shows; a search counts no further than one past
    search_queries.COUNT_CAP (more than the cap: see search_queries.count_matches)."""
    search = query.search
    if search is not None:
        if not search:
            return 0
        return search_queries.count_matches(db.session, search, search_facets(query, user, **kw))
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Issue).where(*filter_conditions(query, user, **kw))
    )


def ranked_page(
    query: IssueQuery, user: User, *, page: int, per_page: int, total: int, **kw
) -> tuple[list[ListedIssue], dict[int, str]]:
    """One page of a search in order of relevance, with each issue's excerpt text."""
    search = query.search
    offset = (page - 1) * per_page
    if not search or offset >= total:
        return [], {}
    hits = search_queries.ranked_hits(
        db.session, search, search_facets(query, user, **kw), limit=per_page, offset=offset
    )
    rows = db.session.execute(
        listed_select(hits.c.excerpt).join(hits, hits.c.id == Issue.id).order_by(hits.c.score, Issue.id.desc())
    ).all()
    return listed_issues(rows), {row.id: row.excerpt for row in rows}


def in_ranked_order(issues: list, query: IssueQuery, user: User, **kw) -> list:
    """The issues a search matched, in the order its pages list them (ranked_page): the
    newest WINDOW matches best first, then the older ones newest first."""
    if not query.search:  # nothing searchable in what was typed: nothing matched
        return issues
    hits = search_queries.ranked_hits(
        db.session, query.search, search_facets(query, user, **kw), limit=search_queries.WINDOW
    )
    best = {issue_id: position for position, issue_id in enumerate(
        db.session.scalars(sa.select(hits.c.id).order_by(hits.c.score, hits.c.id.desc()))
    )}
    return sorted(issues, key=lambda issue: (best.get(issue.id, len(best)), -issue.id))


def issues_page(
    query: IssueQuery, user: User, *, page: int, per_page: int, total: int, **kw
) -> tuple[list[ListedIssue], dict[int, str]]:
    """One page of the list in the chosen order, with each issue's excerpt text when it is a
    search (as ranked_page gives); total is count_issues for the same query.

    The page's ids are picked from the narrow sort index first and only those rows are
    loaded, rather than sorting and skipping whole rows. A page past the middle is read
    from the end in the reversed order, so the last page costs what the first does.
    """
    offset = (page - 1) * per_page
    if offset >= total:
        return [], {}
    # A search's total stops at a cap, so its pages are always read from the front.
    reverse = offset > total // 2 and query.search is None
    if reverse:
        start = max(0, total - offset - per_page)
        limit = total - offset - start
    else:
        start, limit = offset, per_page
    page_ids = (
        sa.select(Issue.id)
        .where(*filter_conditions(
            query, user, for_page=True, broad_search=total >= search_queries.COUNT_CAP, **kw
        ))
        .order_by(*sort_order(query.sort, reverse=reverse))
        .limit(limit)
        .offset(start)
        .subquery()
    )
    rows = db.session.execute(
        listed_select().join(page_ids, page_ids.c.id == Issue.id).order_by(*sort_order(query.sort))
    ).all()
    # A search's excerpts come apart: joined here, SQLite would walk the whole sort index
    # to keep the page's order rather than look the page's 25 rows up.
    excerpts = search_queries.excerpts_of(db.session, [row.id for row in rows]) if query.search else {}
    return listed_issues(rows), excerpts
