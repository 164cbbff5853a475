"""The current filtered view as CSV or Excel, in the columns of sheet.py (the MVP tracker's first).

Both carry readable values (labels, not internal codes) and the dates in the one
format of formats.py. The workbook is one people can work with straight away: real
date cells (so they sort and filter as dates), column widths that fit, the header
row frozen and an autofilter on it. Text that a spreadsheet would run as a formula
is neutralised in both.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..core.formats import EXCEL_DATE_FORMAT, EXCEL_DATETIME_FORMAT, LONDON, format_date, format_datetime
from ..core.models import utcnow
from ..core.text import clean_text
from .models import Issue
from .sheet import COLUMNS, STALE_HEADER

# Widest a text column opens at (characters); longer text stays in the cell, visible when selected.
MAX_WIDTH = 60
MIN_WIDTH = 8


def _safe_cell(value):
    """Stop spreadsheet programs from running user text as a formula; drop characters
    a workbook cannot hold (whatever text it is given, stored or not)."""
    if isinstance(value, str):
        value = clean_text(value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def _as_text(value, kind: str) -> str | int:
    if value is None:
        return ""
    if kind == "date":
        return format_date(value, empty="")
    if kind == "datetime":
        return format_datetime(value, empty="")
    return value


def _rows(issues: Iterable[Issue], stale_days: int) -> Iterable[tuple[list, str]]:
    """(raw values in column order, "Yes"/"No" stale) per issue."""
    now = utcnow()
    for issue in issues:
        yield [column.value(issue) for column in COLUMNS], ("Yes" if issue.is_stale(stale_days, now) else "No")


def table_rows(issues: Iterable[Issue], stale_days: int) -> Iterable[list]:
    """The export as text, header first: what the CSV holds."""
    yield [column.header for column in COLUMNS] + [STALE_HEADER]
    for values, stale in _rows(issues, stale_days):
        yield [_safe_cell(_as_text(value, column.kind)) for column, value in zip(COLUMNS, values, strict=True)] + [stale]


def _filename(ext: str) -> str:
    return f"industry-issues-{utcnow().astimezone(LONDON).strftime('%Y-%m-%d')}.{ext}"


def csv_response(issues, stale_days: int) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so Excel opens it as UTF-8
    writer = csv.writer(buffer)
    writer.writerows(table_rows(issues, stale_days))
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_filename("csv")}"'},
    )


def _excel_value(value, kind: str):
    """A real date or time cell for Excel (which knows no time zones: London wall time)."""
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, datetime):
        return value.astimezone(LONDON).replace(tzinfo=None, microsecond=0)
    if kind == "date" and isinstance(value, date):
        return value
    return _safe_cell(value)


def _width(header: str, values: Iterable) -> float:
    longest = max((len(str(value)) for value in values if value not in (None, "")), default=0)
    return float(min(MAX_WIDTH, max(MIN_WIDTH, len(header) * 0.8, longest) + 2))


def xlsx_response(issues, stale_days: int) -> Response:
    rows = list(_rows(issues, stale_days))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Industry issues")

    # Widths, frozen header and filter must be set before the first row is written.
    headers = [column.header for column in COLUMNS] + [STALE_HEADER]
    for index, column in enumerate(COLUMNS, start=1):
        width = column.width or _width(column.header, (values[index - 1] for values, _ in rows))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.column_dimensions[get_column_letter(len(headers))].width = 8
    sheet.freeze_panes = "B2"  # the header row and the Issue ID stay in view
    last = f"{get_column_letter(len(headers))}{len(rows) + 1}"
    sheet.auto_filter.ref = f"A1:{last}"

    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="0B2E59")
    wrap = Alignment(wrap_text=True, vertical="top")
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        header_cells.append(cell)
    sheet.append(header_cells)

    for values, stale in rows:
        cells = []
        for column, value in zip(COLUMNS, values, strict=True):
            converted = _excel_value(value, column.kind)
            if column.kind in ("date", "datetime") and converted is not None:
                cell = WriteOnlyCell(sheet, value=converted)
                cell.number_format = EXCEL_DATE_FORMAT if column.kind == "date" else EXCEL_DATETIME_FORMAT
                cells.append(cell)
            else:
                cells.append(converted)
        cells.append(stale)
        sheet.append(cells)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_filename("xlsx")}"'},
    )
