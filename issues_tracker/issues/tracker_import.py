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
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so
from openpyxl import load_workbook
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.forms import without_control_characters
from ..core.transaction import ConflictError, batched_flushes, is_conflict
from . import operations as issue_service
from .forms import format_service_desk_refs, parse_party_count
from .models import Issue

MAX_ROWS = 5_000
FLUSH_EVERY = 250  # rows written to the database at a time

# Header (lower-cased, spaces squeezed) → issue field.
HEADERS = {
    "issue id": "key",
    "issue summary": "summary",
    "summary": "summary",
    "service / system": "services",
    "root cause (known / suspected)": "root_cause",
    "root cause": "root_cause",
    "impact assessment status": "impact_assessment",
    "supplier count impacted": "supplier_impact",
    "distributor count impacted": "distributor_impact",
    "affected settlement messages": "messages",
    "settlement impact": "settlement_impact",
    "current status": "status",
    "action underway": "action_underway",
    "resolution description": "resolution_description",
    "resolution status": "resolution_status",
    "dependencies": "dependencies",
    "parties responsible for resolution": "parties_responsible",
    "will next settlement run resolve?": "next_run_resolves",
    "description": "description",
    "severity": "severity",
    "service-desk references": "service_desk_refs",
}
REQUIRED = ("key", "summary")
MESSAGE_ALIASES = {
    "reps": "REP",
    "rep": "REP",
    "dflow": "Dflows",
    "dflows": "Dflows",
    "pub": "PUB",
    "if": "IF",
    "various": "Various",
    "n/a": "N/A",
    "none": "N/A",
}


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
    header = [HEADERS.get(re.sub(r"\s+", " ", cell.lower()).strip(), "") for cell in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise TrackerFileError("The first row must name the tracker's columns; “Issue ID” and “Issue Summary” are required.")
    return [{key: (row[i] if i < len(row) else "") for i, key in enumerate(header) if key} for row in rows[1:]]


def _check_row_count(count: int) -> None:
    if count > MAX_ROWS:
        raise TrackerFileError(f"The file has more than {MAX_ROWS:,} rows; import at most {MAX_ROWS:,} at a time.")


def _clean(value) -> str:
    return without_control_characters("" if value is None else str(value)).strip()


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


def _choice(value: str, codes, label: str, default: str) -> str:
    if not value:
        return default
    for code in codes:
        if value.lower() == str(code).lower():
            return code
    raise ValueError(f"{label} “{value[:40]}” is not one of: {', '.join(map(str, codes))}.")


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[/,;]", value or "") if part.strip()]


def parse_row(raw: dict[str, str]) -> dict:
    data: dict = {}
    summary = raw.get("summary", "")
    if not 5 <= len(summary) <= 200:
        raise ValueError("Issue Summary must be 5 to 200 characters.")
    data["summary"] = summary
    services = []
    for part in _split(raw.get("services", "")):
        services.append(_choice(part, choices.SERVICE_CODES, "Service", ""))
    data["services"] = services
    if raw.get("messages", "").strip().upper() == "N/A":
        data["messages"] = ["N/A"]
    else:
        messages = []
        for part in _split(raw.get("messages", "")):
            alias = MESSAGE_ALIASES.get(part.lower())
            if alias is None:
                raise ValueError(f"Settlement message “{part[:40]}” is not one of: {', '.join(choices.MESSAGE_CODES)}.")
            messages.append(alias)
        data["messages"] = messages
    data["status"] = _choice(raw.get("status", ""), choices.STATUS_CODES, "Current Status", "Under investigation")
    data["impact_assessment"] = _choice(
        raw.get("impact_assessment", ""), choices.IMPACT_CODES, "Impact Assessment Status", "Not started"
    )
    data["resolution_status"] = _choice(
        raw.get("resolution_status", ""), choices.RESOLUTION_CODES, "Resolution Status", "Not started"
    )
    data["next_run_resolves"] = _choice(
        raw.get("next_run_resolves", ""), choices.NEXT_RUN_CODES, "Will Next Settlement Run Resolve?", "Unknown"
    )
    severity = raw.get("severity", "").upper().removeprefix("P")[:1]
    data["severity"] = int(_choice(severity, ["1", "2", "3", "4"], "Severity", "3"))
    data["supplier_impact"] = parse_party_count(raw.get("supplier_impact", ""))
    data["distributor_impact"] = parse_party_count(raw.get("distributor_impact", ""))
    data["service_desk_refs"] = format_service_desk_refs(raw.get("service_desk_refs", ""))
    for name in ("root_cause", "settlement_impact", "action_underway", "resolution_description", "dependencies", "description"):
        value = raw.get(name, "")
        if len(value) > 5_000:
            raise ValueError(f"{name.replace('_', ' ').capitalize()} is longer than 5,000 characters.")
        data[name] = value
    if data["status"] in choices.CLOSED_STATUSES and not data["resolution_description"]:
        raise ValueError(f"Current Status is {data['status']}, so a Resolution Description is required.")
    parties = raw.get("parties_responsible", "")
    if len(parties) > 200:
        raise ValueError("Parties Responsible is longer than 200 characters.")
    data["parties_responsible"] = parties
    return data


def import_tracker(
    filename: str, content: bytes, user: User, *, progress: Callable[[int, str], None] | None = None
) -> ImportResult:
    """Check every row, then store them all; `progress(percent, message)` hears how far it is."""
    report = progress or (lambda percent, message: None)
    result = ImportResult()
    report(5, "Reading the file")
    rows = read_table(filename, content)
    report(15, f"Checking {len(rows)} row{'' if len(rows) == 1 else 's'}")
    parsed: list[tuple[str, dict]] = []
    seen: set[str] = set()
    for number, raw in enumerate(rows, start=2):
        key = raw.get("key", "").strip()
        if not key or len(key) > 40:
            result.errors.append(f"Row {number}: Issue ID is missing or longer than 40 characters.")
            continue
        if key in seen:
            result.errors.append(f"Row {number}: Issue ID {key} appears more than once.")
            continue
        seen.add(key)
        try:
            parsed.append((f"tracker:{key}", parse_row(raw)))
        except ValueError as exc:
            result.errors.append(f"Row {number} (Issue ID {key}): {exc}")
    if result.errors:
        return result

    report(30, "Storing the issues")
    existing = {
        issue.source_ref: issue
        for issue in db.session.scalars(
            sa.select(Issue)
            .where(Issue.source_ref.in_([ref for ref, _ in parsed]))
            .options(so.selectinload(Issue.service_links), so.selectinload(Issue.message_links))
        )
    }
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
                    _store_row(existing.get(source_ref), source_ref, data, user, result)
                except SQLAlchemyError as exc:
                    if is_conflict(exc):
                        raise
                    raise TrackerFileError(
                        f"Row {number} (Issue ID {source_ref.removeprefix('tracker:')}) could not be stored; "
                        "nothing was imported."
                    ) from exc
                stored = number
            report(95, f"Storing the issues: {len(parsed)} of {len(parsed)}")
    except (ConflictError, SQLAlchemyError) as exc:
        if isinstance(exc, ConflictError) or is_conflict(exc):
            raise TrackerFileError(
                "Another import or edit changed these issues at the same moment; nothing was imported. "
                "Import the file again."
            ) from exc
        # Rows are written a batch at a time: the fault is in one of the batch's rows.
        raise TrackerFileError(f"Rows {first} to {stored} could not be stored; nothing was imported.") from exc
    return result


def _store_row(issue: Issue | None, source_ref: str, data: dict, user: User, result: ImportResult) -> None:
    if issue is None:
        issue = issue_service.submit_issue(dict(data, description=data["description"] or data["summary"]), user)
        issue.source_ref = source_ref
        issue_service.triage_issue(issue, user, "publish")
        staff_fields = {
            k: data[k]
            for k in ("status", "impact_assessment", "action_underway", "resolution_description", "resolution_status")
        }
        issue_service.update_issue(
            issue, staff_fields, user, expected_version=None, note="Imported from the spreadsheet tracker",
            complete_resolution=False,
        )
        result.created += 1
    else:
        if not data["description"]:
            data.pop("description")
        if issue_service.update_issue(issue, data, user, expected_version=None, complete_resolution=False):
            result.updated += 1
        else:
            result.unchanged += 1
