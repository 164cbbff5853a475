"""The rows of an uploaded extract file, CSV (UTF-8 or Windows-1252, comma or semicolon) or Excel
(read by python-calamine), one at a time; UnreadableFile says in a sentence why a file cannot be read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO


class UnreadableFile(Exception):
    """The file as a whole cannot be read; the message says why, for the person who uploaded it."""


def _encoding(source: BinaryIO) -> str:
    """UTF-8 (with or without a byte-order mark) if the whole file decodes as such, else Windows-1252.

    Decided before any row is read, a megabyte at a time, so no row is read twice.
    """
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    source.seek(0)
    try:
        while chunk := source.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        source.seek(0)


def csv_rows(source: BinaryIO) -> Iterator[tuple[int, list]]:
    """(line, cells) of a CSV file; line is where the row starts in the file."""
    text = io.TextIOWrapper(source, encoding=_encoding(source), newline="")
    line = 1
    try:
        sample = text.readline()
        # Excel in some locales writes semicolons.
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except UnicodeDecodeError:
        raise UnreadableFile("The CSV file is not text: save it as “CSV UTF-8” and try again.") from None
    except csv.Error as exc:
        raise UnreadableFile(f"The CSV file could not be read at line {line}: {exc}.") from None
    finally:
        try:
            text.detach()  # the caller's file stays open
        except ValueError:
            pass


# A workbook saved with a password is an OLE compound file holding an "EncryptedPackage" stream.
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def xlsx_rows(source: BinaryIO) -> Iterator[tuple[int, list]]:
    """(line, cells) of the workbook's first worksheet, read by calamine. Line 1 is the sheet's first
    row even when it is blank. An empty cell (or an error such as #N/A) is "", a number a float, a
    date cell a datetime (a date when it falls at midnight, a time when it is less than a day)."""
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum

    source.seek(0)
    try:
        book = CalamineWorkbook.from_filelike(source)
    except PasswordError:
        raise UnreadableFile(PROTECTED) from None
    except (CalamineError, OSError, ValueError) as exc:
        if _encrypted(source):
            raise UnreadableFile(PROTECTED) from exc
        raise UnreadableFile("The file is not a readable Excel workbook (.xlsx).") from exc
    try:
        names = [sheet.name for sheet in book.sheets_metadata if sheet.typ == SheetTypeEnum.WorkSheet]
        if not names:
            raise UnreadableFile("The workbook has no worksheet.")
        try:
            # The whole sheet is read here, its cells kept compactly outside Python; the rows
            # become Python lists one at a time.
            rows = book.get_sheet_by_name(names[0]).iter_rows()
        except CalamineError as exc:  # damaged XML inside an otherwise valid zip
            raise UnreadableFile("The workbook's first sheet could not be read; save it again from Excel.") from exc
        # iter_rows starts at the sheet's first row, blank rows above the data included.
        yield from enumerate(rows, start=1)
    finally:
        book.close()


PROTECTED = "The workbook is protected by a password: save a copy without the password and upload that."


def _encrypted(source: BinaryIO) -> bool:
    source.seek(0)
    if source.read(len(OLE_SIGNATURE)) != OLE_SIGNATURE:
        return False
    source.seek(0)
    return ENCRYPTED_STREAM in source.read()


def file_kind(filename: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    raise UnreadableFile("Upload the extract as a CSV file (.csv) or an Excel workbook (.xlsx).")
