"""What counts as clean text (core/text.py), checked against the rule written out character by
character: the exports check a whole row with is_clean and clean only a row that needs it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from issues_tracker.core.text import clean_text, is_clean

TRICKY = ["\ufffe", "\uffff", "\U0001fffe", "\U0010ffff", "\U0001f4a5", "\ud800", "\udfff", "\x00", "\x0b", "\x1f",
          "\x7f", "\x84", "\x85", "\x86", "\x9f", "\xa0", "\r", "\r\n", "\n", "\t", "\u2028", "\u2029", "\ufdd0",
          "\ufdef", "\ufdf0", "é", "a"]


def changed_by_cleaning(character: str, *, single_line: bool) -> bool:
    point = ord(character)
    return (
        (point < 0x20 and character not in "\t\n")  # controls but tab and line feed (a "\r" becomes "\n")
        or 0x7F <= point <= 0x9F  # DEL and the C1 controls (NEL, U+0085, becomes "\n")
        or 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE  # noncharacters
        or 0xD800 <= point <= 0xDFFF  # lone surrogates
        or character in "\u2028\u2029"  # line and paragraph separators become "\n"
        or (single_line and character in "\t\n")
    )


@given(st.lists(st.one_of(st.sampled_from(TRICKY), st.characters()), max_size=12).map("".join))
def test_text_is_clean_exactly_when_no_character_would_change(text):
    for single_line in (False, True):
        expected = not any(changed_by_cleaning(character, single_line=single_line) for character in text)
        assert is_clean(text, single_line=single_line) is expected
        cleaned = clean_text(text, single_line=single_line)
        assert is_clean(cleaned, single_line=single_line)
        assert (cleaned == text) is expected
