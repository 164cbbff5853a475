"""The current filtered view as CSV or Excel, in the MVP tracker's column order."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from ..models import Issue
from ..models.base import utcnow
from ..templating import london

COLUMNS: list[tuple[str, callable]] = [
    ("Issue ID", lambda i: i.reference),
    ("Issue Summary", lambda i: i.summary),
    ("Service / System", lambda i: " / ".join(i.services)),
    ("Root Cause (Known / Suspected)", lambda i: f"{i.root_cause} ({i.root_cause_certainty})" if i.root_cause else ""),
    ("Impact Assessment Status", lambda i: i.impact_assessment),
    ("Supplier Count Impacted", lambda i: i.supplier_impact),
    ("Distributor Count Impacted", lambda i: i.distributor_impact),
    ("Affected Settlement Messages", lambda i: " / ".join(i.messages)),
    ("Settlement Impact", lambda i: i.settlement_impact),
    ("Current Status", lambda i: i.status),
    ("Action Underway", lambda i: i.action_underway),
    ("Resolution Description", lambda i: i.resolution_description),
    ("Resolution Status", lambda i: i.resolution_status),
    ("Dependencies", lambda i: i.dependencies),
    ("Parties Responsible for Resolution", lambda i: i.parties_responsible),
    ("Will Next Settlement Run Resolve?", lambda i: i.next_run_resolves),
    ("Description", lambda i: i.description),
    ("Severity", lambda i: i.severity_label),
    ("Owner", lambda i: i.owner.display_name if i.owner else ""),
    ("Target Date", lambda i: i.target_date.isoformat() if i.target_date else ""),
    ("Service-desk References", lambda i: i.service_desk_refs),
    ("Submitted By Organisation", lambda i: i.organisation.name),
    ("Triage", lambda i: i.triage_state),
    ("Created", lambda i: london(i.created_at, "%Y-%m-%d %H:%M")),
    ("Last Update", lambda i: london(i.last_update_at, "%Y-%m-%d %H:%M")),
    ("Resolved", lambda i: london(i.resolved_at, "%Y-%m-%d %H:%M") if i.resolved_at else ""),
    ("Age (days)", lambda i: i.age_days()),
]


def _safe_cell(value):
    """Stop spreadsheet programs from running user text as a formula; drop characters
    a workbook cannot hold."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def table_rows(issues: Iterable[Issue], stale_days: int) -> Iterable[list]:
    header = [name for name, _ in COLUMNS] + ["Stale"]
    yield header
    now = utcnow()
    for issue in issues:
        yield [_safe_cell(get(issue)) for _, get in COLUMNS] + [
            "Yes" if issue.is_stale(stale_days, now) else "No"
        ]


def _filename(ext: str) -> str:
    return f"industry-issues-{utcnow().strftime('%Y-%m-%d')}.{ext}"


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


def xlsx_response(issues, stale_days: int) -> Response:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Industry issues")
    bold = Font(bold=True)
    for index, row in enumerate(table_rows(issues, stale_days)):
        if index == 0:
            from openpyxl.cell import WriteOnlyCell

            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=value)
                cell.font = bold
                cells.append(cell)
            sheet.append(cells)
        else:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_filename("xlsx")}"'},
    )
