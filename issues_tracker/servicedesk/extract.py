"""Reading a service-desk extract: a list exported from ServiceNow as CSV or Excel.

Columns are found by ServiceNow's list labels, in any order and any case; columns
that are not listed here are ignored (callers' and assignees' names among them, so
they are never stored). Every row is checked, nothing is kept unless every row is
valid, and every problem is reported with its line in the file and the reason.

The file is read as a stream: CSV through the csv module one row at a time; Excel through
python-calamine, which reads the sheet's cells outside Python and hands them over a row at
a time. Rows are handed on in chunks as they are checked (ExtractReader), so an import
stores them as it reads and holds no more than a chunk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import BinaryIO

from ..core.text import clean_text
from .clock import LONDON
from .sheets import UnreadableFile, csv_rows, file_kind, xlsx_rows

# Normalised label (lower case, single spaces) -> field. The first label of a field
# found in the header is used; "Product" wins over "MHHS Product" and "Service".
COLUMN_LABELS: dict[str, str] = {
    "number": "number",
    "opened": "opened",
    "priority": "priority",
    "state": "state",
    "short description": "short_description",
    "assignment group": "assignment_group",
    "product": "product",
    "mhhs product": "product",
    "service": "product",
    "responded": "responded",
    "resolved": "resolved",
    "closed": "closed",
    "incident": "incident",
    "aged reason": "aged_reason",
    "aged reason detail": "aged_reason_detail",
    "major incident": "major_incident",
    "mi email": "mi_email",
    "industry circular": "industry_circular",
    "pir published": "pir_published",
    "mi portal banner": "mi_portal_banner",
    "category": "category",
    "outcome": "outcome",
    "close code": "outcome",
}
REQUIRED_FIELDS = (
    "number", "opened", "priority", "state", "short_description", "assignment_group", "product",
    "responded", "resolved", "closed",
)
FIELD_LABELS = {
    "number": "Number",
    "opened": "Opened",
    "priority": "Priority",
    "state": "State",
    "short_description": "Short description",
    "assignment_group": "Assignment group",
    "product": "Product (or MHHS Product, or Service)",
    "responded": "Responded",
    "resolved": "Resolved",
    "closed": "Closed",
    "incident": "Incident",
    "aged_reason": "Aged reason",
    "aged_reason_detail": "Aged reason detail",
    "major_incident": "Major incident",
    "mi_email": "MI email",
    "industry_circular": "Industry circular",
    "pir_published": "PIR published",
    "mi_portal_banner": "MI portal banner",
    "category": "Category",
    "outcome": "Outcome",
}
TEXT_LIMITS = {
    "state": 60,
    "product": 100,
    "short_description": 500,
    "assignment_group": 120,
    "category": 120,
    "aged_reason": 200,
    "aged_reason_detail": 4000,
}
# At most this many problems are kept to show; all are counted.
MAX_LISTED_PROBLEMS = 1000

NUMBER = re.compile(r"^(CS|INC|CHG)\d{4,12}$")
RECORD_TYPES = {"CS": "case", "INC": "incident", "CHG": "change"}
# A change's outcome (ServiceNow's close code; its "Unsuccessful" is a failed change).
OUTCOMES = ("Successful", "Successful with issues", "Failed")
OUTCOME_NAMES = {**{name.lower(): name for name in OUTCOMES}, "unsuccessful": "Failed"}
INCIDENT_NUMBER = re.compile(r"^INC\d{4,12}$")
PRIORITY = re.compile(r"^(?:P\s*)?([0-9]+)(?:\s*[-–—:]\s*\S.*)?$", re.IGNORECASE)
ISO_MOMENT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
UK_MOMENT = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
YES = {"y", "yes", "true", "1"}
NO = {"n", "no", "false", "0", ""}
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


class ExtractError(Exception):
    """The extract cannot be imported. Either the file as a whole (message) or some rows (problems)."""

    def __init__(self, message: str, problems: list[RowProblem] | None = None, problem_count: int = 0):
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        self.problem_count = problem_count or len(self.problems)

    def report(self, limit: int | None = None) -> str:
        lines = [self.message]
        shown = self.problems if limit is None else self.problems[:limit]
        lines += [problem.text for problem in shown]
        hidden = self.problem_count - len(shown)
        if hidden > 0:
            lines.append(f"… and {hidden:,} more row problem{'' if hidden == 1 else 's'}.")
        return "\n".join(lines)


@dataclass(frozen=True)
class RowProblem:
    line: int
    number: str
    reason: str

    @property
    def text(self) -> str:
        return f"Line {self.line}{f' ({self.number})' if self.number else ''}: {self.reason}"


@dataclass(slots=True)
class ExtractRow:
    line: int
    number: str
    record_type: str
    opened_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    priority: int
    state: str
    product: str
    short_description: str
    assignment_group: str
    category: str = ""
    incident_number: str = ""
    aged_reason: str = ""
    aged_reason_detail: str = ""
    major_incident: bool = False
    mi_portal_banner_at: datetime | None = None
    mi_email_at: datetime | None = None
    industry_circular_at: datetime | None = None
    pir_published_on: date | None = None
    outcome: str = ""


@dataclass
class Extract:
    rows: list[ExtractRow]
    fields: frozenset[str]  # the extract's columns, as fields
    ignored_columns: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- cells


def _text(value) -> str:
    if type(value) is str:
        return clean_text(value).strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value)).strip()


def parse_moment(value, label: str, *, date_only: bool = False) -> datetime | date | None:
    """A Europe/London time from a cell (text or an Excel date) as UTC; ValueError with the reason."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        # An Excel date is a fraction of a day: round away the float's last microseconds.
        if value.microsecond:
            value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        moment = value if value.tzinfo else value.replace(tzinfo=LONDON)
        year = moment.year
        result = moment.date() if date_only else moment.astimezone(UTC)
    elif isinstance(value, date):
        year = value.year
        result = value if date_only else datetime(value.year, value.month, value.day, tzinfo=LONDON).astimezone(UTC)
    else:
        text = _text(value)
        if not text:
            return None
        match = ISO_MOMENT.match(text)
        if match:
            y, mo, d, h, mi, s = match.groups()
        else:
            match = UK_MOMENT.match(text)
            if not match:
                raise ValueError(
                    f"{label} “{text[:40]}” is not a date and time: write YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM."
                )
            d, mo, y, h, mi, s = match.groups()
        if h is None and not date_only:
            raise ValueError(f"{label} “{text[:40]}” has no time: write YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM.")
        try:
            local = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), tzinfo=LONDON)
        except ValueError:
            raise ValueError(f"{label} “{text[:40]}” is not a real date and time.") from None
        year = local.year
        result = local.date() if date_only else local.astimezone(UTC)
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"{label} {year} is not between {EARLIEST_YEAR} and {LATEST_YEAR}.")
    return result


def parse_priority(value) -> int:
    text = _text(value)
    match = PRIORITY.match(text)
    if not match or not 1 <= int(match.group(1)) <= 5:
        raise ValueError(f"unknown priority “{text[:40]}”: use 1 - Critical … 4 - Low, or P1 … P5.")
    return int(match.group(1))


def parse_flag(value, label: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(f"{label} “{text[:20]}” is not Y or N.")


def parse_row(line: int, cells: dict[str, object], fields: frozenset[str]) -> ExtractRow:
    """One row's values, checked; ValueError with the first reason it cannot be imported."""
    number = _text(cells.get("number")).upper()
    if not number:
        raise ValueError("Number is empty.")
    match = NUMBER.match(number)
    if not match:
        raise ValueError(f"Number “{number[:40]}” is not a case (CS…), incident (INC…) or change (CHG…) number.")
    record_type = RECORD_TYPES[match.group(1)]
    opened = parse_moment(cells.get("opened"), "Opened")
    if opened is None:
        raise ValueError("Opened is empty.")
    priority = parse_priority(cells.get("priority"))
    state = _text(cells.get("state"))
    if not state:
        raise ValueError("State is empty.")
    responded = parse_moment(cells.get("responded"), "Responded")
    resolved = parse_moment(cells.get("resolved"), "Resolved")
    closed = parse_moment(cells.get("closed"), "Closed")
    if responded is not None and responded < opened:
        raise ValueError("Responded is before Opened.")
    if resolved is not None and resolved < opened:
        raise ValueError("Resolved is before Opened.")
    if closed is not None and closed < opened:
        raise ValueError("Closed is before Opened.")
    if closed is not None and resolved is not None and closed < resolved:
        raise ValueError("Closed is before Resolved.")
    if state.lower() == "closed" and closed is None:
        raise ValueError("State is Closed but the Closed time is empty.")
    values = {}
    for name, limit in TEXT_LIMITS.items():
        text = _text(cells.get(name))
        if len(text) > limit:
            raise ValueError(f"{FIELD_LABELS[name].split(' (')[0]} is longer than {limit:,} characters.")
        values[name] = text
    incident = _text(cells.get("incident")).upper()
    if incident and not INCIDENT_NUMBER.match(incident):
        raise ValueError(f"Incident “{incident[:40]}” is not an incident number (INC…).")
    major = parse_flag(cells.get("major_incident"), "Major incident") if "major_incident" in fields else False
    moments = {}
    for name, label in (("mi_portal_banner", "MI portal banner"), ("mi_email", "MI email"),
                        ("industry_circular", "Industry circular")):
        moment = parse_moment(cells.get(name), label)
        if moment is not None and moment < opened:
            raise ValueError(f"{label} is before Opened.")
        moments[name] = moment
    pir = parse_moment(cells.get("pir_published"), "PIR published", date_only=True)
    outcome = parse_outcome(_text(cells.get("outcome")), record_type, closed)
    return ExtractRow(
        line=line,
        number=number,
        record_type=record_type,
        opened_at=opened,
        responded_at=responded,
        resolved_at=resolved,
        closed_at=closed,
        priority=priority,
        state=values["state"],
        product=values["product"],
        short_description=values["short_description"],
        assignment_group=values["assignment_group"],
        category=values["category"],
        incident_number=incident,
        aged_reason=values["aged_reason"],
        aged_reason_detail=values["aged_reason_detail"],
        major_incident=major,
        mi_portal_banner_at=moments["mi_portal_banner"],
        mi_email_at=moments["mi_email"],
        industry_circular_at=moments["industry_circular"],
        pir_published_on=pir,
        outcome=outcome,
    )


def parse_outcome(text: str, record_type: str, closed: datetime | None) -> str:
    if text and record_type != "change":
        raise ValueError(f"Outcome “{text[:40]}” is given for a {record_type}; only change records (CHG…) have one.")
    if not text:
        if record_type == "change" and closed is not None:
            raise ValueError("Outcome is empty for a closed change: give Successful, Successful with issues or Failed.")
        return ""
    outcome = OUTCOME_NAMES.get(" ".join(text.split()).lower())
    if outcome is None:
        raise ValueError(f"Outcome “{text[:40]}” is not one of: Successful, Successful with issues, Failed.")
    return outcome


def _header(cells: list) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    ignored = []
    preference = {label: rank for rank, label in enumerate(COLUMN_LABELS)}
    chosen_rank: dict[str, int] = {}
    for index, cell in enumerate(cells):
        label = re.sub(r"\s+", " ", _text(cell).lower())
        name = COLUMN_LABELS.get(label)
        if name is None:
            if label:
                ignored.append(_text(cell))
            continue
        if name not in positions or preference[label] < chosen_rank[name]:
            positions[name] = index
            chosen_rank[name] = preference[label]
    return positions, ignored


class ExtractReader:
    """An extract's rows, checked one at a time after its header, handed over in chunks.

    A caller can store each chunk as it comes, so no more than a chunk of rows is held. After
    the first row with a problem no further chunk is handed over, but every row is still
    checked; iterating then ends with ExtractError listing every problem, and the caller
    undoes what it stored from the earlier chunks (see jobs.import_extract_file).
    """

    def __init__(self, rows_iter: Iterator[tuple[int, list]], max_rows: int,
                 progress: Callable[[int], None] | None = None):
        self._rows = rows_iter
        self.max_rows = max_rows
        self.progress = progress
        self.positions, self.ignored_columns = self._read_header()
        self.fields: frozenset[str] = frozenset(self.positions)
        self.count = 0  # the rows read, once the chunks have been iterated

    def _read_header(self) -> tuple[dict[str, int], list[str]]:
        for line, cells in self._rows:
            if not any(_text(cell) for cell in cells):
                continue
            positions, ignored = _header(cells)
            missing = [FIELD_LABELS[name] for name in REQUIRED_FIELDS if name not in positions]
            if missing:
                raise ExtractError(
                    f"Line {line} must name the extract's columns; missing: {', '.join(missing)}. "
                    "Export the list from ServiceNow with its column labels in the first row."
                )
            return positions, ignored
        raise ExtractError("The file is empty: it has no header row and no records.")

    def chunks(self, size: int = 1000) -> Iterator[list[ExtractRow]]:
        positions, fields, max_rows, progress = self.positions, self.fields, self.max_rows, self.progress
        problems: list[RowProblem] = []
        problem_count = 0
        first_line: dict[str, int] = {}
        chunk: list[ExtractRow] = []
        count = 0
        for line, cells in self._rows:
            if not any(_text(cell) for cell in cells):
                continue
            count += 1
            if count > max_rows:
                raise ExtractError(f"The extract has more than {max_rows:,} rows; import it in parts.")
            if progress and count % 5000 == 0:
                progress(count)
            values = {name: (cells[index] if index < len(cells) else None) for name, index in positions.items()}
            try:
                row = parse_row(line, values, fields)
            except ValueError as exc:
                problem_count += 1
                if len(problems) < MAX_LISTED_PROBLEMS:
                    problems.append(RowProblem(line, _text(values.get("number"))[:20].upper(), str(exc)))
                continue
            seen = first_line.get(row.number)
            if seen is not None:
                problem_count += 1
                if len(problems) < MAX_LISTED_PROBLEMS:
                    reason = f"Number {row.number} appears more than once (also on line {seen})."
                    problems.append(RowProblem(line, row.number, reason))
                continue
            first_line[row.number] = line
            if not problem_count:
                chunk.append(row)
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
        self.count = count
        if problem_count:
            raise ExtractError(
                f"Nothing was imported: {problem_count:,} row{' has' if problem_count == 1 else 's have'} "
                "problems. Correct them and import the file again.",
                problems,
                problem_count,
            )
        if not count:
            raise ExtractError("The extract has a header row but no records.")
        if chunk:
            yield chunk

    def extract(self) -> Extract:
        """Every row at once (for extracts small enough to hold)."""
        rows = [row for chunk in self.chunks() for row in chunk]
        return Extract(rows=rows, fields=self.fields, ignored_columns=self.ignored_columns)


def _file_rows(rows_iter: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    try:
        yield from rows_iter
    except UnreadableFile as exc:
        raise ExtractError(str(exc)) from exc


@contextmanager
def open_extract(
    source: BinaryIO,
    filename: str,
    *,
    max_rows: int = 250_000,
    progress: Callable[[int], None] | None = None,
) -> Iterator[ExtractReader]:
    """The extract file's reader, its header read and checked; ExtractError if the file cannot be read."""
    try:
        kind = file_kind(filename)
    except UnreadableFile as exc:
        raise ExtractError(str(exc)) from exc
    rows_iter = csv_rows(source) if kind == "csv" else xlsx_rows(source)
    try:
        yield ExtractReader(_file_rows(rows_iter), max_rows, progress)
    finally:
        rows_iter.close()


def read_extract(
    source: BinaryIO,
    filename: str,
    *,
    max_rows: int = 250_000,
    progress: Callable[[int], None] | None = None,
) -> Extract:
    """Every row of the extract, checked; ExtractError (listing every problem) if any cannot be imported."""
    with open_extract(source, filename, max_rows=max_rows, progress=progress) as reader:
        return reader.extract()


def read_records(records: list[dict], *, max_rows: int = 250_000) -> Extract:
    """Records sent as JSON objects keyed by the extract's column labels (the live feed), checked as an
    extract's rows are: ExtractError listing every bad record. A record's position (1 for the first)
    stands for its line."""
    labels: list[str] = []
    for record in records:
        labels += [label for label in record if label not in labels]
    positions, _ignored = _header(labels)
    missing = [FIELD_LABELS[name] for name in REQUIRED_FIELDS if name not in positions]
    if missing:
        raise ExtractError(f"The records must have these fields: {', '.join(missing)}.")

    def rows() -> Iterator[tuple[int, list]]:
        yield 0, labels
        for position, record in enumerate(records, start=1):
            yield position, [record.get(label) for label in labels]

    return ExtractReader(rows(), max_rows).extract()
