"""What text the product stores, decided in one place.

Every form (through core.forms.AppForm), every import and every API request passes text
through `clean_text` before it is stored:

- control characters other than tab and line breaks are removed (NUL, vertical tab, escape,
  the C1 controls): PostgreSQL refuses NUL, spreadsheets and XML refuse the others, and none
  of them means anything to a reader;
- Unicode noncharacters (U+FDD0–U+FDEF and U+xFFFE, U+xFFFF in every plane) and lone
  surrogates are removed: XML (Atom feeds), Excel and email refuse them;
- line breaks are written "\\n" (a "\\r\\n" or a lone "\\r" from another system too);
- a single-line value (a summary, a name, a subject) holds no line break at all: each one,
  and the Unicode line and paragraph separators, becomes a space.

Writers (HTML, CSV, Excel, Atom, iCalendar, email, PDF, JSON) may still be handed text from
elsewhere, so each of them stays safe for any string; this is what the product keeps.
"""

from __future__ import annotations

import re

# C0 controls but tab (\x09), line feed (\x0a) and carriage return (\x0d, turned into \n below);
# DEL and the C1 controls; noncharacters; lone surrogates. Those beyond the Basic Multilingual
# Plane are kept apart: a pattern holding them is many times slower to search, so is_clean
# looks for them only in text that has any character beyond the plane at all.
_UNWANTED_IN_BMP = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff"
_UNWANTED_BEYOND_BMP = (
    "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    "\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff"
)
_UNWANTED = re.compile(f"[{_UNWANTED_IN_BMP}{_UNWANTED_BEYOND_BMP}]")
_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
_ANY_BREAK = re.compile("[\n\t]+")
# What clean_text changes in text of several lines, within the plane: the unwanted characters
# and the line breaks but "\n".
_CHANGED_IN_BMP = re.compile(f"[{_UNWANTED_IN_BMP}\r\x85\u2028\u2029]")
_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")


def clean_text(value: str, *, single_line: bool = False) -> str:
    """The text as the product stores it (see the module's rules)."""
    if not value or (value.isascii() and value.isprintable()) or is_clean(value, single_line=single_line):
        return value  # printable ASCII holds no control character, line break or tab: nothing to clean
    text = _UNWANTED.sub("", _LINE_BREAKS.sub("\n", value))
    if single_line:
        text = _ANY_BREAK.sub(" ", text)
    return text


def clean_any(value, *, single_line: bool = False):
    """clean_text for a string, each string of a list; anything else as it is."""
    if isinstance(value, str):
        return clean_text(value, single_line=single_line)
    if isinstance(value, list):
        return [clean_any(item, single_line=single_line) for item in value]
    return value


def is_clean(value: str, *, single_line: bool = False) -> bool:
    """Whether clean_text would leave the text as it is: one scan, no copy (writers check a
    whole row at once and clean only a row that needs it)."""
    if not value:
        return True
    if _CHANGED_IN_BMP.search(value):
        return False
    if not value.isascii() and _BEYOND_BMP.search(value) and _UNWANTED.search(value):
        return False
    return not (single_line and _ANY_BREAK.search(value))
