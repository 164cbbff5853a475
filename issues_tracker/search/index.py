"""The search index: one row per issue, kept current in the transaction that changes the issue.

SQLite: an FTS5 table `issue_search` (rowid = issue id) with a column per weight
(refs, codes, summary, names, body), a `facets` column of filter tokens and the
excerpt text (stored, not indexed). PostgreSQL: a table `issue_search` with a
weighted `tsvector` (A: refs and codes, B: summary, C: names, D: body; facets as
lexemes starting with "_", which no searched word can) under a GIN index; the excerpt
text in a table of its own, `issue_search_excerpt`, so that reading documents to find and
count matches reads narrow rows; and a table `search_word` of every word the documents
hold (never pruned: a word no document holds any more only matches nothing). Both
databases are filled with the same tokens (see text.py).

Every ORM flush that touches an issue, its services, messages, notes or actions (or an
organisation's name) refreshes those issues' rows before the flush returns, through
the same connection: the index changes and commits with the change, or not at all.
Bulk loads that bypass the ORM call `index_issues` themselves; `rebuild_index` redoes
the lot (`flask --app issues_tracker search rebuild`).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts.models import Organisation
from ..issues.models import Issue
from .documents import DOCUMENT_COLUMNS, Document, documents_for, new_row_counts, watched_attributes
from .queries import PREFIX_CACHE, facet_lexeme, lexeme

BATCH = 1_000
FTS_COLUMNS = ("refs", "codes", "summary", "names", "body", "facets", "excerpt")


def is_postgresql(connection: sa.Connection) -> bool:
    return connection.dialect.name == "postgresql"


def index_issues(connection: sa.Connection, issue_ids: Iterable[int]) -> int:
    """Bring the index rows of these issues up to date (removing those of deleted issues)."""
    ids = sorted({int(issue_id) for issue_id in issue_ids if issue_id is not None})
    written = 0
    for first in range(0, len(ids), BATCH):
        batch = ids[first:first + BATCH]
        _wait_for_other_writers(connection, batch)
        documents = documents_for(connection, batch)
        _delete(connection, batch)
        _insert(connection, documents)
        written += len(documents)
    return written


# A key of this index's own for PostgreSQL's transaction-scoped advisory locks.
INDEX_LOCK = 0x1551
# Up to this many issues in one write are locked one by one; more lock the index's table.
LOCK_EACH_UP_TO = 64


def _wait_for_other_writers(connection: sa.Connection, ids: list[int]) -> None:
    """PostgreSQL: hold these issues' index rows until this transaction ends, taken in id order.

    Two people commenting on one issue at once each rewrite its document. Without this the
    later one's DELETE, blocked behind the first, would miss the row the first inserted and its
    INSERT would fail (a conflict for nobody's fault), or its document would lack the first
    one's comment. Waiting here first, the later one reads the document's parts afresh, the
    first one's included. SQLite runs one writer at a time already.
    """
    if not (is_postgresql(connection) and ids):
        return
    if len(ids) > LOCK_EACH_UP_TO:
        # A bulk write (an import, the synthetic seed) waits for every other writer of the index
        # and holds them off until it commits: one lock, where one per issue would fill the
        # server's lock table (64 per connection by default) and fail the load with "out of
        # shared memory" somewhere past a few thousand issues.
        connection.execute(sa.text("LOCK TABLE issue_search IN SHARE ROW EXCLUSIVE MODE"))
    else:
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key, issue_id) FROM "
                    "(SELECT unnest(CAST(:ids AS integer[])) AS issue_id ORDER BY 1) AS locked"),
            {"key": INDEX_LOCK, "ids": ids},
        )


def rebuild_index(connection: sa.Connection, *, progress=None) -> int:
    """Empty the index and index every issue again; returns how many were indexed."""
    connection.execute(sa.text("DELETE FROM issue_search"))
    if is_postgresql(connection):
        connection.execute(sa.text("DELETE FROM issue_search_excerpt"))
        connection.execute(sa.text("DELETE FROM search_word"))
    last, written = 0, 0
    while True:
        ids = connection.scalars(sa.select(Issue.id).where(Issue.id > last).order_by(Issue.id).limit(BATCH)).all()
        if not ids:
            break
        documents = documents_for(connection, ids)
        _insert(connection, documents)
        written += len(documents)
        last = ids[-1]
        if progress:
            progress(len(documents))
    if not is_postgresql(connection):
        # Merge the index's segments after a full load, so searches read fewer of them.
        connection.execute(sa.text("INSERT INTO issue_search(issue_search) VALUES ('optimize')"))
    return written


def _delete(connection: sa.Connection, ids: list[int]) -> None:
    if not ids:
        return
    tables = (("issue_search", "issue_id"), ("issue_search_excerpt", "issue_id")) if is_postgresql(connection) \
        else (("issue_search", "rowid"),)
    for table, key in tables:
        connection.execute(
            sa.text(f"DELETE FROM {table} WHERE {key} IN :ids").bindparams(sa.bindparam("ids", expanding=True)),  # noqa: S608
            {"ids": ids},
        )


PG_INSERT = sa.text("INSERT INTO issue_search (issue_id, document) VALUES (:issue_id, CAST(:document AS tsvector))")
# ts_rank weighs a word by the weights of its positions; a word without positions counts as
# D, whatever setweight says. So the weighted parts are written with a position for each word.
PG_WEIGHTED = (("refs", "A"), ("codes", "A"), ("summary", "B"), ("names", "C"))
PG_MAX_POSITION, PG_POSITIONS_PER_WORD = 16_383, 256  # PostgreSQL's limits


def pg_document(doc: Document) -> str:
    """The document as tsvector text: refs and codes (A), summary (B) and names (C) with
    positions, the body (D) and the facets without."""
    positions: dict[str, list[str]] = {}
    position = 0
    for column, weight in PG_WEIGHTED:
        for token in getattr(doc, column):
            kept = positions.setdefault(token, [])
            if len(kept) < PG_POSITIONS_PER_WORD:
                position = min(position + 1, PG_MAX_POSITION)
                kept.append(f"{position}{weight}")
    words = [f"{lexeme(token)}:{','.join(kept)}" for token, kept in positions.items()]
    words += [lexeme(token) for token in dict.fromkeys(doc.body) if token not in positions]
    words += [facet_lexeme(name) for name in doc.facets]
    return " ".join(words)


PG_EXCERPT = sa.text("INSERT INTO issue_search_excerpt (issue_id, excerpt) VALUES (:issue_id, :excerpt)")
# The words the index holds (PostgreSQL), for turning the word being typed into exact keys.
PG_WORDS = sa.text("INSERT INTO search_word (word) SELECT unnest(CAST(:words AS text[])) ON CONFLICT DO NOTHING")
SQLITE_INSERT = sa.text(
    "INSERT INTO issue_search (rowid, refs, codes, summary, names, body, facets, excerpt) "
    "VALUES (:issue_id, :refs, :codes, :summary, :names, :body, :facets, :excerpt)"
)


def _insert(connection: sa.Connection, documents: list[Document]) -> None:
    if not documents:
        return
    if is_postgresql(connection):
        connection.execute(PG_INSERT, [{"issue_id": doc.issue_id, "document": pg_document(doc)} for doc in documents])
        connection.execute(PG_EXCERPT, [{"issue_id": doc.issue_id, "excerpt": doc.excerpt} for doc in documents])
        tokens = {token for doc in documents for token in doc.refs + doc.codes + doc.summary + doc.names + doc.body}
        connection.execute(PG_WORDS, {"words": sorted(tokens)})
    else:
        rows = [
            {
                "issue_id": doc.issue_id, "excerpt": doc.excerpt,
                "refs": " ".join(doc.refs), "codes": " ".join(doc.codes), "summary": " ".join(doc.summary),
                "names": " ".join(doc.names), "body": " ".join(doc.body), "facets": " ".join(doc.facets),
            }
            for doc in documents
        ]
        connection.execute(SQLITE_INSERT, rows)


# ------------------------------------------------------------------ following every change


def _changed(obj, names: Iterable[str]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def issues_touched(session: so.Session) -> set[int]:
    """The issues whose documents this flush changes (read in after_flush: the lists are still pre-flush)."""
    touched: set[int] = set()
    related = watched_attributes()
    # session.dirty is worked out afresh each time it is read: once here, not once per object.
    dirty, new = session.dirty, session.new
    for obj in [*new, *dirty, *session.deleted]:
        if isinstance(obj, Issue):
            if obj in dirty and not _changed(obj, DOCUMENT_COLUMNS + ("service_links", "message_links")):
                continue
            touched.add(obj.id)
        elif type(obj) in related:
            if obj in dirty and not _changed(obj, related[type(obj)]):
                continue
            if obj in new and not new_row_counts(obj):
                continue
            issue_id = obj.issue_id if obj.issue_id is not None else getattr(getattr(obj, "issue", None), "id", None)
            touched.add(issue_id)
        elif isinstance(obj, Organisation) and obj in dirty and _changed(obj, ("name",)):
            touched.update(
                session.connection().scalars(sa.select(Issue.id).where(Issue.organisation_id == obj.id)).all()
            )
    touched.discard(None)
    return touched


def _after_flush(session: so.Session, flush_context) -> None:
    touched = issues_touched(session)
    if touched:
        index_issues(session.connection(), touched)
        session.info.pop(PREFIX_CACHE, None)  # new words may begin a prefix already looked up


def follow_changes() -> None:
    """Keep the index current on every ORM flush (registered once, for every session)."""
    if not sa.event.contains(so.Session, "after_flush", _after_flush):
        sa.event.listen(so.Session, "after_flush", _after_flush)
