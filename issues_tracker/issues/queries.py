"""Reading industry issues as the list shows them: its filters (IssueQuery), their SQL, the
sort orders, pages of plain rows, counts, and searches through the index."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.fields import ascii_int
from ..core.models import utcnow
from ..search import documents as search_documents
from ..search import queries as search_queries
from ..search.text import SearchText, parse_search
from .access import visible_issues_clause
from .models import Issue, IssueFacts, IssueService


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

    @property
    def default_sort(self) -> str:
        """Best match when searching, else the latest update first."""
        return "relevance" if self.search is not None else "updated"

    def args(self, *, explicit_status: bool = False) -> dict[str, str]:
        """The query string that reproduces the view: only what differs from the defaults (with
        explicit_status, the status even when it is the default: a saved view keeps it)."""
        args = {f.name: getattr(self, f.name) for f in dataclass_fields(self) if getattr(self, f.name)}
        if self.status == "open" and not explicit_status:
            args.pop("status")
        elif not self.status:
            args["status"] = "all"
        if args.get("sort") == self.default_sort:
            args.pop("sort")
        return args

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> IssueQuery:
        """The view a query string written by args() names (a saved view's, checked when it was
        saved): open issues unless it says otherwise, "all" for every status; other names ignored."""
        names = {f.name for f in dataclass_fields(cls)}
        values = {name: str(value).strip() for name, value in args.items() if name in names}
        status = values.get("status", "")
        values["status"] = {"": "open", "all": ""}.get(status, status)
        query = cls(**values)
        if not query.sort or (query.sort == "relevance" and query.search is None):
            query.sort = query.default_sort
        return query


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


LISTED_FIELDS = tuple(f.name for f in dataclass_fields(ListedIssue) if f.name != "services")
assert LISTED_FIELDS == tuple(column.key for column in LISTED_COLUMNS), "ListedIssue's fields follow LISTED_COLUMNS"


def listed_select(*extra) -> sa.Select:
    """The list page's columns of each issue (and its owner's name), with extra columns after them."""
    return sa.select(*LISTED_COLUMNS, *extra).select_from(Issue).outerjoin(User, User.id == Issue.owner_id)


@functools.cache
def _services_select() -> sa.Select:
    return (
        sa.select(IssueService.issue_id, IssueService.service)
        .where(IssueService.issue_id.in_(sa.bindparam("ids", expanding=True)))
        .order_by(IssueService.service)
    )


def listed_issues(rows) -> list[ListedIssue]:
    """Rows of listed_select as ListedIssues with their services (one query for the page)."""
    services: dict[int, list[str]] = {row.id: [] for row in rows}
    if services:
        for issue_id, service in db.session.execute(_services_select(), {"ids": list(services)}):
            services[issue_id].append(service)
    width = len(LISTED_FIELDS)  # listed_select's columns come first, in the fields' order
    return [ListedIssue(*row[:width], services=tuple(services[row.id])) for row in rows]


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
    kept = _kept_statement_key(query, user, kw)
    if kept is not None:
        return db.session.scalar(_kept_count(*kept))
    return db.session.scalar(_count_select(query, user, **kw))


def _count_select(query: IssueQuery, user, **kw) -> sa.Select:
    return sa.select(sa.func.count()).select_from(Issue).where(*filter_conditions(query, user, **kw))


@dataclass(frozen=True)
class _Viewer:
    """What a list statement needs of the person: whether staff, and their organisation."""

    is_staff: bool
    organisation_id: int | None


def _kept_statement_key(query: IssueQuery, user, kw: dict) -> tuple | None:
    """A key under which the list's statement for this view can be built once and kept: only
    for views whose SQL depends on nothing but the filters and who looks (not a search, whose
    words the index answers, nor "stale", which moves with the clock). The statement is kept,
    never its result: each request still runs it."""
    if query.search is not None or query.stale or set(kw) - {"stale_after_days"}:
        return None
    filters = tuple((f.name, getattr(query, f.name)) for f in dataclass_fields(query))
    viewer = _Viewer(bool(user.is_staff), user.organisation_id)
    return db.session.get_bind().dialect.name, viewer, filters


@functools.lru_cache(maxsize=256)
def _kept_count(dialect: str, viewer: _Viewer, filters: tuple) -> sa.Select:
    return _count_select(IssueQuery(**dict(filters)), viewer)


@functools.lru_cache(maxsize=1024)
def _kept_page(dialect: str, viewer: _Viewer, filters: tuple, start: int, limit: int, reverse: bool) -> sa.Select:
    return _page_select(IssueQuery(**dict(filters)), viewer, start=start, limit=limit, reverse=reverse, broad_search=False)


def ranked_page(
    query: IssueQuery, user: User, *, page: int, per_page: int, total: int, **kw
) -> tuple[list[ListedIssue], dict[int, str]]:
    """One page of a search in order of relevance, with each issue's excerpt text."""
    search = query.search
    offset = (page - 1) * per_page
    if not search or offset >= total:
        return [], {}
    hits = search_queries.ranked_hits(
        db.session, search, search_facets(query, user, **kw), limit=per_page, offset=offset,
        few_matches=total < search_queries.COUNT_CAP,
    )
    rows = db.session.execute(
        listed_select(hits.c.excerpt).join(hits, hits.c.id == Issue.id).order_by(hits.c.score, Issue.id.desc())
    ).all()
    return listed_issues(rows), {row.id: row.excerpt for row in rows}


def _page_select(query: IssueQuery, user, *, start: int, limit: int, reverse: bool, broad_search: bool,
                 **kw) -> sa.Select:
    """The page's ids picked from the narrow sort index, then only those rows read."""
    page_ids = (
        sa.select(Issue.id)
        .where(*filter_conditions(query, user, for_page=True, broad_search=broad_search, **kw))
        .order_by(*sort_order(query.sort, reverse=reverse))
        .limit(limit)
        .offset(start)
        .subquery()
    )
    return listed_select().join(page_ids, page_ids.c.id == Issue.id).order_by(*sort_order(query.sort))


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
    kept = _kept_statement_key(query, user, kw)
    if kept is not None:
        stmt = _kept_page(*kept, start, limit, reverse)
    else:
        stmt = _page_select(query, user, start=start, limit=limit, reverse=reverse,
                            broad_search=total >= search_queries.COUNT_CAP, **kw)
    rows = db.session.execute(stmt).all()
    # A search's excerpts come apart: joined here, SQLite would walk the whole sort index
    # to keep the page's order rather than look the page's 25 rows up.
    excerpts = search_queries.excerpts_of(db.session, [row.id for row in rows]) if query.search else {}
    return listed_issues(rows), excerpts
