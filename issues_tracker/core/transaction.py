"""One transaction per request, command or job.

The rule: operations (each part's ``operations.py`` and its kin, the seeds, the synthetic
data) add and flush, and never commit. Whoever called them commits once, through one path:

- a view or a CLI command wraps the operations it calls in ``unit_of_work()`` (a context
  manager, or a decorator of the command): the block's changes are committed when it ends
  and rolled back if anything in it raises; a concurrent change surfaces as ConflictError,
  which the view answers with 409 and the person's input kept;
- a job or a background task: the job runner (jobs/runner.py) commits when it returns;
- email delivery commits each message's state as it goes (notifications/sending.py and
  outgoing.py), so a
  message handed to the mail server is never sent twice.

No other module calls the session's commit (tests/test_transactions.py checks it), so
nothing half-done is ever stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .extensions import db

# PostgreSQL's codes for "another transaction got there first": serialization
# failure, deadlock, lock not available, unique violation.
CONFLICT_SQLSTATES = {"40001", "40P01", "55P03", "23505"}


class ConflictError(Exception):
    """Another request changed the same record first; nothing of this request was stored."""

    def __init__(self, message: str | None = None):
        super().__init__(message or "Someone else changed this record at the same moment, so your change was not saved.")


def is_conflict(error: BaseException) -> bool:
    """True when a database error means a concurrent change rather than a fault."""
    if isinstance(error, StaleDataError | ConflictError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if sqlstate in CONFLICT_SQLSTATES:
        return True
    text = str(original or "").lower()
    # SQLite: a writer that waited past the busy timeout, or lost a unique race.
    return "database is locked" in text or (isinstance(error, IntegrityError) and "unique constraint failed" in text)


BATCHED = "flushes_batched"  # in session.info while `batched_flushes` runs


def flush() -> None:
    """Flush the session; a concurrent change shows up as ConflictError (the caller rolls back).

    Inside `batched_flushes` this waits for the batch's flush instead.
    """
    if not db.session.info.get(BATCHED):
        flush_now()


@contextmanager
def batched_flushes() -> Iterator[Callable[[], None]]:
    """Bulk work through the services: their `flush()` calls wait, and the block flushes with
    the function it is given (every few hundred rows, say) and once more at its end.

    One flush of many rows costs far less than many flushes of a few, and so does indexing
    the issues they touch (see search.index). The services link what they write through
    relationships, not ids, so nothing they do needs a flush in between. Errors of the
    batch surface at its flush, as ConflictError for a concurrent change.
    """
    session = db.session()
    if session.info.get(BATCHED):  # already batching: the outer block flushes
        yield flush_now
        return
    session.info[BATCHED] = True
    try:
        yield flush_now
        flush_now()
    finally:
        session.info.pop(BATCHED, None)


def flush_now() -> None:
    """Flush the session now (even inside `batched_flushes`); ConflictError for a concurrent change."""
    try:
        db.session.flush()
    except (StaleDataError, DBAPIError) as exc:
        if is_conflict(exc):
            raise ConflictError from exc
        raise


UNIT = "unit_of_work"  # in session.info while a unit of work is open


@contextmanager
def unit_of_work() -> Iterator[None]:
    """The changes made in the block, committed once when it ends; rolled back if it raises.

        with unit_of_work():
            issue_service.update_issue(issue, data, user, expected_version=version)

    A concurrent change raises ConflictError with nothing stored. Also a decorator
    (``@unit_of_work()``) for a CLI command. A unit of work opened inside another adds
    to the outer one, which commits.
    """
    session = db.session()
    if session.info.get(UNIT):
        yield
        return
    session.info[UNIT] = True
    try:
        yield
    except BaseException:
        session.info.pop(UNIT, None)
        rollback()
        raise
    session.info.pop(UNIT, None)
    commit()


def commit() -> None:
    """Commit the work done so far. On a concurrent change: roll back, raise ConflictError.

    Only units of work, the job runner and email delivery call this."""
    try:
        db.session.commit()
    except (StaleDataError, DBAPIError) as exc:
        db.session.rollback()
        if is_conflict(exc):
            raise ConflictError from exc
        raise


def rollback() -> None:
    db.session.rollback()


@contextmanager
def savepoint() -> Iterator[None]:
    """Run a part of the request that may fail on a constraint without losing the rest.

    Used by services that retry, e.g. when another request took the number they picked.
    """
    _begin_sqlite_transaction()
    with db.session.begin_nested():
        yield


def _begin_sqlite_transaction() -> None:
    """SQLite's Python driver opens a transaction only before its first INSERT, UPDATE or
    DELETE; a SAVEPOINT issued before that would open (and its release commit) a transaction
    of its own, storing part of the request early. Open the request's transaction first."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN")
