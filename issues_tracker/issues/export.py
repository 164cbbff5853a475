"""The current filtered view as CSV or Excel, in the columns of sheet.py (the MVP tracker's first).

Both carry readable values (labels, not internal codes) and the dates in the one
format of formats.py. The workbook is one people can work with straight away: real
date cells (so they sort and filter as dates), column widths that fit, the header
row frozen and an autofilter on it. Text that a spreadsheet would run as a formula
is neutralised in both.

Both are streamed, so memory stays flat however many issues there are. One query reads
the issues as plain columns, with each one's owner, organisation, services and messages
in the same statement (never a query per issue), BATCH_SIZE rows at a time. The CSV goes
out a batch at a time. The workbook is written row by row by XlsxWriter in its
constant-memory mode to a temporary file, then sent in chunks: XlsxWriter writes this
sheet in about three quarters of the time openpyxl's write-only mode takes, and it writes
the column widths and the filter when the file is closed, so the widths fit every row
without holding the rows.
"""

from __future__ import annotations

import csv
import io
import operator
import re
import tempfile
from collections import namedtuple
from collections.abc import Iterable, Iterator
from datetime import datetime

import sqlalchemy as sa
import xlsxwriter
from flask import Response, stream_with_context
from sqlalchemy.dialects.postgresql import aggregate_order_by

from ..accounts.models import Organisation, User
from ..core.extensions import db
from ..core.formats import EXCEL_DATE_FORMAT, EXCEL_DATETIME_FORMAT, LONDON, format_date, format_datetime
from ..core.models import utcnow
from ..core.text import clean_text, is_clean
from ..search import queries as search_queries
from .models import Issue, IssueFacts, IssueMessage, IssueService
from .queries import SORT_ORDERS, IssueQuery, filter_conditions, search_facets
from .sheet import COLUMNS, STALE_HEADER

BATCH_SIZE = 500  # issues read, made into rows and written at a time
CHUNK_BYTES = 256 * 1024  # the workbook goes out in pieces of this size
SPOOL_BYTES = 8 * 1024 * 1024  # a workbook up to this size is built in memory, a larger one on disk
# Widest a text column opens at (characters); longer text stays in the cell, visible when selected.
MAX_WIDTH = 60
MIN_WIDTH = 8
STALE_WIDTH = 8

HEADERS = [column.header for column in COLUMNS] + [STALE_HEADER]
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- reading the issues


# What a row of the export reads of an issue; services and messages last (exported_batches splits them).
EXPORTED_FIELDS = (
    "id", "summary", "description", "severity", "root_cause", "root_cause_certainty", "impact_assessment",
    "supplier_impact", "distributor_impact", "settlement_impact", "status", "action_underway",
    "resolution_description", "resolution_status", "dependencies", "parties_responsible", "next_run_resolves",
    "service_desk_refs", "target_date", "triage_state", "created_at", "last_update_at", "resolved_at",
    "owner_name", "organisation_name", "services", "messages",
)


class ExportedIssue(IssueFacts, namedtuple("ExportedRow", EXPORTED_FIELDS)):
    """An issue as the export reads it: its own columns, its owner's name (None: unassigned), its
    organisation's name, and its services and messages as tuples of codes in order."""

    __slots__ = ()


# Between an issue's codes as the query joins them: a control character, never in a code.
_SEPARATOR = "\x1f"


def _joined_codes(code, issue_id, postgresql: bool):
    """One issue's services (or messages) as one text, for the one query."""
    if postgresql:  # in the database's order, as the issue's own lists are
        joined = sa.func.string_agg(code, aggregate_order_by(sa.func.chr(31), code))
    else:  # SQLite compares text by code point, as sorted() does in _split_codes
        joined = sa.func.group_concat(code, _SEPARATOR)
    return sa.select(joined).where(issue_id == Issue.id).scalar_subquery()


def export_select(query: IssueQuery, user: User, *, stale_after_days: int = 14) -> sa.Select:
    """Every issue of the view that the person may see, in the list's order, as EXPORTED_FIELDS."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    columns = {
        "owner_name": User.display_name,
        "organisation_name": Organisation.name,
        "services": _joined_codes(IssueService.service, IssueService.issue_id, postgresql),
        "messages": _joined_codes(IssueMessage.message, IssueMessage.issue_id, postgresql),
    }
    stmt = (
        sa.select(*(columns.get(name, getattr(Issue, name, None)).label(name) for name in EXPORTED_FIELDS))
        .select_from(Issue)
        .join(Organisation, Organisation.id == Issue.organisation_id)
        .outerjoin(User, User.id == Issue.owner_id)
        .where(*filter_conditions(query, user, stale_after_days=stale_after_days))
    )
    if query.ranked and query.search:
        # As the list's pages of a search: the newest matches best first, then the older ones newest first.
        hits = search_queries.ranked_hits(
            db.session, query.search, search_facets(query, user, stale_after_days=stale_after_days),
            limit=search_queries.WINDOW,
        )
        return stmt.outerjoin(hits, hits.c.id == Issue.id).order_by(hits.c.id.is_(None), hits.c.score, Issue.id.desc())
    return stmt.order_by(*SORT_ORDERS.get(query.sort, SORT_ORDERS["updated"]))


def _split_codes(text: str | None, ordered: bool) -> tuple[str, ...]:
    if not text:
        return ()
    if _SEPARATOR not in text:
        return (text,)
    codes = text.split(_SEPARATOR)
    return tuple(codes if ordered else sorted(codes))


def exported_batches(query: IssueQuery, user: User, *, stale_after_days: int = 14) -> Iterator[list[ExportedIssue]]:
    """The export's issues, BATCH_SIZE at a time, from one query. The query is made (and a
    search ranked) now; the rows are read as the batches are taken."""
    stmt = export_select(query, user, stale_after_days=stale_after_days)
    ordered = db.session.get_bind().dialect.name == "postgresql"
    make = ExportedIssue._make

    def batches():
        result = db.session.execute(stmt, execution_options={"yield_per": BATCH_SIZE})
        try:
            for rows in result.partitions():
                yield [
                    make((*row[:-2], _split_codes(row[-2], ordered), _split_codes(row[-1], ordered))) for row in rows
                ]
        finally:
            result.close()

    return batches()


# ---------------------------------------------------------------- rows of cells

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A row's text cells joined, each after a "\n": a match is a cell that may start with one of
# FORMULA_STARTS (or a line inside a cell that does: each cell is then checked on its own).
_FORMULA_AFTER_BREAK = re.compile("\n[=+\\-@\t\r]")

_VALUES = tuple(column.value for column in COLUMNS)
_TEXT_AT = tuple(index for index, column in enumerate(COLUMNS) if column.kind == "text")
_DATE_AT = tuple(index for index, column in enumerate(COLUMNS) if column.kind == "date")
_DATETIME_AT = tuple(index for index, column in enumerate(COLUMNS) if column.kind == "datetime")
_NUMBER_AT = tuple(index for index, column in enumerate(COLUMNS) if column.kind == "number")
_texts_of = operator.itemgetter(*_TEXT_AT)


def _safe_cell(value):
    """Stop spreadsheet programs from running user text as a formula; drop characters
    a workbook cannot hold (whatever text it is given, stored or not)."""
    if isinstance(value, str):
        value = clean_text(value)
        if value[:1] in FORMULA_STARTS:
            return "'" + value
    return value


def _cells(issue: ExportedIssue, stale_days: int, now: datetime) -> list:
    """An issue's values in column order, its text made safe (_safe_cell), then "Yes"/"No" stale."""
    cells = [value(issue) for value in _VALUES]
    # One look at the row's text decides whether any cell needs _safe_cell: few ever do.
    joined = "\n" + "\n".join(_texts_of(cells))
    if not is_clean(joined) or _FORMULA_AFTER_BREAK.search(joined):
        for index in _TEXT_AT:
            cells[index] = _safe_cell(cells[index])
    cells.append("Yes" if issue.is_stale(stale_days, now) else "No")
    return cells


def _filename(ext: str) -> str:
    return f"industry-issues-{utcnow().astimezone(LONDON).strftime('%Y-%m-%d')}.{ext}"


# ---------------------------------------------------------------- CSV


def csv_rows(batch: Iterable[ExportedIssue], stale_days: int, now: datetime) -> Iterator[list]:
    """The CSV's rows of these issues: text, with the dates in the one format."""
    for issue in batch:
        cells = _cells(issue, stale_days, now)
        for index in _DATE_AT:
            cells[index] = format_date(cells[index], empty="")
        for index in _DATETIME_AT:
            cells[index] = format_datetime(cells[index], empty="")
        yield cells


def csv_response(batches: Iterable[list[ExportedIssue]], stale_days: int) -> Response:
    """The CSV, sent a batch of issues at a time."""

    def chunks() -> Iterator[bytes]:
        now = utcnow()
        buffer = io.StringIO()
        buffer.write("\ufeff")  # so Excel opens it as UTF-8
        writer = csv.writer(buffer)
        writer.writerow(HEADERS)
        for batch in batches:
            writer.writerows(csv_rows(batch, stale_days, now))
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():  # no issues at all: the header alone
            yield buffer.getvalue().encode()

    return Response(
        stream_with_context(chunks()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_filename("csv")}"'},
    )


# ---------------------------------------------------------------- Excel

_FIXED_WIDTHS = {index: column.width for index, column in enumerate(COLUMNS) if column.width}
_FIT_AT = tuple(index for index in _TEXT_AT if index not in _FIXED_WIDTHS)  # widths fitted to the text
_STRING_AT = (*_TEXT_AT, len(COLUMNS))  # the text columns and Stale


def _width(header: str, longest: int) -> float:
    return float(min(MAX_WIDTH, max(MIN_WIDTH, len(header) * 0.8, longest) + 2))


def write_workbook(batches: Iterable[list[ExportedIssue]], stale_days: int, file) -> int:
    """The workbook of these issues, written to `file` a row at a time; the number of issues."""
    workbook = xlsxwriter.Workbook(file, {
        "constant_memory": True,  # each row goes to disk once the next begins
        # Every cell is written as what it is: text is never read as a formula, a link or a number.
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    sheet = workbook.add_worksheet("Industry issues")
    header = workbook.add_format({
        "bold": True, "font_color": "#FFFFFF", "bg_color": "#0B2E59", "pattern": 1, "text_wrap": True, "valign": "top",
    })
    # Real date and time cells: Excel knows no time zones, so a time is London wall time.
    date_format = workbook.add_format({"num_format": EXCEL_DATE_FORMAT})
    datetime_format = workbook.add_format({"num_format": EXCEL_DATETIME_FORMAT})
    sheet.write_row(0, 0, HEADERS, header)
    sheet.freeze_panes(1, 1)  # the header row and the Issue ID stay in view

    write_string, write_number, write_datetime = sheet.write_string, sheet.write_number, sheet.write_datetime
    longest = dict.fromkeys(_FIT_AT, 0)
    now = utcnow()
    row_number = 0
    for batch in batches:
        rows = [_cells(issue, stale_days, now) for issue in batch]
        for cells in rows:
            row_number += 1
            for index in _STRING_AT:
                if cells[index]:
                    write_string(row_number, index, cells[index])
            for index in _NUMBER_AT:
                write_number(row_number, index, cells[index])
            for index in _DATE_AT:
                if cells[index] is not None:
                    write_datetime(row_number, index, cells[index], date_format)
            for index in _DATETIME_AT:
                if cells[index] is not None:
                    local = cells[index].astimezone(LONDON).replace(tzinfo=None, microsecond=0)
                    write_datetime(row_number, index, local, datetime_format)
        for index in _FIT_AT:
            longest[index] = max(longest[index], max(map(len, map(operator.itemgetter(index), rows)), default=0))

    # Written when the workbook closes, so they can come after the rows.
    sheet.autofilter(0, 0, row_number, len(HEADERS) - 1)
    for index, column in enumerate(COLUMNS):
        width = _FIXED_WIDTHS.get(index) or _width(column.header, longest.get(index, 0))
        sheet.set_column(index, index, width)
    sheet.set_column(len(COLUMNS), len(COLUMNS), STALE_WIDTH)
    workbook.close()
    return row_number


def xlsx_response(batches: Iterable[list[ExportedIssue]], stale_days: int) -> Response:
    """The workbook, built in a temporary file (in memory while small) and sent in chunks."""
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        write_workbook(batches, stale_days, file)
        size = file.tell()
        file.seek(0)
    except BaseException:
        file.close()
        raise

    def chunks() -> Iterator[bytes]:
        with file:
            while chunk := file.read(CHUNK_BYTES):
                yield chunk

    return Response(
        chunks(),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{_filename("xlsx")}"', "Content-Length": str(size)},
    )

