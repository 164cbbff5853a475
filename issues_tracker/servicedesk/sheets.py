"""The rows of an uploaded extract file, CSV (UTF-8 or Windows-1252, comma or semicolon) or Excel,
read one at a time; UnreadableFile says in a sentence why a file cannot be read."""

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


def xlsx_rows(source: BinaryIO) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise UnreadableFile("The file is not a readable Excel workbook (.xlsx).") from exc
    try:
        if not book.worksheets:
            raise UnreadableFile("The workbook has no worksheet.")
        sheet = book.worksheets[0]
        try:
            for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, list(cells)
        except UnreadableFile:
            raise
        except Exception as exc:  # damaged XML inside an otherwise valid zip
            raise UnreadableFile("The workbook's first sheet could not be read; save it again from Excel.") from exc
    finally:
        book.close()


def file_kind(filename: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    raise UnreadableFile("Upload the extract as a CSV file (.csv) or an Excel workbook (.xlsx).")
