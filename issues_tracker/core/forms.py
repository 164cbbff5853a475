"""The base of every form: text arrives as the product stores it (core/text.py).

Pasted text (from Word, PDFs, terminals) can carry NUL, vertical tab, noncharacters and
other characters that break a database, a spreadsheet, a feed or an email; they are removed
from every submitted value. A one-line field (a text input) holds no line break: one sent
anyway (a crafted request, a pasted block) becomes a space. Text areas keep their lines.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, PasswordField, StringField, TextAreaField

from .text import clean_any


def without_control_characters(value):
    """Text as the product stores it (core/text.py), line breaks kept; a list's strings each."""
    return clean_any(value)


def single_line(value):
    """One line of text as the product stores it: no line breaks."""
    return clean_any(value, single_line=True)


def text_or_empty(value):
    """A text field left out of the submission reads as empty text, never None."""
    return "" if value is None else value


def strip(value):
    return value.strip() if isinstance(value, str) else value


# The filters of a text field whose surrounding spaces mean nothing.
STRIP = [strip]


class CleanTextMeta:
    """Form Meta mixin: every field's value passes through without_control_characters."""

    def bind_field(self, form, unbound_field, options):
        if issubclass(unbound_field.field_class, (FieldList, FormField)):
            return super().bind_field(form, unbound_field, options)  # their inner fields are cleaned
        field_class = unbound_field.field_class
        one_line = issubclass(field_class, StringField) and not issubclass(field_class, TextAreaField | PasswordField)
        filters = (single_line if one_line else without_control_characters, *unbound_field.kwargs.get("filters", ()))
        if issubclass(field_class, StringField):  # text, text areas, hidden, email, password
            filters = (text_or_empty, *filters)
        return super().bind_field(form, unbound_field, {**options, "filters": filters})


class AppForm(FlaskForm):
    class Meta(CleanTextMeta, FlaskForm.Meta):
        pass


class AppSubform(Form):
    """A form nested in another (a FieldList row): cleaned the same way, no CSRF of its own."""

    class Meta(CleanTextMeta, Form.Meta):
        pass


def version_number(text) -> int | None:
    """The record version a form was opened at (a hidden field), or None when absent or damaged.

    Only ASCII digits count: other characters that Python calls digits are refused, not a 500.
    """
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text or len(text) > 9 or not text.isascii() or not text.isdigit():
        return None
    return int(text)
