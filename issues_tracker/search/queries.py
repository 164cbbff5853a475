"""Searching the index: ranked pages, capped counts, and similar issues.

A search is the person's words (each matched by its stem, the last also as a prefix
while it is being typed) AND the filters and visibility rule as facets, all answered by
the full-text index itself (FTS5 MATCH on SQLite, tsquery @@ on PostgreSQL). Ranking
(in Python from the window's own tokens on SQLite, see ranking.py; ts_rank on PostgreSQL;
each weighting references and codes above the summary above names above the rest)
covers the newest `WINDOW` matches, older matches following newest first, and counts
stop at `COUNT_CAP`: so a one-word search matching
half of 100,000 issues costs what one matching a few hundred does. Results past the cap
are for a narrower search or a filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, REAL, TSQUERY

from ..core.models import UTCDateTime
from ..issues.models import Issue
from .documents import OPEN, PRIVATE, facet
from .ranking import RANKED_CHARS, RANKED_COLUMNS, best_first
from .text import SearchText

# Six pages of 25: reading and ranking the window is most of a search's cost, and few people
# page further than that before narrowing the search.
WINDOW = 150
COUNT_CAP = 1_000
# Similar issues while typing rank the newest matches of "any of the words" (nearly everything).
SIMILAR_WINDOW = 150

# PostgreSQL ts_rank weights for D, C, B, A: body, names, summary, refs and codes.
TS_RANK_WEIGHTS = [0.1, 0.2, 0.5, 1.0]


@dataclass
class Facets:
    """Filters as index tokens: every group in all_of matches one of its facets; none_of excludes
    issues having the first facet unless they also have the second."""

    all_of: list[tuple[str, ...]] = field(default_factory=list)
    none_of: list[tuple[str, str | None]] = field(default_factory=list)
    stale_before: datetime | None = None  # last update on or before this (needs the issue row)


def visibility(user) -> Facets:
    """Everything staff may see; others see published issues and their own organisation's."""
    facets = Facets()
    if not user.is_staff:
        facets.none_of.append((PRIVATE, facet("o", user.organisation_id)))
    return facets


def published_only() -> Facets:
    return Facets(none_of=[(PRIVATE, None)])


def open_issues(facets: Facets) -> Facets:
    facets.all_of.append((OPEN,))
    return facets


# ------------------------------------------------------------------ query language, SQLite FTS5


def _fts_string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts_text(search: SearchText, *, any_term: bool = False) -> str:
    parts = []
    for term in search.terms:
        forms = [_fts_string(term.stem)]
        if term.prefix:
            forms = [_fts_string(term.word) + "*"] if term.stem == term.word else forms + [_fts_string(term.word) + "*"]
        parts.append(forms[0] if len(forms) == 1 else "(" + " OR ".join(forms) + ")")
    return "{refs codes summary names body} : (" + (" OR " if any_term else " AND ").join(parts) + ")"


def fts_expression(search: SearchText, facets: Facets, *, any_term: bool = False) -> str:
    expression = "(" + fts_text(search, any_term=any_term) + ")"
    for group in facets.all_of:
        expression += " AND (facets : (" + " OR ".join(_fts_string(name) for name in group) + "))"
    for excluded, unless in facets.none_of:
        if unless is None:
            expression = f"({expression}) NOT (facets : {_fts_string(excluded)})"
        else:
            expression = f"({expression}) NOT (facets : {_fts_string(excluded)} NOT facets : {_fts_string(unless)})"
    return expression


# ------------------------------------------------------------------ query language, PostgreSQL tsquery


def lexeme(token: str) -> str:
    """A word quoted as PostgreSQL's tsquery and tsvector texts both read it."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def facet_lexeme(name: str) -> str:
    """A facet as a lexeme: it starts with "_", which no word of a search can."""
    return lexeme("_" + name)


def ts_text(search: SearchText, *, any_term: bool = False, spelled_out: dict | None = None) -> str:
    """The words as a tsquery. spelled_out: for a word being typed, the indexed words it begins
    (see prefix_words); searched as those exact keys rather than as a prefix where known."""
    parts = []
    for term in search.terms:
        forms = [lexeme(term.stem)]
        if term.prefix:
            known = (spelled_out or {}).get(term.word)
            if known is not None:
                forms += [lexeme(word) for word in known if word != term.stem]
            elif term.stem == term.word:
                forms = [lexeme(term.word) + ":*"]
            else:
                forms.append(lexeme(term.word) + ":*")
        parts.append(forms[0] if len(forms) == 1 else "(" + " | ".join(forms) + ")")
    return "(" + (" | " if any_term else " & ").join(parts) + ")"


# PostgreSQL: a word being typed that begins at most this many indexed words is searched as them.
PREFIX_WORDS = 32
PREFIX_CACHE = "search_prefix_words"  # in session.info; emptied whenever the index changes


def prefix_words(session, prefix: str) -> tuple[str, ...] | None:
    """The indexed words that begin with prefix (PostgreSQL's search_word), or None when there
    are more than PREFIX_WORDS. GIN answers 'dip':* by gathering the issues of every word it
    begins before anything else narrows them (10 ms for DIP at 100,000 issues); the words
    themselves are exact keys that the other words and the filters narrow as they are read."""
    cache = session.info.setdefault(PREFIX_CACHE, {})
    if prefix not in cache:
        found = session.scalars(
            sa.text("SELECT word FROM search_word WHERE word LIKE :pattern ORDER BY word LIMIT :limit"),
            {"pattern": prefix + "%", "limit": PREFIX_WORDS + 1},  # words hold no % or _ (text.WORD)
        ).all()
        cache[prefix] = tuple(found) if len(found) <= PREFIX_WORDS else None
    return cache[prefix]


def ts_expression(search: SearchText, facets: Facets, *, any_term: bool = False, spelled_out: dict | None = None) -> str:
    expression = ts_text(search, any_term=any_term, spelled_out=spelled_out)
    for group in facets.all_of:
        expression += " & (" + " | ".join(facet_lexeme(name) for name in group) + ")"
    for excluded, unless in facets.none_of:
        if unless is None:
            expression += f" & !{facet_lexeme(excluded)}"
        else:
            expression += f" & !({facet_lexeme(excluded)} & !{facet_lexeme(unless)})"
    return expression


# ------------------------------------------------------------------ statements


def _postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


SQLITE_INDEX = sa.table(
    "issue_search", sa.column("rowid", sa.Integer), sa.column("excerpt", sa.Text),
    *(sa.column(name, sa.Text) for name in RANKED_COLUMNS),
)
PG_INDEX = sa.table("issue_search", sa.column("issue_id", sa.Integer), sa.column("document"))
PG_EXCERPTS = sa.table("issue_search_excerpt", sa.column("issue_id", sa.Integer), sa.column("excerpt", sa.Text))


@dataclass
class Match:
    """The parts of a statement that find and rank the matches of one search."""

    table: sa.TableClause
    key: sa.ColumnElement
    condition: sa.ColumnElement
    score: sa.ColumnElement | None  # lower ranks first; None: ranked in Python (SQLite)


def match(session, search: SearchText, facets: Facets, *, any_term: bool = False) -> Match:
    if _postgresql(session):
        table = PG_INDEX
        spelled_out = {term.word: prefix_words(session, term.word) for term in search.terms if term.prefix}
        query = sa.cast(ts_expression(search, facets, any_term=any_term, spelled_out=spelled_out), TSQUERY)
        # Ranked as "any of the words": ts_rank scores an AND query by word positions, which the index does not keep.
        ranked = sa.cast(ts_text(search, any_term=True), TSQUERY)
        score = -sa.func.ts_rank(sa.cast(TS_RANK_WEIGHTS, ARRAY(REAL)), table.c.document, ranked)
        return Match(table, table.c.issue_id, table.c.document.op("@@")(query), score)
    table = SQLITE_INDEX
    condition = sa.literal_column("issue_search").op("MATCH")(fts_expression(search, facets, any_term=any_term))
    return Match(table, table.c.rowid, condition, None)  # ranked in Python: see ranking.py


def _matches_select(m: Match, facets: Facets, *columns, exclude_id: int | None = None) -> sa.Select:
    stmt = sa.select(*columns).select_from(m.table).where(m.condition)
    if facets.stale_before is not None:
        stmt = stmt.join(Issue.__table__, Issue.__table__.c.id == m.key).where(
            Issue.__table__.c.last_update_at <= sa.bindparam(None, facets.stale_before, type_=UTCDateTime())
        )
    if exclude_id is not None:
        stmt = stmt.where(m.key != exclude_id)
    return stmt


def count_matches(session, search: SearchText, facets: Facets, *, cap: int | None = None) -> int:
    """How many issues match, counting no further than one past cap (COUNT_CAP): a figure
    above cap means "more than cap", and exactly cap means exactly that many."""
    cap = cap or COUNT_CAP
    m = match(session, search, facets)
    limited = _matches_select(m, facets, m.key).limit(cap + 1).subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(limited))


def ranked_hits(
    session, search: SearchText, facets: Facets, *, limit: int, offset: int = 0, window: int | None = None,
    any_term: bool = False, exclude_id: int | None = None, few_matches: bool = False,
) -> sa.Subquery:
    """A subquery of (id, score, excerpt): one page of the matches, best first.

    The newest `window` matches (rounded up to whole pages) come first, in order of
    relevance; older matches follow, newest first, unranked. Every page is cut from that
    one order, so no match is shown twice or skipped, and a page past the window costs
    no ranking at all. On SQLite the window is read and ranked here, when this is called.

    few_matches: the search is known (counted) to match fewer than COUNT_CAP issues. PostgreSQL
    then reads every match through the full-text index and keeps the newest, rather than walk
    back from the newest issue testing each one's document: its planner, blind to how costly
    that test is, took 27 ms to find 150 of 810 matches that way against 9 ms.
    """
    m = match(session, search, facets, any_term=any_term)
    window = -(-max(window or WINDOW, limit) // limit) * limit
    matches = _matches_select(m, facets, m.key.label("id"), exclude_id=exclude_id).order_by(m.key.desc())
    if offset >= window:
        top = matches.add_columns(sa.literal(0.0).label("score")).limit(limit).offset(offset)
    elif m.score is None:
        # SQLite: the window's tokens ranked in Python (ranking.py), the page given by position.
        rows = session.execute(
            matches.add_columns(
                *(sa.func.substr(m.table.c[name], 1, RANKED_CHARS).label(name) for name in RANKED_COLUMNS)
            ).limit(window)
        ).all()
        page = best_first(rows, search)[offset:offset + limit]
        position = sa.case({issue_id: place for place, issue_id in enumerate(page)}, value=m.key, else_=0) \
            if page else sa.literal(0)
        top = sa.select(m.key.label("id"), position.label("score")).select_from(m.table) \
            .where(m.key.in_(page) if page else sa.false())
    else:
        if few_matches:
            matches = matches.order_by(None).order_by((m.key + 0).desc())  # "+ 0": not in the key's index order
        newest = matches.add_columns(m.score.label("score")).limit(window).subquery("newest")
        top = sa.select(newest.c.id, newest.c.score).order_by(newest.c.score, newest.c.id.desc())
        top = top.limit(limit).offset(offset)
    top = top.subquery("top")
    source, source_key, excerpt = excerpts(session)
    return (
        sa.select(top.c.id, top.c.score, excerpt)
        .outerjoin(source, source_key == top.c.id)
        .subquery("hits")
    )


def excerpts(session) -> tuple[sa.FromClause, sa.ColumnElement, sa.ColumnElement]:
    """Where the index keeps each issue's excerpt text: (table, its issue id, the excerpt)."""
    if _postgresql(session):
        source = PG_EXCERPTS.alias("doc")
        return source, source.c.issue_id, source.c.excerpt
    source = SQLITE_INDEX.alias("doc")
    return source, source.c.rowid, source.c.excerpt


def excerpts_of(session, issue_ids: list[int]) -> dict[int, str]:
    """The excerpt text of each of these issues, by id."""
    if not issue_ids:
        return {}
    source, source_key, excerpt = excerpts(session)
    return dict(session.execute(sa.select(source_key, excerpt).where(source_key.in_(issue_ids))).all())


def matching_ids(session, search: SearchText) -> sa.Select:
    """The ids of every issue whose text matches (no ranking, no facets): for sorts other than relevance."""
    m = match(session, search, Facets())
    return sa.select(m.key).select_from(m.table).where(m.condition)
