"""Service-desk extracts as Excel workbooks: as Excel saves them (text in a shared-strings
table) and as other programs write them (text inline), with date cells, and damaged files."""

import io
import re
import zipfile
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from issues_tracker.core.extensions import db
from issues_tracker.jobs import run_queued_jobs
from issues_tracker.models import ServiceDeskImport, ServiceDeskRecord
from issues_tracker.servicedesk.extract import ExtractError, read_extract
from tests.servicedesk_builders import extract_csv, record

pytestmark = pytest.mark.both_databases

HEADER = ["Number", "Opened", "Priority", "State", "Short description", "Assignment group", "MHHS Product",
          "Responded", "Resolved", "Closed", "Major incident", "PIR published", "Notes"]
# The same records as the workbooks below hold them, written as text in a CSV extract.
AS_TEXT = [
    record("CS0016629", "2025-12-17 10:12", priority="4 - Low", state="Open", responded="2025-12-17 10:30",
           product="MHHS Query", description="Timings of Migration messages", Major_incident="N",
           PIR_published="", Notes="A note"),
    record("INC0139429", "2026-07-06 09:40:00", priority="2", state="Closed", responded="06/07/2026 09:52",
           resolved="2026-07-13 12:30:15", closed="2026-07-18 00:00", product="MDS", description="  DIP down ",
           Major_incident="Y", PIR_published="2026-07-24", Notes=""),
]


def sheet_rows() -> list[list]:
    """The records as Excel holds them: times as date cells, a date at midnight, a text date, a number."""
    return [
        HEADER,
        ["CS0016629", datetime(2025, 12, 17, 10, 12), "4 - Low", "Open", "Timings of Migration messages",
         "Elexon - Technical Triage", "MHHS Query", datetime(2025, 12, 17, 10, 30), None, None, False, None, "A note"],
        [None] * len(HEADER),  # a blank row is skipped
        ["INC0139429", datetime(2026, 7, 6, 9, 40), 2, "Closed", "  DIP down ", "Elexon - Technical Triage", "MDS",
         "06/07/2026 09:52", datetime(2026, 7, 13, 12, 30, 15), date(2026, 7, 18), True, date(2026, 7, 24), None],
    ]


def openpyxl_workbook(rows: list[list], blank_rows_above: int = 0) -> bytes:
    """A workbook as openpyxl writes it: every text inline in its cell."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Page 1"
    for row_number, row in enumerate(rows, start=1 + blank_rows_above):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row_number, column, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def as_excel_saves_it(workbook: bytes) -> bytes:
    """The workbook with its text moved into a shared-strings table, each text once, as Excel saves it."""
    strings: dict[str, int] = {}

    def shared(match: re.Match) -> str:
        return f'{match.group(1)} t="s"><v>{strings.setdefault(match.group(2), len(strings))}</v></c>'

    source = zipfile.ZipFile(io.BytesIO(workbook))
    target_buffer = io.BytesIO()
    with zipfile.ZipFile(target_buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            text = source.read(name).decode()
            if name.startswith("xl/worksheets/"):
                text = re.sub(r'(<c r="[A-Z]+\d+"(?: s="\d+")?) t="inlineStr"><is><t(?: [^>]*)?>(.*?)</t></is></c>',
                              shared, text, flags=re.DOTALL)
                assert "inlineStr" not in text
            elif name == "[Content_Types].xml":
                text = text.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif name == "xl/_rels/workbook.xml.rels":
                text = text.replace("</Relationships>", '<Relationship Id="rIdStrings" Type="http://schemas.'
                                    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                    'Target="sharedStrings.xml"/></Relationships>')
            target.writestr(name, text)
        items = "".join(f'<si><t xml:space="preserve">{text}</t></si>' for text in strings)
        target.writestr("xl/sharedStrings.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            f'2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'))
    return target_buffer.getvalue()


def read(data: bytes, filename: str = "extract.xlsx"):
    return read_extract(io.BytesIO(data), filename)


def without_lines(extract) -> list[dict]:
    return [{name: getattr(row, name) for name in row.__slots__ if name != "line"} for row in extract.rows]


def stored() -> dict[str, ServiceDeskRecord]:
    db.session.expire_all()
    return {r.number: r for r in db.session.scalars(sa.select(ServiceDeskRecord))}


def upload_and_run(browser, data: bytes, filename: str = "extract.xlsx") -> str:
    response = browser.post("/performance/import", {"file": (io.BytesIO(data), filename)},
                            content_type="multipart/form-data")
    assert response.status_code == 303
    run_queued_jobs()
    return browser.get(response.headers["Location"]).get_data(as_text=True)


def test_a_workbook_as_excel_saves_it_is_imported_on_the_page_as_its_csv_would_be(browser, staff):
    workbook = as_excel_saves_it(openpyxl_workbook(sheet_rows()))
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(workbook)).namelist()
    extract = read(workbook)
    assert without_lines(extract) == without_lines(read(extract_csv(AS_TEXT), "extract.csv"))
    assert [row.line for row in extract.rows] == [2, 4]
    assert extract.ignored_columns == ["Notes"]

    browser.login(staff)
    assert "Imported 2 records: 2 added, 0 updated, 0 unchanged." in upload_and_run(browser, workbook)
    case, incident = stored()["CS0016629"], stored()["INC0139429"]
    assert case.opened_at == datetime(2025, 12, 17, 10, 12, tzinfo=UTC)  # GMT in December
    assert incident.opened_at == datetime(2026, 7, 6, 8, 40, tzinfo=UTC)  # 09:40 BST
    assert incident.responded_at == datetime(2026, 7, 6, 8, 52, tzinfo=UTC)  # a text date, UK order
    assert incident.resolved_at == datetime(2026, 7, 13, 11, 30, 15, tzinfo=UTC)
    assert incident.closed_at == datetime(2026, 7, 17, 23, 0, tzinfo=UTC)  # a date cell: midnight in London
    assert incident.pir_published_on == date(2026, 7, 24)
    assert incident.priority == 2 and incident.major_incident and not case.major_incident
    assert incident.short_description == "DIP down" and case.product == "MHHS Query"


def test_a_workbook_with_inline_text_reads_as_the_one_excel_saves():
    inline = openpyxl_workbook(sheet_rows())
    assert "inlineStr" in zipfile.ZipFile(io.BytesIO(inline)).read("xl/worksheets/sheet1.xml").decode()
    assert read(inline).rows == read(as_excel_saves_it(inline)).rows


def test_line_numbers_are_the_sheets_rows_with_blank_rows_above_the_header():
    rows = sheet_rows()
    rows[3][7] = time(9, 52)  # a time without a date
    rows[1][1] = 46027.5  # an Excel serial number in a cell without a date format
    for workbook in (openpyxl_workbook(rows, blank_rows_above=2),
                     as_excel_saves_it(openpyxl_workbook(rows, blank_rows_above=2))):
        with pytest.raises(ExtractError) as caught:
            read(workbook)
        assert [problem.text for problem in caught.value.problems] == [
            "Line 4 (CS0016629): Opened “46027.5” is not a date and time: write YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM.",
            "Line 6 (INC0139429): Responded “09:52:00” is not a date and time: write YYYY-MM-DD HH:MM or "
            "DD/MM/YYYY HH:MM.",
        ]


def test_a_header_row_missing_columns_is_named_by_its_line():
    rows = [HEADER[:3], *[row[:3] for row in sheet_rows()[1:]]]
    with pytest.raises(ExtractError, match=r"^Line 3 must name the extract's columns; missing: State"):
        read(as_excel_saves_it(openpyxl_workbook(rows, blank_rows_above=2)))


def _rewritten(workbook: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = change(name, source.read(name))
            if data is not None:
                target.writestr(name, data)
    return buffer.getvalue()


def damaged_workbooks() -> dict[str, bytes]:
    good = as_excel_saves_it(openpyxl_workbook(sheet_rows()))
    sheet = "xl/worksheets/sheet1.xml"
    return {
        "cut short": good[: len(good) // 2],
        "a zip of other files": _rewritten(good, lambda name, data: data if not name.startswith("xl/") else None),
        "sheet XML cut short": _rewritten(good, lambda name, data: data[: len(data) * 3 // 4] if name == sheet else data),
        "text table missing": _rewritten(good, lambda name, data: None if name == "xl/sharedStrings.xml" else data),
        "no worksheet": _rewritten(good, lambda name, data: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", data)
                                   if name == "xl/workbook.xml" else data),
        # A password-protected workbook: an OLE compound file around an encrypted package.
        "password": bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504) + "EncryptedPackage".encode("utf-16-le")
        + bytes(1024),
    }


MESSAGES = {
    "cut short": "The file is not a readable Excel workbook (.xlsx).",
    "a zip of other files": "The file is not a readable Excel workbook (.xlsx).",
    "sheet XML cut short": "The workbook's first sheet could not be read; save it again from Excel.",
    "text table missing": "The workbook's first sheet could not be read; save it again from Excel.",
    "no worksheet": "The workbook has no worksheet.",
    "password": "The workbook is protected by a password: save a copy without the password and upload that.",
}


@pytest.mark.parametrize("damage", list(MESSAGES))
def test_a_damaged_or_protected_workbook_is_refused_with_a_message(damage):
    with pytest.raises(ExtractError) as caught:
        read(damaged_workbooks()[damage])
    assert caught.value.message == MESSAGES[damage]


def test_a_damaged_workbook_uploaded_on_the_page_says_why_and_stores_nothing(browser, staff):
    browser.login(staff)
    for damage in ("cut short", "sheet XML cut short", "password"):
        page = upload_and_run(browser, damaged_workbooks()[damage], f"{damage}.xlsx")
        assert "did not complete. " + MESSAGES[damage].replace("'", "&#39;") in page
    assert stored() == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDeskImport)) == 0
