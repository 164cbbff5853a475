"""The base of every form: text arrives without control characters.

Pasted text (from Word, PDFs, terminals) can carry NUL, vertical tab and other
control characters. PostgreSQL refuses NUL in text, spreadsheets refuse most of
them, and none of them mean anything to a reader, so they are removed from every
submitted value (tab and line breaks stay).
"""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, StringField

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(value):
    if isinstance(value, str):
        return CONTROL_CHARACTERS.sub("", value)
    if isinstance(value, list):
        return [without_control_characters(item) for item in value]
    return value


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
        filters = (without_control_characters, *unbound_field.kwargs.get("filters", ()))
        if issubclass(unbound_field.field_class, StringField):  # text, text areas, hidden, email, password
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
