"""The tracker as a spreadsheet: its columns, in the MVP tracker's order and then the product's
own, each written by the export (CSV and Excel) and read back by the import.

An exported sheet imports into an empty tracker as it was, Issue IDs included: people cite
issues by ID in minutes and emails. A sheet kept by hand in the MVP tracker's columns
imports too: a column it lacks leaves that field as it is (a new issue: its default).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from ..core.formats import LONDON
from ..core.models import utcnow
from . import fields
from .fields import FieldError

if TYPE_CHECKING:
    from .export import ExportedIssue

REFERENCE = re.compile(r"^IIT-(\d{1,9})$", re.IGNORECASE)


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[ExportedIssue], object]  # the cell the export writes, from the issue as the export reads it
    kind: str = "text"  # text | date | datetime | number: the cell's type in Excel
    width: int | None = None  # fixed width in Excel; None fits the content
    field: str = ""  # the tracker field the import sets from it ("" : read specially, or not at all)
    aliases: tuple[str, ...] = ()


# Fields whose stored text is the cell itself: read as the attribute, with no call per cell.
AS_STORED = ("line", "text", "choice", "party_count", "refs")


def _field(name: str, value: Callable[[ExportedIssue], object] | None = None, kind: str = "text",
           width: int | None = None):
    f = fields.BY_NAME[name]
    if value is None:
        value = operator.attrgetter(name) if f.kind in AS_STORED else (lambda issue: f.display(getattr(issue, name)))
    return Column(f.header, value, kind, width, name, f.aliases)


COLUMNS: list[Column] = [
    Column("Issue ID", lambda i: i.reference, width=11),
    _field("summary"),
    _field("services"),
    _field("root_cause", lambda i: fields.root_cause_cell(i.root_cause, i.root_cause_certainty)),
    _field("impact_assessment"),
    _field("supplier_impact"),
    _field("distributor_impact"),
    _field("messages"),
    _field("settlement_impact"),
    _field("status"),
    _field("action_underway"),
    _field("resolution_description"),
    _field("resolution_status"),
    _field("dependencies"),
    _field("parties_responsible"),
    _field("next_run_resolves"),
    # The MVP tracker's columns end here; the product's own follow.
    _field("description"),
    _field("severity"),
    _field("owner_id", lambda i: "Unassigned" if i.owner_name is None else i.owner_name),
    _field("target_date", lambda i: i.target_date, "date", 13),
    _field("service_desk_refs"),
    Column("Submitted By Organisation", operator.attrgetter("organisation_name"), aliases=("organisation",)),
    Column("Triage", lambda i: fields.TRIAGE_LABELS.get(i.triage_state, i.triage_state)),
    Column("Created", lambda i: i.created_at, "datetime", 17),
    Column("Last Update", lambda i: i.last_update_at, "datetime", 17),
    Column("Resolved", lambda i: i.resolved_at, "datetime", 17),
    Column("Age (days)", lambda i: i.age_days(), "number", 11),
]
STALE_HEADER = "Stale"  # the last column: whether the issue had no update for the stale period


def header_key(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").lower()).strip()


# Header (lower-cased, spaces squeezed) → the column it names, for the import.
BY_HEADER: dict[str, Column] = {
    header_key(name): column for column in COLUMNS for name in (column.header, *column.aliases)
}
ISSUE_ID, SUMMARY = "issue id", header_key(fields.BY_NAME["summary"].header)


# ---------------------------------------------------------------- reading cells back


def issue_number(key: str) -> int | None:
    """The issue an Issue ID such as IIT-0042 names in this tracker (42); None for another tracker's ID."""
    match = REFERENCE.match((key or "").strip())
    return int(match.group(1)) if match and 0 < int(match.group(1)) < 2**31 else None


def parse_moment(text: str, header: str) -> datetime | None:
    """A time as the export writes it ("14 Apr 2026 16:00", London) or as Excel gives it back."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%d %b %Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%d %b %Y", "%Y-%m-%d"):
        try:
            local = datetime.strptime(text, pattern)  # noqa: DTZ007 (London wall time, made aware below)
        except ValueError:
            continue
        moment = local.replace(tzinfo=LONDON)
        if moment > utcnow():
            raise FieldError(f"{header} “{text[:40]}” is in the future.")
        return moment
    raise FieldError(f"{header} “{text[:40]}” is not a date and time such as 14 Apr 2026 16:00.")


def parse_day(text: str, header: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%d %b %Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y"):
        try:
            day = datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a calendar day)
        except ValueError:
            continue
        if not 2000 <= day.year <= 2100:
            raise FieldError(f"{header} must be between 2000 and 2100.")
        return day
    raise FieldError(f"{header} “{text[:40]}” is not a date such as 14 Apr 2026.")


@dataclass
class Row:
    """One sheet row, read: the fields it sets, and what only a new issue takes from it."""

    key: str
    data: dict
    owner_name: str | None = None  # None: no Owner column; "": unassigned
    organisation: str = ""
    triage: str | None = None
    created_at: datetime | None = None
    last_update_at: datetime | None = None
    resolved_at: datetime | None = None


def read_row(cells: dict[str, str]) -> Row:
    """A row's cells (by header key) as a Row; FieldError names the first cell that is wrong."""
    data: dict = {}
    row = Row(key=cells.get(ISSUE_ID, "").strip(), data=data)
    for header, text in cells.items():
        column = BY_HEADER.get(header)
        if column is None or not column.field:
            continue
        name = column.field
        if name == "root_cause":
            data["root_cause"], certainty = fields.parse_root_cause_cell(text)
            if certainty:
                data["root_cause_certainty"] = certainty
            data["root_cause"] = fields.BY_NAME["root_cause"].parse(data["root_cause"])
        elif name == "owner_id":
            owner = text.strip()
            row.owner_name = "" if owner.lower() in ("", "unassigned") else owner
        elif name == "target_date":
            data["target_date"] = parse_day(text, column.header)
        else:
            data[name] = fields.BY_NAME[name].parse(text)
    row.organisation = cells.get("submitted by organisation", "").strip()[:120]
    row.triage = fields.parse_triage(cells.get("triage", ""))
    row.created_at = parse_moment(cells.get("created", ""), "Created")
    row.last_update_at = parse_moment(cells.get("last update", ""), "Last Update")
    row.resolved_at = parse_moment(cells.get("resolved", ""), "Resolved")
    if "summary" not in data or not data["summary"]:
        raise FieldError(f"{fields.BY_NAME['summary'].header} is required.")
    return row
