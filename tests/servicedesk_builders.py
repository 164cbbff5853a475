"""Service-desk extracts for tests, built as ServiceNow exports them, and imported the app's way."""

from __future__ import annotations

import csv
import io

from issues_tracker.core.extensions import db
from issues_tracker.servicedesk.extract import read_extract
from issues_tracker.servicedesk.operations import import_extract

COLUMNS = ["Number", "Opened", "Priority", "State", "Short description", "Assignment group", "Product",
           "Responded", "Resolved", "Closed"]


def record(number: str, opened: str, *, priority: str = "3 - Moderate", state: str = "Resolved",
           responded: str = "", resolved: str = "", closed: str = "", product: str = "DIP",
           description: str = "Flow query", group: str = "Elexon - Technical Triage", **extra) -> dict:
    """One row; extra keyword arguments are further columns by their label (underscores for spaces)."""
    row = {
        "Number": number, "Opened": opened, "Priority": priority, "State": state,
        "Short description": description, "Assignment group": group, "Product": product,
        "Responded": responded, "Resolved": resolved, "Closed": closed,
    }
    row.update({key.replace("_", " "): value for key, value in extra.items()})
    return row


def extract_csv(rows: list[dict], columns: list[str] | None = None) -> bytes:
    columns = list(columns or COLUMNS)
    for row in rows:
        columns += [key for key in row if key not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: row.get(key, "") for key in columns})
    return buffer.getvalue().encode("utf-8")


def import_rows(rows: list[dict], **kw):
    """Read and store an extract through the services, and commit (as the CLI or a job's runner does)."""
    extract = read_extract(io.BytesIO(extract_csv(rows)), "extract.csv")
    outcome = import_extract(extract, filename="extract.csv", source="cli", **kw)
    db.session.commit()
    return outcome
