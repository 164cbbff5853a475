"""Import of the spreadsheet tracker (CSV or Excel, the MVP tracker's columns).

Every row is checked first; if any row is wrong nothing is stored and each problem
is reported with its row number. Rows are matched to earlier imports by their
"Issue ID", so importing the same sheet again updates rather than duplicates.
The import adds and flushes only: the caller commits once, so a failure anywhere,
even in the database part-way through, stores nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so
from openpyxl import load_workbook
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.models import Organisation, User
from ..accounts.operations import get_or_create_organisation
from ..core import choices
from ..core.extensions import db
from ..core.text import clean_text
from ..core.transaction import ConflictError, batched_flushes, is_conflict
from . import fields, sheet
from . import operations as issue_service
from .fields import FieldError
from .models import Issue

MAX_ROWS = 5_000
FLUSH_EVERY = 250  # rows written to the database at a time


class TrackerFileError(ValueError):
    """The file as a whole cannot be read."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def read_table(filename: str, data: bytes) -> list[dict[str, str]]:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        rows = _workbook_rows(data)
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TrackerFileError("The CSV file is not UTF-8 text. Save it as “CSV UTF-8” and try again.") from exc
        try:
            rows = [[_clean(cell) for cell in row] for row in csv.reader(io.StringIO(text))]
        except csv.Error as exc:
            raise TrackerFileError(f"The CSV file could not be read: {exc}.") from exc
    else:
        raise TrackerFileError("Upload the tracker as an Excel workbook (.xlsx) or a CSV file (.csv).")
    rows = [row for row in rows if any(row)]
    if not rows:
        raise TrackerFileError("The file is empty.")
    _check_row_count(len(rows) - 1)
    header = [sheet.header_key(cell) if sheet.header_key(cell) in sheet.BY_HEADER else "" for cell in rows[0]]
    if sheet.ISSUE_ID not in header or sheet.SUMMARY not in header:
        raise TrackerFileError("The first row must name the tracker's columns; “Issue ID” and “Issue Summary” are required.")
    return [{key: (row[i] if i < len(row) else "") for i, key in enumerate(header) if key} for row in rows[1:]]


def _check_row_count(count: int) -> None:
    if count > MAX_ROWS:
        raise TrackerFileError(f"The file has more than {MAX_ROWS:,} rows; import at most {MAX_ROWS:,} at a time.")


def _clean(value) -> str:
    text = clean_text("" if value is None else str(value)).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # the export's guard against formulas (export._safe_cell), not part of the text
    return text


def _workbook_rows(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise TrackerFileError("The file is not a readable Excel workbook (.xlsx).") from exc
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        raise TrackerFileError("The workbook has no worksheet with the tracker's rows.")
    # The size a sheet declares can be wrong either way: read what is really there, row by
    # row (the workbook is streamed, never loaded whole), and stop as soon as the limit is passed.
    sheet.reset_dimensions()
    rows: list[list[str]] = []
    try:
        for row in sheet.iter_rows(values_only=True):
            cells = [_clean(value) for value in row]
            if any(cells):
                rows.append(cells)
                _check_row_count(len(rows) - 1)
        return rows
    except TrackerFileError:
        raise
    except Exception as exc:  # damaged XML inside an otherwise valid zip
        raise TrackerFileError("The workbook's first sheet could not be read; save it again from Excel.") from exc
    finally:
        book.close()


def parse_row(cells: dict[str, str]) -> sheet.Row:
    """A row's cells as the issue's fields, checked as the forms check them; ValueError says what is wrong."""
    row = sheet.read_row(cells)
    data = row.data
    status = data.get("status")
    if status in choices.CLOSED_STATUSES and not data.get("resolution_description") and row.triage != "rejected":
        raise FieldError(f"Current Status is {status}, so a Resolution Description is required.")
    return row


def import_tracker(
    filename: str, content: bytes, user: User, *, progress: Callable[[int, str], None] | None = None
) -> ImportResult:
    """Check every row, then store them all; `progress(percent, message)` hears how far it is."""
    report = progress or (lambda percent, message: None)
    result = ImportResult()
    report(5, "Reading the file")
    rows = read_table(filename, content)
    report(15, f"Checking {len(rows)} row{'' if len(rows) == 1 else 's'}")
    parsed: list[tuple[str, sheet.Row]] = []
    seen: set[str] = set()
    owners = _staff_by_name()
    for number, raw in enumerate(rows, start=2):
        key = raw.get(sheet.ISSUE_ID, "").strip()
        if not key or len(key) > 40:
            result.errors.append(f"Row {number}: Issue ID is missing or longer than 40 characters.")
            continue
        if key.upper() in seen:
            result.errors.append(f"Row {number}: Issue ID {key} appears more than once.")
            continue
        seen.add(key.upper())
        try:
            row = parse_row(raw)
            if row.owner_name is not None:
                row.data["owner_id"] = _owner_id(row.owner_name, owners)
        except ValueError as exc:
            result.errors.append(f"Row {number} (Issue ID {key}): {exc}")
            continue
        parsed.append((_source_ref(key), row))
    if result.errors:
        return result

    report(30, "Storing the issues")
    existing = _existing_issues([ref for ref, _ in parsed])
    organisations = _organisations(row.organisation for _, row in parsed if row.organisation)
    step = max(1, len(parsed) // 20)
    first = stored = 2  # the rows of the batch not yet written to the database
    try:
        with batched_flushes() as flush_batch:
            for done, (source_ref, data) in enumerate(parsed):
                number = done + 2
                if done and done % step == 0:
                    report(30 + 65 * done // len(parsed), f"Storing the issues: {done} of {len(parsed)}")
                if done and done % FLUSH_EVERY == 0:
                    flush_batch()
                    first = number
                try:
                    _store_row(existing.get(source_ref), source_ref, data, user, result, organisations)
                except SQLAlchemyError as exc:
                    if is_conflict(exc):
                        raise
                    raise TrackerFileError(
                        f"Row {number} (Issue ID {source_ref.removeprefix('tracker:')}) could not be stored; "
                        "nothing was imported."
                    ) from exc
                stored = number
            report(95, f"Storing the issues: {len(parsed)} of {len(parsed)}")
        _after_explicit_ids(parsed)
    except (ConflictError, SQLAlchemyError) as exc:
        if isinstance(exc, ConflictError) or is_conflict(exc):
            raise TrackerFileError(
                "Another import or edit changed these issues at the same moment; nothing was imported. "
                "Import the file again."
            ) from exc
        # Rows are written a batch at a time: the fault is in one of the batch's rows.
        raise TrackerFileError(f"Rows {first} to {stored} could not be stored; nothing was imported.") from exc
    return result


def _source_ref(key: str) -> str:
    """How a row is matched: IIT-0042 is this tracker's issue 42; another tracker's ID by its source."""
    number = sheet.issue_number(key)
    return f"id:{number}" if number is not None else f"tracker:{key}"


def _existing_issues(refs: list[str]) -> dict[str, Issue]:
    ids = [int(ref.removeprefix("id:")) for ref in refs if ref.startswith("id:")]
    sources = [ref for ref in refs if not ref.startswith("id:")]
    found = db.session.scalars(
        sa.select(Issue)
        .where(sa.or_(Issue.id.in_(ids or [0]), Issue.source_ref.in_(sources or [""])))
        .options(so.selectinload(Issue.service_links), so.selectinload(Issue.message_links))
    )
    existing = {}
    for issue in found:
        if issue.id in ids:
            existing[f"id:{issue.id}"] = issue
        if issue.source_ref in sources:
            existing[issue.source_ref] = issue
    return existing


def _organisations(names) -> dict[str, Organisation]:
    """The rows' organisations by lower-cased name, each looked up (or added) once, before any row
    is stored: a lookup among the rows would flush the rows before it one at a time."""
    found: dict[str, Organisation] = {}
    for name in names:
        if name.lower() not in found:
            found[name.lower()] = get_or_create_organisation(name)
    return found


def _staff_by_name() -> dict[str, int]:
    """Staff accounts by their name and their email, lower-cased: an Owner cell names one of them."""
    owners = {}
    for user_id, name, email in db.session.execute(
        sa.select(User.id, User.display_name, User.email).where(User.role.in_(("staff", "admin"))).order_by(User.id)
    ):
        owners.setdefault(email.lower(), user_id)
        owners.setdefault(name.lower(), user_id)
    return owners


def _owner_id(name: str, owners: dict[str, int]) -> int | None:
    if not name:
        return None
    owner = owners.get(name.lower())
    if owner is None:
        raise FieldError(f"Owner “{name[:60]}” is not a staff account here; add the account, or leave the cell blank.")
    return owner


def _after_explicit_ids(parsed: list[tuple[str, sheet.Row]]) -> None:
    """Issues created under their own Issue ID: PostgreSQL's id sequence moves past them."""
    if db.session.get_bind().dialect.name == "postgresql" and any(ref.startswith("id:") for ref, _ in parsed):
        db.session.execute(sa.text(
            "SELECT setval(pg_get_serial_sequence('issue', 'id'), GREATEST((SELECT max(id) FROM issue), 1))"
        ))


def _store_row(issue: Issue | None, source_ref: str, row: sheet.Row, user: User, result: ImportResult,
               organisations: dict[str, Organisation]) -> None:
    data = dict(row.data)
    if issue is None:
        _create(source_ref, row, data, user, organisations.get(row.organisation.lower()) or user.organisation)
        result.created += 1
        return
    if not data.get("description"):
        data.pop("description", None)
    if issue_service.update_issue(issue, data, user, expected_version=None, complete_resolution=False):
        result.updated += 1
    else:
        result.unchanged += 1


def _create(source_ref: str, row: sheet.Row, data: dict, user: User, organisation: Organisation) -> Issue:
    """A new issue as the row describes it, journalled as if staff had entered it by hand."""
    submitted = {name: data[name] for name in (*fields.SUBMITTED_FIELDS, *fields.LIST_FIELDS) if name in data}
    submitted["description"] = data.get("description") or data["summary"]
    issue = issue_service.submit_issue(submitted, user, organisation=organisation, now=row.created_at)
    if source_ref.startswith("id:"):
        issue.id = int(source_ref.removeprefix("id:"))
    else:
        issue.source_ref = source_ref
    triage = row.triage or "published"
    if triage != "pending":
        issue_service.triage_issue(issue, user, "publish" if triage == "published" else "reject",
                                   "Rejected in the imported tracker.")
    staff_fields = {name: data[name] for name in fields.STAFF_FIELDS if name in data and name not in submitted}
    staff_fields.setdefault("status", fields.BY_NAME["status"].default if triage == "published" else issue.status)
    issue_service.update_issue(
        issue, staff_fields, user, expected_version=None, note="Imported from the spreadsheet tracker",
        complete_resolution=False,
    )
    if row.resolved_at and issue.resolved_at:
        issue.resolved_at = row.resolved_at
    if row.last_update_at:
        issue.last_update_at = row.last_update_at
    return issue
